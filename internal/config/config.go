// Package config reads .palisade.yaml: which rules run, at what severity, with what
// parameters, which objects are exempt and why, and where custom kinds keep their
// pod templates. Unknown keys and unknown rule IDs are errors that name the line.
// It also selects the registered rules a run uses (EnabledRules): the scan and the
// admission webhook share that choice without either importing the other.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/celrule"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/workload"
	"github.com/palisade-k8s/palisade/internal/yamlpos"
)

// FileName is the configuration file looked up from the working directory upward.
const FileName = ".palisade.yaml"

// Config is the parsed configuration.
type Config struct {
	// Path is the file it was read from ("" for defaults).
	Path string `yaml:"-"`
	// Rules holds per-rule settings by rule ID.
	Rules map[string]RuleConfig `yaml:"rules"`
	// Exemptions hide findings on matching objects; each needs a reason.
	Exemptions []Exemption `yaml:"exemptions"`
	// PSSVersion is the Pod Security Standards version ("latest" by default).
	PSSVersion string `yaml:"pssVersion"`
	// PodSecurityLevel is the Pod Security Standards level workloads are held to:
	// "restricted" (default) or "baseline", which leaves out the rules of the
	// restricted profile unless a rule is enabled explicitly.
	PodSecurityLevel string `yaml:"podSecurityLevel"`
	// FailOn is the default gate severity.
	FailOn string `yaml:"failOn"`
	// PodTemplatePaths teaches Palisade where custom kinds keep their pod template.
	PodTemplatePaths []workload.TemplatePath `yaml:"podTemplatePaths"`
	// Webhook configures the admission webhook (see Webhook).
	Webhook Webhook `yaml:"webhook"`
	// Images configures what is known of images: the signature policy
	// (images.verify, images.trustedRoot, images.default) of PAL-115 and PAL-116, in
	// scan --images, cluster --images, image verify and the webhook.
	Images Images `yaml:"images"`
	// CustomRules are the configuration's own rules, written in CEL
	// (internal/celrule), compiled when the file is parsed; Catalog includes them.
	CustomRules []celrule.Spec `yaml:"customRules"`
	// Policies are files or directories of ValidatingAdmissionPolicies, their
	// bindings and parameter resources (relative to the configuration file), applied
	// by scan, cluster and the webhook like --policy.
	Policies []string `yaml:"policies"`

	// catalog is the registry plus the compiled CustomRules (nil: the registry).
	catalog *rules.Catalog
}

// Catalog is the rules this configuration knows: the registry and its custom rules.
func (c *Config) Catalog() *rules.Catalog {
	if c == nil || c.catalog == nil {
		return rules.Builtin()
	}
	return c.catalog
}

// CustomRule returns the definition of a custom rule of the configuration by ID
// (case-insensitive).
func (c *Config) CustomRule(id string) (celrule.Spec, bool) {
	if c != nil {
		for _, s := range c.CustomRules {
			if strings.EqualFold(s.ID, id) {
				return s, true
			}
		}
	}
	return celrule.Spec{}, false
}

// Images is the images section of the configuration.
type Images struct {
	signature.Policy `yaml:",inline"`
}

// RuleConfig tunes one rule.
type RuleConfig struct {
	Enabled  *bool             `yaml:"enabled"`
	Severity *finding.Severity `yaml:"severity"`
	Params   map[string]any    `yaml:"params"`
	// ParamLines are the lines of the parameters in the file, for errors about their
	// values.
	ParamLines map[string]int `yaml:"-"`
}

