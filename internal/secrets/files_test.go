package secrets

import "testing"

func TestFileCandidate(t *testing.T) {
	for name, want := range map[string]bool{
		"root/.ssh/id_rsa":                                         true,
		"/home/app/.ssh/id_ed25519":                                true,
		"home/app/.ssh/deploy_key":                                 true,
		"home/app/.ssh/id_rsa.pub":                                 false,
		"home/app/.ssh/known_hosts":                                false,
		"home/app/.ssh/authorized_keys":                            false,
		"etc/ssl/private/server.key":                               true,
		"etc/ssl/certs/ca.pem":                                     true,
		"etc/ssh/ssh_host_ed25519_key":                             true,
		"etc/ssh/ssh_host_ed25519_key.pub":                         false,
		"root/.aws/credentials":                                    true,
		"root/.aws/config":                                         true,
		"usr/share/doc/credentials":                                false,
		"root/.config/gcloud/application_default_credentials.json": true,
		"root/.config/gcloud/legacy_credentials/a@b.c/adc.json":    true,
		"root/.config/gcloud/configurations/config_default":        false,
		"root/.config/gcloud/credentials.db":                       true,
		"root/.azure/accessTokens.json":                            true,
		"root/.kube/config":                                        true,
		"app/kubeconfig":                                           true,
		"app/.npmrc":                                               true,
		"root/.pypirc":                                             true,
		"root/.docker/config.json":                                 true,
		"app/config.json":                                          false,
		"root/.git-credentials":                                    true,
		"root/.netrc":                                              true,
		"app/.env":                                                 true,
		"app/.env.production":                                      true,
		"app/.env.example":                                         false,
		"etc/passwd":                                               true,
		"usr/share/base-passwd/passwd":                             false,
		"usr/bin/ls":                                               false,
		"etc/os-release":                                           false,
	} {
		if got := FileCandidate(name, 100); got != want {
			t.Errorf("FileCandidate(%q) = %v, want %v", name, got, want)
		}
	}
	if FileCandidate("root/.npmrc", MaxCandidateSize+1) {
		t.Error("a file over MaxCandidateSize is a candidate")
	}
}

func BenchmarkFileCandidate(b *testing.B) {
	names := []string{"usr/lib/x86_64-linux-gnu/libc.so.6", "usr/share/doc/bash/copyright", "root/.ssh/id_rsa", "app/node_modules/x/package.json"}
	for i := 0; b.Loop(); i++ {
		FileCandidate(names[i%len(names)], 4096)
	}
}
