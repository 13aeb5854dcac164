package credentials_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/source"
)

// Fake credentials, generated at run time from a fixed seed so that the repository
// holds no string a secret scanner would report. None was ever issued by a provider.

const (
	alnumChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base32Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

var fakeSeed uint64 = 0xc0ffee

func fakeChars(charset string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fakeSeed = fakeSeed*6364136223846793005 + 1442695040888963407
		b.WriteByte(charset[(fakeSeed>>33)%uint64(len(charset))])
	}
	return b.String()
}

var (
	fakeGHP        = "ghp_" + checksummed(fakeChars(alnumChars, 36))
	fakeAWSID      = "AKIA" + fakeChars(base32Chars, 16)
	fakeAWSIDStale = "AKIA" + fakeChars(base32Chars, 16)
	fakeAWSSecret  = fakeChars(alnumChars, 20) + "/" + fakeChars(alnumChars, 19)
	fakeAPIToken   = fakeChars(alnumChars, 32)
	fakeWebhook    = "https://hooks.slack.com/services/T" + fakeChars("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8) + "/B" +
		fakeChars("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10) + "/" + fakeChars(alnumChars, 24)
	fakePEMBody = fakeChars(alnumChars+"+/", 64) + "\n" + fakeChars(alnumChars+"+/", 64) + "\n" + fakeChars(alnumChars+"+/", 40)
	fakePEM     = "-----BEGIN RSA PRIVATE KEY-----\n" + fakePEMBody + "\n-----END RSA PRIVATE KEY-----\n"
	fakeJWT     = b64url(`{"alg":"RS256","kid":"a1"}`) + "." + b64url(`{"sub":"billing","iat":1700000000}`) + "." + fakeChars(alnumChars+"-_", 43)
)

// checksummed ends 36 random characters with the checksum of the first 30, as
// GitHub tokens end.
func checksummed(s string) string { return s[:30] + secrets.Base62CRC32(s[:30]) }

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }

// secretRules are all the rules under test: no other finding of theirs may appear.
func secretRules() []string {
	var ids []string
	for i := 501; i <= 516; i++ {
		ids = append(ids, fmt.Sprintf("PAL-%d", i))
	}
	return ids
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix) + "\n"
}

func TestSecretsInContainers(t *testing.T) {
	r := secretRules()
	runObjCases(t, []objCase{
		{
			name:  "environment values of init, regular and ephemeral containers",
			rules: r,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: init
    image: busybox
    env:
    - {name: DB_PASSWORD, value: password123}
  containers:
  - name: app
    image: nginx
    env:
    - name: GITHUB_TOKEN
      value: "` + fakeGHP + `"
    - name: AWS_ACCESS_KEY_ID
      value: "` + fakeAWSID + `"
    - name: AWS_SECRET_ACCESS_KEY
      value: "` + fakeAWSSecret + `"
    - name: DB_PASSWORD_FILE
      value: /run/secrets/db-password
    - name: DB_PASSWORD2
      value: $(DB_PASSWORD)
    - name: REDIS_PASSWORD
      valueFrom: {secretKeyRef: {name: redis, key: password}}
    - name: ADMIN_PASSWORD
      value: changeme
  ephemeralContainers:
  - name: debug
    image: busybox
    env:
    - name: API_TOKEN
      value: ` + fakeAPIToken + `
`,
			want: []string{
				"PAL-515 init spec.initContainers[0].env[0].value",
				"PAL-505 app spec.containers[0].env[0].value",
				"PAL-501 app spec.containers[0].env[1].value",
				"PAL-502 app spec.containers[0].env[2].value",
				"PAL-516 debug spec.ephemeralContainers[0].env[0].value",
			},
			lines: map[string]string{
				"spec.initContainers[0].env[0].value":      "password123",
				"spec.containers[0].env[0].value":          fakeGHP,
				"spec.containers[0].env[1].value":          fakeAWSID,
				"spec.containers[0].env[2].value":          fakeAWSSecret,
				"spec.ephemeralContainers[0].env[0].value": fakeAPIToken,
			},
			msgs: map[string]string{
				"spec.containers[0].env[0].value": `environment variable "GITHUB_TOKEN" of container "app": GitHub token ghp_**** (40 characters)`,
				"spec.containers[0].env[1].value": "AKIA****",
			},
		},
		{
			name:  "command, args and probe commands of a Deployment",
			rules: r,
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
      annotations:
        vault.hashicorp.com/agent-inject: "true"
        example.com/api-token: ` + fakeAPIToken + `
    spec:
      containers:
      - name: app
        image: postgres
        command: ["sh", "-c", "export PGPASSWORD=Sup3rS3cret! && psql -h db"]
        args:
        - --db-password
        - Zx8pLm2qRt
        - --token=` + fakeAPIToken + `
        - --password-file=/run/secrets/pw
        livenessProbe:
          exec: {command: ["redis-cli", "-a", "$(REDIS_PASSWORD)", "ping"]}
        readinessProbe:
          exec:
            command:
            - curl
            - -H
            - "Authorization: Bearer ` + fakeJWT + `"
`,
			want: []string{
				"PAL-516 - spec.template.metadata.annotations['example.com/api-token']",
				"PAL-515 app " + tplc0 + ".command[2]",
				"PAL-515 app " + tplc0 + ".args[1]",
				"PAL-516 app " + tplc0 + ".args[2]",
				"PAL-512 app " + tplc0 + ".readinessProbe.exec.command[2]",
			},
			lines: map[string]string{
				"spec.template.metadata.annotations['example.com/api-token']": "example.com/api-token",
				tplc0 + ".command[2]":                     `"sh", "-c"`,
				tplc0 + ".args[1]":                        "Zx8pLm2qRt",
				tplc0 + ".args[2]":                        "--token=",
				tplc0 + ".readinessProbe.exec.command[2]": "Authorization: Bearer",
			},
			msgs: map[string]string{
				tplc0 + ".args[1]":    `args[1] of container "app": hardcoded password **** (10 characters) under "--db-password"`,
				tplc0 + ".command[2]": `under "PGPASSWORD"`,
			},
		},
	})
}