// Exemption matches objects by namespace, kind, name (globs) and labels; empty fields
// match everything. Rules lists rule IDs or globs; empty means all rules.
type Exemption struct {
	Rules      []string          `yaml:"rules"`
	Namespaces []string          `yaml:"namespaces"`
	Kinds      []string          `yaml:"kinds"`
	Names      []string          `yaml:"names"`
	Labels     map[string]string `yaml:"labels"`
	// Users (globs) match the identity of an audit finding (palisade audit, the
	// webhook's /audit): its actor or, for an impersonated request, the user that
	// impersonated it. An exemption with users matches only audit findings.
	Users  []string `yaml:"users"`
	Reason string   `yaml:"reason"`
	// Expires (YYYY-MM-DD) ends the exemption: after it, findings resurface.
	Expires string `yaml:"expires"`
	// Line is where the exemption starts in the file.
	Line int `yaml:"-"`
}

// Find looks for FileName in dir and its parents; "" if there is none.
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads and validates a configuration file. knownRule reports whether a rule ID
// exists; params returns the parameters a rule declares, which the configured values
// are checked against (rules.ParamsOf for the registered rules).
func Load(path string, knownRule func(id string) bool, params func(id string) []rules.Param) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, knownRule, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	return cfg, nil
}

// Parse reads and validates configuration bytes. Rule parameters are checked against
// their declarations (rules.Param.CheckValue) and stored as rules read them: a
// []string for a list, a string for one value.
func Parse(data []byte, knownRule func(id string) bool, params func(id string) []rules.Param) (*Config, error) {
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	// A bad severity of a custom rule fails the decode below without a line.
	if cr := mapChild(&root, "customRules"); cr != nil && cr.Kind == yaml.SequenceNode {
		for _, item := range cr.Content {
			s := mapChild(item, "severity")
			if s == nil || s.Kind != yaml.ScalarNode || s.Tag == "!!null" {
				continue
			}
			if _, err := finding.ParseSeverity(s.Value); err != nil {
				id := "?"
				if n := mapChild(item, "id"); n != nil && n.Kind == yaml.ScalarNode {
					id = n.Value
				}
				return nil, fmt.Errorf("line %d: customRules[%s]: severity: %v", s.Line, id, err)
			}
		}
	}
	rulesNode := mapChild(&root, "rules")
	// A bad severity fails the decode below without a line; check it here first.
	if rulesNode != nil && rulesNode.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(rulesNode.Content); i += 2 {
			s := mapChild(rulesNode.Content[i+1], "severity")
			if s == nil || s.Kind != yaml.ScalarNode || s.Tag == "!!null" {
				continue
			}
			if _, err := finding.ParseSeverity(s.Value); err != nil {
				return nil, fmt.Errorf("line %d: rule %s: %v", s.Line, rulesNode.Content[i].Value, err)
			}
		}
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, cleanYAMLError(err, data)
	}
	var errs []string
	// The custom rules are rules like the registered ones: the rest of the file may
	// configure, exempt and select them.
	knownRule, params, errs = cfg.compileCustom(&root, knownRule, params)
	for id, rc := range cfg.Rules {
		line := keyLine(rulesNode, id)
		if !knownRule(id) {
			errs = append(errs, fmt.Sprintf("line %d: unknown rule %q", line, id))
			continue
		}
		declared := params(id)
		paramsNode := mapChild(mapChild(rulesNode, id), "params")
		for p, v := range rc.Params {
			pline := keyLine(paramsNode, p)
			if pline == 0 {
				pline = line
			}
			i := slices.IndexFunc(declared, func(d rules.Param) bool { return d.Name == p })
			if i < 0 {
				var names []string
				for _, d := range declared {
					names = append(names, d.Name)
				}
				errs = append(errs, fmt.Sprintf("line %d: rule %s has no parameter %q (has: %s)", pline, id, p, strings.Join(names, ", ")))
				continue
			}
			value, err := declared[i].CheckValue(v)
			if err != nil {
				// An item is named by its own line.
				var ie *rules.ItemError
				if seq := mapChild(paramsNode, p); errors.As(err, &ie) && seq != nil && seq.Kind == yaml.SequenceNode && ie.Index < len(seq.Content) {
					pline = seq.Content[ie.Index].Line
				}
				errs = append(errs, fmt.Sprintf("line %d: rule %s parameter %s: %v", pline, id, p, err))
				continue
			}
			rc.Params[p] = value
			if rc.ParamLines == nil {
				rc.ParamLines = map[string]int{}
				cfg.Rules[id] = rc
			}
			rc.ParamLines[p] = pline
		}
	}
	exNodes := make([]*yaml.Node, len(cfg.Exemptions))
	if ex := mapChild(&root, "exemptions"); ex != nil && ex.Kind == yaml.SequenceNode {
		for i := range cfg.Exemptions {
			if i < len(ex.Content) {
				cfg.Exemptions[i].Line = ex.Content[i].Line
				exNodes[i] = ex.Content[i]
			}
		}
	}
	// lineIn is the line of a field of exemption i, or the exemption's own line.
	lineIn := func(i int, key, item string) int {
		n := exNodes[i]
		if n == nil {
			return cfg.Exemptions[i].Line
		}
		if item == "" {
			if l := keyLine(n, key); l != 0 {
				return l
			}
		} else if seq := mapChild(n, key); seq != nil && seq.Kind == yaml.SequenceNode {
			for _, it := range seq.Content {
				if it.Value == item {
					return it.Line
				}
			}
		}
		return cfg.Exemptions[i].Line
	}
	for i, e := range cfg.Exemptions {
		if strings.TrimSpace(e.Reason) == "" {
			errs = append(errs, fmt.Sprintf("line %d: exemption needs a reason", e.Line))
		}
		if e.Expires != "" {
			if _, err := time.Parse("2006-01-02", e.Expires); err != nil {
				errs = append(errs, fmt.Sprintf("line %d: expires %q is not a date (YYYY-MM-DD)", lineIn(i, "expires", ""), e.Expires))
			}
		}
		for _, r := range e.Rules {
			if !strings.ContainsAny(r, "*?[") && !knownRule(r) {
				errs = append(errs, fmt.Sprintf("line %d: exemption names unknown rule %q", lineIn(i, "rules", r), r))
			}
		}
		for key, globs := range map[string][]string{"rules": e.Rules, "namespaces": e.Namespaces, "kinds": e.Kinds, "names": e.Names, "users": e.Users} {
			for _, g := range globs {
				if err := rules.CheckGlob(g); err != nil {
					errs = append(errs, fmt.Sprintf("line %d: exemption %s: %q: %v", lineIn(i, key, g), key, g, err))
				}
			}
		}
	}
	errs = append(errs, validateTemplatePaths(cfg.PodTemplatePaths, mapChild(&root, "podTemplatePaths"))...)
	if err := ValidLevel(cfg.PodSecurityLevel); err != nil {
		errs = append(errs, fmt.Sprintf("line %d: podSecurityLevel: %v", keyLine(top(&root), "podSecurityLevel"), err))
	}
	if cfg.FailOn != "" {
		if _, _, err := finding.ParseGate(cfg.FailOn); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: failOn: %v", keyLine(top(&root), "failOn"), err))
		}
	}
	errs = append(errs, validateWebhook(&cfg.Webhook, &root, knownRule)...)
	errs = append(errs, validateImages(&cfg.Images, &root)...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return cfg, nil
}

