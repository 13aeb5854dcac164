package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// inputsAndObjects reads the counts of a JSON report.
func inputsAndObjects(t *testing.T, stdout string) (int, int) {
	t.Helper()
	var rep struct {
		Summary struct{ Inputs, Objects int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	return rep.Summary.Inputs, rep.Summary.Objects
}

// -f names an input in scan as in kubectl and in netpol and rbac: `scan -f a b` scans
// both (it once took a as a Helm values file and scanned b alone), and -f and
// arguments mix.
func TestScanFilenameFlag(t *testing.T) {
	for _, args := range [][]string{
		{"scan", "-f", "@rbac.yaml", "@privileged.yaml"},
		{"scan", "-f", "@rbac.yaml", "-f", "@privileged.yaml"},
		{"scan", "--filename", "@rbac.yaml", "@privileged.yaml"},
		{"scan", "@rbac.yaml", "@privileged.yaml"},
	} {
		r := run(t, nil, append(args, "-o", "json", "--fail-on", "none")...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		if in, objs := inputsAndObjects(t, r.stdout); in != 2 || objs < 2 {
			t.Errorf("%v: %d inputs, %d objects; want both files scanned", args, in, objs)
		}
		if !strings.Contains(r.stdout, "rbac.yaml") || !strings.Contains(r.stdout, "privileged.yaml") {
			t.Errorf("%v: findings do not name both files", args)
		}
	}
	if r := run(t, nil, "scan"); r.code != ExitUsage || !strings.Contains(r.stderr, "at least one PATH") {
		t.Errorf("scan without input: exit %d, %q", r.code, r.stderr)
	}
	if r := run(t, nil, "scan", "--cluster", "@clean.yaml"); r.code != ExitUsage || !strings.Contains(r.stderr, "--cluster reads the live cluster") {
		t.Errorf("scan --cluster PATH: exit %d, %q", r.code, r.stderr)
	}
}

// The old `scan -f values.yaml CHART` still renders the chart with those values, with
// a deprecation warning: the file is never silently dropped nor scanned as manifests.
func TestScanValuesShorthandDeprecated(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "chart")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(chart, "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	write(filepath.Join(chart, "values.yaml"), "name: from-defaults\n")
	write(filepath.Join(chart, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.name }}}\n")
	values := filepath.Join(dir, "prod-values.yaml")
	write(values, "name: from-prod-values\n")

	r := run(t, nil, "scan", "-f", values, chart, "-o", "json", "--fail-on", "none", "--include", "PAL-5*")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "read as Helm values (deprecated") || !strings.Contains(r.stderr, "--values "+values) {
		t.Errorf("stderr lacks the deprecation warning:\n%s", r.stderr)
	}
	if in, objs := inputsAndObjects(t, r.stdout); in != 1 || objs != 1 {
		t.Errorf("%d inputs, %d objects; want the chart's one", in, objs)
	}
	// Without a chart among the inputs, -f is always an input: a values file alone is
	// a configuration file, scanned for credentials.
	r = run(t, nil, "scan", "-f", values, "-o", "json")
	if r.code != 0 || strings.Contains(r.stderr, "deprecated") || !strings.Contains(r.stdout, `"configFiles": 1`) {
		t.Errorf("-f values alone: exit %d, want 0 (scanned as an input, a configuration file)\n%s\n%s", r.code, r.stderr, r.stdout)
	}
}

// netpol views take their paths as arguments too, with the same result as -f.
func TestNetpolPathArguments(t *testing.T) {
	withF := run(t, nil, "netpol", "isolation", "-f", "@netpol-old.yaml")
	withArg := run(t, nil, "netpol", "isolation", "@netpol-old.yaml")
	if withF.code != 0 || withArg.code != withF.code || withArg.stdout != withF.stdout || withF.stdout == "" {
		t.Errorf("-f: exit %d %q; argument: exit %d %q", withF.code, withF.stdout, withArg.code, withArg.stdout)
	}
	lint := run(t, nil, "netpol", "lint", "@netpol-old.yaml", "-o", "json")
	if lint.code != ExitFindings && lint.code != 0 {
		t.Errorf("netpol lint PATH: exit %d\n%s", lint.code, lint.stderr)
	}
	if in, _ := inputsAndObjects(t, lint.stdout); in != 1 {
		t.Errorf("netpol lint PATH: %d inputs, want 1", in)
	}
}

// Ctrl-C stops a live read at once: every command that reads a cluster takes the
// command's context, and says the read was interrupted (the API server here never
// answers, and each request's own timeout is an hour).
func TestClusterReadInterrupted(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	data, err := kubetest.Kubeconfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"cluster"},
		{"scan", "--cluster"},
		{"netpol", "isolation"},
		{"netpol", "lint", "--cluster"},
		{"rbac", "who-can", "get", "pods"},
		{"rbac", "risks"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-started; cancel() }()
			var out, errb bytes.Buffer
			root := NewRoot(strings.NewReader(""), &out, &errb)
			root.SetArgs(append(args, "--kubeconfig", kc, "--request-timeout", "1h"))
			err := root.ExecuteContext(ctx)
			cancel()
			var ee exitError
			if !errors.As(err, &ee) || ee.code != ExitUsage {
				t.Fatalf("err %v, want exit %d", err, ExitUsage)
			}
			if !strings.Contains(errb.String(), "cluster read interrupted") || !strings.Contains(errb.String(), "context canceled") {
				t.Errorf("stderr %q, want the read interrupted", errb.String())
			}
		})
	}
}
