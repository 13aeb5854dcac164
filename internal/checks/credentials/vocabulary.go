package credentials

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
	nsaSATokens  = catalog.NSASATokens
	refSAAdmin   = catalog.RefSAAdmin
)

var (
	indexSuffix = catalog.IndexSuffix
	matchAny    = rules.MatchGlob
	quoteList   = catalog.QuoteList
)

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
