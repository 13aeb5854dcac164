package images

// The rule-catalog vocabulary and shared helpers this family's rules use, under
// the short names the rule files are written with (see package catalog).

import (
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
)

const (
	layerContainer = catalog.LayerContainer
	low            = catalog.Low
	medium         = catalog.Medium
	high           = catalog.High
)

const nsaNonRoot = catalog.NSANonRoot
