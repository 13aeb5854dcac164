package credentials_test

import (
	"context"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

var (
	fakeGitLab = "glpat-" + fakeChars(alnumChars, 20)
	fakePKCS8  = "-----BEGIN PRIVATE KEY-----\n" + fakePEMBody + "\n-----END PRIVATE KEY-----\n"
	fakeGHP2   = "ghp_" + checksummed(fakeChars(alnumChars, 36))
)

// configFile builds a configuration file object as the loader does (see
// inventory.ConfigInfo): the YAML under "data:" of a wrapper document becomes the
// file's tree, with the lines of the wrapper. name is the file's path.
func configFile(t *testing.T, name, format, dataYAML string, sops *inventory.SOPSInfo) (*inventory.Object, string) {
	t.Helper()
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wrapper\ndata:\n" + dataYAML
	res, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(doc)}).Read(context.Background(), source.Needs{Kinds: []string{"ConfigMap"}})
	if err != nil || len(res.Errors) > 0 || len(res.Inventory.Objects) != 1 {
		t.Fatalf("wrapper: %v %v", err, res.Errors)
	}
	w := res.Inventory.Objects[0]
	return &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.ConfigFileKind, Name: name},
		Origin: finding.Location{File: name, Line: 1},
		Body:   map[string]any{"data": w.Body["data"]},
		Lines:  w.Lines,
		Config: &inventory.ConfigInfo{Format: format},
		SOPS:   sops,
	}, doc
}

// scanObjects scans objects and returns the findings of the rules, keyed.
func scanObjects(t *testing.T, objs []*inventory.Object, failOn string, ruleIDs ...string) (map[string]finding.Finding, *scan.Result) {
	t.Helper()
	res, err := scan.Run(scan.Options{Source: &source.Objects{Objects: objs}, FailOn: failOn})
	if err != nil {
		t.Fatal(err)
	}
	checkInputErrors(t, res.Report.Errors, "")
	for _, ie := range res.Report.Internal {
		t.Errorf("internal error: %v", ie)
	}
	want := map[string]bool{}
	for _, id := range ruleIDs {
		want[id] = true
	}
	out := map[string]finding.Finding{}
	for _, f := range res.Report.Findings {
		if want[f.RuleID] {
			k := findingKey(&f)
			if _, dup := out[k]; dup {
				t.Errorf("duplicate finding %s", k)
			}
			out[k] = f
		}
	}
	return out, res
}

// expect checks the findings against want (key -> text the message contains) and
// the line of each against the line of doc holding lines[key].
func expect(t *testing.T, got map[string]finding.Finding, doc string, want map[string]string, lines map[string]string) {
	t.Helper()
	for k, msg := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("missing finding %s (got %v)", k, keysOf(got))
			continue
		}
		if !strings.Contains(f.Message, msg) {
			t.Errorf("%s: message %q lacks %q", k, f.Message, msg)
		}
	}
	for k, f := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s: %s", k, f.Message)
		}
	}
	for k, text := range lines {
		if f, ok := got[k]; ok {
			if l := lineOfText(t, doc, text); f.Location.Line != l {
				t.Errorf("%s on line %d, want %d (%q)", k, f.Location.Line, l, text)
			}
		}
	}
}

func lineOfText(t *testing.T, doc, text string) int {
	t.Helper()
	n := 0
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, text) {
			if n != 0 {
				t.Fatalf("%q on two lines", text)
			}
			n = i + 1
		}
	}
	if n == 0 {
		t.Fatalf("%q not in the document", text)
	}
	return n
}

// allCredentialRules are the secrets rules, PAL-527 and PAL-528.
func allCredentialRules() []string { return append(secretRules(), "PAL-527", "PAL-528") }

