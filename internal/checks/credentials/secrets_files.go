package credentials

// Credentials outside container fields and ConfigMaps: configuration files beside the
// manifests (Helm values files, .env, .npmrc, INI and properties files, read by the
// loader as inventory objects with Config set), the values of Secret manifests, and
// the plain-text template of a SealedSecret.
//
// A configuration file is read like a ConfigMap: every string (numbers and booleans
// are not credentials) under the nearest mapping key above it (a list item under the
// key of its list; the value of a {name, value} pair under the name, as for
// environment variables in values files; an argument under the flag before it). The
// findings point at the value's field ("data.gitlab.token") and name its key path.
//
// A Secret is where credentials belong, but a Secret manifest in a repository holds
// them in plain text (base64 is an encoding): PAL-522 and PAL-524 report that, for
// every value. What those rules cannot say is what a value is, so the format
// detectors (provider tokens, private keys, URLs with passwords, registry
// credentials...) run on each data value, base64-decoded (a value that is not
// base64 as written), and on each stringData value, and report a match under the rule
// of its format, with its severity: a GitHub token committed in a Secret is PAL-505
// (high) as it is in a ConfigMap. The keyword detectors (a password under a key
// naming one) do not run there: every value of a Secret is such a value, and PAL-522
// already reports it.
//
// Protected forms are not read: a SealedSecret's encryptedData is ciphertext that
// only the controller's key opens, an ExternalSecret holds references to an external
// store, and ENC[...] values are SOPS ciphertext. A SealedSecret's
// spec.template.data, by contrast, is copied into the Secret as written (with
// templates of the decrypted values), so it is read like Secret stringData.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// scanConfigFile reads every string of a configuration file with the key it is under.
func scanConfigFile(c *collector, o *inventory.Object) {
	data, ok := o.Body["data"]
	if !ok {
		return
	}
	walkJSONStrings(data, "data", "", func(field, key, v string) {
		if isSOPSCiphertext(v) {
			return
		}
		c.add(field, "", fmt.Sprintf("configuration key %q", configKeyPath(field)), key, v, c.detect(key, v), false)
	})
}

// configKeyPath is a configuration file's field path as the file's keys read:
// "data.gitlab.token" is gitlab.token, "data['spring.datasource.password']" is
// spring.datasource.password.
func configKeyPath(field string) string {
	rest := strings.TrimPrefix(field, "data")
	if k, ok := childKey(field, "data"); ok {
		return k
	}
	return strings.TrimPrefix(rest, ".")
}

// scanSecretData runs the format detectors on the values of a v1 Secret (in a
// SOPS-encrypted one, every detector on the values left in plain text).
func scanSecretData(c *collector, o *inventory.Object) {
	rendered := ""
	if o.Origin.Rendered && strings.HasPrefix(o.Origin.Renderer, "helm") {
		// As PAL-522 says: the chart may generate the value (genPrivateKey,
		// randAlphaNum), and then it is in no file.
		rendered = fmt.Sprintf("; rendered from %s: a value generated at render time is not stored in the files, one from values files or templates is", o.Origin.Renderer)
	}
	for _, v := range secretValues(o) {
		if v.encrypted || len(v.value) == 0 {
			continue
		}
		how := "base64-decoded"
		switch {
		case v.field == "stringData":
			how = "stringData"
		case v.invalid:
			how = "not valid base64, read as written"
		}
		if v.field == "data" {
			how = "data, " + how
		}
		where := fmt.Sprintf("key %q of Secret %q (%s%s)", v.key, o.Ref.Name, how, rendered)
		s := string(v.value)
		c.add(v.path(), "", where, v.key, s, c.detect(v.key, s), true)
	}
}

// scanSealedSecretTemplate runs the format detectors on the plain-text template data
// of a SealedSecret (spec.template.data), which the controller copies into the Secret.
func scanSealedSecretTemplate(c *collector, o *inventory.Object) {
	spec, _ := o.Body["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	data, _ := tmpl["data"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(data)) {
		s, ok := data[k].(string)
		if !ok || s == "" || isSOPSCiphertext(s) {
			continue
		}
		where := fmt.Sprintf("key %q of the template of SealedSecret %q (spec.template.data, not encrypted)", k, o.Ref.Name)
		c.add(inventory.FieldPath("spec.template.data", k), "", where, k, s, c.detect(k, s), true)
	}
}
