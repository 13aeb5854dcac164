package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ErrNoKubelet is returned (wrapped) by FindKubelet when no kubelet was found.
var ErrNoKubelet = errors.New("kubelet not found")

// FindKubelet locates the kubelet that hack/k8s-bins.sh builds beside kube-apiserver,
// from the same release (Version): in $PALISADE_K8S_BINS, else in the script's cache.
// $KUBEBUILDER_ASSETS is not consulted (envtest ships no kubelet). A kubelet that is
// missing, wherever it was looked for, is ErrNoKubelet (a directory of an older
// build holds none: running hack/k8s-bins.sh again adds it); one that exists but is
// not an executable file is an error of its own.
//
// The kubelet is only ever run by tests as far as logging its effective
// configuration (see the differential test of internal/nodeconfig), never to start.
func FindKubelet() (string, error) {
	dir, where := os.Getenv(BinsEnv), "$"+BinsEnv+"="
	if dir == "" {
		var err error
		if dir, err = cacheDir(); err != nil {
			return "", fmt.Errorf("%w: %v; run hack/k8s-bins.sh or make test", ErrNoKubelet, err)
		}
		where = "$" + BinsEnv + " is unset and the cache "
	}
	p := filepath.Join(dir, "kubelet")
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%w: %s%s has none; run hack/k8s-bins.sh (or make test) to build it", ErrNoKubelet, where, dir)
	case err != nil:
		return "", err
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return "", fmt.Errorf("%s is not an executable file", p)
	}
	return p, nil
}

// Kubelet returns the kubelet's path for a test. Without one (FindKubelet) the test is
// skipped with a message saying how to build it, unless $PALISADE_REQUIRE_K8S is set,
// as `make test` does: then it fails. With -short it is skipped.
func Kubelet(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("kubetest: skipped with -short: needs the kubelet binary")
	}
	p, err := FindKubelet()
	switch {
	case errors.Is(err, ErrNoKubelet) && !required():
		t.Skip("kubetest: " + err.Error())
	case errors.Is(err, ErrNoKubelet):
		t.Fatalf("kubetest: %v ($%s is set: a missing kubelet fails instead of skipping)", err, RequireEnv)
	case err != nil:
		t.Fatalf("kubetest: %v", err)
	}
	return p
}
