package load

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// benchCorpus is the shared real-world corpus beside the checkout.
var benchCorpus = filepath.Join("..", "..", "..", "shared", "corpus")

func corpusFiles(b *testing.B) ([]string, int64) {
	b.Helper()
	var files []string
	var size int64
	err := filepath.WalkDir(benchCorpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && manifestExt(p) {
			st, err := d.Info()
			if err != nil {
				return err
			}
			files = append(files, p)
			size += st.Size()
		}
		return nil
	})
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	return files, size
}

// BenchmarkLoadCorpus is the loader alone: split, parse, headers, and a full decode of
// the kinds that run pods (what a default scan asks for).
func BenchmarkLoadCorpus(b *testing.B) {
	_, size := corpusFiles(b)
	decode := func(apiVersion, kind string) bool {
		switch kind {
		case "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController":
			return true
		}
		return false
	}
	b.SetBytes(size)
	objs := 0
	for b.Loop() {
		r := Load([]string{benchCorpus}, Options{Decode: decode})
		objs = len(r.Inventory.Objects)
	}
	b.ReportMetric(float64(objs)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkYAMLDecodeCorpus is the reference the loader is measured against: a plain,
// single-threaded yaml.v3 decode of every document into generic values.
func BenchmarkYAMLDecodeCorpus(b *testing.B) {
	files, size := corpusFiles(b)
	b.SetBytes(size)
	docs := 0
	for b.Loop() {
		docs = 0
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				b.Fatal(err)
			}
			dec := yaml.NewDecoder(fh)
			for {
				var v any
				err := dec.Decode(&v)
				var te *yaml.TypeError
				if errors.As(err, &te) {
					continue // a repeated key: the stream goes on
				}
				if err != nil {
					if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "yaml") {
						b.Fatal(err)
					}
					break
				}
				docs++
			}
			fh.Close()
		}
	}
	b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkDeepNesting decodes a Pod nested depth levels deep under 200-character keys
// (the shape that took 2.2 GB at 9,000 levels when every field kept its whole path),
// with the path cap lifted: bytes per op grow linearly with the depth.
func BenchmarkDeepNesting(b *testing.B) {
	for _, depth := range []int{1000, 2000, 4000, 8000} {
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			doc := nested(depth, 200)
			opts := &Options{Decode: decodeAll, Limits: Limits{MaxPathBytes: 1 << 62}}
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				objs, errs := parseDocument(document{line: 1, data: doc}, finding.Location{File: "deep.yaml"}, opts)
				if len(objs) != 1 || len(errs) != 0 {
					b.Fatalf("%d objects, errors %v", len(objs), errs)
				}
			}
		})
	}
}

// BenchmarkConfigFiles parses configuration files of each format with 1,000 and
// 10,000 entries (a full decode with the line table, as the credential rules ask
// for): throughput per format, and bytes per op growing linearly with the entries.
// The YAML case is a values file, the baseline the other parsers are read against.
func BenchmarkConfigFiles(b *testing.B) {
	gen := map[string]func(i int) string{
		"yaml":   func(i int) string { return "key" + strconv.Itoa(i) + ": value-" + strconv.Itoa(i) + "\n" },
		"dotenv": func(i int) string { return "KEY_" + strconv.Itoa(i) + "=\"value " + strconv.Itoa(i) + "\"\n" },
		"ini":    func(i int) string { return iniEntry(i) },
		"npmrc": func(i int) string {
			return "//registry" + strconv.Itoa(i) + ".example.org/:_authToken=${TOKEN_" + strconv.Itoa(i) + "}\n"
		},
		"properties": func(i int) string { return "app.key" + strconv.Itoa(i) + " = value" + strconv.Itoa(i) + "\n" },
		"toml":       func(i int) string { return iniEntry(i) },
	}
	names := map[string]string{"yaml": "values.yaml", "dotenv": ".env", "ini": "app.ini", "npmrc": ".npmrc", "properties": "app.properties", "toml": "app.toml"}
	for _, format := range []string{"yaml", "dotenv", "ini", "npmrc", "properties", "toml"} {
		for _, n := range []int{1000, 10000} {
			b.Run(format+"/"+strconv.Itoa(n), func(b *testing.B) {
				var sb strings.Builder
				for i := 0; i < n; i++ {
					sb.WriteString(gen[format](i))
				}
				data := []byte(sb.String())
				base := finding.Location{File: names[format]}
				opts := Options{Decode: decodeAll}
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					r := Stream(base, strings.NewReader(string(data)), opts)
					if len(r.Errors) != 0 || len(r.Inventory.Objects) != 1 || r.Inventory.Objects[0].Lines.Len() < n {
						b.Fatalf("%s: errors %v, %d objects", format, r.Errors, len(r.Inventory.Objects))
					}
				}
			})
		}
	}
}

// iniEntry is a section every 10 entries, then a key = "value" line (INI and TOML).
func iniEntry(i int) string {
	s := ""
	if i%10 == 0 {
		s = "[section" + strconv.Itoa(i/10) + "]\n"
	}
	return s + "key" + strconv.Itoa(i) + " = \"value " + strconv.Itoa(i) + "\"\n"
}