// compileCustom compiles the custom rules (celrule.Compile) into the
// configuration's catalog, and returns knownRule and params extended with them and
// the problems, each naming its line.
func (c *Config) compileCustom(root *yaml.Node, knownRule func(string) bool, params func(string) []rules.Param) (func(string) bool, func(string) []rules.Param, []string) {
	if len(c.CustomRules) == 0 {
		return knownRule, params, nil
	}
	celrule.Locate(c.CustomRules, mapChild(root, "customRules"))
	custom, err := celrule.Compile(c.CustomRules)
	if err != nil {
		return knownRule, params, splitErrors(err)
	}
	c.catalog, err = rules.NewCatalog(custom...)
	if err != nil {
		return knownRule, params, []string{fmt.Sprintf("line %d: customRules: %v", keyLine(top(root), "customRules"), err)}
	}
	ids := map[string]bool{}
	for _, r := range custom {
		ids[strings.ToUpper(r.ID)] = true
	}
	known := func(id string) bool { return ids[strings.ToUpper(id)] || knownRule(id) }
	declared := func(id string) []rules.Param {
		if ids[strings.ToUpper(id)] {
			return nil // a custom rule has no parameters
		}
		return params(id)
	}
	return known, declared, nil
}

// splitErrors lists the errors joined in err (errors.Join), one per line of text.
func splitErrors(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// ValidLevel checks a Pod Security level setting ("" means the default, restricted).
func ValidLevel(level string) error {
	switch level {
	case "", "baseline", "restricted":
		return nil
	}
	return fmt.Errorf("%q is not a Pod Security level palisade holds workloads to (baseline or restricted)", level)
}

func cleanYAMLError(err error, data []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// A syntax error: name the line the way manifest errors do (an encoding error,
		// which yaml.v3 gives no line, on the line of its first bad character).
		if line, msg := yamlpos.Locate(err, data); line > 0 {
			return fmt.Errorf("line %d: invalid YAML: %s", line, msg)
		}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
		lines[i] = strings.Replace(lines[i], "not found in type", "is not a known key in", 1)
	}
	return errors.New(strings.Join(lines, "; "))
}

