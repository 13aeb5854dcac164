package vap

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }
