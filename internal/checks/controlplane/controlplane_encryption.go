package controlplane

// By default kube-apiserver writes Secrets to etcd as they are: anyone with a copy of
// the etcd data directory, a backup or a snapshot reads every credential of the
// cluster. Encryption at rest is configured with an EncryptionConfiguration file
// (--encryption-provider-config): a list of entries, each naming resources and an
// ordered list of providers. The first entry that matches a resource decides; its
// first provider encrypts new writes and every provider is tried to read. So
// identity (no encryption) as the first provider means new Secrets are stored in
// clear, and a resource no entry matches is not encrypted at all. The providers
// differ: aescbc is weak (CBC is open to padding-oracle attacks and upstream
// recommends against it), aesgcm is sound but needs its key rotated every 200,000
// writes (random nonces), secretbox is strong, the KMS v1 API is deprecated (off by
// default since Kubernetes 1.29) and KMS v2 is what upstream recommends, since the
// key stays in an external key manager. CIS 1.2.27 and 1.2.28 (both Manual).
//
// The EncryptionConfiguration is read when it is part of the input: apiVersion
// apiserver.config.k8s.io/v1, kind EncryptionConfiguration, or the pre-1.13 form
// apiVersion v1, kind EncryptionConfig. It has no metadata; findings name its file.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	refEncryptData = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"
	refKMS         = "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/"
	refEncConfig   = "https://kubernetes.io/docs/reference/config-api/apiserver-encryption.v1/"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-718", Title: "API server does not encrypt secrets at rest", Severity: high, Category: catControlPlane,
			Rationale:   "Without --encryption-provider-config kube-apiserver stores Secrets in etcd unencrypted: the etcd data directory, its snapshots and backups, and anyone with direct etcd access hold every credential of the cluster in clear text. CIS 1.2.27 is a Manual recommendation; the EncryptionConfiguration the flag points to is checked by PAL-719 and PAL-720 when it is part of the input.",
			Remediation: "Write an EncryptionConfiguration that encrypts secrets with a KMS v2 provider (or secretbox/aesgcm with a key kept off the etcd backups), set --encryption-provider-config to it on kube-apiserver, mount it read-only, and rewrite existing Secrets (kubectl get secrets -A -o json | kubectl replace -f -).",
			References:  []string{refEncryptData, refKMS, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.27"}, nsaSecrets),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, func(_ *rules.Pass, cp *component) []issue {
				return requireSet(cp, "encryption-provider-config", "1.2.27", "Secrets are stored in etcd unencrypted")
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-719", Title: "Encryption configuration leaves secrets unencrypted", Severity: high, Category: catControlPlane,
			Rationale:   "In an EncryptionConfiguration the first entry whose resources match a resource decides how it is stored (secrets, *. for the core group and *.* for everything match Secrets), and that entry's first provider encrypts every new write. A configuration in which no entry matches secrets, or whose matching entry lists identity first, stores new Secrets in clear text although encryption looks configured. identity belongs after the real provider, where it only reads data written before encryption was enabled.",
			Remediation: "Add secrets to an entry (before any entry that lists them with identity first) whose first provider is kms (apiVersion v2), secretbox or aesgcm, keep identity last, restart the API servers and rewrite existing Secrets.",
			References:  []string{refEncryptData, refEncConfig},
			Frameworks:  cpFrameworks([]string{"1.2.28"}, nsaSecrets),
			Params: []rules.Param{{Name: "resources",
				Description: "Resources that must be encrypted, as resource (core group) or resource.group.",
				Default:     []string{"secrets"}}},
		},
		Kinds:  []string{"EncryptionConfiguration", "EncryptionConfig"},
		Object: checkEncryptionCoverage,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-720", Title: "Weak or deprecated encryption provider", Severity: medium, Category: catControlPlane,
			Rationale: "The first provider of an EncryptionConfiguration entry encrypts new writes. aescbc uses AES in CBC mode, which upstream rates weak because of padding-oracle attacks; KMS v1 (a kms provider without apiVersion: v2) is deprecated and disabled by default since Kubernetes 1.29, so an upgrade can leave the API server unable to read its data. aesgcm is not reported by default, but its key must be rotated every 200,000 writes; add it to weakProviders to report it. secretbox and KMS v2 are not reported. " +
				"Providers after the first only decrypt existing data and are not reported.",
			Remediation: "Make a kms provider with apiVersion: v2 (or secretbox) the first provider, keep the old provider after it until all resources have been rewritten (kubectl get secrets -A -o json | kubectl replace -f -), then remove it.",
			References:  []string{refEncryptData, refKMS, refEncConfig},
			Frameworks:  cpFrameworks([]string{"1.2.28"}, nsaSecrets),
			Params: []rules.Param{{Name: "weakProviders", Valid: validEncryptionProvider,
				Description: "First providers to report: identity, aescbc, aesgcm, secretbox, kms-v1 or kms-v2.",
				Default:     []string{"aescbc", "kms-v1"}}},
		},
		Kinds:  []string{"EncryptionConfiguration", "EncryptionConfig"},
		Object: checkEncryptionProviders,
	})
}

