package credentials

// A Secret manifest holds its values in plaintext: data is base64, an encoding that
// anyone reverses, and stringData is the value itself. A Secret kept in a repository,
// a chart or a CI artefact is readable by everyone who can read those, for as long as
// the history lasts, long after the cluster's RBAC and encryption at rest were set up
// to protect it. Secrets belong in the cluster or an external store, with manifests
// that only refer to them: SOPS-encrypted files, Sealed Secrets, the External Secrets
// Operator, the Secrets Store CSI driver.
//
// What counts as a plaintext value, per key of data and stringData:
//   - empty values (and null) are not secrets: a chart rendering
//     `{{ .Values.password | b64enc }}` with an empty default yields one;
//   - placeholders are not secrets either: a whole value written as a template
//     (${VAR}, $(VAR), {{ x }}, <x>, #{x}#, __X__, %X%), a single character repeated
//     (xxxx, ****), or one of the patterns of the placeholders parameter (changeme,
//     your-*, and well-known defaults such as admin, guest or password that anyone
//     can guess). A placeholder that is deployed as it is, is a weak default
//     credential: the credential detectors' concern, not a leak of a secret;
//   - public material is not secret: a value that holds only PEM certificates or
//     public keys (tls.crt, ca.crt) or an SSH public key;
//   - SOPS: a Secret with a top-level sops key is encrypted by SOPS, and whatever it
//     leaves in clear was chosen to be left (encrypted_regex, unencrypted_suffix);
//     single values of the form ENC[...] are SOPS ciphertext wherever they occur;
//   - a data value that is not valid base64 (or not a string) makes the API server
//     reject the Secret. It is still plaintext in the file, so it is reported, with a
//     note; nothing is decoded from it.
//
// The findings name keys, never values. A Secret whose type is a credential type
// (TLS, registry, basic-auth, SSH, bootstrap and service account tokens) or that holds
// a private key is PAL-524 (high); any other Secret with plaintext values PAL-522.
// Secrets of type kubernetes.io/service-account-token are PAL-525 whatever their data.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	refSecretTypes    = "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
	refSecretSAToken  = "https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets"
	refSecretTokenReq = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#manually-create-an-api-token-for-a-serviceaccount"
	refSecretEncrypt  = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"

	secretTypeSAToken = "kubernetes.io/service-account-token"
	// annSAName names the ServiceAccount of a service-account-token Secret.
	annSAName = "kubernetes.io/service-account.name"

	idPlaintextSecret = "PAL-522"
)

// credentialSecretTypes are the Secret types whose values are credentials by
// definition, with what they hold.
var credentialSecretTypes = map[string]string{
	"kubernetes.io/tls":              "a TLS key pair",
	"kubernetes.io/dockerconfigjson": "container registry credentials",
	"kubernetes.io/dockercfg":        "container registry credentials",
	"kubernetes.io/basic-auth":       "basic authentication credentials",
	"kubernetes.io/ssh-auth":         "an SSH private key",
	"bootstrap.kubernetes.io/token":  "a bootstrap token that joins nodes to the cluster",
	secretTypeSAToken:                "a service account token",
}

var defaultSecretPlaceholders = []string{
	"changeme", "change-me", "change_me", "changeit", "change-it", "change_it",
	"replaceme", "replace-me", "replace_me", "replace-with-*", "replace_with_*",
	"placeholder", "todo", "tbd", "fixme", "dummy", "redacted", "none", "null", "nil",
	"your*", "example", "sample", "default",
	// Well-known defaults: anyone can guess them, so they are not kept secret.
	"admin", "administrator", "root", "user", "guest", "test",
	"password", "passwd", "pass", "secret", "token",
}

