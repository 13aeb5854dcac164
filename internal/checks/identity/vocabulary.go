package identity

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"slices"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	critical     = catalog.Critical
	high         = catalog.High
	layerCluster = catalog.LayerCluster
	low          = catalog.Low
	medium       = catalog.Medium
	nsaSATokens  = catalog.NSASATokens
	refSAAdmin   = catalog.RefSAAdmin
)

var (
	contains       = slices.Contains[[]string]
	hasExemptLabel = workload.HasAnyLabel
	indexSuffix    = catalog.IndexSuffix
	matchAny       = rules.MatchGlob
	quoteList      = catalog.QuoteList
)
