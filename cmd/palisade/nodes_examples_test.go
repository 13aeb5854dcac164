package main

// The facts files of examples/nodes are what docs/nodes.md and the README show: each
// must be a valid NodeFacts document (nodefacts.Decode accepts it, strictly), and the
// set must keep covering the cases the page explains.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

var nodesDir = filepath.Join("..", "..", "examples", "nodes")

func TestNodeExamplesDecode(t *testing.T) {
	entries, err := os.ReadDir(nodesDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*nodefacts.Facts{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(nodesDir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		facts, err := nodefacts.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		seen[e.Name()] = facts
	}
	// The node whose evidence is missing lives beside the docs, so that the README's
	// first command (scan examples/) shows findings, not an incomplete report.
	if f, err := os.Open(filepath.Join("..", "..", "docs", "node-facts-missing.json")); err != nil {
		t.Error(err)
	} else {
		facts, err := nodefacts.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("docs/node-facts-missing.json: %v", err)
		}
		seen["missing-files.json"] = facts
	}
	// The cases docs/nodes.md walks through.
	for name, check := range map[string]func(*nodefacts.Facts) string{
		"kubeadm-flags-only.json": func(f *nodefacts.Facts) string {
			if k := f.Component(nodefacts.Kubelet); k == nil || !k.Found || k.Config != nil {
				return "want a found kubelet without --config"
			}
			return ""
		},
		"kubeadm-hardened.json": func(f *nodefacts.Facts) string {
			k := f.Component(nodefacts.Kubelet)
			if k == nil || k.Config == nil || k.Config.Given == k.Config.Path || len(k.DropIns) == 0 {
				return "want a relative --config and drop-ins"
			}
			return ""
		},
		"eks.json": func(f *nodefacts.Facts) string {
			if f.Profile != "eks" {
				return "want profile eks"
			}
			return ""
		},
		"missing-files.json": func(f *nodefacts.Facts) string {
			k := f.Component(nodefacts.Kubelet)
			if k == nil || k.Config == nil || k.Config.Error == "" {
				return "want an unreadable --config"
			}
			for _, file := range f.Files {
				if file.Exists {
					return "want no file found"
				}
			}
			return ""
		},
	} {
		f, ok := seen[name]
		if !ok {
			t.Errorf("examples/nodes/%s is missing", name)
			continue
		}
		if msg := check(f); msg != "" {
			t.Errorf("examples/nodes/%s: %s", name, msg)
		}
	}
}