// encryptionEntry is one resources entry of an EncryptionConfiguration.
type encryptionEntry struct {
	resources []string
	// first is the first provider's type ("kms-v2" for KMS with apiVersion v2), "" if none.
	first, firstPath string
}

// encryptionEntries reads an EncryptionConfiguration body; ok is false for other objects.
func encryptionEntries(o *inventory.Object) ([]encryptionEntry, bool) {
	switch {
	case o.Ref.Kind == "EncryptionConfiguration" && o.Group() == "apiserver.config.k8s.io":
	case o.Ref.Kind == "EncryptionConfig" && o.Ref.APIVersion == "v1":
	default:
		return nil, false
	}
	raw, _ := o.Body["resources"].([]any)
	out := make([]encryptionEntry, 0, len(raw))
	for i, e := range raw {
		m, _ := e.(map[string]any)
		ent := encryptionEntry{resources: asList(m["resources"]), firstPath: fmt.Sprintf("resources[%d].providers", i)}
		if ps, _ := m["providers"].([]any); len(ps) > 0 {
			p0, _ := ps[0].(map[string]any)
			for _, typ := range []string{"identity", "aescbc", "aesgcm", "secretbox", "kms"} {
				cfg, ok := p0[typ]
				if !ok {
					continue
				}
				ent.first = typ
				ent.firstPath = fmt.Sprintf("resources[%d].providers[0].%s", i, typ)
				if typ == "kms" {
					ent.first = "kms-v1"
					if c, _ := cfg.(map[string]any); c != nil && fmt.Sprint(c["apiVersion"]) == "v2" {
						ent.first = "kms-v2"
					}
				}
			}
		}
		out = append(out, ent)
	}
	return out, true
}

// coversResource reports whether an entry's resource list matches a resource given
// as resource or resource.group: by name, by *.group, by *. (core) or by *.*.
func coversResource(list []string, spec string) bool {
	res, group, _ := strings.Cut(spec, ".")
	for _, item := range list {
		r, g, _ := strings.Cut(strings.TrimSpace(item), ".")
		if (g == "*" || g == group) && (r == "*" || r == res) {
			return true
		}
	}
	return false
}

func checkEncryptionCoverage(p *rules.Pass, o *inventory.Object) {
	entries, ok := encryptionEntries(o)
	if !ok {
		return
	}
	// Resources failed at the same place are reported together.
	var paths []string
	failed := map[string][]string{}
	why := map[string]string{}
	for _, spec := range p.Strings("resources") {
		spec = strings.TrimSpace(spec)
		path, reason := "resources", "no entry matches them, so they are stored unencrypted"
		for i, e := range entries {
			if !coversResource(e.resources, spec) {
				continue
			}
			path, reason = "", ""
			switch e.first {
			case "identity":
				path, reason = e.firstPath, fmt.Sprintf("the first entry that matches them (resources[%d]) lists identity first, so new ones are stored unencrypted", i)
			case "":
				path, reason = e.firstPath, fmt.Sprintf("the first entry that matches them (resources[%d]) has no provider", i)
			}
			break
		}
		if path == "" {
			continue
		}
		if _, seen := failed[path]; !seen {
			paths = append(paths, path)
		}
		failed[path] = append(failed[path], spec)
		why[path] = reason
	}
	for _, path := range paths {
		p.Report(path, "", "CIS 1.2.28: %s: %s", strings.Join(failed[path], ", "), why[path])
	}
}

// encryptionProviders are the providers of an EncryptionConfiguration.
var encryptionProviders = []string{"identity", "aescbc", "aesgcm", "secretbox", "kms-v1", "kms-v2"}

// validEncryptionProvider checks an item of weakProviders.
func validEncryptionProvider(s string) error {
	if !containsFold(encryptionProviders, s) {
		return fmt.Errorf("want one of %s", strings.Join(encryptionProviders, ", "))
	}
	return nil
}

func checkEncryptionProviders(p *rules.Pass, o *inventory.Object) {
	entries, ok := encryptionEntries(o)
	if !ok {
		return
	}
	weak := p.Strings("weakProviders")
	for i, e := range entries {
		if e.first == "" || !containsFold(weak, e.first) {
			continue
		}
		why := ""
		switch e.first {
		case "aescbc":
			why = ": AES-CBC is rated weak upstream (padding-oracle attacks)"
		case "kms-v1":
			why = ": the KMS v1 API is deprecated and disabled by default since Kubernetes 1.29"
		case "aesgcm":
			why = ": its key must be rotated every 200,000 writes"
		}
		p.Report(e.firstPath, "", "CIS 1.2.28: resources[%d] (%s) encrypts new writes with %s%s", i, strings.Join(e.resources, ", "), e.first, why)
	}
}
