package source_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/source"
)

// A node's /configz becomes a valid facts document of source configz, with the
// node's information and the profile chosen from it (or named).
func TestNodeFacts(t *testing.T) {
	n := live.NodeConfig{
		Name: "gke-pool-1-abcd", Labels: map[string]string{"cloud.google.com/gke-nodepool": "pool-1"},
		OSImage: "Container-Optimized OS from Google", KernelVersion: "6.1.85+", KubeletVersion: "v1.30.3-gke.1639000",
		Configz: []byte(`{"authentication":{"anonymous":{"enabled":false}}}`),
	}
	f, err := source.NodeFacts(n, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Source != nodefacts.SourceConfigz || f.Profile != "gke" || !strings.Contains(f.ProfileReason, "cloud.google.com/gke-nodepool") {
		t.Errorf("facts source %q, profile %q (%s)", f.Source, f.Profile, f.ProfileReason)
	}
	if f.Node.KubeletVersion != n.KubeletVersion || f.Node.Labels["cloud.google.com/gke-nodepool"] != "pool-1" {
		t.Errorf("node info %+v", f.Node)
	}
	var buf bytes.Buffer
	if err := nodefacts.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	back, err := nodefacts.Decode(&buf)
	if err != nil {
		t.Fatalf("the facts do not decode strictly: %v", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, back.Configz); err != nil || compact.String() != string(n.Configz) {
		t.Errorf("configz %s, want %s", back.Configz, n.Configz)
	}
	if f, err = source.NodeFacts(n, "k3s"); err != nil || f.Profile != "k3s" || f.ProfileReason != "--profile" {
		t.Errorf("named profile: %+v, %v", f, err)
	}
	if _, err := source.NodeFacts(n, "nosuch"); err == nil {
		t.Error("an unknown profile is accepted")
	}
}
