package controlplane

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
)

const (
	critical         = catalog.Critical
	high             = catalog.High
	layerCluster     = catalog.LayerCluster
	low              = catalog.Low
	medium           = catalog.Medium
	nsaNetControl    = catalog.NSANetControl
	nsaNetEncryption = catalog.NSANetEncryption
	nsaPodSec        = catalog.NSAPodSec
	nsaSATokens      = catalog.NSASATokens
	refSAAdmin       = catalog.RefSAAdmin
)

var (
	contains    = slices.Contains[[]string]
	indexSuffix = catalog.IndexSuffix
	quoteList   = catalog.QuoteList
)

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}
