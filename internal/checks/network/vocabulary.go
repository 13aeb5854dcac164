package network

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/checks/namespaces"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	high             = catalog.High
	layerCluster     = catalog.LayerCluster
	low              = catalog.Low
	medium           = catalog.Medium
	nsaNetControl    = catalog.NSANetControl
	nsaNetEncryption = catalog.NSANetEncryption
)

var (
	defaultExemptNamespaces = namespaces.SystemNamespaces
	indexSuffix             = catalog.IndexSuffix
	matchAny                = rules.MatchGlob
	namespaceAnchorKinds    = namespaces.AnchorKinds
	quoteList               = catalog.QuoteList
)
