package main

// Palisade's own deployment must pass its own scan: the plain manifests in deploy/
// and the Helm chart in charts/palisade, in each TLS mode, have no finding at medium
// or above, and the configuration they ship validates.

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/load"
)

var (
	deployDir = filepath.Join("..", "..", "deploy")
	chartDir  = filepath.Join("..", "..", "charts", "palisade")
)

func TestOwnManifestsPassScan(t *testing.T) {
	for _, args := range [][]string{
		{deployDir, chartDir},
		{chartDir, "--set", "certManager.enabled=false", "--set", "tls.existingSecret=palisade-tls", "--set", "tls.caBundle=Y2E=", "--set", "webhook.failurePolicy=Ignore"},
		{chartDir, "--namespace", "palisade", "--release-name", "palisade"},
	} {
		var out, errb bytes.Buffer
		code := cli.Main(append([]string{"scan", "--fail-on", "medium"}, args...), nil, &out, &errb)
		if code != 0 {
			t.Errorf("scan %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
	}
}

// TestShippedConfigValidates: the .palisade.yaml in the manifests' and the chart's
// ConfigMaps is a valid configuration.
func TestShippedConfigValidates(t *testing.T) {
	res := load.Load([]string{filepath.Join(deployDir, "webhook"), chartDir}, load.Options{Decode: func(string, string) bool { return true }})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	n := 0
	for _, o := range res.Inventory.Objects {
		if o.Ref.Kind != "ConfigMap" {
			continue
		}
		data, _ := o.Body["data"].(map[string]any)
		cfg, ok := data[".palisade.yaml"].(string)
		if !ok {
			continue
		}
		n++
		path := filepath.Join(t.TempDir(), ".palisade.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := config.Resolve(path, "")
		if err != nil {
			t.Errorf("%s: %v\n%s", o.Origin, err, cfg)
			continue
		}
		if c.Webhook.OwnNamespace() != o.Ref.Namespace {
			t.Errorf("%s: webhook.namespace %q, want the release namespace %q", o.Origin, c.Webhook.OwnNamespace(), o.Ref.Namespace)
		}
	}
	if n != 2 {
		t.Errorf("%d shipped configurations, want 2 (manifests and chart)", n)
	}
}
