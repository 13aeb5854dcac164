package credentials

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

func TestFieldKeys(t *testing.T) {
	for path, want := range map[string][]string{
		"data.a['b.c'][0].d": {"data", "a", "b.c", "d"},
		"stringData.token":   {"stringData", "token"},
		"data[']']":          {"data", "]"},
		"data['x":            {"data", "x"},
		"data[3":             {"data"},
		"":                   nil,
		"metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']": {"metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"},
	} {
		if got := fieldKeys(path); !slices.Equal(got, want) {
			t.Errorf("fieldKeys(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestHelmSecretsFileNames(t *testing.T) {
	for name, want := range map[string]bool{
		"secrets.yaml": true, "charts/app/secrets.yml": true, "secrets.prod.yaml": true, `env\secrets.dev.eu.yaml`: true,
		"secrets..yaml": false, "secrets.": false, "secrets.json": false, "my-secrets.yaml": false, "secrets-prod.yaml": false,
		"values.yaml": false, "secrets/values.yaml": false, "secrets.yaml.bak": false,
	} {
		if got := helmSecretsFile(name); got != want {
			t.Errorf("helmSecretsFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestConfigKeyPath(t *testing.T) {
	for field, want := range map[string]string{
		"data.gitlab.token":                  "gitlab.token",
		"data['spring.datasource.password']": "spring.datasource.password",
		"data.tokens[0]":                     "tokens[0]",
		"data[2].password":                   "[2].password",
		"data.a['b.c']":                      "a['b.c']",
	} {
		if got := configKeyPath(field); got != want {
			t.Errorf("configKeyPath(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestSOPSWhy(t *testing.T) {
	for _, tc := range []struct {
		info inventory.SOPSInfo
		keys []string
		want string
	}{
		{inventory.SOPSInfo{UnencryptedSuffix: "_unencrypted"}, []string{"db", "password_unencrypted"}, `key "password_unencrypted" ends with the unencrypted suffix "_unencrypted"`},
		{inventory.SOPSInfo{UnencryptedSuffix: "_unencrypted"}, []string{"db", "password"}, "not an ENC[...] value"},
		{inventory.SOPSInfo{EncryptedSuffix: "_secret"}, []string{"db", "password"}, `no key of its path ends with the encrypted suffix "_secret"`},
		{inventory.SOPSInfo{EncryptedRegex: "^(data|stringData)$"}, []string{"metadata", "annotations", "x"}, `no key of its path matches encrypted_regex "^(data|stringData)$"`},
		{inventory.SOPSInfo{EncryptedRegex: "^(data|stringData)$"}, []string{"data", "x"}, "not an ENC[...] value"},
		{inventory.SOPSInfo{UnencryptedRegex: "^(host|user)$"}, []string{"host"}, `key "host" matches unencrypted_regex "^(host|user)$"`},
		// A regular expression that does not compile, or is too long, explains nothing.
		{inventory.SOPSInfo{EncryptedRegex: "("}, []string{"x"}, "not an ENC[...] value"},
		{inventory.SOPSInfo{EncryptedRegex: strings.Repeat("a", maxSOPSRegex+1)}, []string{"x"}, "not an ENC[...] value"},
	} {
		if got := newSOPSView(tc.info).why(tc.keys); !strings.Contains(got, tc.want) {
			t.Errorf("why(%+v, %q) = %q, want %q", tc.info, tc.keys, got, tc.want)
		}
	}
}

// FuzzConfigFileScan reads arbitrary configuration trees (JSON) and SOPS settings:
// the scan never panics, and a finding never shows the value it was found in.
func FuzzConfigFileScan(f *testing.F) {
	f.Add([]byte(`{"gitlab":{"token":"glpat-abcdefghij0123456789"},"a.b":["x",{"name":"DB_PASSWORD","value":"Zx8pLm2qRt"}]}`), "_unencrypted", "^(data)$")
	f.Add([]byte(`[1,true,null,"ENC[AES256_GCM,data:x,type:str]",{"']":"']"}]`), "", "(")
	f.Add([]byte(`{"k_unencrypted":"Wq8rTz2vLp-secret"}`), "_unencrypted", "")
	sc := secrets.New(secrets.DefaultOptions())
	f.Fuzz(func(t *testing.T, doc []byte, suffix, encRegex string) {
		var data any
		if json.Unmarshal(doc, &data) != nil {
			return
		}
		o := &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.ConfigFileKind, Name: "secrets.yaml"},
			Config: &inventory.ConfigInfo{Format: "json"},
			Body:   map[string]any{"data": data},
		}
		values := map[string]string{}
		walkJSONStrings(data, "data", "", func(path, _, v string) { values[path] = v })
		for _, sops := range []*inventory.SOPSInfo{nil, {UnencryptedSuffix: suffix, EncryptedRegex: encRegex}} {
			o.SOPS = sops
			c := &collector{sc: sc, sops: sopsOf(o), sopsSkip: 1}
			scanConfigFile(c, o)
			for i := range c.hits {
				h := &c.hits[i]
				if sops != nil && h.rule != idSOPSPlain || sops == nil && h.rule == idSOPSPlain {
					t.Errorf("hit of %s with SOPS %v", h.rule, sops != nil)
				}
				v, ok := values[h.path]
				if !ok {
					t.Fatalf("hit at %q, which holds no string", h.path)
				}
				secret := v[h.m.Offset : h.m.Offset+h.m.Length]
				if len(secret) >= 8 && strings.Contains(describeSecretHit(h), secret) {
					t.Errorf("the message shows the secret: %s", describeSecretHit(h))
				}
			}
		}
	})
}
