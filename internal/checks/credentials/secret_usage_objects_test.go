package credentials_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func TestPlaintextSecret(t *testing.T) {
	r := []string{"PAL-522", "PAL-524"}
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	key := "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
	runObjCases(t, []objCase{
		{
			name: "Opaque data and stringData", rules: r,
			yaml: suSecret("shop", "db", `type: Opaque
data:
  password: `+suB64("s3cr3t-value")+`
  empty: ""
  nothing:
stringData:
  api-token: tok-123456
`),
			want:  []string{"PAL-522 - data", "PAL-522 - stringData"},
			lines: map[string]string{"data": "password:", "stringData": "api-token:"},
			msgs: map[string]string{
				"data":       `Secret "db" keeps key "password" in data, base64-encoded, not encrypted`,
				"stringData": `keeps key "api-token" in stringData, in clear text`,
			},
		},
		{
			name: "no type is Opaque; several keys named in order", rules: r,
			yaml: suSecret("shop", "db", "data:\n  b: "+suB64("bbbbbbb1")+"\n  a: "+suB64("aaaaaaa1")+"\n"),
			want: []string{"PAL-522 - data"},
			msgs: map[string]string{"data": `keys "a", "b" in data`},
		},
		{
			name: "Helm chart rendered with empty defaults", rules: r,
			yaml: suSecret("shop", "db", "type: Opaque\ndata:\n  password: \"\"\n  token: \"\"\nstringData:\n  url: \"\"\n"),
		},
		{
			name: "placeholders", rules: r,
			yaml: suSecret("shop", "db", `stringData:
  a: changeme
  b: CHANGE_ME
  c: ${DB_PASSWORD}
  d: "{{ .Values.password }}"
  e: <your password>
  f: xxxxxxxx
  g: "********"
  h: __TOKEN__
  i: "#{Password}#"
  j: "  "
  k: replace-with-real-key
  m: YourPingdomApiToken
  n: Admin
data:
  l: `+suB64("REPLACEME")+`
`),
		},
		{
			name: "SOPS-encrypted file", rules: r,
			yaml: suSecret("shop", "db", `type: Opaque
stringData:
  password: ENC[AES256_GCM,data:p673w==,iv:grS=,tag:Y5w==,type:str]
  plain_unencrypted: visible-on-purpose
sops:
  kms: []
  age:
  - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  lastmodified: "2026-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
  version: 3.9.0
`),
		},
		{
			name: "ENC values without the sops key", rules: r,
			yaml: suSecret("shop", "db", "stringData:\n  password: ENC[AES256_GCM,data:p673w==,type:str]\n  user: app-user-1\n"),
			want: []string{"PAL-522 - stringData"},
			msgs: map[string]string{"stringData": `keeps key "user" in`},
		},
		{
			name: "service-account-token Secret without data", rules: r,
			yaml: suSecret("shop", "ci-token", `  annotations:
    kubernetes.io/service-account.name: ci
type: kubernetes.io/service-account-token
`),
		},
		{
			name: "certificates only", rules: r,
			yaml: suSecret("shop", "tls", "type: kubernetes.io/tls\ndata:\n  tls.crt: "+suB64(cert)+"\n  tls.key: \"\"\n  ca.crt: "+suB64(cert)+"\n  id.pub: "+suB64("ssh-ed25519 AAAAC3Nza me@host")+"\n"),
		},
		{
			name: "TLS key pair", rules: r,
			yaml:  suSecret("shop", "tls", "type: kubernetes.io/tls\ndata:\n  tls.crt: "+suB64(cert)+"\n  tls.key: "+suB64(key)+"\n"),
			want:  []string{"PAL-524 - data"},
			lines: map[string]string{"data": "tls.crt:"},
			msgs:  map[string]string{"data": `Secret "tls" of type kubernetes.io/tls (a TLS key pair) keeps key "tls.key" in data`},
		},
		{
			name: "registry credentials", rules: r,
			yaml: suSecret("shop", "pull", "type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: "+suB64(`{"auths":{"r.example.com":{"auth":"dTpw"}}}`)+"\n"),
			want: []string{"PAL-524 - data"},
		},
		{
			name: "basic-auth in stringData", rules: r,
			yaml: suSecret("shop", "ba", "type: kubernetes.io/basic-auth\nstringData:\n  username: admin\n  password: t0p-s3cret\n"),
			want: []string{"PAL-524 - stringData"},
		},
		{
			name: "private key in an Opaque Secret", rules: r,
			yaml: suSecret("shop", "keys", "stringData:\n  id_rsa: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3BlbnNzaC1rZXk=\n    -----END OPENSSH PRIVATE KEY-----\n  note: deploy-key-for-ci\n"),
			want: []string{"PAL-524 - stringData"},
			msgs: map[string]string{"stringData": `Secret "keys" holds a private key: it keeps keys "id_rsa", "note"`},
		},
		{
			name: "data value that is not base64", rules: r,
			yaml: suSecret("shop", "db", "data:\n  password: hunter2!\n  token: "+suB64("tok-abcdefgh")+"\n"),
			want: []string{"PAL-522 - data"},
			msgs: map[string]string{"data": `key "password" is not valid base64, so the API server rejects the Secret`},
		},
		{
			name: "base64 broken over lines is valid, with a space it is not", rules: r,
			yaml: suSecret("shop", "db", "data:\n  folded: |\n    "+suB64("a-long-secret-value-")[:12]+"\n    "+suB64("a-long-secret-value-")[12:]+"\n  spaced: \"aHVu dGVy\"\n"),
			want: []string{"PAL-522 - data"},
			msgs: map[string]string{"data": `keys "folded", "spaced" in data, base64-encoded, not encrypted; key "spaced" is not valid base64`},
		},
		{
			name: "stringData value that is not a string", rules: r,
			yaml: suSecret("shop", "db", "stringData:\n  port: 5432\n"),
			want: []string{"PAL-522 - stringData"},
			msgs: map[string]string{"stringData": `key "port" is not a string`},
		},
		{
			name: "a Secret kind of another API group", rules: r,
			yaml: "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: x, namespace: shop}\nstringData:\n  password: t0p-s3cret\n",
		},
		{
			name: "placeholders parameter replaces the list", rules: r,
			params: map[string]map[string]any{"PAL-522": {"placeholders": []any{"set-me-*"}}},
			yaml:   suSecret("shop", "db", "stringData:\n  a: set-me-in-ci\n  b: changeme\n"),
			want:   []string{"PAL-522 - stringData"},
			msgs:   map[string]string{"stringData": `keeps key "b" in`},
		},
	})
}

