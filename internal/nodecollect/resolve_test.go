package nodecollect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func resolverRoot(t testing.TB) (string, *hostRoot) {
	t.Helper()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := buildRoot(t, []entry{
		{Path: "etc/kubernetes/real.conf", Content: "inside"},
		{Path: "etc/kubernetes/abs.conf", Link: "/etc/kubernetes/real.conf"},
		{Path: "etc/kubernetes/rel.conf", Link: "real.conf"},
		{Path: "etc/kubernetes/updir.conf", Link: "../kubernetes/./real.conf"},
		{Path: "etc/kubernetes/climb", Link: "../../../../../../../../etc"},
		{Path: "etc/kubernetes/out-abs", Link: filepath.Join(outside, "secret")},
		{Path: "etc/kubernetes/out-rel", Link: "../../../../../../../../.." + filepath.Join(outside, "secret")},
		{Path: "etc/kubernetes/dirlink", Link: "/etc/kubernetes"},
		{Path: "etc/kubernetes/loop1", Link: "loop2"},
		{Path: "etc/kubernetes/loop2", Link: "loop1"},
		{Path: "etc/kubernetes/dangling", Link: "/nowhere/at/all"},
		{Path: "etc/secret", Content: "root's own"},
	})
	h, err := openHostRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return root, h
}

func TestResolveConfined(t *testing.T) {
	_, h := resolverRoot(t)
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"/etc/kubernetes/real.conf", "/etc/kubernetes/real.conf", nil},
		{"/etc/kubernetes/abs.conf", "/etc/kubernetes/real.conf", nil},
		{"/etc/kubernetes/rel.conf", "/etc/kubernetes/real.conf", nil},
		{"/etc/kubernetes/updir.conf", "/etc/kubernetes/real.conf", nil},
		{"etc/kubernetes/real.conf", "/etc/kubernetes/real.conf", nil},
		{"/../../etc/kubernetes/real.conf", "/etc/kubernetes/real.conf", nil},
		// ".." in a link never climbs above the root: it lands on the root's /etc.
		{"/etc/kubernetes/climb/secret", "/etc/secret", nil},
		{"/etc/kubernetes/dirlink/dirlink/real.conf", "/etc/kubernetes/real.conf", nil},
		// Links that point out of the root resolve inside it, where nothing is.
		{"/etc/kubernetes/out-abs", "", fs.ErrNotExist},
		{"/etc/kubernetes/out-rel", "", fs.ErrNotExist},
		{"/etc/kubernetes/dangling", "/nowhere/at/all", fs.ErrNotExist},
		{"/etc/kubernetes/loop1", "", errLoop},
		{"/etc/kubernetes/real.conf/x", "", syscall.ENOTDIR},
		{"/missing/file", "/missing/file", fs.ErrNotExist},
	} {
		got, err := h.resolve(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("resolve(%q) = %q, %v; want error %v", tc.in, got, err, tc.err)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("resolve(%q) = %q, want %q", tc.in, got, tc.want)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	// Reading through the links reads the root's files, never the outside one.
	for _, p := range []string{"/etc/kubernetes/abs.conf", "/etc/kubernetes/climb/kubernetes/rel.conf"} {
		_, b, err := h.readFile(p, 100)
		if err != nil || string(b) != "inside" {
			t.Errorf("readFile(%q) = %q, %v; want inside", p, b, err)
		}
	}
	if _, b, err := h.readFile("/etc/kubernetes/out-abs", 100); err == nil || strings.Contains(string(b), "outside") {
		t.Errorf("readFile out-abs = %q, %v: read outside the root", b, err)
	}
	if _, _, err := h.readFile("/etc/kubernetes/real.conf", 3); err == nil {
		t.Error("a file larger than the bound was read")
	}
}

// checkResolved asserts what every resolution must give: an absolute, clean path
// of the root whose every component is no symbolic link.
func checkResolved(t testing.TB, root, in, got string) {
	if !strings.HasPrefix(got, "/") || filepath.Clean(got) != got {
		t.Fatalf("resolve(%q) = %q: not clean and absolute", in, got)
	}
	cur := root
	for _, c := range strings.Split(strings.TrimPrefix(got, "/"), "/") {
		if c == "" {
			continue
		}
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if err != nil {
			t.Fatalf("resolve(%q) = %q: %v", in, got, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			t.Fatalf("resolve(%q) = %q: %s is a link", in, got, cur)
		}
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/etc/kubernetes/abs.conf", "etc/kubernetes/climb/../kubernetes/out-rel", "/etc/kubernetes/loop1/x", "//..//etc/./kubernetes/dirlink/", "/etc/kubernetes/real.conf/.."} {
		f.Add(s)
	}
	root, h := resolverRoot(f)
	f.Fuzz(func(t *testing.T, p string) {
		got, err := h.resolve(p)
		if err == nil {
			checkResolved(t, root, p, got)
		}
	})
}
