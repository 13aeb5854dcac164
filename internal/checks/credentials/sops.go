package credentials

// SOPS (https://github.com/getsops/sops) encrypts a YAML, JSON, dotenv or INI file
// value by value: keys stay readable, each value becomes ENC[AES256_GCM,data:...],
// and the file carries its metadata (a top-level sops mapping, or sops_* keys). Which
// values it encrypts is the file's choice: unencrypted_suffix (by default
// "_unencrypted"), encrypted_suffix, unencrypted_regex and encrypted_regex select keys
// (a key that is selected takes its whole subtree along), and a value written or
// changed after encryption stays as it was written. Whatever is left in plain text is
// read by everyone who reads the repository, like any other file: people see an
// encrypted file and take all of it for protected.
//
// So in a SOPS document an ENC[...] value is protected (no rule reports it), and a
// plain value holding a credential shape (any detector of the secrets rules, the
// keyword ones included) is PAL-527, instead of the rule of its format: one finding
// per secret. helm-secrets decrypts values files named secrets.yaml or
// secrets.*.yaml at deploy time; such a file without SOPS metadata is PAL-528.

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	idSOPSPlain         = "PAL-527"
	idHelmSecretsPlain  = "PAL-528"
	refSOPS             = "https://getsops.io/docs/"
	refSOPSEncryptParts = "https://getsops.io/docs/#encrypting-only-parts-of-a-file"
	refHelmSecrets      = "https://github.com/jkroepke/helm-secrets/wiki/Usage"

	// maxSOPSRegex bounds the length of a regular expression read from a SOPS
	// mapping (hostile input): a longer one is not compiled, only quoted.
	maxSOPSRegex = 1024
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: idSOPSPlain, Title: "Credential left unencrypted in a SOPS-encrypted file", Severity: high, Category: catHardcodedSecrets,
			Rationale: "SOPS encrypts a file value by value and leaves keys readable; which values it encrypts is chosen per file (unencrypted_suffix, by default _unencrypted, encrypted_suffix, unencrypted_regex, encrypted_regex), and a value written or changed after encryption stays as written. " +
				"Everyone who reads the repository reads the values left in plain text, while the file looks protected. A plain value of a SOPS-encrypted Kubernetes object or configuration file (a Secret manifest, a helm-secrets values file, a .env) that has the shape of a credential, by any of the detectors of PAL-501..PAL-516 (provider tokens, private keys, URLs with passwords, passwords and tokens under keys naming them), is reported here instead of under the rule of its format; ENC[...] values are encrypted and never reported.",
			Remediation: "Encrypt the value: drop the unencrypted suffix from its key or widen encrypted_regex / narrow unencrypted_regex in .sops.yaml, then run sops --encrypt (or sops updatekeys and edit the file with sops) so every credential is an ENC[...] value. " +
				"Rotate the credential: it was readable in the repository and stays in its history.",
			References: []string{refSOPS, refSOPSEncryptParts, refK8sSecretsPractice},
			Frameworks: secretsFrameworks(),
		},
		Kinds:    hardcodedSecretKinds,
		Targets:  rules.Scan | rules.Admission | rules.History,
		Workload: reportWorkloadSecrets,
		Object:   reportObjectSecrets,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: idHelmSecretsPlain, Title: "helm-secrets values file is not encrypted", Severity: high, Category: catHardcodedSecrets,
			Rationale: "helm-secrets keeps a chart's secret values in files named secrets.yaml or secrets.<env>.yaml, encrypted with SOPS, and decrypts them at deploy time. A file of that name without SOPS metadata holds its values in plain text: committed like that, every value meant to be secret is readable by whoever reads the repository and stays in its history. " +
				"The finding counts the non-empty string values in plain text (it prints none); the credentials among them are also reported by the rules of their formats.",
			Remediation: "Encrypt the file in place (sops --encrypt --in-place secrets.yaml, or helm secrets encrypt -i secrets.yaml) with the keys of .sops.yaml, rotate the values that were committed in plain text, and purge them from the repository's history.",
			References:  []string{refHelmSecrets, refSOPS, refK8sSecretsPractice},
			Frameworks:  secretsFrameworks(),
		},
		Kinds:  []string{inventory.ConfigFileKind},
		Object: checkHelmSecretsFile,
	})
}

// sopsView is what the SOPS metadata of a document says about which values it left
// in plain text.
type sopsView struct {
	info       inventory.SOPSInfo
	unenc, enc *regexp.Regexp
}

