package load

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// The configuration file parsers read hostile input: they never panic, place every
// error and every field on a line of the file, and give one object (or, for TOML,
// an error) per file.

var configSeeds = map[string][]string{
	formatDotenv: {
		"export A=1\nB=\"x\\ny\"\nC='lit'\nD=\"multi\nline\" # c\n# comment\nbad line\n",
		"A=\"open\n", "A=`tick`\nsops_version=1\nsops_mac=x\n", "\xef\xbb\xbfA=1\r\nB=2\r\n", "=\n export\n",
	},
	formatINI: {
		"[a]\nk = v\n  cont\n; c\n# c\n[b\nno\nx: y\n", "[sops]\nmac=x\nversion=1\n", "k=\"q\"\n",
	},
	formatNpmrc: {
		"//registry.example.org/:_authToken=${T}\n@s:registry=https://x/\nalways-auth\n; c\n",
	},
	formatProperties: {
		"a=b\\\n  c\nk\\ e\\:y : v\nu=\\u00e9\\u12\n! c\n# c\nend\\", "\\", "a\\\n",
	},
	formatTOML: {
		"a = 1\n[t]\nb = 'x'\n[[arr]]\nc = [1, {d = 2}]\n\"q.k\" = \"\"\"m\nl\"\"\"\n",
		"[sops]\nmac = \"x\"\nversion = \"1\"\n", "a = [[[[1]]]]\n", "a = '''x\n", "x.y.z = 1\n[x]\n",
	},
}

func fuzzConfig(f *testing.F, format string) {
	for _, s := range configSeeds[format] {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkConfigParse(t, format, in)
	})
}

func checkConfigParse(t *testing.T, format string, in []byte) {
	opts := &Options{Decode: decodeAll}
	objs, errs := parseConfigFile(document{line: 1, data: in, format: format}, finding.Location{File: "fuzz"}, opts)
	lines := bytes.Count(in, []byte{'\n'}) + 1
	for _, e := range errs {
		if e.Location.Line < 1 || e.Location.Line > lines {
			t.Errorf("error on line %d of %d: %+v", e.Location.Line, lines, e)
		}
		if e.Location.File != "fuzz" || e.Message == "" {
			t.Errorf("error without its file or message: %+v", e)
		}
	}
	if len(objs) > 1 || format != formatTOML && len(objs) != 1 || len(objs) == 0 && len(errs) == 0 {
		t.Fatalf("%d objects, %d errors", len(objs), len(errs))
	}
	for _, o := range objs {
		if !o.IsConfigFile() || o.Config.Format != format || o.Body == nil {
			t.Fatalf("object %+v", o)
		}
		if _, ok := o.Body["data"].(map[string]any); !ok {
			t.Errorf("data is %T, want a mapping", o.Body["data"])
		}
		for p, l := range o.Lines.All() {
			if l < 1 || l > lines {
				t.Errorf("field %s on line %d of %d", p, l, lines)
			}
		}
		// Every field of the data has its line.
		walkFields("data", o.Body["data"], func(path string) {
			if _, ok := o.Lines.Line(path); !ok {
				t.Errorf("field %s has no line", path)
			}
		})
	}
}

// walkFields calls fn with the path of every field below v (at path).
func walkFields(path string, v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := inventory.FieldPath(path, k)
			fn(p)
			walkFields(p, e, fn)
		}
	case []any:
		for i, e := range v {
			p := path + "[" + strconv.Itoa(i) + "]"
			fn(p)
			walkFields(p, e, fn)
		}
	}
}

func FuzzDotenv(f *testing.F)     { fuzzConfig(f, formatDotenv) }
func FuzzINI(f *testing.F)        { fuzzConfig(f, formatINI) }
func FuzzNpmrc(f *testing.F)      { fuzzConfig(f, formatNpmrc) }
func FuzzProperties(f *testing.F) { fuzzConfig(f, formatProperties) }
func FuzzTOML(f *testing.F)       { fuzzConfig(f, formatTOML) }
