package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/history"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
)

// gitRepo builds a git repository in a temporary directory, one commit at a time,
// with go-git: commit i is dated start + i hours.
type gitRepo struct {
	tb    testing.TB
	dir   string
	repo  *git.Repository
	wt    *git.Worktree
	n     int
	start time.Time
}

func newGitRepo(tb testing.TB) *gitRepo {
	tb.Helper()
	dir := tb.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	return &gitRepo{tb: tb, dir: dir, repo: r, wt: wt, start: time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)}
}

// write sets files (path -> content; "" removes the file) in the work tree.
func (g *gitRepo) write(files map[string]string) {
	g.tb.Helper()
	for p, content := range files {
		full := filepath.Join(g.dir, filepath.FromSlash(p))
		if content == "" {
			if err := os.Remove(full); err != nil {
				g.tb.Fatal(err)
			}
			if _, err := g.wt.Remove(p); err != nil {
				g.tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			g.tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			g.tb.Fatal(err)
		}
		if _, err := g.wt.Add(p); err != nil {
			g.tb.Fatal(err)
		}
	}
}

// commit writes files and commits them (with parents, if given: a merge).
func (g *gitRepo) commit(files map[string]string, parents ...plumbing.Hash) plumbing.Hash {
	g.tb.Helper()
	g.write(files)
	when := g.start.Add(time.Duration(g.n) * time.Hour)
	g.n++
	sig := &object.Signature{Name: "Dev", Email: "dev@example.org", When: when}
	h, err := g.wt.Commit(fmt.Sprintf("commit %d", g.n), &git.CommitOptions{Author: sig, Committer: sig, Parents: parents, AllowEmptyCommits: true})
	if err != nil {
		g.tb.Fatal(err)
	}
	return h
}

func (g *gitRepo) path(p string) string { return filepath.Join(g.dir, filepath.FromSlash(p)) }

// fakeAWSKey is a made-up AWS access key ID (PAL-501) drawn from a fixed seed.
func fakeAWSKey(rng *rand.Rand) string {
	const set = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("AKIA")
	for range 16 {
		b = append(b, set[rng.IntN(len(set))])
	}
	return string(b)
}

// configMap is a ConfigMap manifest with data entries (key, value pairs); the
// value of entry i is on line 6+i.
func configMap(name string, kv ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n", name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "  %s: %q\n", kv[i], kv[i+1])
	}
	return b.String()
}

func historyScan(t *testing.T, paths []string, rng string) *Result {
	t.Helper()
	res, err := Run(Options{
		Source:  &source.Files{Paths: paths},
		History: &source.GitHistory{Paths: paths, Range: rng},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// historyFindings are the findings with a commit, as "rule file:line commit date".
func historyFindings(res *Result, root string) []string {
	var out []string
	for _, f := range res.Report.Findings {
		if f.Location.Commit == nil {
			continue
		}
		rel, _ := filepath.Rel(root, f.Location.File)
		out = append(out, fmt.Sprintf("%s %s:%d %s %s", f.RuleID, filepath.ToSlash(rel), f.Location.Line,
			f.Location.Commit.Hash, f.Location.Commit.Date.Format(time.DateTime)))
	}
	return out
}

// TestHistoryRemovedSecret: a credential a commit added and a later one removed is
// reported with that commit, its date, the file and the line; the scan of the
// working tree alone finds nothing, and the summary counts the history read.
func TestHistoryRemovedSecret(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "dev")})
	added := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "dev", "aws_key", key)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "prod")})
	deploy := g.path("deploy")

	plain, err := Run(Options{Source: &source.Files{Paths: []string{deploy}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plain.Report.Findings); n != 0 {
		t.Fatalf("the working tree alone: %d findings, want none", n)
	}
	res := historyScan(t, []string{deploy}, "")
	got := historyFindings(res, g.dir)
	want := []string{fmt.Sprintf("PAL-501 deploy/app.yaml:7 %s 2025-01-02 11:00:00", added)}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1 (a high finding)", res.ExitCode())
	}
	h := res.Report.Summary.History
	if h == nil || h.Commits != 3 || h.Files != 3 || h.Range != "HEAD" {
		t.Errorf("summary history = %+v, want 3 commits, 3 files, range HEAD", h)
	}
	if n := len(res.History.Inventory.Objects); n != 0 {
		t.Errorf("%d objects of the history kept, want none (each file is judged as it is read)", n)
	}
	for _, f := range res.Report.Findings {
		if strings.Contains(f.Message, key) {
			t.Errorf("the secret is printed: %s", f.Message)
		}
		if f.Location.Provenance != finding.FromHistory {
			t.Errorf("provenance %v, want history", f.Location.Provenance)
		}
	}
}

