package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	for _, s := range []string{"", "rules: null", "rules: [1]", "exemptions: {}", "rules:\n  PAL-001: *a\n", "a: &a [*a]"} {
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
			if !knownRule(id) {
				t.Errorf("unknown rule %q accepted", id)
			}
			for p := range rc.Params {
				if p != "dangerous" && p != "paths" {
					t.Errorf("unknown parameter %q of %s accepted", p, id)
				}
			}
		}
		for _, e := range cfg.Exemptions {
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
