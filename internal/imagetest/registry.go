package imagetest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is a registry on loopback (go-containerregistry's in-process registry,
// plain HTTP) holding the image set.
type Registry struct {
	// Host is "127.0.0.1:PORT": pass it as an insecure registry host.
	Host string
	// Image is Host/imagetest/app:1 (the linux/amd64 image), Index
	// Host/imagetest/app:multi (the two-platform index).
	Image, Index string
}

// Serve starts a registry on loopback for the test's lifetime and pushes the set's
// image and index into it.
func (s *Set) Serve(t testing.TB) *Registry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	r, err := s.push(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatalf("pushing the test images to the loopback registry: %v", err)
	}
	return r
}

func (s *Set) push(host string) (*Registry, error) {
	r := &Registry{Host: host, Image: host + "/imagetest/app:1", Index: host + "/imagetest/app:multi"}
	ref, err := name.ParseReference(r.Image, name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, s.Image); err != nil {
		return nil, err
	}
	ref, err = name.ParseReference(r.Index, name.Insecure)
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(ref, s.Index); err != nil {
		return nil, err
	}
	return r, nil
}
