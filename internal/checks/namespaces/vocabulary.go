package namespaces

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"maps"
	"slices"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	high         = catalog.High
	layerCluster = catalog.LayerCluster
	low          = catalog.Low
	medium       = catalog.Medium
	nsaPodSec    = catalog.NSAPodSec
	refPSS       = catalog.RefPSS
)

var (
	defaultExemptNamespaces = SystemNamespaces
	matchAny                = rules.MatchGlob
)

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
