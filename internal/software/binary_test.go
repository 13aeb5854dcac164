package software

import (
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestIsExecutableCandidate(t *testing.T) {
	for _, c := range []struct {
		name string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"app/server", 0o755, 100, true},
		{"app/server", 0o644, 100, false},
		{"usr/bin/tool", 0o644, 100, true},
		{"usr/sbin/tool", 0o644, 100, true},
		{"app/tool.exe", 0o644, 100, true},
		{"app/server", 0o755, 63, false},
		{"app/server", 0o755, 1001, false},
		{"app/server", fs.ModeDir | 0o755, 100, false},
	} {
		if got := IsExecutableCandidate(c.name, c.mode, c.size, 1000); got != c.want {
			t.Errorf("%s %v %d: %v", c.name, c.mode, c.size, got)
		}
	}
}

// onlyFS hides what its files implement but fs.File and, with seek, io.Seeker.
type onlyFS struct {
	fs.FS
	seek bool
}

type readOnly struct{ fs.File }

type seekOnly struct {
	fs.File
	io.Seeker
}

func (o onlyFS) Open(name string) (fs.File, error) {
	f, err := o.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if o.seek {
		return seekOnly{f, f.(io.Seeker)}, nil
	}
	return readOnly{f}, nil
}

func TestOpenReaderAt(t *testing.T) {
	data := "0123456789"
	mfs := fstest.MapFS{"f": {Data: []byte(data)}}
	for _, c := range []struct {
		name string
		fsys fs.FS
	}{{"ReaderAt", mfs}, {"Seeker", onlyFS{mfs, true}}, {"in memory", onlyFS{mfs, false}}} {
		r, err := OpenReaderAt(c.fsys, "f", int64(len(data)), "binary")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b := make([]byte, 3)
		if _, err := r.ReadAt(b, 4); err != nil || string(b) != "456" || r.Size != int64(len(data)) {
			t.Errorf("%s: %q %v size %d", c.name, b, err, r.Size)
		}
		r.Close()
	}
	if _, err := OpenReaderAt(onlyFS{mfs, false}, "f", MaxInMemory+1, "binary"); err == nil || !strings.Contains(err.Error(), "binary of") {
		t.Errorf("over the in-memory bound: %v", err)
	}
}
