package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Catalog is the set of rules one run knows: the registry plus the rules built for
// the run (custom CEL rules of the configuration: internal/celrule). Everything
// that lists, selects, explains or maps rules (config.EnabledRules, `palisade
// rules`, `explain`, compliance views, report metadata) reads a Catalog, so a custom
// rule is a rule like any built-in. A Catalog is immutable once made.
type Catalog struct {
	extra map[string]*Rule
	all   []*Rule
}

// NewCatalog is the registry plus extra rules. Each extra rule is checked with
// Validate; an ID that clashes with a registered rule or another extra rule is an
// error.
func NewCatalog(extra ...*Rule) (*Catalog, error) {
	c := &Catalog{extra: map[string]*Rule{}}
	for _, r := range extra {
		if err := Validate(r); err != nil {
			return nil, err
		}
		id := strings.ToUpper(r.ID)
		if registry[id] != nil || c.extra[id] != nil {
			return nil, fmt.Errorf("duplicate rule %s", r.ID)
		}
		if r.tags == nil {
			r.tags = r.Frameworks.Tags()
		}
		c.extra[id] = r
	}
	c.all = All()
	for _, r := range c.extra {
		c.all = append(c.all, r)
	}
	sort.Slice(c.all, func(i, j int) bool { return c.all[i].ID < c.all[j].ID })
	return c, nil
}

// Builtin is the catalog of the registry alone.
func Builtin() *Catalog {
	c, _ := NewCatalog()
	return c
}

// All returns every rule of the catalog, ordered by ID.
func (c *Catalog) All() []*Rule {
	if c == nil {
		return All()
	}
	return append([]*Rule(nil), c.all...)
}

// Get returns a rule by ID (case-insensitive).
func (c *Catalog) Get(id string) (*Rule, bool) {
	if c != nil {
		if r, ok := c.extra[strings.ToUpper(id)]; ok {
			return r, true
		}
	}
	return Get(id)
}

// Extra returns the rules built for the run (not registered), ordered by ID.
func (c *Catalog) Extra() []*Rule {
	if c == nil {
		return nil
	}
	var out []*Rule
	for _, r := range c.all {
		if c.extra[strings.ToUpper(r.ID)] == r {
			out = append(out, r)
		}
	}
	return out
}

// ParamsOf returns the parameters a rule of the catalog declares.
func (c *Catalog) ParamsOf(id string) []Param {
	if r, ok := c.Get(id); ok {
		return r.Params
	}
	return nil
}