func TestSecretsInConfigFiles(t *testing.T) {
	values, doc := configFile(t, "charts/app/values.yaml", "yaml", `  gitlab:
    token: `+fakeGitLab+`
    url: https://gitlab.example.com
  tls:
    key: |
`+indent(fakePKCS8, "      ")+`  mongo:
    uri: mongodb+srv://app:Wq8rTz2vLp@cluster0.example.net/shop
  tokens:
  - `+fakeGHP+`
  extraEnv:
  - name: DB_PASSWORD
    value: Zx8pLm2qRt
  spring.datasource.password: Hq4vNs7bWe
  replicas: 3
  debug: true
  apiKey: `+fakeAPIToken+`
`, nil)
	got, _ := scanObjects(t, []*inventory.Object{values}, "none", allCredentialRules()...)
	expect(t, got, doc, map[string]string{
		"PAL-506 - data.gitlab.token":                  `configuration key "gitlab.token": GitLab token glpa****`,
		"PAL-510 - data.tls.key":                       `configuration key "tls.key": private key ****`,
		"PAL-513 - data.mongo.uri":                     `configuration key "mongo.uri"`,
		"PAL-505 - data.tokens[0]":                     `configuration key "tokens[0]": GitHub token ghp_****`,
		"PAL-515 - data.extraEnv[0].value":             `configuration key "extraEnv[0].value": hardcoded password`,
		"PAL-515 - data['spring.datasource.password']": `configuration key "spring.datasource.password": hardcoded password`,
		"PAL-516 - data.apiKey":                        `configuration key "apiKey"`,
	}, map[string]string{
		"PAL-506 - data.gitlab.token":      "token: glpat-",
		"PAL-510 - data.tls.key":           "key: |",
		"PAL-513 - data.mongo.uri":         "uri: mongodb",
		"PAL-505 - data.tokens[0]":         "- ghp_",
		"PAL-515 - data.extraEnv[0].value": "value: Zx8p",
		"PAL-516 - data.apiKey":            "apiKey: ",
	})
	for _, f := range got {
		for _, secret := range []string{fakeGitLab, fakeGHP, "Wq8rTz2vLp", "Zx8pLm2qRt", fakeAPIToken} {
			if strings.Contains(f.Message, secret) || strings.Contains(f.Message, secret[4:]) {
				t.Errorf("%s prints the secret: %s", f.RuleID, f.Message)
			}
		}
	}

	// A flat file (.env, .npmrc, .properties): key -> string, read like ConfigMap values.
	env, doc := configFile(t, ".env", "dotenv", "  GITHUB_TOKEN: "+fakeGHP+"\n  DB_PASSWORD: Zx8pLm2qRt\n  PORT: \"8080\"\n  LOG_LEVEL: debug\n", nil)
	got, _ = scanObjects(t, []*inventory.Object{env}, "none", allCredentialRules()...)
	expect(t, got, doc, map[string]string{
		"PAL-505 - data.GITHUB_TOKEN": `configuration key "GITHUB_TOKEN": GitHub token`,
		"PAL-515 - data.DB_PASSWORD":  `configuration key "DB_PASSWORD": hardcoded password`,
	}, map[string]string{"PAL-505 - data.GITHUB_TOKEN": "GITHUB_TOKEN:"})
}

func TestSecretsInSOPSConfigFiles(t *testing.T) {
	enc := "ENC[AES256_GCM,data:" + fakeChars(alnumChars, 24) + "=,iv:" + fakeChars(alnumChars, 43) + "=,tag:" + fakeChars(alnumChars, 22) + "==,type:str]"
	sops := &inventory.SOPSInfo{Version: "3.9.0", UnencryptedSuffix: "_unencrypted"}
	values, doc := configFile(t, "secrets.yaml", "yaml", `  db:
    password: `+enc+`
    host_unencrypted: db.example.net
  github_token_unencrypted: `+fakeGHP+`
  stripe:
    key: `+enc+`
`, sops)
	got, _ := scanObjects(t, []*inventory.Object{values}, "none", allCredentialRules()...)
	expect(t, got, doc, map[string]string{
		"PAL-527 - data.github_token_unencrypted": `configuration key "github_token_unencrypted", left in plain text in a SOPS-encrypted file (key "github_token_unencrypted" ends with the unencrypted suffix "_unencrypted"): GitHub token ghp_****`,
	}, map[string]string{"PAL-527 - data.github_token_unencrypted": "github_token_unencrypted:"})

	// encrypted_regex: values outside the selected keys are plain, and a keyword
	// detector's match is PAL-527 too.
	sops = &inventory.SOPSInfo{Version: "3.9.0", EncryptedRegex: "^(password|token)$"}
	values, doc = configFile(t, "config.yaml", "yaml", "  app:\n    password: "+enc+"\n    dbPassword: Zx8pLm2qRt\n", sops)
	got, _ = scanObjects(t, []*inventory.Object{values}, "none", allCredentialRules()...)
	expect(t, got, doc, map[string]string{
		"PAL-527 - data.app.dbPassword": `no key of its path matches encrypted_regex "^(password|token)$"): hardcoded password`,
	}, nil)

	// Without the loader's SOPSInfo, a sops mapping left in the tree is recognised.
	values, _ = configFile(t, "secrets.yaml", "yaml", "  token: "+enc+"\n  note: "+fakeGHP+"\n  sops:\n    version: 3.9.0\n    mac: "+enc+"\n", nil)
	got, _ = scanObjects(t, []*inventory.Object{values}, "none", allCredentialRules()...)
	if len(got) != 1 || got["PAL-527 - data.note"].RuleID == "" {
		t.Errorf("sops mapping in the body: findings %v", keysOf(got))
	}
}

