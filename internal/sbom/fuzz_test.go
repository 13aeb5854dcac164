package sbom

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-k8s/palisade/internal/software"
)

// FuzzRead: Read never panics on hostile input, and what it reads can be written
// again in both formats.
func FuzzRead(f *testing.F) {
	fixedTime(f)
	for _, name := range []string{"cyclonedx-1.4.json", "spdx-2.2.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Small documents of Palisade's own (small seeds keep the fuzzer fast).
	small := richSubject()
	small.Software.Packages = small.Software.Packages[:2]
	small.Software.Packages[1].Licenses = []string{"MIT OR Apache-2.0"}
	var b bytes.Buffer
	if err := WriteCycloneDX(&b, small, testTool); err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	if err := WriteSPDX(&b, small, testTool); err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(b.Bytes()))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","purl":"pkg:npm/%40a/b@1?x=y#sub"}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","name":"a","primaryPackagePurpose":"OPERATING_SYSTEM"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		if len(s.Software.Packages) > MaxPackages {
			t.Fatalf("%d packages", len(s.Software.Packages))
		}
		if err := WriteCycloneDX(io.Discard, *s, testTool); err != nil {
			t.Fatalf("WriteCycloneDX of what Read gave: %v", err)
		}
		if err := WriteSPDX(io.Discard, *s, testTool); err != nil {
			t.Fatalf("WriteSPDX of what Read gave: %v", err)
		}
	})
}

// benchSubject is an image of n packages of every ecosystem.
func benchSubject(n int) Subject {
	s := richSubject()
	base := s.Software.Packages
	s.Software.Packages = make([]software.Package, 0, n)
	for i := 0; len(s.Software.Packages) < n; i++ {
		for _, p := range base {
			if len(s.Software.Packages) == n {
				break
			}
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			p.PURL = fmt.Sprintf("pkg:%s/bench-%d@%s", p.Ecosystem, i, "1.0")
			s.Software.Packages = append(s.Software.Packages, p)
		}
	}
	return s
}

func BenchmarkWriteCycloneDX(b *testing.B) {
	s := benchSubject(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCycloneDX(io.Discard, s, testTool); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSPDX(b *testing.B) {
	s := benchSubject(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSPDX(io.Discard, s, testTool); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	s := benchSubject(10_000)
	for _, w := range []struct {
		name  string
		write func(io.Writer, Subject, Tool) error
	}{{"cyclonedx", WriteCycloneDX}, {"spdx", WriteSPDX}} {
		var doc bytes.Buffer
		if err := w.write(&doc, s, testTool); err != nil {
			b.Fatal(err)
		}
		b.Run(w.name, func(b *testing.B) {
			b.SetBytes(int64(doc.Len()))
			b.ReportAllocs()
			for b.Loop() {
				got, err := Read(bytes.NewReader(doc.Bytes()), "bench.json")
				if err != nil || len(got.Software.Packages) != 10_000 {
					b.Fatal(err)
				}
			}
		})
	}
}
