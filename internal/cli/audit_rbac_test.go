package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runAuditRBAC(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"audit", "rbac", "testdata/auditrbac/audit.jsonl", "-f", "testdata/auditrbac/rbac.yaml"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditRBAC(t *testing.T) {
	code, out, errs := runAuditRBAC(t)
	if code != ExitFindings || !strings.Contains(out, "unused grants:") || !strings.Contains(out, "PAL-950") || !strings.Contains(out, "PAL-951") {
		t.Errorf("text: exit %d, want %d with the view and the findings\n%s%s", code, ExitFindings, out, errs)
	}
	if code, _, _ := runAuditRBAC(t, "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d, want 0", code)
	}
	code, out, errs = runAuditRBAC(t, "-o", "yaml", "--subject", "sa:shop:web")
	if code != ExitFindings || !strings.Contains(out, "name: palisade-leastpriv-sa-shop-web") || strings.Contains(out, "alice") || strings.Contains(out, "secrets") {
		t.Errorf("yaml for sa:shop:web: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runAuditRBAC(t, "-o", "json", "--subject", "user:alice")
	var doc struct {
		LeastPrivilege struct {
			Subjects []struct {
				Unused []json.RawMessage `json:"unused"`
			} `json:"subjects"`
			Minimal map[string][]map[string]any `json:"minimal"`
		} `json:"leastPrivilege"`
		Report struct {
			Findings []struct {
				RuleID string `json:"ruleId"`
			} `json:"findings"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(doc.LeastPrivilege.Subjects) != 1 || len(doc.LeastPrivilege.Subjects[0].Unused) != 1 || len(doc.LeastPrivilege.Minimal["user:alice"]) != 2 || len(doc.Report.Findings) != 1 {
		t.Errorf("json for user:alice (exit %d):\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "roles.yaml")
	if code, out, _ := runAuditRBAC(t, "-o", "yaml", "--out", file, "--resource-names"); out != "" || code != ExitFindings {
		t.Errorf("--out: exit %d, stdout %q", code, out)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "resourceNames:") {
		t.Errorf("--out file: %v\n%s", err, b)
	}
	for _, bad := range [][]string{{"--subject", "group:devs"}, {"--subject", "nobody"}, {"-o", "sarif"}} {
		if code, _, _ := runAuditRBAC(t, bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
	// A record that cannot be read: exit 3, named with its line; the rest counts.
	var outb, errb bytes.Buffer
	code = Main([]string{"audit", "rbac", "testdata/auditrbac/bad.jsonl", "-f", "testdata/auditrbac/rbac.yaml"}, strings.NewReader(""), &outb, &errb)
	if code != ExitInputErrors || !strings.Contains(errb.String(), "bad.jsonl:3") || !strings.Contains(outb.String(), "PAL-950") {
		t.Errorf("bad record: exit %d, want %d with the line named and the rest reported\n%s%s", code, ExitInputErrors, outb.String(), errb.String())
	}
	outb.Reset()
	errb.Reset()
	if code := Main([]string{"audit", "rbac", "testdata/auditrbac/missing.jsonl", "-f", "testdata/auditrbac/rbac.yaml"}, strings.NewReader(""), &outb, &errb); code != ExitUsage {
		t.Errorf("missing log: exit %d, want %d (%s)", code, ExitUsage, errb.String())
	}
}
