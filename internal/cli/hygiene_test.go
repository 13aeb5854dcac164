package cli

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// writeTemp writes a file into a fresh temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A wrong --fail-on (flag or config) lists every accepted value, none included.
func TestFailOnErrorListsNone(t *testing.T) {
	const want = "want one of info, low, medium, high, critical, none"
	r := run(t, nil, "scan", "--fail-on", "bogus", "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `--fail-on: unknown value "bogus" (`+want+")") {
		t.Errorf("flag: exit %d, stderr %q", r.code, r.stderr)
	}
	cfg := writeTemp(t, "palisade.yaml", "failOn: severe\n")
	r = run(t, nil, "scan", "--config", cfg, "@clean.yaml")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "line 1: failOn: unknown value \"severe\" ("+want+")") {
		t.Errorf("config: exit %d, stderr %q", r.code, r.stderr)
	}
	// "none" is accepted in either spelling, in the flag and the file.
	cfg = writeTemp(t, "palisade.yaml", "failOn: None\n")
	if r = run(t, nil, "scan", "--config", cfg, "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("failOn None: exit %d, stderr %q", r.code, r.stderr)
	}
	if r = run(t, nil, "scan", "--fail-on", "NONE", "@privileged.yaml"); r.code != ExitOK {
		t.Errorf("--fail-on NONE: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Without a kubeconfig or a pod to run in, the commands that read the live cluster
// say where they looked and what to do instead, not client-go's KUBERNETES_MASTER.
func TestNoClusterSaysWhatWasTried(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("KUBECONFIG", missing)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	tried := "no cluster to connect to: tried $KUBECONFIG (" + missing + ": not found), the in-cluster service account (not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset)"
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"netpol", "isolation"}, "; read manifests with -f PATH, or name a kubeconfig with --kubeconfig"},
		{[]string{"netpol", "lint"}, "; read manifests with -f PATH"},
		{[]string{"rbac", "who-can", "get", "secrets"}, "; read manifests with -f PATH"},
		{[]string{"rbac", "risks"}, "; read manifests with -f PATH"},
		{[]string{"cluster"}, "; scan manifests with `palisade scan PATH`, or name a kubeconfig with --kubeconfig"},
	} {
		r := run(t, nil, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tried+tc.hint) || strings.Contains(r.stderr, "KUBERNETES_MASTER") {
			t.Errorf("%v: exit %d, stderr:\n%s", tc.args, r.code, r.stderr)
		}
	}
	// A kubeconfig file without a cluster is named as such.
	empty := writeTemp(t, "kubeconfig", "apiVersion: v1\nkind: Config\n")
	r := run(t, nil, "rbac", "who-can", "get", "secrets", "--kubeconfig", empty)
	if !strings.Contains(r.stderr, "tried --kubeconfig ("+empty+": no current context or cluster in it)") {
		t.Errorf("empty kubeconfig: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestStampedVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, linked string
		info         *debug.BuildInfo
		want         string
	}{
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"go install module@version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"go build in a checkout", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250102030405-0123456789ab+dirty"}, Settings: vcs(rev, "true")}, "v0.0.0-20250102030405-0123456789ab+dirty"},
		{"commit, clean", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "dev-0123456789ab"},
		{"commit, modified", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "dev-0123456789ab-modified"},
		{"nothing recorded", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		if got := stampedVersion(tc.linked, tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
