package secretset

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestWriteDeterministic: the same seed writes the same files and labels, another
// seed other values.
func TestWriteDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	la, err := Write(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := Write(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(c, 2); err != nil {
		t.Fatal(err)
	}
	if len(la) != len(lb) {
		t.Fatalf("%d and %d labels from one seed", len(la), len(lb))
	}
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("label %d differs: %+v, %+v", i, la[i], lb[i])
		}
	}
	same, other := read(t, a, "app/.env"), read(t, c, "app/.env")
	if !bytes.Equal(same, read(t, b, "app/.env")) || bytes.Equal(same, other) {
		t.Error("the seed does not decide the values")
	}
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLabels: every location and format is labelled, each label points at a line of
// its file that exists, and positives and look-alikes are both present everywhere
// values sit under keys.
func TestLabels(t *testing.T) {
	dir := t.TempDir()
	labels, err := Write(dir, 7)
	if err != nil {
		t.Fatal(err)
	}
	locs := map[string][2]int{}
	for _, l := range labels {
		lines := strings.Split(string(read(t, dir, l.File)), "\n")
		if l.Line < 0 || l.Line+l.Span > len(lines) || l.Line > 0 && strings.TrimSpace(lines[l.Line-1]) == "" {
			t.Errorf("label %+v: no such line in %s", l, l.File)
		}
		n := locs[l.Location]
		if l.Positive() {
			n[0]++
		} else {
			n[1]++
		}
		locs[l.Location] = n
	}
	for _, loc := range []string{LocEnv, LocArgs, LocConfigMapValue, LocConfigMapFile, LocSecretData, LocSecretStringData,
		LocValues, LocDotenv, LocNpmrc, LocCompose, LocSOPS, LocHelmSecrets} {
		if n := locs[loc]; n[0] == 0 || n[1] == 0 {
			t.Errorf("location %s: %d positives, %d look-alikes", loc, n[0], n[1])
		}
	}
}

// TestChecksums: the CRC-32 tokens verify, and the wrong-checksum look-alike does not.
func TestChecksums(t *testing.T) {
	g := newGen(3)
	verify := func(tok string) bool {
		body, sum := tok[4:len(tok)-6], tok[len(tok)-6:]
		var n uint64
		for _, c := range []byte(sum) {
			n = n*62 + uint64(strings.IndexByte(base62, c))
		}
		return n == uint64(crc32.ChecksumIEEE([]byte(body)))
	}
	for _, v := range g.catalogue() {
		switch v.format {
		case "github-ghp", "github-gho", "github-ghs", "npm-token":
			if len(v.text) != 40 || !verify(v.text) {
				t.Errorf("%s: checksum does not verify", v.format)
			}
		case "github-bad-checksum":
			if verify(v.text) {
				t.Errorf("%s: checksum verifies", v.format)
			}
		case "google-api-key":
			if len(v.text) != 39 {
				t.Errorf("%s: %d characters", v.format, len(v.text))
			}
		case "pypi-token":
			if !strings.HasPrefix(v.text, "pypi-AgEIcHlwaS5vcmc") {
				t.Errorf("%s: not a pypi.org macaroon", v.format)
			}
		}
	}
}

// TestHistory: the repository has the commits asked for, on main, and every label's
// commit holds the labelled line, which the working tree no longer has.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	labels, err := WriteHistory(dir, 200, 5)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil || head.Name().Short() != "main" {
		t.Fatalf("head %v, %v", head, err)
	}
	iter, err := repo.Log(&git.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = iter.ForEach(func(*object.Commit) error { n++; return nil })
	if n != 200 {
		t.Errorf("%d commits, want 200", n)
	}
	if len(labels) < 20 {
		t.Fatalf("%d labels", len(labels))
	}
	key := regexp.MustCompile(`^\s*([A-Z0-9_]+)[:=]`)
	for _, l := range labels {
		c, err := repo.CommitObject(plumbingHash(l.Commit))
		if err != nil {
			t.Fatal(err)
		}
		f, err := c.File(l.File)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := f.Contents()
		lines := strings.Split(text, "\n")
		m := key.FindStringSubmatch(lines[l.Line-1])
		if m == nil {
			t.Fatalf("label %+v: line is not an entry", l)
		}
		if bytes.Contains(read(t, dir, l.File), []byte(lines[l.Line-1])) {
			t.Errorf("label %+v: still in the working tree", l)
		}
	}
}

func plumbingHash(s string) plumbing.Hash { return plumbing.NewHash(s) }