const secretRemediation = "Keep the values out of the files: encrypt the manifest with SOPS (or commit a SealedSecret instead), or create the Secret from an external store with the External Secrets Operator or mount it through the Secrets Store CSI driver, and remove the plaintext from the repository's history. " +
	"Rotate any credential that was committed. Enable encryption at rest for Secrets in the cluster."

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: idPlaintextSecret, Title: "Secret with plaintext values in the input", Severity: medium, Category: catSecretUse,
			Rationale: "The scanned files contain a Secret with values: base64 in data is an encoding, not encryption, and stringData is the value itself, so everyone who can read the repository, chart or CI artefact (and its history) can read the secret, whatever RBAC protects it in the cluster. " +
				"Empty values, placeholders (templates such as ${VAR} or {{ x }}, repeated characters, the patterns of the placeholders parameter, which include well-known defaults such as admin or password that anyone can guess), public certificates and keys, and SOPS-encrypted files or ENC[...] values are not reported; a data value that is not valid base64 is reported with a note (the API server would reject the Secret). " +
				"Rendered by Helm, a value may also have been generated at render time (randAlphaNum) rather than stored; the finding says so. Credential-type Secrets and private keys are PAL-524. " +
				"A value that has the format of a known credential (a GitHub token, an AWS key, a private key, a URL with a password, registry credentials) is also reported by the rule of its format (PAL-501..PAL-514), with that rule's severity; a plain value in a SOPS-encrypted Secret is PAL-527.",
			Remediation: secretRemediation,
			References:  []string{refSecretUse, refSecretUseGood, refSecretEncrypt},
			Frameworks:  secretUseFrameworks("5.4.2"),
			Params: []rules.Param{{Name: "placeholders", Syntax: rules.Glob,
				Description: "Values (shell patterns, case-insensitive, matched against the whole trimmed value) that stand for a secret rather than being one. Also used by PAL-523.",
				Default:     defaultSecretPlaceholders}},
		},
		Kinds:  []string{"Secret"},
		Object: func(p *rules.Pass, o *inventory.Object) { checkPlaintextSecret(p, o, false) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-524", Title: "Credential Secret with plaintext values in the input", Severity: high, Category: catSecretUse,
			Rationale: "The scanned files contain, in plaintext, a Secret whose type says it is a credential (kubernetes.io/tls, dockerconfigjson, dockercfg, basic-auth, ssh-auth, bootstrap.kubernetes.io/token, service-account-token) or that holds a private key: TLS keys let an attacker impersonate the service, registry credentials often allow pushing images, bootstrap tokens join nodes to the cluster. Such values are credentials by construction, not configuration, hence high rather than PAL-522's medium. " +
				"The same values are skipped as for PAL-522 (empty, placeholders, certificates, SOPS); a TLS Secret with only a certificate is not reported.",
			Remediation: secretRemediation + " For TLS, let cert-manager issue the certificate in the cluster.",
			References:  []string{refSecretTypes, refSecretUseGood, refSecretEncrypt},
			Frameworks:  secretUseFrameworks("5.4.2"),
		},
		Kinds:  []string{"Secret"},
		Object: func(p *rules.Pass, o *inventory.Object) { checkPlaintextSecret(p, o, true) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-525", Title: "Long-lived service account token Secret", Severity: medium, Category: catSecretUse,
			Rationale: "A Secret of type kubernetes.io/service-account-token makes the token controller store a token of the named ServiceAccount in it: a token that never expires and stays valid until the Secret is deleted, readable by everyone who can read Secrets of the namespace. " +
				"Since Kubernetes 1.24 such Secrets are no longer created automatically (so one in the input was written on purpose, or dumped from an older cluster), and the legacy token cleaner removes only automatically created ones, never a Secret created by hand. Pods get short-lived, automatically rotated tokens through the TokenRequest API (projected serviceAccountToken volumes) instead.",
			Remediation: "Delete the Secret. Give pods a projected serviceAccountToken volume (the default automount already is one); give clients outside the cluster a short-lived token from kubectl create token or the TokenRequest API, or use workload identity federation.",
			References:  []string{refSecretSAToken, refSecretTokenReq, refSAAdmin},
			Frameworks:  rules.Frameworks{NSA: []string{nsaSATokens}, Layer: layerCluster},
		},
		Kinds:  []string{"Secret"},
		Object: checkSATokenSecret,
	})
}

