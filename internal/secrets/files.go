package secrets

import "path"

// FileCandidate reports whether a file of an image or a root filesystem may hold a
// credential worth reading whole: private keys, cloud credential files, .npmrc,
// .pypirc, .docker/config.json, .git-credentials, .env files. name is unrooted
// ("root/.ssh/id_rsa"). It decides on the name and size only, so an image reader can
// call it on every entry.
// CONTRACT: refined by the image-checks branch.
func FileCandidate(name string, size int64) bool {
	if size > 1<<20 {
		return false
	}
	switch path.Base(name) {
	case "id_rsa", "id_ecdsa", "id_ed25519", "id_dsa", ".npmrc", ".pypirc", ".git-credentials", "credentials", "config.json", ".env":
		return true
	}
	switch path.Ext(name) {
	case ".pem", ".key":
		return true
	}
	return false
}
