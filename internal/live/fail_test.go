package live

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// A list that hangs or is not served becomes a coverage gap with its reason, and the
// other kinds are still read. (The server here stands in for a broken network path
// and a cluster without an API group; RBAC refusals are tested against the real API
// server.)
func TestReadTimeoutAndNotServed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/configmaps"):
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute): // only if the client's timeout failed
			}
		case strings.Contains(r.URL.Path, "/ingresses"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"the server could not find the requested resource"}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"kind":"List","apiVersion":"v1","metadata":{},"items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"}}]}`))
		}
	}))
	defer srv.Close()
	var kinds []Kind
	for _, k := range Kinds {
		if k.Kind == "ConfigMap" || k.Kind == "Ingress" || k.Kind == "Service" {
			kinds = append(kinds, k)
		}
	}
	res, err := Read(context.Background(), &rest.Config{Host: srv.URL}, Options{Kinds: kinds, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, g := range res.Coverage {
		reasons[g.Kind] = g.Reason
	}
	if !strings.HasPrefix(reasons["ConfigMap"], "timed out") {
		t.Errorf("ConfigMap: reason %q, want timed out", reasons["ConfigMap"])
	}
	if !strings.HasPrefix(reasons["Ingress"], "not served") {
		t.Errorf("Ingress: reason %q, want not served", reasons["Ingress"])
	}
	if len(res.Objects) != 1 || res.Objects[0].Ref.Kind != "Service" || res.Lists != 1 {
		t.Errorf("objects %d (lists %d), want the one Service", len(res.Objects), res.Lists)
	}
}

// A read whose context ends (Ctrl-C) stops with an error that says so, instead of
// waiting for each request's timeout or reporting the remaining kinds as gaps.
func TestReadCanceled(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	res, err := Read(ctx, &rest.Config{Host: srv.URL}, Options{Timeout: time.Hour})
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, %v; want an *InterruptedError wrapping context.Canceled", res, err)
	}
	if ie.Kind != Kinds[0].Kind || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("error %q, want it to name the first kind, %s", err, Kinds[0].Kind)
	}
}
