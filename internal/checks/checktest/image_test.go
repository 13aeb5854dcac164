package checktest

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

const rootImage = `config:
  user: root
layers:
- files:
  - {path: /app, type: dir}
`

// TestImageFixtures proves the image fixtures fail in each way they can be wrong.
func TestImageFixtures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{{
		name: "right",
		files: map[string]string{
			"fail.image.yaml": rootImage + "want:\n- {rule: PAL-120, path: config.User, message: 'User \"root\"'}\n",
			"pass.image.yaml": "config:\n  user: \"1000\"\n",
		},
	}, {
		name: "unexpected finding",
		files: map[string]string{
			"fail.image.yaml": rootImage + "want:\n- {rule: PAL-120, path: config.User}\n",
			"pass.image.yaml": "config:\n  user: \"0\"\n",
		},
		want: []string{"pass.image.yaml: unexpected finding PAL-120 at config.User (layer -1)"},
	}, {
		name: "missing finding",
		files: map[string]string{
			"fail.image.yaml": "config:\n  user: \"1000\"\nwant:\n- {rule: PAL-120, path: config.User}\n",
			"pass.image.yaml": "config:\n  user: \"1000\"\n",
		},
		want: []string{"fail.image.yaml: missing finding PAL-120 at config.User"},
	}, {
		name: "wrong layer and message",
		files: map[string]string{
			"fail.image.yaml": rootImage + "want:\n- {rule: PAL-120, path: config.User, layer: 0, message: nobody}\n",
			"pass.image.yaml": "config:\n  user: \"1000\"\n",
		},
		want: []string{"unexpected finding PAL-120 at config.User", `missing finding PAL-120 at config.User (layer 0) matching "nobody"`},
	}, {
		name: "no want in a fail fixture, want in a pass fixture, unknown field",
		files: map[string]string{
			"fail.image.yaml": "config:\n  user: \"1000\"\n",
			"pass.image.yaml": "config:\n  user: \"1000\"\n  usr: x\n",
		},
		want: []string{"fail.image.yaml: a fail fixture lists no finding of PAL-120", "pass.image.yaml: yaml: unmarshal errors"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := Check(fixtureDirT(t, "PAL-120", tc.files))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "\n")
			if len(tc.want) == 0 && len(problems) > 0 {
				t.Fatalf("problems:\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q:\n%s", w, got)
				}
			}
		})
	}
}

func fixtureDirT(t *testing.T, rule string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir() + "/" + rule
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text), Mode: 0o644}
	}
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMemImage checks the merged view against testing/fstest and the layer views.
func TestMemImage(t *testing.T) {
	file := func(p, content string) ImageFile {
		return ImageFile{ImageEntry: inventory.ImageEntry{Path: p, Mode: 0o644}, Content: []byte(content)}
	}
	layers := [][]ImageFile{
		{file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n"), file("/app/a", "1"), file("/app/sub/b", "2"), file("/old", "x")},
		{file("/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"), {ImageEntry: inventory.ImageEntry{Path: "/app"}, Deleted: true}},
		{{ImageEntry: inventory.ImageEntry{Path: "/old"}, Deleted: true}, file("/app/c", "3")},
	}
	if err := fstest.TestFS(NewMemImage(layers), "etc/passwd", "app/c"); err != nil {
		t.Fatal(err)
	}
	layers[0] = append(layers[0], ImageFile{ImageEntry: inventory.ImageEntry{Path: "/usr/bin/big", Mode: 0o755, Size: 1 << 20}})
	m := NewMemImage(layers)
	if _, err := m.Open("usr/bin/big"); err == nil || !strings.Contains(err.Error(), inventory.ErrNotKept.Error()) {
		t.Errorf("opening a file not kept: %v", err)
	}
	if st, err := fs.Stat(m, "usr/bin/big"); err != nil || st.Size() != 1<<20 {
		t.Errorf("stat of a file not kept: %v, %v", st, err)
	}
	for _, gone := range []string{"old", "app/a", "app/sub/b", "app/sub"} {
		if _, err := fs.Stat(m, gone); err == nil {
			t.Errorf("%s is visible", gone)
		}
	}
	var hidden []string
	_ = m.Walk(func(e *inventory.ImageEntry) error {
		if !e.Visible {
			hidden = append(hidden, e.Path)
		}
		return nil
	})
	if got := strings.Join(hidden, " "); got != "/etc/passwd /app/a /app/sub/b /old" {
		t.Errorf("hidden entries %q", got)
	}
	if vs := m.Versions("etc/passwd"); len(vs) != 2 || vs[0].Layer != 0 || vs[1].Layer != 1 || m.LayerOf("etc/passwd") != 1 || m.LayerOf("old") != -1 {
		t.Errorf("versions %+v, layer of /etc/passwd %d", vs, m.LayerOf("etc/passwd"))
	}
}
