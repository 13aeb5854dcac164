package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
)

// auditJSON is the shape cargo-auditable embeds (format 1).
const auditJSON = `{"format":1,"packages":[
{"name":"adler","version":"1.0.2","source":"crates.io"},
{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
{"name":"rustls","version":"0.21.6","source":"crates.io","dependencies":[0]},
{"name":"fork","version":"0.1.0","source":"git"},
{"name":"app","version":"0.3.0","source":"local","dependencies":[0,1,2,3],"root":true}]}`

const want = "pkg:cargo/adler@1.0.2 pkg:cargo/rustls@0.21.6 pkg:cargo/fork@0.1.0 pkg:cargo/app@0.3.0"

func zlibOf(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

// TestObjcopySection adds a .dep-v0 section to a real ELF executable with
// objcopy, as the linker does for cargo-auditable, and reads it back.
func TestObjcopySection(t *testing.T) {
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		t.Skip("no objcopy")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "audit.z")
	if err := os.WriteFile(data, zlibOf(t, auditJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "app")
	if out, err := exec.Command(objcopy, "--add-section", SectionName+"="+data, exe, bin).CombinedOutput(); err != nil {
		t.Skipf("objcopy cannot rewrite this binary: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"usr/bin/app":   {Data: b, Mode: 0o755},
		"usr/bin/plain": {Data: mustRead(t, exe), Mode: 0o755},
		"usr/bin/bad":   {Data: append([]byte("\x7fELF"), make([]byte, 100)...), Mode: 0o755},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
		if p.Location.Path != "/usr/bin/app" || p.Ecosystem != software.Cargo {
			t.Errorf("%+v", p)
		}
	}
	if strings.Join(got, " ") != want || len(probs) != 0 {
		t.Errorf("got %v %v, want %s", got, probs, want)
	}
}

func mustRead(t *testing.T, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	pkgs, err := Parse([]byte(auditJSON))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
	}
	if strings.Join(got, " ") != want {
		t.Errorf("got %v", got)
	}
	if _, err := Parse([]byte(`{"packages":{`)); err == nil {
		t.Errorf("malformed JSON accepted")
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Read(bytes.NewReader(b))
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(auditJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b)
	})
}

func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"packages":[`)
	for i := 0; i < 400; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"name":"crate` + strings.Repeat("x", i%9) + `","version":"1.0.` + string(rune('0'+i%10)) + `","source":"crates.io","dependencies":[0,1,2]}`)
	}
	sb.WriteString(`]}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
