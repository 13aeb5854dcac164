package scan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/source"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const sopsMeta = "sops:\n  mac: ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  version: 3.9.1\n"

// A directory of configuration files alone is scanned (exit 0, not 3); the summary
// counts the configuration files and the protected secret sources, in the text line
// and in JSON; a directory with neither objects nor configuration files is still an
// input error (exit 3).
func TestConfigurationFilesInTheSummary(t *testing.T) {
	run := func(t *testing.T, dir string) *Result {
		t.Helper()
		res, err := Run(Options{Source: &source.Files{Paths: []string{dir}}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("values files only", func(t *testing.T) {
		res := run(t, writeTree(t, map[string]string{
			"values.yaml":      "image: nginx\n",
			"values-prod.yaml": "replicas: 3\n",
			"README.md":        "# not read\n",
		}))
		if res.ExitCode() != 0 || len(res.Report.Errors) != 0 {
			t.Errorf("exit %d, errors %v; want 0 and none", res.ExitCode(), res.Report.Errors)
		}
		s := res.Report.Summary
		if s.ConfigFiles != 2 || s.Objects != 0 || s.Inputs != 2 {
			t.Errorf("summary %+v, want 2 configuration files, no object, 2 inputs", s)
		}
	})
	t.Run("nothing to read", func(t *testing.T) {
		res := run(t, writeTree(t, map[string]string{"README.md": "# not read\n", ".git/config": "[core]\n"}))
		if res.ExitCode() != 3 || len(res.Report.Errors) != 1 || res.Report.Errors[0].Message != source.NothingFound {
			t.Errorf("exit %d, errors %v; want 3 and %q", res.ExitCode(), res.Report.Errors, source.NothingFound)
		}
	})
	t.Run("objects, configuration and protected secrets", func(t *testing.T) {
		dir := writeTree(t, map[string]string{
			"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: a}\ndata: {k: v}\n",
			// Two documents of one file: one configuration file.
			"values.yaml":  "a: 1\n---\nb: 2\n",
			".env":         "A=1\n",
			"secrets.yaml": "password: ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\n" + sopsMeta,
			"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n" +
				"stringData: {k: \"ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]\"}\n" + sopsMeta,
			"sealed.yaml": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s2, namespace: a}\n" +
				"spec: {encryptedData: {k: AgBy}}\n",
			"external.yaml": "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: e, namespace: a}\n" +
				"spec: {secretStoreRef: {name: vault}}\n",
		})
		res := run(t, dir)
		if len(res.Report.Errors) != 0 {
			t.Fatalf("errors %v", res.Report.Errors)
		}
		s := res.Report.Summary
		wantBy := map[string]int{"SOPS": 2, "SealedSecret": 1, "ExternalSecret": 1}
		if s.Objects != 4 || s.ConfigFiles != 3 || s.ProtectedSecrets != 4 || !reflect.DeepEqual(s.ProtectedBy, wantBy) {
			t.Errorf("summary %+v; want 4 objects, 3 configuration files, 4 protected %v", s, wantBy)
		}
		var text bytes.Buffer
		if err := report.Write(&text, res.Report, "text", report.Options{}); err != nil {
			t.Fatal(err)
		}
		want := "Scanned 4 objects (0 workloads) and 3 configuration files from 7 inputs: "
		line := text.String()[strings.LastIndex(text.String(), "Scanned "):]
		if !strings.HasPrefix(line, want) || !strings.Contains(line, "; 4 protected secret sources (SOPS, SealedSecret, ExternalSecret)") {
			t.Errorf("summary line %q, want it to start %q and name the protected secret sources", line, want)
		}
		var js bytes.Buffer
		if err := report.Write(&js, res.Report, "json", report.Options{}); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Summary map[string]any `json:"summary"`
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Summary["configFiles"] != 3.0 || doc.Summary["protectedSecrets"] != 4.0 {
			t.Errorf("JSON summary %v", doc.Summary)
		}
	})
}

// Without configuration files or protected secrets, the summary line is as before.
func TestSummaryLineUnchangedWithoutConfiguration(t *testing.T) {
	res, err := Run(Options{Source: &source.Files{Paths: []string{"-"},
		Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: a}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := report.Write(&text, res.Report, "text", report.Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "Scanned 1 object (0 workloads) from 1 input: no findings.\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text %q, want %q", text.String(), want)
	}
}
