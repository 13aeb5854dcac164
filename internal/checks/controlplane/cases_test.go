package controlplane_test

// The shared test vocabulary of package checktest, under the names the tests here
// are written with.

import (
	"github.com/palisade-k8s/palisade/internal/checks/checktest"
)

var (
	checkInputErrors = checktest.CheckInputErrors
	checkLines       = checktest.CheckLines
	findingKey       = checktest.FindingKey
	matchFindings    = checktest.MatchFindings
	paramsConfig     = checktest.ParamsConfig
)
