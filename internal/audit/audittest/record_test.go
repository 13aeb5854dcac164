package audittest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var (
	record     = flag.Bool("record", false, "run the scenario on a real API server and rewrite ../testdata/real/")
	recordWant = flag.Bool("record-want", false, "rewrite only ../testdata/real/want.json (expectations changed, not the steps)")
)

// RealDir is where the recorded log lives, relative to this package.
const realDir = "../testdata/real"

// TestRecord runs the scenario and writes the log the server wrote into
// ../testdata/real/scenario.jsonl and the steps' expectations into want.json:
//
//	go test ./internal/audit/audittest -run TestRecord -record
func TestRecord(t *testing.T) {
	if *recordWant {
		want, err := WantsJSON(Scenario())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(realDir, "want.json"), want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !*record {
		t.Skip("rewrites testdata/real: run with -record")
	}
	s := Start(t)
	res := s.Run(t, Scenario())
	data, err := os.ReadFile(res.Log)
	if err != nil {
		t.Fatal(err)
	}
	if err := Clean(data); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(realDir, "scenario.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := WantsJSON(res.Steps)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(realDir, "want.json"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events (%d bytes)", res.Events, len(data))
}

// TestRecorded: the committed log is JSON lines of audit events, small, free of
// credentials, and its expectations are the scenario's.
func TestRecorded(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(realDir, "scenario.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 512<<10 {
		t.Errorf("scenario.jsonl is %d bytes: keep it under 512 KiB", len(data))
	}
	if err := Clean(data); err != nil {
		t.Error(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	n := 0
	for sc.Scan() {
		n++
		var ev struct {
			Kind, APIVersion, AuditID, Stage string
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Kind != "Event" || ev.APIVersion != "audit.k8s.io/v1" || ev.AuditID == "" {
			t.Fatalf("line %d: not an audit event (%v)", n, err)
		}
		if ev.Stage == "RequestReceived" {
			t.Fatalf("line %d: stage RequestReceived (the test Policy omits it)", n)
		}
	}
	if n < 100 {
		t.Errorf("%d events: the scenario writes more", n)
	}
	got, err := os.ReadFile(filepath.Join(realDir, "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := WantsJSON(Scenario())
	if !bytes.Equal(got, want) {
		t.Errorf("want.json is not the scenario's expectations: rerun go test -run TestRecord -record")
	}
}

func TestClean(t *testing.T) {
	for _, bad := range []string{
		`{"x":"-----BEGIN CERTIFICATE-----"}`,
		`{"x":"-----BEGIN EC PRIVATE KEY-----"}`,
		`{"token":"eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}`,
		`{"status":{"token":"abc"}}`,
	} {
		if Clean([]byte(bad)) == nil {
			t.Errorf("%s: clean", bad)
		}
	}
	if err := Clean([]byte(`{"spec":{"request":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNU"}}`)); err != nil {
		t.Errorf("a CSR (public) is not a credential: %v", err)
	}
}
