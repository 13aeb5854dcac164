package rbac

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// TestMain stops the package's shared API server (kubetest) after the tests; every
// test file of the package that talks to it relies on this one.
func TestMain(m *testing.M) { kubetest.Main(m) }
