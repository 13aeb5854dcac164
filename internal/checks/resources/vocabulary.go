package resources

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/checks/namespaces"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	layerCluster   = catalog.LayerCluster
	layerContainer = catalog.LayerContainer
	low            = catalog.Low
	medium         = catalog.Medium
)

var (
	defaultExemptNamespaces = namespaces.SystemNamespaces
	matchAny                = rules.MatchGlob
	namespaceAnchorKinds    = namespaces.AnchorKinds
	quoteList               = catalog.QuoteList
)