func mapChild(n *yaml.Node, key string) *yaml.Node {
	n = top(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// top is the root node of a document node, else n.
func top(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

func keyLine(n *yaml.Node, key string) int {
	if n == nil || n.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return 0
}

// WithParam returns a copy of the configuration with one rule parameter set (a flag
// that overrides the file); the receiver is not changed.
func (c *Config) WithParam(ruleID, name string, value any) *Config {
	out := *c
	out.Rules = make(map[string]RuleConfig, len(c.Rules)+1)
	for id, rc := range c.Rules {
		out.Rules[id] = rc
	}
	rc := out.Rules[ruleID]
	params := make(map[string]any, len(rc.Params)+1)
	for k, v := range rc.Params {
		params[k] = v
	}
	params[name] = value
	rc.Params = params
	out.Rules[ruleID] = rc
	return &out
}

// validateTemplatePaths checks podTemplatePaths: a kind (no pattern: kinds are
// matched exactly), a group (exact, or "*" for any group) and a dotted path of field
// names. node is the podTemplatePaths sequence, for lines.
func validateTemplatePaths(tps []workload.TemplatePath, node *yaml.Node) []string {
	var errs []string
	for i, tp := range tps {
		line := 0
		var item *yaml.Node
		if node != nil && node.Kind == yaml.SequenceNode && i < len(node.Content) {
			item = node.Content[i]
			line = item.Line
		}
		at := func(key string) int {
			if l := keyLine(item, key); l != 0 {
				return l
			}
			return line
		}
		switch {
		case tp.Kind == "":
			errs = append(errs, fmt.Sprintf("line %d: podTemplatePaths: kind is missing", line))
		case strings.ContainsAny(tp.Kind, "*?[]\\/. "):
			errs = append(errs, fmt.Sprintf("line %d: podTemplatePaths: kind %q is not a kind name (kinds are matched exactly, without patterns)", at("kind"), tp.Kind))
		}
		if tp.Group != "*" && strings.ContainsAny(tp.Group, "*?[]\\/ ") {
			errs = append(errs, fmt.Sprintf("line %d: podTemplatePaths: group %q is not a group name or \"*\" (any group)", at("group"), tp.Group))
		}
		if tp.Path == "" || slices.Contains(strings.Split(tp.Path, "."), "") || strings.ContainsAny(tp.Path, "*?[]\\/ ") {
			errs = append(errs, fmt.Sprintf("line %d: podTemplatePaths: path %q is not a dotted path of field names (spec.template)", at("path"), tp.Path))
		}
	}
	return errs
}