// sopsOf returns the SOPS view of a document, or nil when it is not SOPS-encrypted:
// the loader's Object.SOPS, else a top-level sops mapping in the body (a Kubernetes
// object keeps it there; so may a configuration file from an older loader).
func sopsOf(o *inventory.Object) *sopsView {
	if o.SOPS != nil {
		return newSOPSView(*o.SOPS)
	}
	body := o.Body
	if o.IsConfigFile() {
		body, _ = o.Body["data"].(map[string]any)
	}
	m, ok := body["sops"].(map[string]any)
	if !ok || !isSOPSMetadata(m) {
		return nil
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	b, _ := m["mac_only_encrypted"].(bool)
	return newSOPSView(inventory.SOPSInfo{
		Version:           str("version"),
		UnencryptedSuffix: str("unencrypted_suffix"), EncryptedSuffix: str("encrypted_suffix"),
		UnencryptedRegex: str("unencrypted_regex"), EncryptedRegex: str("encrypted_regex"),
		UnencryptedCommentRegex: str("unencrypted_comment_regex"), EncryptedCommentRegex: str("encrypted_comment_regex"),
		MACOnlyEncrypted: b,
	})
}

// isSOPSMetadata reports whether a sops mapping is SOPS's metadata (it records the
// MAC, the version or the modification time), not a key of the data named sops.
func isSOPSMetadata(m map[string]any) bool {
	for _, k := range []string{"mac", "version", "lastmodified"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func newSOPSView(info inventory.SOPSInfo) *sopsView {
	v := &sopsView{info: info}
	// A regular expression that is too long or does not compile explains nothing:
	// the value is then reported with the general reason.
	compile := func(s string) *regexp.Regexp {
		if s == "" || len(s) > maxSOPSRegex {
			return nil
		}
		re, _ := regexp.Compile(s)
		return re
	}
	v.unenc, v.enc = compile(info.UnencryptedRegex), compile(info.EncryptedRegex)
	return v
}

// why says why a plain value under the keys of its path (outermost first) was left
// unencrypted, in the words of the file's SOPS settings.
func (v *sopsView) why(keys []string) string {
	i := v.info
	if i.UnencryptedSuffix != "" {
		for _, k := range keys {
			if strings.HasSuffix(k, i.UnencryptedSuffix) {
				return fmt.Sprintf("key %q ends with the unencrypted suffix %q", k, i.UnencryptedSuffix)
			}
		}
	}
	if v.unenc != nil {
		for _, k := range keys {
			if v.unenc.MatchString(k) {
				return fmt.Sprintf("key %q matches unencrypted_regex %q", k, i.UnencryptedRegex)
			}
		}
	}
	if i.EncryptedSuffix != "" && !anyKey(keys, func(k string) bool { return strings.HasSuffix(k, i.EncryptedSuffix) }) {
		return fmt.Sprintf("no key of its path ends with the encrypted suffix %q", i.EncryptedSuffix)
	}
	if v.enc != nil && !anyKey(keys, v.enc.MatchString) {
		return fmt.Sprintf("no key of its path matches encrypted_regex %q", i.EncryptedRegex)
	}
	return "not an ENC[...] value: written or changed after the file was encrypted"
}

func anyKey(keys []string, f func(string) bool) bool {
	for _, k := range keys {
		if f(k) {
			return true
		}
	}
	return false
}

// fieldKeys returns the mapping keys of a field path ("data.a['b.c'][0].d" gives a,
// b.c, d under data), for the SOPS explanation.
func fieldKeys(p string) []string {
	var keys []string
	for p != "" {
		switch {
		case strings.HasPrefix(p, "['"):
			end := strings.Index(p[2:], "']")
			if end < 0 {
				return append(keys, p[2:])
			}
			keys = append(keys, p[2:2+end])
			p = p[2+end+2:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return keys
			}
			p = p[end+1:]
		case p[0] == '.':
			p = p[1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			keys = append(keys, p[:end])
			p = p[end:]
		}
	}
	return keys
}

// helmSecretsFile reports whether a file's base name is one helm-secrets encrypts:
// secrets.yaml, secrets.yml, secrets.<anything>.yaml or .yml.
func helmSecretsFile(name string) bool {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	for _, ext := range []string{".yaml", ".yml"} {
		if stem, ok := strings.CutSuffix(base, ext); ok && (stem == "secrets" || strings.HasPrefix(stem, "secrets.") && len(stem) > len("secrets.")) {
			return true
		}
	}
	return false
}

// checkHelmSecretsFile reports a helm-secrets values file that SOPS did not encrypt
// and that holds at least one non-empty string value, at its first key.
func checkHelmSecretsFile(p *rules.Pass, o *inventory.Object) {
	if !o.IsConfigFile() || !helmSecretsFile(o.Ref.Name) && !helmSecretsFile(o.Origin.File) || sopsOf(o) != nil {
		return
	}
	data := o.Body["data"]
	n := 0
	walkJSONStrings(data, "data", "", func(_, _, v string) {
		if strings.TrimSpace(v) != "" && !isSOPSCiphertext(v) {
			n++
		}
	})
	if n == 0 {
		return
	}
	// The tree's line is its first key's; without one, the earliest top-level value.
	at := "data"
	if _, known := o.Lines.Line(at); !known {
		at = firstKeyPath(o, data)
	}
	name := o.Origin.File
	if name == "" {
		name = o.Ref.Name
	}
	values := "values are"
	if n == 1 {
		values = "value is"
	}
	p.Report(at, "", "helm-secrets values file %q is not encrypted with SOPS: %d string %s in plain text", path.Base(name), n, values)
}

// firstKeyPath returns the path of the top-level key of a configuration file's tree
// whose value starts on the earliest line (map order is lost), or "data".
func firstKeyPath(o *inventory.Object, data any) string {
	m, ok := data.(map[string]any)
	if !ok || len(m) == 0 {
		return "data"
	}
	keys := slices.Sorted(maps.Keys(m))
	at, first := inventory.FieldPath("data", keys[0]), 0
	for _, k := range keys {
		fp := inventory.FieldPath("data", k)
		if line, ok := o.Lines.Line(fp); ok && (first == 0 || line < first) {
			first, at = line, fp
		}
	}
	return at
}
