package software

import (
	"context"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
)

// TestWalk checks the list of files Catalog gives every cataloger: regular files
// only, with mode and size, none of /proc, /sys or /dev, and the list given to Env
// is used as is.
func TestWalk(t *testing.T) {
	fsys := fstest.MapFS{
		"usr/bin/app":        {Data: []byte("12345"), Mode: 0o755},
		"usr/lib/x.so":       {Data: []byte("1"), Mode: 0o644},
		"usr/lib/link":       {Data: []byte("x.so"), Mode: fs.ModeSymlink},
		"proc/1/status":      {Data: []byte("x")},
		"sys/kernel/x":       {Data: []byte("x")},
		"dev/null":           {Mode: fs.ModeDevice},
		"var/lib/proc/x.txt": {Data: []byte("x")},
		"etc":                {Mode: fs.ModeDir | 0o755},
	}
	want := []File{
		{Name: "usr/bin/app", Mode: 0o755, Size: 5},
		{Name: "usr/lib/x.so", Mode: 0o644, Size: 1},
		{Name: "var/lib/proc/x.txt", Mode: 0, Size: 1},
	}
	got := Walk(context.Background(), fsys)
	if !slices.Equal(got, want) {
		t.Errorf("Walk = %+v, want %+v", got, want)
	}
	if got := (Env{Files: want[:1]}).FilesOf(context.Background(), fsys); !slices.Equal(got, want[:1]) {
		t.Errorf("FilesOf with Files = %+v", got)
	}
	if got := (Env{}).FilesOf(context.Background(), fstest.MapFS{}); got == nil || len(got) != 0 {
		t.Errorf("FilesOf of an empty filesystem = %#v, want empty, not nil", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Walk(ctx, fsys); len(got) != 0 {
		t.Errorf("Walk after cancel = %+v", got)
	}
}
