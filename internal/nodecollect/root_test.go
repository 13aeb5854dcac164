package nodecollect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// entry is one thing of a test host root: a file (Content), a directory (Dir) or
// a symbolic link (Link), with its mode and owner.
type entry struct {
	Path     string
	Content  string
	Dir      bool
	Link     string
	Mode     os.FileMode
	UID, GID int
}

// asRoot says whether the test can give files other owners.
var asRoot = os.Geteuid() == 0

// buildRoot makes a host root in a temp directory: every entry with its real
// mode and (when the test runs as root) its real owner.
func buildRoot(t testing.TB, entries []entry) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		p := filepath.Join(root, e.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Link != "":
			if err := os.Symlink(e.Link, p); err != nil {
				t.Fatal(err)
			}
			continue
		case e.Dir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(e.Content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
			if e.Dir {
				mode = 0o755
			}
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if asRoot {
			if err := os.Lchown(p, e.UID, e.GID); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// accounts are the host's /etc/passwd and /etc/group of the test roots.
var accounts = []entry{
	{Path: "etc/passwd", Content: "root:x:0:0:root:/root:/bin/bash\nkube:x:1001:1001::/home/kube:/bin/sh\netcd:x:1002:1002::/var/lib/etcd:/usr/sbin/nologin\n"},
	{Path: "etc/group", Content: "root:x:0:\nkube:x:1001:\netcd:x:1002:\nkubeconf:x:1003:kube\n"},
	{Path: "etc/hostname", Content: "node-a\n"},
	{Path: "etc/os-release", Content: "NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n"},
}

// fakeProc is a /proc of processes: each with its command line, working
// directory and parent.
type fakeProcess struct {
	PID, PPID int
	Argv      []string
	Cwd, Exe  string
}

func buildProc(t testing.TB, ps []fakeProcess) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sys/kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sys/kernel/osrelease"), []byte("6.8.0-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		d := filepath.Join(dir, strconv.Itoa(p.PID))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cmdline"), []byte(strings.Join(p.Argv, "\x00")+"\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
		stat := strconv.Itoa(p.PID) + " (" + filepath.Base(p.Argv[0]) + ") S " + strconv.Itoa(p.PPID) + " 1 1 0 -1\n"
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if p.Cwd != "" {
			if err := os.Symlink(p.Cwd, filepath.Join(d, "cwd")); err != nil {
				t.Fatal(err)
			}
		}
		if p.Exe != "" {
			if err := os.Symlink(p.Exe, filepath.Join(d, "exe")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