// TestHistorySecretStillPresent: a credential the working tree still holds is
// reported once, by the scan of the working tree, not again with a commit.
func TestHistorySecretStillPresent(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "aws_key", key)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x", "aws_key", key)})
	res := historyScan(t, []string{g.path("deploy")}, "HEAD")
	if got := historyFindings(res, g.dir); len(got) != 0 {
		t.Errorf("history findings %v, want none (the secret is in the working tree)", got)
	}
	if n := len(res.Report.Findings); n != 1 {
		t.Errorf("%d findings, want the working tree's one", n)
	}
}

// TestHistorySeveralSecretsInOneField: a file held in one ConfigMap key has two keys;
// the second is removed, the first stays. The removed one is reported from the
// history although the field's first secret is still in the working tree.
func TestHistorySeveralSecretsInOneField(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 9))
	k1, k2 := fakeAWSKey(rng), fakeAWSKey(rng)
	g := newGitRepo(t)
	c1 := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "keys.properties", "primary="+k1+"\nbackup="+k2)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "keys.properties", "primary="+k1)})
	res := historyScan(t, []string{g.path("deploy")}, "")
	got := historyFindings(res, g.dir)
	if len(got) != 1 || !strings.HasPrefix(got[0], fmt.Sprintf("PAL-501 deploy/app.yaml:6 %s", c1)) {
		t.Errorf("history findings %v, want one at commit %s (the backup key, removed)", got, c1)
	}
	// With both still in the working tree, the history adds nothing.
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "keys.properties", "primary="+k1+"\nbackup="+k2)})
	if got := historyFindings(historyScan(t, []string{g.path("deploy")}, ""), g.dir); len(got) != 0 {
		t.Errorf("history findings %v, want none: both keys are in the working tree", got)
	}
}

// TestHistoryMovedAndReadded: a secret moved to another file is reported at each
// file where it was first added (one finding per secret and file), and a secret
// removed and added again later at the same file is reported once, at the first
// commit.
func TestHistoryMovedAndReadded(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	c1 := g.commit(map[string]string{"deploy/a.yaml": configMap("a", "aws_key", key), "deploy/b.yaml": configMap("b", "mode", "x")})
	c2 := g.commit(map[string]string{"deploy/a.yaml": configMap("a", "mode", "x"), "deploy/b.yaml": configMap("b", "mode", "x", "aws_key", key)})
	g.commit(map[string]string{"deploy/b.yaml": configMap("b", "mode", "y")})
	g.commit(map[string]string{"deploy/b.yaml": configMap("b", "mode", "z", "other", "1", "aws_key", key)})
	g.commit(map[string]string{"deploy/b.yaml": configMap("b", "mode", "z")})
	got := historyFindings(historyScan(t, []string{g.path("deploy")}, ""), g.dir)
	want := []string{
		fmt.Sprintf("PAL-501 deploy/a.yaml:6 %s 2025-01-02 10:00:00", c1),
		fmt.Sprintf("PAL-501 deploy/b.yaml:7 %s 2025-01-02 11:00:00", c2),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHistoryMerge: a secret added on a branch and merged is reported at the
// branch's commit (a merge is compared with its first parent; the content is read
// once); the branch's commits are read before the merge.
func TestHistoryMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	base := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	if err := g.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("side"), Create: true}); err != nil {
		t.Fatal(err)
	}
	side := g.commit(map[string]string{"deploy/side.yaml": configMap("side", "aws_key", key)})
	if err := g.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("master"), Force: true}); err != nil {
		t.Fatal(err)
	}
	main := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "y")}, base)
	g.commit(map[string]string{"deploy/side.yaml": configMap("side", "aws_key", key)}, main, side)
	g.commit(map[string]string{"deploy/side.yaml": ""})
	res := historyScan(t, []string{g.path("deploy")}, "")
	got := historyFindings(res, g.dir)
	want := []string{fmt.Sprintf("PAL-501 deploy/side.yaml:6 %s 2025-01-02 11:00:00", side)}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if h := res.Report.Summary.History; h.Commits != 5 {
		t.Errorf("%d commits read, want 5", h.Commits)
	}
}

