package vap

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var update = flag.Bool("update", false, "rewrite resources.json from the test API server's discovery")

// TestBuiltinResources holds the built-in table to the discovery of the real
// kube-apiserver of the test harness (the release Palisade is built with), so that
// the table cannot drift from the server whose admission Palisade reproduces.
func TestBuiltinResources(t *testing.T) {
	c := kubetest.Shared(t)
	_, lists, err := c.Client().Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	var entries []resourceEntry
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		main := map[string]int{}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			main[r.Name] = len(entries)
			entries = append(entries, resourceEntry{Group: gv.Group, Version: gv.Version, Resource: r.Name, Kind: r.Kind, Namespaced: r.Namespaced})
		}
		for _, r := range list.APIResources {
			parent, sub, ok := strings.Cut(r.Name, "/")
			if !ok {
				continue
			}
			i, found := main[parent]
			if !found {
				t.Fatalf("%s: subresource %s of no resource", list.GroupVersion, r.Name)
			}
			s := subresource{Name: sub, Group: r.Group, Version: r.Version, Kind: r.Kind}
			if s.Group == "" && s.Version == "" {
				s.Group, s.Version = gv.Group, gv.Version
			}
			entries[i].Subresources = append(entries[i].Subresources, s)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Resource < b.Resource
	})
	for i := range entries {
		sort.Slice(entries[i].Subresources, func(x, y int) bool {
			return entries[i].Subresources[x].Name < entries[i].Subresources[y].Name
		})
	}
	if *update {
		var buf bytes.Buffer
		buf.WriteString("[\n")
		for i, e := range entries {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(line)
			if i < len(entries)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString("]\n")
		if err := os.WriteFile("resources.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := BuiltinResources().String()
	want := newResources(entries, nil).String()
	if got != want {
		t.Errorf("resources.json differs from the API server's discovery (go test ./internal/vap -run TestBuiltinResources -update):\n%s", lineDiff(got, want))
	}
}

// lineDiff lists the lines only in a ("-") and only in b ("+").
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	am, bm := in(a), in(b)
	var out []string
	for l := range am {
		if !bm[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range bm {
		if !am[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestResourceFor(t *testing.T) {
	r := BuiltinResources()
	for _, tc := range []struct {
		gvk        schema.GroupVersionKind
		resource   string
		namespaced bool
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", true},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "deployments", true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, "namespaces", false},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, "clusterroles", false},
	} {
		gvr, ns, ok := r.ResourceFor(tc.gvk)
		if !ok || gvr.Resource != tc.resource || ns != tc.namespaced {
			t.Errorf("ResourceFor(%v) = %v, %v, %v", tc.gvk, gvr, ns, ok)
		}
	}
	if _, _, ok := r.ResourceFor(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}); ok {
		t.Error("unknown kind resolved")
	}
	if k, _, ok := r.kindFor(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "scale"); !ok || k.Kind != "Scale" || k.Group != "autoscaling" {
		t.Errorf("deployments/scale kind = %v %v", k, ok)
	}
}

// TestCRDDiscovery: what a scan keeps of a CRD (its schemas dropped) serves the
// same resources as the whole CRD.
func TestCRDDiscovery(t *testing.T) {
	crd := map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{
				map[string]any{"name": "v1", "served": true, "storage": true, "subresources": map[string]any{"status": map[string]any{}},
					"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
				map[string]any{"name": "v1beta1", "served": false, "storage": false},
			},
		},
	}
	slim := CRDDiscovery(crd)
	if _, ok := slim["spec"].(map[string]any)["versions"].([]any)[0].(map[string]any)["schema"]; ok {
		t.Fatal("the schema was kept")
	}
	whole, err := BuiltinResources().WithCRDs([]map[string]any{crd})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := BuiltinResources().WithCRDs([]map[string]any{slim})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v1beta1"} {
		gvk := schema.GroupVersionKind{Group: "example.com", Version: v, Kind: "Widget"}
		g1, n1, ok1 := whole.ResourceFor(gvk)
		g2, n2, ok2 := kept.ResourceFor(gvk)
		if g1 != g2 || n1 != n2 || ok1 != ok2 {
			t.Errorf("%s: whole %v %v %v, kept %v %v %v", v, g1, n1, ok1, g2, n2, ok2)
		}
		if v == "v1" && (!ok1 || g1.Resource != "widgets" || !n1) {
			t.Errorf("v1 not served as widgets: %v %v %v", g1, n1, ok1)
		}
	}
	if _, _, ok := kept.kindFor(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}, "status"); !ok {
		t.Error("the status subresource was lost")
	}
}