func TestServiceAccountTokenSecret(t *testing.T) {
	r := []string{"PAL-525"}
	runObjCases(t, []objCase{
		{
			name: "token Secret without data", rules: r,
			yaml: suSecret("shop", "ci-token", `  annotations:
    kubernetes.io/service-account.name: ci
type: kubernetes.io/service-account-token
`),
			want:  []string{"PAL-525 - type"},
			lines: map[string]string{"type": "type: kubernetes.io/service-account-token"},
			msgs:  map[string]string{"type": `long-lived token of service account "ci"`},
		},
		{
			name: "without the annotation", rules: r,
			yaml: suSecret("shop", "t", "type: kubernetes.io/service-account-token\n"),
			want: []string{"PAL-525 - type"},
			msgs: map[string]string{"type": "without the kubernetes.io/service-account.name annotation"},
		},
		{
			name: "other types", rules: r,
			yaml: suSecret("shop", "a", "type: Opaque\n") + "---\n" + suSecret("shop", "b", "type: bootstrap.kubernetes.io/token\n"),
		},
	})
	// With the token itself in the input it is a plaintext credential as well.
	yaml := suSecret("shop", "t", "  annotations: {kubernetes.io/service-account.name: ci}\ntype: kubernetes.io/service-account-token\ndata:\n  token: "+suB64("eyJhbGciOiJSUzI1NiJ9.x.y")+"\n")
	got := findingsOf(t, yaml, scan.Options{}, "PAL-522", "PAL-524", "PAL-525")
	if _, ok := got["PAL-524 - data"]; !ok || len(got) != 2 {
		t.Errorf("findings %v, want PAL-524 and PAL-525", keysOf(got))
	}
}

// TestPlaintextSecretHelm renders a chart: an empty default yields an empty value (not
// reported), a generated one is reported with a note that it may not be stored.
func TestPlaintextSecretHelm(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"values.yaml": "password: \"\"\napiKey: \"\"\n",
		"templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-db
  namespace: shop
data:
  password: {{ .Values.password | b64enc | quote }}
  api-key: {{ .Values.apiKey | b64enc }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-generated
  namespace: shop
data:
  session-key: {{ randAlphaNum 16 | b64enc | quote }}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{dir}}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	checkInputErrors(t, res.Report.Errors, "")
	var got []string
	for _, f := range res.Report.Findings {
		if f.RuleID != "PAL-522" {
			continue
		}
		got = append(got, f.Object.Name+" "+f.Path)
		if !strings.Contains(f.Message, "rendered from helm chart shop: a value generated at render time") {
			t.Errorf("message %q lacks the Helm note", f.Message)
		}
	}
	if len(got) != 1 || got[0] != "release-name-generated data" {
		t.Errorf("findings %v, want only the generated Secret's data", got)
	}
}
