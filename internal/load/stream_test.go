package load

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// TestStream: the documents of a stream are located at its base (file, provenance,
// commit) with their own lines, and a broken one is an error there.
func TestStream(t *testing.T) {
	c := &finding.Commit{Hash: "0123456789abcdef0123456789abcdef01234567", Date: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	base := finding.Location{File: "deploy/app.yaml", Provenance: finding.FromHistory, Commit: c}
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n---\nkind: [\n"
	res := Stream(base, strings.NewReader(in), Options{Decode: func(string, string) bool { return true }})
	if len(res.Inventory.Objects) != 1 || len(res.Errors) != 1 {
		t.Fatalf("%d objects, errors %v; want 1 and 1", len(res.Inventory.Objects), res.Errors)
	}
	o := res.Inventory.Objects[0]
	if o.Origin.Commit != c || o.Origin.Provenance != finding.FromHistory || o.Origin.File != "deploy/app.yaml" {
		t.Errorf("origin %+v", o.Origin)
	}
	if loc := o.LocationOf("data.k"); loc.Line != 6 || loc.Commit != c {
		t.Errorf("data.k at %+v, want line 6 of the commit", loc)
	}
	if e := res.Errors[0]; e.Location.Commit != c || e.Location.Document != 1 {
		t.Errorf("error at %+v", e.Location)
	}
	if !Readable("x.yml") || !Readable("X.JSON") || !Readable("app/.env") || !Readable(".npmrc") || Readable("notes.txt") {
		t.Error("Readable")
	}

	// Configuration files of a history are read as the walk reads them: by name.
	env := Stream(finding.Location{File: "app/.env", Provenance: finding.FromHistory, Commit: c},
		strings.NewReader("# settings\nAPI_TOKEN=abc\n"), Options{Decode: func(string, string) bool { return true }})
	if len(env.Errors) != 0 || len(env.Inventory.Objects) != 1 {
		t.Fatalf("a .env: %d objects, errors %v", len(env.Inventory.Objects), env.Errors)
	}
	if o := env.Inventory.Objects[0]; o.Config == nil || o.Config.Format != "dotenv" || o.LocationOf("data.API_TOKEN").Line != 2 {
		t.Errorf("a .env read as %+v (line of API_TOKEN %d)", o.Config, o.LocationOf("data.API_TOKEN").Line)
	}
}