// TestHistoryRange: A..B reads the commits reachable from B and not from A; a
// secret added before A is not reported, one added after is.
func TestHistoryRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 5))
	old, recent := fakeAWSKey(rng), fakeAWSKey(rng)
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "aws_key", old)})
	mid := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	c3 := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x", "aws_key", recent)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "y")})
	deploy := g.path("deploy")
	for _, tc := range []struct {
		rng     string
		want    []string
		commits int
	}{
		{mid.String() + "..HEAD", []string{fmt.Sprintf("PAL-501 deploy/app.yaml:7 %s 2025-01-02 12:00:00", c3)}, 2},
		{mid.String()[:10] + "..", []string{fmt.Sprintf("PAL-501 deploy/app.yaml:7 %s 2025-01-02 12:00:00", c3)}, 2},
		{"HEAD~2", []string{"PAL-501 deploy/app.yaml:6"}, 2},
		{"master~1..master", nil, 1},
	} {
		res := historyScan(t, []string{deploy}, tc.rng)
		got := historyFindings(res, g.dir)
		if len(got) != len(tc.want) || (len(got) > 0 && !strings.HasPrefix(got[0], tc.want[0])) {
			t.Errorf("range %s: history findings %v, want %v", tc.rng, got, tc.want)
		}
		if h := res.Report.Summary.History; h.Commits != tc.commits || h.Range != tc.rng {
			t.Errorf("range %s: summary %+v, want %d commits", tc.rng, h, tc.commits)
		}
	}
}

// TestHistoryBrokenFile: a file of the history that does not parse is a notice
// (with its commit), counted as unreadable; it is not an input error.
func TestHistoryBrokenFile(t *testing.T) {
	g := newGitRepo(t)
	broken := g.commit(map[string]string{"deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n"})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	res := historyScan(t, []string{g.path("deploy")}, "")
	if code := res.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0 (errors: %v)", code, res.Report.Errors)
	}
	if h := res.Report.Summary.History; h.Unreadable != 1 || h.Files != 2 {
		t.Errorf("summary %+v, want 2 files, 1 unreadable", h)
	}
	var notes []string
	for _, n := range res.Report.Notices {
		if n.Location.Commit != nil && n.Location.Commit.Hash == broken.String() {
			notes = append(notes, n.String())
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "app.yaml:3 (commit "+broken.String()[:7]+", 2025-01-02)") {
		t.Errorf("notices %v, want one on app.yaml at the broken commit", res.Report.Notices)
	}
}

// TestHistoryScope: only files under the scanned paths are read, hidden
// directories and charts' own files below them are left out, and a file named alone
// is read at its path.
func TestHistoryScope(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 6))
	k1, k2, k3, k4 := fakeAWSKey(rng), fakeAWSKey(rng), fakeAWSKey(rng), fakeAWSKey(rng)
	g := newGitRepo(t)
	g.commit(map[string]string{
		"deploy/app.yaml":       configMap("app", "aws_key", k1),
		"other/app.yaml":        configMap("other", "aws_key", k2),
		"deploy/.hidden/x.yaml": configMap("x", "aws_key", k3),
		// A package's files are not the repository's, as in a walk.
		"deploy/web/node_modules/pkg/settings.json": `{"aws_key": "` + k3 + `"}`,
		"deploy/notes.txt":                          "aws_key: " + k4 + "\n",
		"deploy/sub/single.yaml":                    configMap("single", "aws_key", k4),
		// A chart's templates and Chart.yaml are rendered from the working tree, not
		// read from a history.
		"deploy/chart/Chart.yaml":        "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
		"deploy/chart/templates/cm.yaml": configMap("tpl", "aws_key", k3),
	})
	g.commit(map[string]string{
		"deploy/app.yaml":                           configMap("app", "mode", "x"),
		"other/app.yaml":                            configMap("other", "mode", "x"),
		"deploy/.hidden/x.yaml":                     configMap("x", "mode", "x"),
		"deploy/web/node_modules/pkg/settings.json": `{"mode": "x"}`,
		"deploy/sub/single.yaml":                    configMap("single", "mode", "x"),
		"deploy/chart/Chart.yaml":                   "",
		"deploy/chart/templates/cm.yaml":            "",
	})
	res := historyScan(t, []string{g.path("deploy")}, "")
	if h := res.Report.Summary.History; h.Files != 4 || h.Unreadable != 0 {
		t.Errorf("summary %+v, want 4 files read (app.yaml and sub/single.yaml twice)", h)
	}
	got := historyFindings(res, g.dir)
	if len(got) != 2 || !strings.HasPrefix(got[0], "PAL-501 deploy/app.yaml:6") || !strings.HasPrefix(got[1], "PAL-501 deploy/sub/single.yaml:6") {
		t.Errorf("history findings %v, want deploy/app.yaml and deploy/sub/single.yaml", got)
	}
	single := g.path("deploy/sub/single.yaml")
	res = historyScan(t, []string{single}, "")
	fs := res.Report.Findings
	if len(fs) != 1 || fs[0].Location.File != single || fs[0].Location.Commit == nil {
		t.Errorf("a file named alone: findings %+v, want one at %s", fs, single)
	}
}

