package scan

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/palisade-k8s/palisade/internal/source"
)

// generateHistory writes a repository of n commits into dir, built in memory and
// written as one packfile, as a cloned or garbage-collected repository holds its
// objects (no work tree bookkeeping, so thousands of commits take seconds):
// deploy/ holds files ConfigMaps; each commit changes one of them, and every 50th
// commit adds a made-up AWS access key ID that the next commit removes. The work
// tree holds the last commit's files. It returns the secrets added.
func generateHistory(tb testing.TB, dir string, n, files int) int {
	tb.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	st := memory.NewStorage()
	put := func(enc interface {
		Encode(plumbing.EncodedObject) error
	}, t plumbing.ObjectType) plumbing.Hash {
		obj := st.NewEncodedObject()
		obj.SetType(t)
		if err := enc.Encode(obj); err != nil {
			tb.Fatal(err)
		}
		h, err := st.SetEncodedObject(obj)
		if err != nil {
			tb.Fatal(err)
		}
		return h
	}
	blob := func(data string) plumbing.Hash {
		obj := st.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, _ := obj.Writer()
		_, _ = w.Write([]byte(data))
		_ = w.Close()
		h, err := st.SetEncodedObject(obj)
		if err != nil {
			tb.Fatal(err)
		}
		return h
	}
	rng := rand.New(rand.NewPCG(14, 2000))
	content := make([]string, files)
	blobs := make([]plumbing.Hash, files)
	for i := range content {
		content[i] = configMap(fmt.Sprintf("app-%d", i), "mode", "v0")
		blobs[i] = blob(content[i])
	}
	var parent plumbing.Hash
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	secrets := 0
	for c := range n {
		f := c % files
		switch {
		case c%50 == 1:
			content[f] = configMap(fmt.Sprintf("app-%d", f), "mode", fmt.Sprintf("v%d", c), "aws_key", fakeAWSKey(rng))
			secrets++
		default:
			content[f] = configMap(fmt.Sprintf("app-%d", f), "mode", fmt.Sprintf("v%d", c), "replicas", fmt.Sprint(rng.IntN(9)))
		}
		blobs[f] = blob(content[f])
		var entries []object.TreeEntry
		for i, h := range blobs {
			entries = append(entries, object.TreeEntry{Name: fmt.Sprintf("app-%04d.yaml", i), Mode: filemode.Regular, Hash: h})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
		deploy := put(&object.Tree{Entries: entries}, plumbing.TreeObject)
		root := put(&object.Tree{Entries: []object.TreeEntry{{Name: "deploy", Mode: filemode.Dir, Hash: deploy}}}, plumbing.TreeObject)
		sig := object.Signature{Name: "Dev", Email: "dev@example.org", When: start.Add(time.Duration(c) * time.Minute)}
		commit := &object.Commit{Author: sig, Committer: sig, Message: fmt.Sprintf("commit %d", c), TreeHash: root}
		if !parent.IsZero() {
			commit.ParentHashes = []plumbing.Hash{parent}
		}
		parent = put(commit, plumbing.CommitObject)
	}
	var hashes []plumbing.Hash
	iter, err := st.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		tb.Fatal(err)
	}
	_ = iter.ForEach(func(o plumbing.EncodedObject) error {
		hashes = append(hashes, o.Hash())
		return nil
	})
	w, err := repo.Storer.(storer.PackfileWriter).PackfileWriter()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := packfile.NewEncoder(w, st, false).Encode(hashes, 10); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("master"), parent)); err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for i, data := range content {
		if err := os.WriteFile(filepath.Join(dir, "deploy", fmt.Sprintf("app-%04d.yaml", i)), []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return secrets
}

// TestGeneratedHistory: the benchmark's repository has what it says, and a scan of
// its history reports every secret added (each removed by the next commit unless it
// is the last).
func TestGeneratedHistory(t *testing.T) {
	dir := t.TempDir()
	secrets := generateHistory(t, dir, 120, 10)
	deploy := filepath.Join(dir, "deploy")
	res := historyScan(t, []string{deploy}, "")
	if h := res.Report.Summary.History; h.Commits != 120 {
		t.Errorf("summary %+v, want 120 commits", h)
	}
	if got := len(historyFindings(res, dir)); got != secrets {
		t.Errorf("%d history findings, want %d", got, secrets)
	}
}

// BenchmarkHistory scans a generated history of 2,000 commits (20 files) with
// --git-history and reports commits read per second.
func BenchmarkHistory(b *testing.B) {
	const commits = 2000
	dir := b.TempDir()
	generateHistory(b, dir, commits, 20)
	deploy := filepath.Join(dir, "deploy")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		res, err := Run(Options{
			Source:  &source.Files{Paths: []string{deploy}},
			History: &source.GitHistory{Paths: []string{deploy}},
		})
		if err != nil {
			b.Fatal(err)
		}
		if res.Report.Summary.History.Commits != commits {
			b.Fatalf("%d commits read", res.Report.Summary.History.Commits)
		}
	}
	b.ReportMetric(float64(commits*b.N)/time.Since(start).Seconds(), "commits/s")
}
