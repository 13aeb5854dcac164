package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Version is the Kubernetes release whose kube-apiserver the tests run. It must match
// the k8s.io/kubernetes requirement in test/k8sbins/go.mod (a test checks this), since
// hack/k8s-bins.sh caches the binaries under that version.
const Version = "v1.37.2"

// Environment variables the harness reads.
const (
	// BinsEnv names a directory holding kube-apiserver and etcd, as printed by
	// hack/k8s-bins.sh. `make test` sets it.
	BinsEnv = "PALISADE_K8S_BINS"
	// AssetsEnv is envtest's name for the same directory, honoured when BinsEnv is unset.
	AssetsEnv = "KUBEBUILDER_ASSETS"
	// CacheEnv overrides the root of hack/k8s-bins.sh's cache
	// (default ${XDG_CACHE_HOME:-~/.cache}/palisade/k8s).
	CacheEnv = "PALISADE_K8S_CACHE"
	// RequireEnv, when set to anything but "" or "0", makes missing binaries a test
	// failure instead of a skip. `make test` sets it, so integration tests never go
	// quietly unrun on a machine that can build the binaries.
	RequireEnv = "PALISADE_REQUIRE_K8S"
)

// ErrNoBinaries is returned (wrapped) by FindBinaries when no directory with both
// binaries was found and none was named explicitly.
var ErrNoBinaries = errors.New("kube-apiserver and etcd not found")

// Binaries are the paths of the two programs a Cluster runs.
type Binaries struct {
	APIServer string
	Etcd      string
}

// FindBinaries locates kube-apiserver and etcd: in $PALISADE_K8S_BINS, else in
// $KUBEBUILDER_ASSETS, else in hack/k8s-bins.sh's cache for Version. A directory named
// by an environment variable that lacks a binary is an error of its own; finding
// nothing anywhere is ErrNoBinaries.
func FindBinaries() (Binaries, error) {
	for _, env := range []string{BinsEnv, AssetsEnv} {
		if dir := os.Getenv(env); dir != "" {
			b, err := binariesIn(dir)
			if err != nil {
				return Binaries{}, fmt.Errorf("$%s=%s: %w", env, dir, err)
			}
			return b, nil
		}
	}
	dir, err := cacheDir()
	if err != nil {
		return Binaries{}, fmt.Errorf("%w: %v; run hack/k8s-bins.sh or make test", ErrNoBinaries, err)
	}
	b, err := binariesIn(dir)
	if err != nil {
		return Binaries{}, fmt.Errorf("%w: $%s is unset and the cache %s has none; run hack/k8s-bins.sh (or make test) to build them",
			ErrNoBinaries, BinsEnv, dir)
	}
	return b, nil
}

// cacheDir is where hack/k8s-bins.sh puts the binaries for Version.
func cacheDir() (string, error) {
	root := os.Getenv(CacheEnv)
	if root == "" {
		base, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache
		if err != nil {
			return "", err
		}
		root = filepath.Join(base, "palisade", "k8s")
	}
	return filepath.Join(root, Version), nil
}

func binariesIn(dir string) (Binaries, error) {
	b := Binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	for _, p := range []string{b.APIServer, b.Etcd} {
		fi, err := os.Stat(p)
		if err != nil {
			return Binaries{}, err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("%s is not an executable file", p)
		}
	}
	return b, nil
}

func required() bool {
	v := strings.TrimSpace(os.Getenv(RequireEnv))
	return v != "" && v != "0"
}