func TestSecretsInConfigMapsAndAnnotations(t *testing.T) {
	r := secretRules()
	props := "server.port=8080\nspring.datasource.password=h4rdc0ded-pw\nslack.webhook=" + fakeWebhook + "\n"
	runObjCases(t, []objCase{
		{
			name:  "ConfigMap values and files",
			rules: r,
			yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  LOG_LEVEL: debug
  DATABASE_URL: postgresql://app:Tr0ub4dor-3@db:5432/app
  application.properties: |
` + indent(props, "    ") + `  id_rsa: |
` + indent(fakePEM, "    ") + `  values.yaml: |
    password: {{ .Values.password }}
    token: ${TOKEN}
binaryData:
  blob: ` + b64("password="+fakeAPIToken) + `
`,
			want: []string{
				"PAL-513 - data.DATABASE_URL",
				"PAL-508 - data['application.properties']",
				"PAL-515 - data['application.properties']",
				"PAL-510 - data.id_rsa",
			},
			lines: map[string]string{
				"data.DATABASE_URL":              "DATABASE_URL:",
				"data['application.properties']": "application.properties:",
				"data.id_rsa":                    "id_rsa:",
			},
			msgs: map[string]string{
				"data['application.properties']": `ConfigMap key "application.properties": `,
				"data.id_rsa":                    "private key **** (",
			},
		},
		{
			name:  "a secret as a ConfigMap key is reported without naming the key",
			rules: r,
			yaml:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  " + fakeGHP + ": \"1\"\n",
			want:  []string{"PAL-505 - data"},
			msgs:  map[string]string{"data": "the name of a ConfigMap key: GitHub token ghp_****"},
		},
		{
			name:  "annotations of an object whose body is not decoded",
			rules: r,
			yaml: `apiVersion: v1
kind: Service
metadata:
  name: s
  annotations:
    example.com/owner: team-a
    example.com/alert-webhook: "` + fakeWebhook + `"
spec:
  ports: [{port: 80}]
`,
			want:  []string{"PAL-508 - metadata.annotations['example.com/alert-webhook']"},
			lines: map[string]string{"metadata.annotations['example.com/alert-webhook']": "alert-webhook"},
			msgs:  map[string]string{"metadata.annotations['example.com/alert-webhook']": `annotation "example.com/alert-webhook": Slack webhook URL ****`},
		},
	})
}

func TestSecretsInLastAppliedConfiguration(t *testing.T) {
	r := secretRules()
	lastApplied := "metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']"
	deployJSON := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default"},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx","env":[{"name":"GITHUB_TOKEN","value":"` +
		fakeGHP + `"},{"name":"AWS_ACCESS_KEY_ID","value":"` + fakeAWSIDStale + `"}]}]}}}}`
	secretJSON := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"password":"` + b64("Zx8pLm2qRt") + `","tls.key":"` + b64(fakePEM) +
		`","username":"` + b64("app") + `"},"stringData":{"api-token":"` + fakeAPIToken + `"}}`
	runObjCases(t, []objCase{
		{
			name:  "a value also in the live object is reported there only; a stale one in the annotation",
			rules: r,
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '` + deployJSON + `'
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - name: app
        image: nginx
        env:
        - name: GITHUB_TOKEN
          value: ` + fakeGHP + `
`,
			want: []string{
				"PAL-505 app " + tplc0 + ".env[0].value",
				"PAL-501 - " + lastApplied,
			},
			lines: map[string]string{tplc0 + ".env[0].value": "value: ghp_", lastApplied: "last-applied-configuration"},
			msgs:  map[string]string{lastApplied: "AWS access key ID AKIA**** (20 characters), at spec.template.spec.containers[0].env[1].value"},
		},
		{
			name:  "a Secret applied with kubectl copies its data into the annotation",
			rules: r,
			yaml: `apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      ` + secretJSON + `
data:
  password: ` + b64("Zx8pLm2qRt") + `
  tls.key: ` + b64(fakePEM) + `
`,
			// The private key is reported at the Secret's data, which the annotation
			// repeats; the password is PAL-522's concern there, not here.
			want:  []string{"PAL-510 - data['tls.key']", "PAL-515 - " + lastApplied, "PAL-516 - " + lastApplied},
			lines: map[string]string{lastApplied: "last-applied-configuration", "data['tls.key']": "tls.key: "},
			msgs:  map[string]string{lastApplied: "kubectl's copy of the applied object"},
		},
		{
			name:  "a ConfigMap's annotation repeating its data",
			rules: r,
			yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"ConfigMap","data":{"DATABASE_URL":"postgresql://app:Tr0ub4dor-3@db/app","database":"x"},"binaryData":{"password":"` + b64(fakeAPIToken) + `"}}'
data:
  DATABASE_URL: postgresql://app:Tr0ub4dor-3@db/app
  database: x
binaryData:
  password: ` + b64(fakeAPIToken) + `
`,
			want:  []string{"PAL-513 - data.DATABASE_URL"},
			lines: map[string]string{"data.DATABASE_URL": "  DATABASE_URL:"},
		},
	})
}

// TestSecretsMessages checks details that several findings at one field do not share.
func TestSecretsMessages(t *testing.T) {
	props := "server.port=8080\nspring.datasource.password=h4rdc0ded-pw\n"
	got := findingsOf(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app.properties: |\n"+indent(props, "    "), scan.Options{}, "PAL-515")
	f, ok := got["PAL-515 - data['app.properties']"]
	if !ok || f.Message != `ConfigMap key "app.properties": hardcoded password **** (12 characters) on line 2 under "spring.datasource.password"` {
		t.Errorf("findings %v: %q", keysOf(got), f.Message)
	}
	secret := `{"kind":"Secret","data":{"password":"` + b64("Zx8pLm2qRt") + `"}}`
	got = findingsOf(t, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '"+secret+"'\n", scan.Options{}, "PAL-515")
	f = got["PAL-515 - metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']"]
	if !strings.HasSuffix(f.Message, ": hardcoded password **** (10 characters), at data.password (base64-decoded)") {
		t.Errorf("findings %v: %q", keysOf(got), f.Message)
	}
}

func TestSecretsParams(t *testing.T) {
	r := secretRules()
	pod := func(env string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n    env:\n" + env
	}
	envPath := func(i int) string { return fmt.Sprintf("spec.containers[0].env[%d].value", i) }
	runObjCases(t, []objCase{
		{
			name:   "longer minimum length for passwords",
			rules:  r,
			params: map[string]map[string]any{"PAL-515": {"minLength": "12"}},
			yaml:   pod("    - {name: DB_PASSWORD, value: password123}\n    - {name: ROOT_PASSWORD, value: password1234}\n"),
			want:   []string{"PAL-515 app " + envPath(1)},
		},
		{
			name:   "allowed values and ignored keys",
			rules:  r,
			params: map[string]map[string]any{"PAL-515": {"allowValues": []any{"demo-[a-z0-9]+"}}, "PAL-516": {"ignoreKeys": []any{"*_SESSION_TOKEN"}}},
			yaml: pod("    - {name: DB_PASSWORD, value: demo-pw1}\n    - {name: X_SESSION_TOKEN, value: " + fakeAPIToken + "}\n" +
				"    - {name: API_TOKEN, value: " + fakeAPIToken + "}\n"),
			want: []string{"PAL-516 app " + envPath(2)},
		},
		{
			name:   "higher entropy floor for tokens",
			rules:  r,
			params: map[string]map[string]any{"PAL-516": {"minEntropy": 6.5}},
			yaml:   pod("    - {name: API_TOKEN, value: " + fakeAPIToken + "}\n"),
		},
		{
			name:       "an invalid pattern is an input error",
			rules:      r,
			params:     map[string]map[string]any{"PAL-515": {"allowValues": []any{"("}}},
			yaml:       pod("    - {name: DB_PASSWORD, value: password123}\n"),
			inputError: "parameter allowValues of PAL-515",
		},
	})
}

// TestSecretsHelmChart scans a chart whose values and --set put credentials into the
// rendered manifests; lines count in the rendered output.
func TestSecretsHelmChart(t *testing.T) {
	res, err := scan.Run(scan.Options{
		Source: &source.Files{Paths: []string{filepath.Join("testdata", "secrets-chart")}, Helm: load.HelmOptions{Set: []string{"githubToken=" + fakeGHP}}},
		FailOn: "none",
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInputErrors(t, res.Report.Errors, "")
	got := matchFindings(t, res.Report.Findings, secretRules(), findingKey, []string{
		"PAL-515 api " + tplc0 + ".env[0].value",
		// The chart's values.yaml is a configuration file too: the password written
		// there is reported where it is written, as well as where it is rendered.
		"PAL-515 - data.db.password",
		"PAL-505 - data['application.properties']",
		"PAL-505 - data.token",
	})
	if f := got["PAL-505 - data.token"]; f != nil && !strings.Contains(f.Message, "(data, base64-decoded; rendered from helm") {
		t.Errorf("a rendered Secret's value may have been generated at render time: %s", f.Message)
	}
	for key, line := range map[string]int{"PAL-515 api " + tplc0 + ".env[0].value": 17, "PAL-505 - data['application.properties']": 6, "PAL-505 - data.token": 6} {
		f := got[key]
		if f == nil {
			continue
		}
		if !f.Location.Rendered || f.Location.Line != line || !strings.HasSuffix(f.Location.File, ".yaml") {
			t.Errorf("%s at %+v, want rendered line %d", key, f.Location, line)
		}
	}
}

// TestSecretsNeverPrinted renders a scan of every kind of credential in every report
// format and looks for the credentials: none may appear, nor any part of one beyond
// its first four characters.
func TestSecretsNeverPrinted(t *testing.T) {
	raw := []string{fakeGHP, fakeAWSID, fakeAWSIDStale, fakeAWSSecret, fakeAPIToken, strings.TrimPrefix(fakeWebhook, "https://hooks.slack.com/services/"), fakePEMBody, fakeJWT,
		"password123", "Zx8pLm2qRt", "Tr0ub4dor-3", "h4rdc0ded-pw", "Sup3rS3cret!"}
	yaml := `apiVersion: v1
kind: ConfigMap
metadata:
  name: everything
  annotations:
    example.com/hook: "` + fakeWebhook + `"
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"ConfigMap","data":{"AWS_ACCESS_KEY_ID":"` + fakeAWSIDStale + `"}}'
data:
  GITHUB_TOKEN: ` + fakeGHP + `
  creds: |
    aws_access_key_id = ` + fakeAWSID + `
    aws_secret_access_key = ` + fakeAWSSecret + `
  DATABASE_URL: postgresql://app:Tr0ub4dor-3@db/app
  app.properties: |
    db.password=h4rdc0ded-pw
    api.token=` + fakeAPIToken + `
    auth.header=Bearer ` + fakeJWT + `
  key.pem: |
` + indent(fakePEM, "    ") + `---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    args: ["--password", "Zx8pLm2qRt", "--db-password=password123"]
    command: ["sh", "-c", "export PGPASSWORD=Sup3rS3cret!"]
`
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, f := range res.Report.Findings {
		rules[f.RuleID] = true
	}
	for _, id := range []string{"PAL-501", "PAL-502", "PAL-505", "PAL-508", "PAL-510", "PAL-512", "PAL-513", "PAL-515", "PAL-516"} {
		if !rules[id] {
			t.Errorf("no %s finding: the test would not cover its output", id)
		}
	}
	for _, format := range []string{"text", "json", "sarif", "junit"} {
		var buf bytes.Buffer
		if err := report.Write(&buf, res.Report, format, report.Options{ShowSuppressed: true}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, secret := range raw {
			for _, line := range strings.Split(secret, "\n") {
				// Any 8 characters after a secret's public prefix would be a leak.
				for i := 4; i+8 <= len(line); i++ {
					if strings.Contains(out, line[i:i+8]) {
						t.Errorf("%s output contains %q, part of a scanned secret", format, line[i:i+8])
						break
					}
				}
			}
		}
	}
}

// TestEverySecretsRuleReports runs one credential of each kind through the whole
// pipeline, so that every detector reaches its rule.
func TestEverySecretsRuleReports(t *testing.T) {
	b64Chars := alnumChars + "+/"
	pemBody := strings.ReplaceAll(fakePEMBody, "\n", `\n`)
	gcp := `{"type": "service_account", "project_id": "shop", "private_key": "-----BEGIN PRIVATE KEY-----\n` + pemBody +
		`\n-----END PRIVATE KEY-----\n", "client_email": "ci@shop.iam.gserviceaccount.com"}`
	values := map[string][2]string{
		"PAL-501": {"AWS_ACCESS_KEY_ID", fakeAWSID},
		"PAL-502": {"AWS_SECRET_ACCESS_KEY", fakeAWSSecret},
		"PAL-503": {"key.json", gcp},
		"PAL-504": {"STORAGE", "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=" + fakeChars(b64Chars, 86) + "==;EndpointSuffix=core.windows.net"},
		"PAL-505": {"GH", fakeGHP},
		"PAL-506": {"GL", "glpat-" + fakeChars(alnumChars, 20)},
		"PAL-507": {"SLACK", "xoxb-" + fakeChars("0123456789", 12) + "-" + fakeChars("0123456789", 13) + "-" + fakeChars(alnumChars, 24)},
		"PAL-508": {"HOOK", fakeWebhook},
		"PAL-509": {"STRIPE", "sk" + "_live_" + fakeChars(alnumChars, 24)},
		"PAL-510": {"tls.key", fakePEM},
		"PAL-511": {"enc.key", strings.ReplaceAll(fakePEM, "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY")},
		"PAL-512": {"JWT", fakeJWT},
		"PAL-513": {"DATABASE_URL", "mysql://app:Tr0ub4dor-3@db:3306/app"},
		"PAL-514": {".dockerconfigjson", `{"auths":{"registry.shop":{"auth":"` + b64("ci:"+fakeChars(alnumChars, 20)) + `"}}}`},
		"PAL-515": {"DB_PASSWORD", "password123"},
		"PAL-516": {"API_TOKEN", fakeAPIToken},
	}
	var yaml strings.Builder
	yaml.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: all\ndata:\n")
	var want []string
	for _, id := range secretRules() {
		kv, ok := values[id]
		if !ok {
			t.Fatalf("no value for %s", id)
		}
		fmt.Fprintf(&yaml, "  %s: |\n%s", kv[0], indent(kv[1], "    "))
		want = append(want, id+" - "+inventory.FieldPath("data", kv[0]))
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml.String())}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	checkInputErrors(t, res.Report.Errors, "")
	matchFindings(t, res.Report.Findings, secretRules(), findingKey, want)
}
