package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// Error is a usage or configuration problem: a bad file, flag or rule selection
// (exit code 2).
type Error struct{ Err error }

func (e Error) Error() string { return e.Err.Error() }
func (e Error) Unwrap() error { return e.Err }

// Resolve is the configuration a command runs with: the file at path, else the one
// Find finds from dir upward, else defaults. It is validated against the registered
// rules and their parameters; problems are an Error.
func Resolve(path, dir string) (*Config, error) {
	if path == "" {
		path = Find(dir)
		if path == "" {
			return &Config{}, nil
		}
	}
	cfg, err := Load(path, registered, rules.ParamsOf)
	if err != nil {
		return nil, Error{err}
	}
	return cfg, nil
}

// ParseFile validates configuration bytes read from path (which only names them in
// errors) against the registered rules, as Resolve does a file. The webhook reads its
// file once per change and parses what it read.
func ParseFile(data []byte, path string) (*Config, error) {
	cfg, err := Parse(data, registered, rules.ParamsOf)
	if err != nil {
		return nil, Error{fmt.Errorf("%s: %w", path, err)}
	}
	cfg.Path = path
	return cfg, nil
}

// registered reports whether a rule with this ID is registered.
func registered(id string) bool {
	_, ok := rules.Get(id)
	return ok
}

// EnabledRules applies the configuration and the include/exclude selections to the
// registry: disabled rules are left out and severities overridden (on copies; the
// registry is never changed). A pattern that matches no rule is an error, so a typo
// never silently turns a rule off or the whole scan into nothing.
func EnabledRules(cfg *Config, include, exclude []string) ([]*rules.Rule, error) {
	all := cfg.Catalog().All()
	for _, p := range append(append([]string{}, include...), exclude...) {
		if !matchesAny(all, p) {
			return nil, Error{fmt.Errorf("no rule matches %q (see `palisade rules`)", p)}
		}
	}
	var out []*rules.Rule
	on := map[string]bool{}
	for _, r := range all {
		rc, ok := cfg.Rules[r.ID]
		if ok && rc.Enabled != nil && !*rc.Enabled {
			continue
		}
		if (len(include) > 0 && !idMatches(include, r.ID)) || idMatches(exclude, r.ID) {
			continue
		}
		if r.OptIn && !idMatches(include, r.ID) && !(ok && rc.Enabled != nil && *rc.Enabled) {
			continue
		}
		// At the baseline level the restricted profile's rules stay out unless the
		// configuration turns one on by name.
		if cfg.PodSecurityLevel == "baseline" && r.Frameworks.PSS == "restricted" && !(ok && rc.Enabled != nil && *rc.Enabled) {
			continue
		}
		on[r.ID] = true
	}
	for _, r := range all {
		if !on[r.ID] || (r.CoveredBy != "" && on[r.CoveredBy]) {
			continue
		}
		rc, ok := cfg.Rules[r.ID]
		if ok && rc.Severity != nil {
			c := *r
			c.Severity = *rc.Severity
			r = &c
		}
		out = append(out, r)
	}
	return out, nil
}

func idMatches(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToUpper(p), id); ok {
			return true
		}
	}
	return false
}

func matchesAny(rs []*rules.Rule, pattern string) bool {
	for _, r := range rs {
		if idMatches([]string{pattern}, r.ID) {
			return true
		}
	}
	return false
}
