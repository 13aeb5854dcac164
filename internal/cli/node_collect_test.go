package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

// nodeRoot is a host root and a /proc of one kubelet run with flags only.
func nodeRoot(t *testing.T) (root, proc string) {
	t.Helper()
	root, proc = t.TempDir(), t.TempDir()
	for p, content := range map[string]string{
		"etc/hostname":                "worker-1\n",
		"etc/os-release":              "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"etc/passwd":                  "root:x:0:0::/root:/bin/sh\n",
		"etc/group":                   "root:x:0:\n",
		"etc/kubernetes/kubelet.conf": "TOKEN",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(proc, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "42/cmdline"), []byte("/usr/bin/kubelet\x00--kubeconfig=/etc/kubernetes/kubelet.conf\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(proc, "42/cwd")); err != nil {
		t.Fatal(err)
	}
	return root, proc
}

func TestNodeCollect(t *testing.T) {
	root, proc := nodeRoot(t)
	out := filepath.Join(t.TempDir(), "facts.json")
	r := run(t, nil, "node", "collect", "--root", root, "--proc", proc, "-o", out)
	if r.code != ExitOK || r.stdout != "" {
		t.Fatalf("node collect: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "TOKEN") {
		t.Errorf("the facts hold the kubeconfig's content:\n%s", b)
	}
	f, err := nodefacts.Decode(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	k := f.Component(nodefacts.Kubelet)
	if f.Metadata.Name != "worker-1" || k == nil || !k.Found || k.PID != 42 || k.Config != nil {
		t.Fatalf("facts %+v", f)
	}
	// The facts judged: a kubelet without --config serves anonymous requests.
	s := run(t, nil, "scan", out)
	// The test root holds no kubelet unit or client CA: those checks are unknown
	// (exit 3), never a pass.
	if s.code != ExitInputErrors || !strings.Contains(s.stdout, "PAL-730") || !strings.Contains(s.stdout, "without --config") {
		t.Errorf("scan of the facts: exit %d\n%s\n%s", s.code, s.stdout, s.stderr)
	}

	// To standard output: the facts and nothing else.
	r = run(t, nil, "node", "collect", "--root", root, "--proc", proc, "--node-name", "n-2", "--profile", "kubeadm")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	f, err = nodefacts.Decode(strings.NewReader(r.stdout))
	if err != nil || f.Metadata.Name != "n-2" || f.ProfileReason != "--profile" {
		t.Fatalf("stdout facts %+v, %v", f, err)
	}
}

func TestNodeCollectUsage(t *testing.T) {
	root, proc := nodeRoot(t)
	for _, args := range [][]string{
		{"node", "collect", "--root", root, "--proc", proc, "--profile", "nope"},
		{"node", "collect", "--root", root, "--proc", proc, "extra"},
		{"node", "collect", "--root", filepath.Join(root, "missing"), "--proc", proc},
		{"node", "collect", "--root", root, "--proc", filepath.Join(proc, "missing")},
		{"node", "collect", "--root", root, "--proc", proc, "-o", filepath.Join(root, "no/such/dir/facts.json")},
		{"node", "collect", "--bogus"},
		{"node"},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, want %d and nothing", args, r.code, r.stdout, ExitUsage)
		}
	}
}
