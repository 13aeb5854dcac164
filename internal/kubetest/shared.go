package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared is the one Cluster of this test binary, that is of one test package: it is
// started by the first test that asks for it and stopped by Main after the last.
var shared struct {
	main   bool // Main is running the tests
	once   sync.Once
	c      *Cluster
	err    error
	skip   string
	starts int
}

// Main runs a package's tests and then stops the package's shared API server, if a
// test started one. A package whose tests call Shared has
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
func Main(m *testing.M) {
	shared.main = true
	code := m.Run()
	if shared.c != nil {
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "kubetest: stopping the API server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// Shared returns the package's API server, starting it on the first call; every
// test of the package gets the same one, so each should work in namespaces of its
// own (Cluster.Namespace).
//
// Without the binaries (see FindBinaries) the test is skipped with a message saying
// how to build them, unless $PALISADE_REQUIRE_K8S is set, as `make test` does: then
// it fails. With -short it is skipped. A server that was found but failed to start
// fails every test that asks for it.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kubetest: skipped with -short: needs a kube-apiserver")
	}
	if !shared.main {
		t.Fatal("kubetest: Shared needs the package's TestMain to call kubetest.Main, which stops the server")
	}
	shared.once.Do(func() {
		bins, err := FindBinaries()
		switch {
		case errors.Is(err, ErrNoBinaries) && !required():
			shared.skip = "kubetest: " + err.Error()
			return
		case errors.Is(err, ErrNoBinaries):
			shared.err = fmt.Errorf("kubetest: %w ($%s is set: missing binaries fail instead of skipping)", err, RequireEnv)
			return
		case err != nil:
			shared.err = fmt.Errorf("kubetest: %w", err)
			return
		}
		shared.starts++
		shared.c, shared.err = Start(context.Background(), bins)
	})
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c
}
