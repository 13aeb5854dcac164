package kubetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeGo stands in for the go command in hack/k8s-bins.sh: "go build ... -o OUT PKG"
// names a few packages on stderr, slowly, as go build -v does, and writes an OUT that
// answers --version; with FAKE_GO_FAIL set it fails with a compiler error instead.
const fakeGo = `#!/bin/sh
out=""
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out="$2"; shift ;;
	esac
	shift
done
for p in k8s.io/apimachinery/pkg/runtime k8s.io/apiserver/pkg/server k8s.io/kubernetes/cmd/kube-apiserver; do
	echo "$p" >&2
	sleep 1
done
if [ -n "$FAKE_GO_FAIL" ]; then
	echo "# k8s.io/kubernetes/cmd/kube-apiserver" >&2
	echo "cmd/kube-apiserver/main.go:1:1: syntax error" >&2
	exit 1
fi
printf '#!/bin/sh\necho fake version\n' >"$out"
chmod +x "$out"
`

func runK8sBins(t *testing.T, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	goBin := filepath.Join(dir, "go")
	if err := os.WriteFile(goBin, []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "hack", "k8s-bins.sh"))
	cmd.Env = append(os.Environ(), append([]string{
		"GO=" + goBin, "PALISADE_K8S_CACHE=" + filepath.Join(dir, "cache"), "PALISADE_K8S_PROGRESS_INTERVAL=1",
	}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestK8sBinsReportsProgress: while the build runs, hack/k8s-bins.sh says how long it
// has been building and which package the compiler did last, on stderr; stdout stays
// the cache directory alone.
func TestK8sBinsReportsProgress(t *testing.T) {
	stdout, stderr, err := runK8sBins(t)
	if err != nil {
		t.Fatalf("k8s-bins.sh: %v\n%s", err, stderr)
	}
	if dir := strings.TrimSpace(stdout); !strings.HasSuffix(dir, filepath.Join("cache", Version)) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout = %q, want the cache directory alone", stdout)
	}
	progress := 0
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "k8s-bins: building kube-apiserver: ") && strings.Contains(l, "packages compiled, last k8s.io/") {
			progress++
		}
	}
	if progress == 0 {
		t.Errorf("no progress line while building kube-apiserver:\n%s", stderr)
	}
	if !regexp.MustCompile(`k8s-bins: built kube-apiserver in [0-9]+s \(3 packages compiled\)`).MatchString(stderr) {
		t.Errorf("no summary of the kube-apiserver build:\n%s", stderr)
	}
}

// TestK8sBinsPrintsBuildErrors: a failed build prints the compiler's errors, not the
// list of packages, and leaves no cache behind.
func TestK8sBinsPrintsBuildErrors(t *testing.T) {
	stdout, stderr, err := runK8sBins(t, "FAKE_GO_FAIL=1")
	if err == nil {
		t.Fatalf("k8s-bins.sh succeeded with a failing build:\n%s", stdout)
	}
	if !strings.Contains(stderr, "main.go:1:1: syntax error") || !strings.Contains(stderr, "building k8s.io/kubernetes/cmd/kube-apiserver failed") {
		t.Errorf("stderr lacks the compiler error:\n%s", stderr)
	}
	if strings.Contains(stderr, "\nk8s.io/apimachinery/pkg/runtime\n") {
		t.Errorf("stderr lists the compiled packages:\n%s", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}
