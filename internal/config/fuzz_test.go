package config

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/rules"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "rules: null", "rules: [1]", "exemptions: {}", "rules:\n  PAL-001: *a\n", "a: &a [*a]",
		"rules:\n  PAL-022:\n    params:\n      paths: \"/etc, /root\"\n", "rules:\n  PAL-022: {params: {paths: [1, \"/x\"]}}\n",
		"rules:\n  PAL-023: {params: {namespaces: [\"a[\", b], minLength: 8}}\n", "rules:\n  PAL-024: {params: {mode: report}}\n",
		"exemptions:\n  - {reason: r, names: [\"x[\"]}\n", "podTemplatePaths:\n  - {group: \"*\", kind: W, path: spec.template}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, knownRule, ruleParams)
		if err != nil {
			if cfg != nil {
				t.Errorf("config returned with error %v", err)
			}
			if err.Error() == "" {
				t.Errorf("empty error message")
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config without an error")
		}
		// What Parse accepts is valid: the gate, rules and exemptions can be used as is.
		for id, rc := range cfg.Rules {
			if _, custom := cfg.Catalog().Get(id); custom && !knownRule(id) {
				if len(rc.Params) > 0 {
					t.Errorf("parameters of custom rule %s accepted", id)
				}
				continue
			}
			if !knownRule(id) {
				t.Errorf("unknown rule %q accepted", id)
			}
			for p, v := range rc.Params {
				var decl *rules.Param
				for _, d := range ruleParams(id) {
					if d.Name == p {
						decl = &d
					}
				}
				if decl == nil {
					t.Errorf("unknown parameter %q of %s accepted", p, id)
					continue
				}
				// Accepted values have the declared type and syntax.
				items, isList := v.([]string)
				if s, isStr := v.(string); isStr && !decl.IsList() {
					items = []string{s}
				} else if !isList || !decl.IsList() {
					t.Errorf("%s %s = %#v accepted for %#v", id, p, v, decl.Default)
				}
				for _, it := range items {
					switch decl.Syntax {
					case rules.Glob:
						if _, err := path.Match(it, ""); err != nil {
							t.Errorf("%s %s: malformed pattern %q accepted", id, p, it)
						}
					case rules.Path:
						if !strings.HasPrefix(it, "/") {
							t.Errorf("%s %s: relative path %q accepted", id, p, it)
						}
					case rules.Integer:
						if n, err := strconv.Atoi(strings.TrimSpace(it)); err != nil || n < 0 {
							t.Errorf("%s %s: %q accepted as a number", id, p, it)
						}
					}
					if len(decl.Values) > 0 && !slices.Contains(decl.Values, it) {
						t.Errorf("%s %s: %q accepted", id, p, it)
					}
				}
			}
		}
		for _, tp := range cfg.PodTemplatePaths {
			if tp.Kind == "" || tp.Path == "" || strings.Contains(tp.Path, "..") || (tp.Group != "*" && strings.Contains(tp.Group, "*")) {
				t.Errorf("unusable podTemplatePath accepted: %+v", tp)
			}
		}
		for _, e := range cfg.Exemptions {
			for _, g := range slices.Concat(e.Rules, e.Namespaces, e.Kinds, e.Names) {
				if _, err := path.Match(g, ""); err != nil {
					t.Errorf("malformed exemption pattern %q accepted", g)
				}
			}
			if strings.TrimSpace(e.Reason) == "" {
				t.Errorf("exemption without reason accepted: %+v", e)
			}
			if e.Expires != "" {
				if _, err := time.Parse("2006-01-02", e.Expires); err != nil {
					t.Errorf("bad expires accepted: %q", e.Expires)
				}
			}
		}
	})
}
