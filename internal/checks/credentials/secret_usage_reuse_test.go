package credentials_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func TestSecretReuse(t *testing.T) {
	r := []string{"PAL-523"}
	shared := suB64("Sh4red-Pa55word")
	data := func(ns, name, key, v string) string {
		return suSecret(ns, name, "data:\n  "+key+": "+v+"\n") + "---\n"
	}
	runObjCases(t, []objCase{
		{
			name: "prod and staging share a password", rules: r,
			yaml: data("payments-prod", "db", "password", shared) +
				suSecret("payments-staging", "db", "stringData:\n  pw: Sh4red-Pa55word\n  other: not-shared-1\n"),
			want: []string{
				"PAL-523 - data.password",
				"PAL-523 - stringData.pw",
			},
			lines: map[string]string{"data.password": "password:", "stringData.pw": "pw: Sh4red"},
			msgs: map[string]string{
				"data.password": `the value of key "password" of Secret "db" in namespace "payments-prod" (prod) is also the value of Secret payments-staging/db key "pw" (staging)`,
				"stringData.pw": `is also the value of Secret payments-prod/db key "password" (prod)`,
			},
		},
		{
			name: "same environment class", rules: r,
			yaml: data("shop-prod", "a", "password", shared) + data("billing.production", "b", "password", shared) + data("live", "c", "password", shared),
		},
		{
			name: "product is not prod", rules: r,
			yaml: data("product", "a", "password", shared) + data("dev", "b", "password", shared) + data("prods", "c", "password", shared),
		},
		{
			name: "pre-prod is staging, not prod", rules: r,
			yaml: data("shop-pre-prod", "a", "password", shared) + data("shop-preprod", "b", "password", shared) + data("shop_stg", "c", "password", shared),
		},
		{
			name: "ambiguous namespace", rules: r,
			yaml: data("prod-test", "a", "password", shared) + data("dev", "b", "password", shared),
		},
		{
			name: "short, placeholder, empty and public values", rules: r,
			yaml: suSecret("prod", "a", "stringData:\n  pin: \"1234\"\n  pw: changeme\n  e: \"\"\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n") + "---\n" +
				suSecret("dev", "a", "stringData:\n  pin: \"1234\"\n  pw: changeme\n  e: \"\"\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n"),
		},
		{
			name: "user names and hosts", rules: r,
			yaml: suSecret("prod", "a", "stringData:\n  DB_USER: application\n  db-host: postgres.internal\n") + "---\n" +
				suSecret("dev", "a", "stringData:\n  DB_USER: application\n  db-host: postgres.internal\n"),
		},
		{
			name: "SOPS-encrypted Secrets are not compared", rules: r,
			yaml: suSecret("prod", "a", "stringData:\n  pw: Sh4red-Pa55word\nsops:\n  version: 3.9.0\n") + "---\n" + data("dev", "b", "pw", shared),
		},
		{
			name: "minLength and custom environments", rules: r,
			params: map[string]map[string]any{"PAL-523": {"minLength": 4, "environments": []any{"blue=blue", "green=green"}}},
			yaml:   data("shop-blue", "a", "pin", suB64("1234")) + data("shop-green", "a", "code", suB64("1234")) + data("prod", "a", "pw", shared) + data("dev", "a", "pw", shared),
			want:   []string{"PAL-523 - data.pin", "PAL-523 - data.code"},
		},
	})
	got := 0
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(data("prod", "a", "k", shared) + data("dev", "b", "k", shared) + data("uat", "c", "k", shared))}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Report.Findings {
		if f.RuleID == "PAL-523" {
			got++
		}
	}
	if got != 3 {
		t.Errorf("three environments: %d findings, want one per Secret", got)
	}
}

// TestSecretValuesNeverReported scans Secrets and workloads with every rule and checks
// that no secret value, in clear or in base64, appears anywhere in the report.
func TestSecretValuesNeverReported(t *testing.T) {
	values := []string{"Sh4red-Pa55word", "t0p-s3cret-token", "hunter2!", "MIIEsecretkeymaterial"}
	yaml := suSecret("shop-prod", "db", "data:\n  password: "+suB64(values[0])+"\n  broken: "+values[2]+"\n") + "---\n" +
		suSecret("shop-dev", "db", "stringData:\n  password: "+values[0]+"\n  token: "+values[1]+"\n") + "---\n" +
		suSecret("shop-dev", "tls", "type: kubernetes.io/tls\nstringData:\n  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    "+values[3]+"\n    -----END PRIVATE KEY-----\n") + "---\n" +
		suPod(`  containers:
  - name: app
    image: shop
    args: ["--pw=$(PW)"]
    env: [{name: PW, valueFrom: {secretKeyRef: {name: db, key: password}}}]
`)
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]int{}
	for _, f := range res.Report.Findings {
		if strings.HasPrefix(f.RuleID, "PAL-52") {
			ours[f.RuleID]++
		}
	}
	for _, id := range []string{"PAL-521", "PAL-522", "PAL-523", "PAL-524", "PAL-526"} {
		if ours[id] == 0 {
			t.Errorf("no %s finding: the test does not exercise it (%v)", id, ours)
		}
	}
	out, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		for _, form := range []string{v, suB64(v)} {
			if strings.Contains(string(out), form) {
				t.Errorf("the report contains the secret value %q", form)
			}
		}
	}
}
