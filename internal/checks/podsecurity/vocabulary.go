package podsecurity

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catCapabilities    = catalog.CatCapabilities
	catHost            = catalog.CatHost
	catSecurityContext = catalog.CatSecurityContext
	catVolumes         = catalog.CatVolumes
	critical           = catalog.Critical
	high               = catalog.High
	layerContainer     = catalog.LayerContainer
	low                = catalog.Low
	medium             = catalog.Medium
	nsaHardening       = catalog.NSAHardening
	nsaImmutable       = catalog.NSAImmutable
	nsaNonRoot         = catalog.NSANonRoot
	nsaPodSec          = catalog.NSAPodSec
	refPSS             = catalog.RefPSS
	refSC              = catalog.RefSC
)

var (
	baseline       = catalog.Baseline
	contains       = slices.Contains[[]string]
	hasExemptLabel = workload.HasAnyLabel
	indexSuffix    = catalog.IndexSuffix
	matchAny       = rules.MatchGlob
	quoteList      = catalog.QuoteList
	restricted     = catalog.Restricted
)

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}