// TestHistoryErrors: no repository, paths in two repositories, standard input and
// a range that names no commit are errors that say so.
func TestHistoryErrors(t *testing.T) {
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	other := newGitRepo(t)
	other.commit(map[string]string{"app.yaml": configMap("app", "mode", "x")})
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "app.yaml"), []byte(configMap("app", "mode", "x")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		rng   string
		want  string
	}{
		{[]string{plain}, "", "is not in a git repository"},
		{[]string{g.path("deploy"), other.dir}, "", "scan the history of one repository at a time"},
		{[]string{g.path("deploy")}, "nosuchbranch", `"nosuchbranch" names no commit`},
		{[]string{g.path("deploy")}, "a...b", "symmetric difference"},
		{[]string{g.path("deploy")}, "--all", "cannot start with '-'"},
	} {
		_, err := Run(Options{Source: &source.Files{Paths: tc.paths}, History: &source.GitHistory{Paths: tc.paths, Range: tc.rng}})
		var he *history.Error
		if err == nil || !errors.As(err, &he) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %q: error %v, want a history error with %q", tc.paths, tc.rng, err, tc.want)
		}
	}
}

// TestHistoryInterrupted: an interrupted read reports what was read and says the
// history was not read to the end (an input error).
func TestHistoryInterrupted(t *testing.T) {
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	paths := []string{g.path("deploy")}
	res, err := (&source.GitHistory{Paths: paths}).Read(ctx, source.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "git history read interrupted after 0 of") {
		t.Errorf("errors %v, want the interruption", res.Errors)
	}
}

// TestHistoryFormats: every report format shows the commit of a history finding.
func TestHistoryFormats(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 7))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	added := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "aws_key", key)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	res := historyScan(t, []string{g.path("deploy")}, "")
	short := added.String()[:7]
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"app.yaml:6 (commit " + short + ", 2025-01-02)", "; git history: 2 commits, 2 files read."}},
		{"json", []string{`"commit": {`, `"hash": "` + added.String() + `"`, `"date": "2025-01-02T10:00:00Z"`, `"history": {`}},
		{"sarif", []string{`"commit": "` + added.String() + `"`, `"commitDate": "2025-01-02T10:00:00Z"`, "in commit " + short + ", 2025-01-02"}},
		{"junit", []string{"app.yaml:6 (commit " + short + ", 2025-01-02)"}},
	} {
		var buf bytes.Buffer
		if err := report.Write(&buf, res.Report, tc.format, report.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s report lacks %q:\n%s", tc.format, w, buf.String())
			}
		}
		if strings.Contains(buf.String(), key) {
			t.Errorf("%s report prints the secret", tc.format)
		}
	}
	var doc map[string]any
	var buf bytes.Buffer
	_ = report.Write(&buf, res.Report, "json", report.Options{})
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryNoticesBounded: many files that do not parse give a bounded number of
// notices, and the summary counts them all.
func TestHistoryNoticesBounded(t *testing.T) {
	g := newGitRepo(t)
	for i := range 30 {
		g.commit(map[string]string{"deploy/app.yaml": fmt.Sprintf("kind: [%d\n", i)})
	}
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	res := historyScan(t, []string{g.path("deploy")}, "")
	if h := res.Report.Summary.History; h.Unreadable != 30 || h.Commits != 31 {
		t.Errorf("summary %+v, want 31 commits, 30 unreadable", h)
	}
	n := len(res.Report.Notices)
	if n != 21 || !strings.Contains(res.Report.Notices[n-1].Message, "10 more problems") {
		t.Errorf("%d notices, want 20 and one that counts the rest: %v", n, res.Report.Notices[n-1])
	}
}

// TestHistoryProgress: the progress line counts the commits read, and ends with a
// new line.
func TestHistoryProgress(t *testing.T) {
	g := newGitRepo(t)
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "y")})
	var buf bytes.Buffer
	if _, err := (&source.GitHistory{Paths: []string{g.path("deploy")}, Progress: &buf}).Read(context.Background(), source.Needs{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\rpalisade: git history: 2/2 commits\n") {
		t.Errorf("progress %q", buf.String())
	}
}

