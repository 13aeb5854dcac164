//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
)

// fakeCluster is the least of a kube-apiserver the webhook's cluster mode reads, on
// loopback: the lists and watches of Namespaces (one, the review's namespace, with
// the label the API server sets) and Pods (none), so that the policies of -custom
// see the review's Namespace as on a cluster (the API server's dispatcher reads it
// for every namespaced request). Anything else is 404.
type fakeCluster struct {
	srv        *http.Server
	kubeconfig string
}

func startFakeCluster(dir, namespace string) (*fakeCluster, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{
		"name": namespace, "uid": "5d1c2a8e-0000-4000-8000-000000000001", "resourceVersion": "1",
		"labels": map[string]string{"kubernetes.io/metadata.name": namespace},
	}}
	items := map[string][]any{"/api/v1/namespaces": {ns}, "/api/v1/pods": {}}
	kinds := map[string]string{"/api/v1/namespaces": "NamespaceList", "/api/v1/pods": "PodList"}
	mux := http.NewServeMux()
	for path := range items {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			q := r.URL.Query()
			if q.Get("watch") != "true" && q.Get("watch") != "1" {
				json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": kinds[path], "metadata": map[string]any{"resourceVersion": "1"}, "items": items[path]})
				return
			}
			enc := json.NewEncoder(w)
			if q.Get("sendInitialEvents") == "true" {
				for _, it := range items[path] {
					enc.Encode(map[string]any{"type": "ADDED", "object": it})
				}
				enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{"apiVersion": "v1", "kind": kinds[path][:len(kinds[path])-4],
					"metadata": map[string]any{"resourceVersion": "1", "annotations": map[string]string{"k8s.io/initial-events-end": "true"}}}})
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			<-r.Context().Done()
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"apiVersion":"v1","kind":"Status","status":"Failure","reason":"NotFound","code":404,"message":"not served by webhookload"}`)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	kc := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {server: \"http://%s\"}\nusers:\n- name: fake\n  user: {token: fake}\ncontexts:\n- name: fake\n  context: {cluster: fake, user: fake}\ncurrent-context: fake\n", l.Addr())
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		srv.Close()
		return nil, err
	}
	return &fakeCluster{srv: srv, kubeconfig: kc}, nil
}

func (f *fakeCluster) close() { f.srv.Close() }
