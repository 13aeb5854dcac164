package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A binary built from a checkout without -ldflags names the commit it was built from
// (go build records it), so reports never say "dev" for a build of a known commit.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// The go command records the commit only in a checkout whose .git is a directory
	// (not in a git worktree, whose .git is a file).
	if st, err := os.Stat(filepath.Join("..", "..", ".git")); err != nil || !st.IsDir() {
		t.Skip("not the main checkout of a git repository")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("git: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "palisade")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(out))
	if v == "palisade dev" || !strings.Contains(v, strings.TrimSpace(string(head))[:12]) {
		t.Errorf("version = %q, want the commit %.12s in it", v, head)
	}
}