// TestHistorySuppression: a history finding is suppressed like any other: by a
// baseline written from an earlier scan, and by the annotation of the object in
// the commit.
func TestHistorySuppression(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 8))
	k1, k2 := fakeAWSKey(rng), fakeAWSKey(rng)
	g := newGitRepo(t)
	annotated := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    palisade.dev/ignore: PAL-501\n    palisade.dev/ignore-reason: rotated\ndata:\n  aws_key: " + k2 + "\n"
	g.commit(map[string]string{"deploy/a.yaml": configMap("a", "aws_key", k1), "deploy/b.yaml": annotated})
	g.commit(map[string]string{"deploy/a.yaml": configMap("a", "mode", "x"), "deploy/b.yaml": configMap("b", "mode", "x")})
	paths := []string{g.path("deploy")}
	res := historyScan(t, paths, "")
	var active, suppressed int
	for _, f := range res.Report.Findings {
		if f.Suppressed != nil {
			suppressed++
		} else {
			active++
		}
	}
	if active != 1 || suppressed != 1 {
		t.Fatalf("%d active and %d suppressed findings, want 1 and 1 (the annotated one)", active, suppressed)
	}
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if _, err := WriteBaseline(res, baseline); err != nil {
		t.Fatal(err)
	}
	again, err := Run(Options{Source: &source.Files{Paths: paths}, History: &source.GitHistory{Paths: paths}, BaselineFile: baseline})
	if err != nil {
		t.Fatal(err)
	}
	if again.Report.Summary.Findings != 0 || again.ExitCode() != 0 {
		t.Errorf("with the baseline: %d findings, exit %d; want none", again.Report.Summary.Findings, again.ExitCode())
	}
}

// TestHistoryRules: the hard-coded credential rules (PAL-501..516) run on a
// history, and only rules of their category do: no rule runs there by default.
func TestHistoryRules(t *testing.T) {
	on := map[string]bool{}
	var category string
	for _, r := range historyRules(AllRules()) {
		on[r.ID] = true
		if r.ID == "PAL-501" {
			category = r.Category
		}
	}
	for i := 501; i <= 516; i++ {
		if id := fmt.Sprintf("PAL-%d", i); !on[id] {
			t.Errorf("%s does not run on a git history", id)
		}
	}
	for _, r := range historyRules(AllRules()) {
		if r.Category != category {
			t.Errorf("%s (%s) runs on a git history: only the hard-coded credential rules do", r.ID, r.Category)
		}
	}
	if (&rules.Rule{}).RunsIn(rules.History) {
		t.Error("a rule with no Targets runs on a git history")
	}
}

// TestHistoryMissingContent: a content a partial clone lacks is a notice, and the
// rest of the history is read.
func TestHistoryMissingContent(t *testing.T) {
	g := newGitRepo(t)
	first := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "y")})
	c, err := g.repo.CommitObject(first)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.File("deploy/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hash.String()
	if err := os.Remove(filepath.Join(g.dir, ".git", "objects", h[:2], h[2:])); err != nil {
		t.Fatal(err)
	}
	res := historyScan(t, []string{g.path("deploy")}, "")
	if s := res.Report.Summary.History; s.Commits != 2 || s.Files != 2 || s.Unreadable != 1 {
		t.Errorf("summary %+v, want 2 commits, 2 files, 1 unreadable", s)
	}
	if len(res.Report.Notices) != 1 || !strings.Contains(res.Report.Notices[0].Message, "is not in this clone") || res.ExitCode() != 0 {
		t.Errorf("notices %v, exit %d", res.Report.Notices, res.ExitCode())
	}
}

// cancelWriter ends a context on its first write.
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) { w.cancel(); return len(p), nil }

// TestHistoryInterruptedMidway: Ctrl-C during the read keeps what was read: the
// findings of the commits read are reported, with an input error (exit 3) that
// says the history was not read to the end.
func TestHistoryInterruptedMidway(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 9))
	key := fakeAWSKey(rng)
	g := newGitRepo(t)
	added := g.commit(map[string]string{"deploy/app.yaml": configMap("app", "aws_key", key)})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "x")})
	g.commit(map[string]string{"deploy/app.yaml": configMap("app", "mode", "y")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	paths := []string{g.path("deploy")}
	// The progress line after the first commit interrupts the read.
	res, err := RunContext(ctx, Options{Source: &source.Files{Paths: paths},
		History: &source.GitHistory{Paths: paths, Progress: cancelWriter{cancel}}})
	if err != nil {
		t.Fatal(err)
	}
	got := historyFindings(res, g.dir)
	if len(got) != 1 || !strings.Contains(got[0], added.String()) {
		t.Errorf("history findings %v, want the first commit's", got)
	}
	if res.ExitCode() != 3 || len(res.Report.Errors) != 1 || !strings.Contains(res.Report.Errors[0].Message, "interrupted after 1 of 3 commits") {
		t.Errorf("exit %d, errors %v; want 3 and the interruption", res.ExitCode(), res.Report.Errors)
	}
}
