package secrets

import (
	"path"
	"strings"
)

// MaxCandidateSize is the largest file FileCandidate accepts: credential files are
// small, and reading bigger ones whole is what a scanner must not do for every image.
const MaxCandidateSize = 1 << 20

// FileCandidate reports whether a file of an image or a root filesystem may hold a
// credential worth reading whole. name is unrooted ("root/.ssh/id_rsa") or absolute.
// It decides on the name and size only (no allocation for the common miss), so an
// image reader can call it on every entry. The candidates:
//
//   - private keys: SSH identities (id_rsa, id_dsa, id_ecdsa, id_ed25519 and their
//     _sk variants, anywhere), any file under a .ssh directory except public keys
//     and known_hosts, *.pem, *.key, *.p8, and the SSH host keys
//     (etc/ssh/ssh_host_*_key);
//   - cloud credentials: .aws/credentials and .aws/config, gcloud's
//     application_default_credentials.json, credentials.db, access_tokens.db and
//     *credentials*.json and legacy_credentials/ under .config/gcloud, anything under .azure;
//   - cluster credentials: .kube/config and kubeconfig files;
//   - registry and tool credentials: .npmrc, .pypirc, .docker/config.json,
//     .git-credentials, .netrc (and _netrc), .pgpass, .my.cnf, .vault-token,
//     .config/gh/hosts.yml;
//   - environment files: .env and .env.* (not .env.example, .env.sample,
//     .env.template, .env.dist).
//
// etc/passwd is also kept: the image rules read it to resolve a named User to its UID
// (and legacy systems store password hashes in it).
func FileCandidate(name string, size int64) bool {
	if size > MaxCandidateSize || size < 0 {
		return false
	}
	name = strings.TrimPrefix(name, "/")
	base := path.Base(name)
	switch base {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity",
		".npmrc", ".pypirc", ".git-credentials", ".netrc", "_netrc", ".pgpass", ".my.cnf", ".vault-token",
		"application_default_credentials.json", ".env", "kubeconfig":
		return true
	case "passwd":
		return name == "etc/passwd"
	case "credentials", "config":
		dir := path.Base(path.Dir(name))
		return dir == ".aws" || base == "config" && dir == ".kube"
	case "config.json":
		return path.Base(path.Dir(name)) == ".docker"
	case "hosts.yml":
		return strings.HasSuffix(name, ".config/gh/hosts.yml")
	}
	if strings.HasPrefix(base, ".env.") {
		switch path.Ext(base) {
		case ".example", ".sample", ".template", ".dist":
			return false
		}
		return true
	}
	switch path.Ext(base) {
	case ".pem", ".key", ".p8":
		return true
	}
	if strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key") {
		return true
	}
	dir := path.Dir(name)
	switch {
	case path.Base(dir) == ".ssh":
		return !strings.HasSuffix(base, ".pub") && base != "known_hosts" && base != "known_hosts.old" && base != "authorized_keys" && base != "config"
	case strings.Contains(dir, ".config/gcloud/legacy_credentials"):
		return true
	case strings.HasSuffix(dir, ".config/gcloud") || strings.Contains(dir, ".config/gcloud/"):
		return base == "credentials.db" || base == "access_tokens.db" || strings.Contains(base, "credentials") && strings.HasSuffix(base, ".json")
	case strings.HasSuffix(dir, "/.azure") || dir == ".azure" || strings.Contains(dir, "/.azure/") || strings.HasPrefix(dir, ".azure/"):
		return true
	}
	return false
}
