package load

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAML aliases ("*name") repeat an anchored node, so a few hundred bytes of nested
// aliases can stand for billions of nodes (an alias bomb). The converter expands them,
// so a document is measured before it is decoded: the walk below counts the nodes the
// document expands to, memoizing the size of each anchored node, in time linear in
// the document as written. The limit is the one the API server's YAML decoder applies
// (go-yaml's allowedAliasRatio, in sigs.k8s.io/yaml and yaml.v3 alike): past 1,000
// nodes, of which more than 100 came from aliases, at most 99% may come from aliases
// up to 400,000 nodes, scaling down to 10% at 4,000,000 and beyond. A document the API
// server would refuse as "excessive aliasing" is an input error here, found before any
// expansion.
const (
	aliasRatioLow  = 400_000
	aliasRatioHigh = 4_000_000
)

// allowedAliasRatio is the share of a document's nodes that may come from aliases.
func allowedAliasRatio(nodes int64) float64 {
	switch {
	case nodes <= aliasRatioLow:
		return 0.99
	case nodes >= aliasRatioHigh:
		return 0.10
	}
	return 0.99 - 0.89*float64(nodes-aliasRatioLow)/float64(aliasRatioHigh-aliasRatioLow)
}

// aliasSaturation caps the counts so that no document can overflow them; any
// document that reaches it is far past the limit.
const aliasSaturation = 1 << 50

// aliasCounter counts the nodes of a document as decoding would meet them, in document
// order: every node once, and for each alias the whole expansion of its anchor.
type aliasCounter struct {
	nodes, aliased int64
	// size is the expanded size of each anchored node met so far; -1 while its own
	// subtree is being counted.
	size map[*yaml.Node]int64
}

// checkAliases returns an error, and the alias that crossed the limit, when root
// expands past what the API server's decoder accepts.
func checkAliases(root *yaml.Node) (*yaml.Node, error) {
	c := aliasCounter{}
	if at, err := c.walk(root); err != nil {
		return at, err
	}
	if c.excessive() {
		return root, c.err()
	}
	return nil, nil
}

func (c *aliasCounter) excessive() bool {
	return c.aliased > 100 && c.nodes > 1000 && float64(c.aliased)/float64(c.nodes) > allowedAliasRatio(c.nodes)
}

func (c *aliasCounter) err() error {
	if c.nodes >= aliasSaturation {
		return fmt.Errorf("excessive aliasing: aliases expand the document to more than %d nodes (an alias bomb)", int64(aliasSaturation))
	}
	return fmt.Errorf("excessive aliasing: aliases expand the document to %d nodes, %d of them through aliases (the API server's YAML decoder refuses it too)", c.nodes, c.aliased)
}

// walk counts the nodes of n as written plus the expansion of its aliases; it fails
// at the first alias that takes the counts past the limit.
func (c *aliasCounter) walk(n *yaml.Node) (*yaml.Node, error) {
	c.nodes++
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, nil
		}
		s, err := c.expanded(n.Alias)
		if err != nil {
			return n, err
		}
		c.nodes = min(c.nodes+s, aliasSaturation)
		c.aliased = min(c.aliased+s, aliasSaturation)
		if c.excessive() {
			return n, c.err()
		}
		return nil, nil
	}
	for _, ch := range n.Content {
		if at, err := c.walk(ch); err != nil {
			return at, err
		}
	}
	return nil, nil
}

// expanded is the number of nodes n stands for once its aliases are expanded.
func (c *aliasCounter) expanded(n *yaml.Node) (int64, error) {
	if s, ok := c.size[n]; ok {
		if s < 0 {
			return 0, fmt.Errorf("alias to an anchor that contains it (line %d)", n.Line)
		}
		return s, nil
	}
	if c.size == nil {
		c.size = map[*yaml.Node]int64{}
	}
	c.size[n] = -1
	s := int64(1)
	if n.Kind == yaml.AliasNode {
		if n.Alias != nil {
			a, err := c.expanded(n.Alias)
			if err != nil {
				return 0, err
			}
			s += a
		}
	} else {
		for _, ch := range n.Content {
			a, err := c.expanded(ch)
			if err != nil {
				return 0, err
			}
			s = min(s+a, aliasSaturation)
		}
	}
	c.size[n] = s
	return s, nil
}
