// Package all registers every built-in rule: import it for its side effect, as the
// scanner, the admission evaluator and the tests that need the whole registry do.
// A new rule family is one more import here.
package all

import (
	_ "github.com/palisade-k8s/palisade/internal/checks/controlplane" // PAL-7xx
	_ "github.com/palisade-k8s/palisade/internal/checks/credentials"  // PAL-5xx
	_ "github.com/palisade-k8s/palisade/internal/checks/identity"     // PAL-3xx
	_ "github.com/palisade-k8s/palisade/internal/checks/images"       // PAL-1xx
	_ "github.com/palisade-k8s/palisade/internal/checks/namespaces"   // PAL-6xx
	_ "github.com/palisade-k8s/palisade/internal/checks/network"      // PAL-4xx
	_ "github.com/palisade-k8s/palisade/internal/checks/podsecurity"  // PAL-0xx
	_ "github.com/palisade-k8s/palisade/internal/checks/resources"    // PAL-2xx
)