// secretValue is one value of a Secret's data or stringData.
type secretValue struct {
	field, key string
	// value is the value as the API server would store it (data decoded from base64);
	// for an invalid data value, the text of the file.
	value []byte
	// invalid is set when the API server would reject the value (data not base64, a
	// value that is not a string).
	invalid bool
	// encrypted is set for a SOPS ciphertext (ENC[...]).
	encrypted bool
}

// path returns the value's field path.
func (v *secretValue) path() string { return inventory.FieldPath(v.field, v.key) }

// isCoreSecret reports whether o is a v1 Secret with a decoded body.
func isCoreSecret(o *inventory.Object) bool {
	return o.Ref.APIVersion == "v1" && o.Ref.Kind == "Secret" && o.Body != nil
}

// sopsEncrypted reports whether the Secret was encrypted with SOPS (the loader found
// its metadata, or it carries the top-level sops key). Its plain values are judged by
// PAL-527.
func sopsEncrypted(o *inventory.Object) bool {
	_, ok := o.Body["sops"]
	return ok || o.SOPS != nil
}

// secretType returns the Secret's type ("Opaque" when unset).
func secretType(o *inventory.Object) string {
	if t, ok := o.Body["type"].(string); ok && t != "" {
		return t
	}
	return "Opaque"
}

// secretValues returns the values of data, then stringData, each in key order.
// Nested maps and lists (which the API server rejects) carry no value and are skipped.
func secretValues(o *inventory.Object) []secretValue {
	var out []secretValue
	for _, field := range []string{"data", "stringData"} {
		m, _ := o.Body[field].(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := secretValue{field: field, key: k}
			switch raw := m[k].(type) {
			case nil:
			case string:
				switch {
				case isSOPSCiphertext(raw):
					v.encrypted = true
				case field == "data":
					// As the API server decodes []byte: standard alphabet, padded, line breaks ignored.
					b, err := base64.StdEncoding.DecodeString(raw)
					if err != nil {
						v.value, v.invalid = []byte(raw), true
					} else {
						v.value = b
					}
				default:
					v.value = []byte(raw)
				}
			case map[string]any, []any:
				continue
			default:
				v.value, v.invalid = []byte(fmt.Sprint(raw)), true
			}
			out = append(out, v)
		}
	}
	return out
}

// isSOPSCiphertext reports whether s is a value encrypted by SOPS.
func isSOPSCiphertext(s string) bool {
	return strings.HasPrefix(s, "ENC[") && strings.HasSuffix(s, "]")
}

// secretPlaceholder reports whether a value stands for a secret rather than being
// one: empty, a template, one character repeated, or one of the patterns.
func secretPlaceholder(value []byte, patterns []string) bool {
	s := strings.TrimSpace(string(value))
	if s == "" {
		return true
	}
	if strings.Trim(s, s[:1]) == "" {
		return true
	}
	for _, w := range [][2]string{{"${", "}"}, {"$(", ")"}, {"{{", "}}"}, {"<", ">"}, {"#{", "}#"}, {"__", "__"}, {"%", "%"}} {
		if len(s) > len(w[0])+len(w[1]) && strings.HasPrefix(s, w[0]) && strings.HasSuffix(s, w[1]) && !strings.ContainsAny(s, "\n") {
			return true
		}
	}
	low := strings.ToLower(s)
	for _, pt := range patterns {
		if ok, err := path.Match(strings.ToLower(pt), low); err == nil && ok {
			return true
		}
	}
	return false
}

// publicMaterial reports whether a value holds only certificates or public keys.
func publicMaterial(value []byte) bool {
	s := bytes.TrimSpace(value)
	if bytes.Contains(s, []byte("PRIVATE")) {
		return false
	}
	if bytes.HasPrefix(s, []byte("-----BEGIN CERTIFICATE-----")) || bytes.HasPrefix(s, []byte("-----BEGIN PUBLIC KEY-----")) ||
		bytes.HasPrefix(s, []byte("-----BEGIN TRUSTED CERTIFICATE-----")) || bytes.HasPrefix(s, []byte("-----BEGIN X509 CRL-----")) {
		return true
	}
	for _, pre := range []string{"ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com ", "sk-ecdsa-sha2-"} {
		if bytes.HasPrefix(s, []byte(pre)) && !bytes.Contains(s, []byte("\n")) {
			return true
		}
	}
	return false
}

// holdsPrivateKey reports whether a value contains a PEM or OpenSSH private key.
func holdsPrivateKey(value []byte) bool {
	return bytes.Contains(value, []byte("PRIVATE KEY-----"))
}

// plaintextSecretValues returns the values of a Secret that are secrets in clear, per
// the rules in the file comment (nil for a SOPS-encrypted Secret).
func plaintextSecretValues(o *inventory.Object, placeholders []string) []secretValue {
	if sopsEncrypted(o) {
		return nil
	}
	var out []secretValue
	for _, v := range secretValues(o) {
		if v.encrypted || secretPlaceholder(v.value, placeholders) || publicMaterial(v.value) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// checkPlaintextSecret reports the Secret's plaintext values, one finding per field,
// under PAL-524 when credential is set and the Secret is a credential, else PAL-522.
func checkPlaintextSecret(p *rules.Pass, o *inventory.Object, credential bool) {
	if !isCoreSecret(o) {
		return
	}
	vals := plaintextSecretValues(o, p.StringsOf(idPlaintextSecret, "placeholders"))
	if len(vals) == 0 {
		return
	}
	typ := secretType(o)
	what, isCred := credentialSecretTypes[typ]
	if !isCred {
		for i := range vals {
			if !vals[i].invalid && holdsPrivateKey(vals[i].value) {
				what, isCred = "a private key", true
				break
			}
		}
	}
	if isCred != credential {
		return
	}
	rendered := ""
	if o.Origin.Rendered && strings.HasPrefix(o.Origin.Renderer, "helm") {
		rendered = fmt.Sprintf("; rendered from %s: a value generated at render time (randAlphaNum and the like) is not stored in the files, one from values files is", o.Origin.Renderer)
	}
	for _, field := range []string{"data", "stringData"} {
		var keys, invalid []string
		for i := range vals {
			if vals[i].field != field {
				continue
			}
			keys = append(keys, vals[i].key)
			if vals[i].invalid {
				invalid = append(invalid, vals[i].key)
			}
		}
		if len(keys) == 0 {
			continue
		}
		how := "base64-encoded, not encrypted"
		if field == "stringData" {
			how = "in clear text"
		}
		note := ""
		if len(invalid) > 0 {
			why := "not valid base64, so the API server rejects the Secret (a value written in clear text where base64 is expected?)"
			if field == "stringData" {
				why = "not a string, so the API server rejects the Secret"
			}
			verb := "is"
			if len(invalid) > 1 {
				verb = "are"
			}
			note = fmt.Sprintf("; %s %s %s %s", keysNoun(len(invalid)), quoteList(invalid), verb, why)
		}
		switch {
		case credential && typ == "Opaque":
			p.Report(field, "", "Secret %q holds %s: it keeps %s %s in %s, %s%s%s",
				o.Ref.Name, what, keysNoun(len(keys)), quoteList(keys), field, how, note, rendered)
		case credential:
			p.Report(field, "", "Secret %q of type %s (%s) keeps %s %s in %s, %s%s%s",
				o.Ref.Name, typ, what, keysNoun(len(keys)), quoteList(keys), field, how, note, rendered)
		default:
			p.Report(field, "", "Secret %q keeps %s %s in %s, %s%s%s",
				o.Ref.Name, keysNoun(len(keys)), quoteList(keys), field, how, note, rendered)
		}
	}
}

// keysNoun returns "key" or "keys" for n keys.
func keysNoun(n int) string {
	if n == 1 {
		return "key"
	}
	return "keys"
}

func checkSATokenSecret(p *rules.Pass, o *inventory.Object) {
	if !isCoreSecret(o) || secretType(o) != secretTypeSAToken {
		return
	}
	sa := o.Annotations[annSAName]
	if sa == "" {
		p.Report("type", "", "Secret %q is a service-account-token Secret without the %s annotation (the API server rejects it); it asks for a long-lived token that never expires", o.Ref.Name, annSAName)
		return
	}
	p.Report("type", "", "Secret %q asks the token controller for a long-lived token of service account %q that never expires", o.Ref.Name, sa)
}