func TestHelmSecretsFileNotEncrypted(t *testing.T) {
	sops := &inventory.SOPSInfo{Version: "3.9.0", UnencryptedSuffix: "_unencrypted"}
	for _, tc := range []struct {
		name, data string
		sops       *inventory.SOPSInfo
		want       string // the message, "" for no finding
		line       string
	}{
		{"secrets.yaml", "  postgresql:\n    auth:\n      password: Zx8pLm2qRt\n  image: app:1.2\n  replicas: 2\n", nil,
			`helm-secrets values file "secrets.yaml" is not encrypted with SOPS: 2 string values are in plain text`, "postgresql:"},
		{"deploy/secrets.prod.yaml", "  apiKey: abc\n", nil, `"secrets.prod.yaml" is not encrypted with SOPS: 1 string value is in plain text`, "apiKey:"},
		{"secrets.yml", "  empty: \"\"\n  n: 3\n", nil, "", ""},
		{"secrets.yaml", "  password: ENC[AES256_GCM,data:abc,type:str]\n", sops, "", ""},
		{"values.yaml", "  password: Zx8pLm2qRt\n", nil, "", ""},
		{"secrets-values.yaml", "  password: Zx8pLm2qRt\n", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, doc := configFile(t, tc.name, "yaml", tc.data, tc.sops)
			got, _ := scanObjects(t, []*inventory.Object{o}, "none", "PAL-528")
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("findings %v", keysOf(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("findings %v, want one", keysOf(got))
			}
			for _, f := range got {
				if !strings.Contains(f.Message, tc.want) {
					t.Errorf("message %q lacks %q", f.Message, tc.want)
				}
				if l := lineOfText(t, doc, tc.line); f.Location.Line != l {
					t.Errorf("line %d, want %d", f.Location.Line, l)
				}
				if strings.Contains(f.Message, "Zx8p") {
					t.Errorf("message prints a value: %s", f.Message)
				}
			}
		})
	}
}

