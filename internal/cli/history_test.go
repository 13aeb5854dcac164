package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// historyRepo is a repository whose second commit removes the AWS access key ID
// (made up: AKIA and 16 fixed characters) its first commit added.
func historyRepo(t *testing.T) (dir, added string) {
	t.Helper()
	dir = t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	key := "AKIA" + strings.Repeat("Q7", 8)
	for i, data := range []string{"aws_key: " + key, "mode: x"} {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  " + data + "\n"
		if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "deploy", "app.yaml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("deploy/app.yaml"); err != nil {
			t.Fatal(err)
		}
		sig := &object.Signature{Name: "Dev", Email: "dev@example.org", When: time.Date(2025, 1, 2+i, 10, 0, 0, 0, time.UTC)}
		h, err := wt.Commit("c", &git.CommitOptions{Author: sig, Committer: sig})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			added = h.String()
		}
	}
	return dir, added
}

// TestScanGitHistory: --git-history (HEAD by default, or =RANGE) reports the
// removed credential with its commit; its misuses are usage errors.
func TestScanGitHistory(t *testing.T) {
	dir, added := historyRepo(t)
	deploy := filepath.Join(dir, "deploy")

	r := run(t, nil, "scan", deploy)
	if r.code != 0 {
		t.Fatalf("without --git-history: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "scan", deploy, "--git-history")
	if r.code != ExitFindings || !strings.Contains(r.stdout, "PAL-501") ||
		!strings.Contains(r.stdout, "app.yaml:6 (commit "+added[:7]+", 2025-01-02)") ||
		!strings.Contains(r.stdout, "; git history: 2 commits, 2 files read.") {
		t.Errorf("--git-history: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "Q7Q7Q7") {
		t.Errorf("the secret is printed:\n%s", r.stdout)
	}
	r = run(t, nil, "scan", "--git-history="+added+"..HEAD", deploy)
	if r.code != 0 || !strings.Contains(r.stdout, "git history: 1 commit, 1 file read.") {
		t.Errorf("--git-history=%s..HEAD: exit %d\n%s%s", added[:7], r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--git-history", "--cluster"}, "give paths, not --cluster"},
		{[]string{"scan", "--git-history", "-"}, "standard input has no git history"},
		{[]string{"scan", "--git-history=nope", deploy}, `"nope" names no commit`},
		{[]string{"scan", "--git-history", t.TempDir()}, "is not in a git repository"},
	} {
		r := run(t, strings.NewReader(""), tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
