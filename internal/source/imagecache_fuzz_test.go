package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// FuzzCachedFiles reads arbitrary cache entries and looks names up in them: a
// damaged or hostile cache never panics, never loops, and never opens a file outside
// its blobs.
func FuzzCachedFiles(f *testing.F) {
	f.Add([]byte(`{"Path":"/etc/passwd","Layer":0,"Type":0,"Mode":420,"Visible":true,"Kept":true,"blob":true}`+"\n"), "etc/passwd")
	f.Add([]byte(`{"Path":"/a","Type":2,"Link":"/a","Visible":true}`+"\n"), "a/b")
	f.Add([]byte(`{"Path":"/a","Type":2,"Link":"../../../b","Visible":true}`+"\n"+`{"Path":"/b","Type":1,"Visible":true}`+"\n"), "a")
	f.Add([]byte(`{"Path":"/h","Type":3,"Link":"h","Visible":true}`+"\n"), "h")
	f.Add([]byte("not json\n"), ".")
	f.Fuzz(func(t *testing.T, entries []byte, name string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "entries.jsonl"), entries, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := openCachedFiles(dir)
		if err != nil {
			return
		}
		if file, err := c.Open(name); err == nil {
			file.Stat()
			file.Read(make([]byte, 16))
			file.Close()
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, inventory.ErrNotKept) && !errors.Is(err, fs.ErrInvalid) && !strings.Contains(err.Error(), "blobs") {
			t.Errorf("Open(%q): unexpected error %v", name, err)
		}
		c.ReadDir(name)
		c.LayerOf(name)
		for _, v := range c.Versions(name) {
			if file, err := v.Open(); err == nil {
				file.Close()
			}
		}
		_ = c.Walk(func(*inventory.ImageEntry) error { return nil })
	})
}
