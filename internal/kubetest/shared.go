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
		var bins Binaries
		bins, shared.skip, shared.err = testBinaries()
		if shared.skip != "" || shared.err != nil {
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

// testBinaries finds the binaries for a test: a reason to skip when there are none
// and $PALISADE_REQUIRE_K8S is unset, else an error.
func testBinaries() (bins Binaries, skip string, err error) {
	bins, err = FindBinaries()
	switch {
	case errors.Is(err, ErrNoBinaries) && !required():
		return bins, "kubetest: " + err.Error(), nil
	case errors.Is(err, ErrNoBinaries):
		return bins, "", fmt.Errorf("kubetest: %w ($%s is set: missing binaries fail instead of skipping)", err, RequireEnv)
	case err != nil:
		return bins, "", fmt.Errorf("kubetest: %w", err)
	}
	return bins, "", nil
}

// Own starts an API server for one test alone, configured by opts (StartWith), and
// stops it when the test ends. It skips and fails like Shared. Use it only for a
// server that must differ from the shared one: each costs seconds to start.
func Own(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kubetest: skipped with -short: needs a kube-apiserver")
	}
	bins, skip, err := testBinaries()
	if skip != "" {
		t.Skip(skip)
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartWith(context.Background(), bins, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("kubetest: stopping the API server: %v", err)
		}
	})
	return c
}