func TestSecretValuesByFormat(t *testing.T) {
	r := append(secretRules(), "PAL-527")
	dockerCfg := `{"auths":{"ghcr.io":{"auth":"` + b64("deploy:"+fakeAPIToken) + `"}}}`
	runObjCases(t, []objCase{
		{
			name:  "data decoded, stringData as written, keyword detectors left to PAL-522",
			rules: r,
			yaml: `apiVersion: v1
kind: Secret
metadata:
  name: ci
data:
  token: ` + b64(fakeGHP) + `
  password: ` + b64("Zx8pLm2qRt") + `
  api-token: ` + b64(fakeAPIToken) + `
  raw: ` + fakeGHP2 + `
stringData:
  AWS_ACCESS_KEY_ID: ` + fakeAWSID + `
  plain: hello
`,
			want:  []string{"PAL-505 - data.token", "PAL-505 - data.raw", "PAL-501 - stringData.AWS_ACCESS_KEY_ID"},
			lines: map[string]string{"data.token": "  token: ", "data.raw": "raw: ", "stringData.AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID:"},
			msgs: map[string]string{
				"data.token":                   `key "token" of Secret "ci" (data, base64-decoded): GitHub token ghp_**** (40 characters)`,
				"data.raw":                     `key "raw" of Secret "ci" (data, not valid base64, read as written): GitHub token`,
				"stringData.AWS_ACCESS_KEY_ID": `key "AWS_ACCESS_KEY_ID" of Secret "ci" (stringData): AWS access key ID AKIA****`,
			},
		},
		{
			name:  "registry credentials of a dockerconfigjson Secret",
			rules: r,
			yaml: `apiVersion: v1
kind: Secret
metadata:
  name: pull
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ` + b64(dockerCfg) + `
`,
			want: []string{"PAL-514 - data['.dockerconfigjson']"},
			msgs: map[string]string{"data['.dockerconfigjson']": `key ".dockerconfigjson" of Secret "pull" (data, base64-decoded): `},
		},
		{
			name:  "SOPS-encrypted Secret: ciphertext is protected, a plain token is PAL-527 only",
			rules: append(r, "PAL-522", "PAL-524"),
			yaml: `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: ENC[AES256_GCM,data:` + fakeChars(alnumChars, 16) + `=,iv:` + fakeChars(alnumChars, 43) + `=,tag:` + fakeChars(alnumChars, 22) + `==,type:str]
stringData:
  token_unencrypted: ` + fakeGHP + `
sops:
  kms: []
  lastmodified: "2026-01-02T03:04:05Z"
  mac: ENC[AES256_GCM,data:` + fakeChars(alnumChars, 40) + `,type:str]
  unencrypted_suffix: _unencrypted
  version: 3.9.0
`,
			want:  []string{"PAL-527 - stringData.token_unencrypted"},
			lines: map[string]string{"stringData.token_unencrypted": "token_unencrypted:"},
			msgs:  map[string]string{"stringData.token_unencrypted": `key "token_unencrypted" of Secret "db" (stringData), left in plain text in a SOPS-encrypted file (key "token_unencrypted" ends with the unencrypted suffix "_unencrypted"): GitHub token`},
		},
		{
			name:  "SOPS-encrypted ConfigMap: data and annotations left in plain text are PAL-527",
			rules: r,
			yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  annotations:
    ci/token: ` + fakeGHP + `
data:
  DB_PASSWORD: ENC[AES256_GCM,data:` + fakeChars(alnumChars, 16) + `=,type:str]
  DATABASE_URL: postgresql://app:Wq8rTz2vLp@db/app
sops:
  mac: ENC[AES256_GCM,data:` + fakeChars(alnumChars, 40) + `,type:str]
  encrypted_regex: ^(data)$
  version: 3.9.0
`,
			want: []string{"PAL-527 - metadata.annotations['ci/token']", "PAL-527 - data.DATABASE_URL"},
			msgs: map[string]string{
				"metadata.annotations['ci/token']": `annotation "ci/token", left in plain text in a SOPS-encrypted file (no key of its path matches encrypted_regex "^(data)$"): GitHub token`,
				"data.DATABASE_URL":                `ConfigMap key "DATABASE_URL", left in plain text in a SOPS-encrypted file (not an ENC[...] value: written or changed after the file was encrypted): password`,
			},
		},
		{
			name:  "SealedSecret and ExternalSecrets: ciphertext and references are not read; a SealedSecret's template is",
			rules: append(r, "PAL-522", "PAL-524"),
			yaml: `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
spec:
  encryptedData:
    password: ` + fakeChars(alnumChars+"+/", 344) + `
    apiToken: ` + fakeChars(alnumChars+"+/", 344) + `
  template:
    metadata:
      name: db
    data:
      config.yaml: |
        user: app
        password: "{{ index . "password" }}"
      leaked: ` + fakeGHP + `
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: db
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  data:
  - secretKey: password
    remoteRef: {key: ` + fakeChars(alnumChars, 32) + `, property: password}
  - secretKey: token
    remoteRef: {key: secret/data/db, property: token}
---
apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata:
  name: db
spec:
  externalSecretSpec:
    data:
    - secretKey: apiKey
      remoteRef: {key: ` + fakeChars(alnumChars, 32) + `}
`,
			want:  []string{"PAL-505 - spec.template.data.leaked"},
			lines: map[string]string{"spec.template.data.leaked": "leaked: "},
			msgs:  map[string]string{"spec.template.data.leaked": `key "leaked" of the template of SealedSecret "db" (spec.template.data, not encrypted): GitHub token`},
		},
	})
}

// A GitHub token committed in a Secret fails the default gate (--fail-on high), as it
// does in a ConfigMap.
func TestSecretTokenFailsTheGate(t *testing.T) {
	yaml := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  token: " + b64(fakeGHP) + "\n"
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "high"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1 (findings %d)", res.ExitCode(), len(res.Report.Findings))
	}
}
