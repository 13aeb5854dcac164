package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// A finding streamed as it is found (palisade audit --follow): a text line with its
// evidence, or one JSON object per line.
func TestWriteStream(t *testing.T) {
	f := auditReport().Findings[0]
	var b bytes.Buffer
	if err := WriteStream(&b, f, "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"CRITICAL PAL-T02  logs/audit.log:7  Pod/default/debug: exec into pod", "actor: alice [devs, system:authenticated]",
		"logs/audit.log:3 2026-12-01T10:00:00Z bob create pods default/debug -> 201"} {
		if !strings.Contains(out, want) {
			t.Errorf("text stream lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteStream(&b, f, "json"); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Errorf("a JSON line per finding, got %q", b.String())
	}
	var back finding.Finding
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Audit == nil || back.Audit.Events[0].Line != 3 {
		t.Errorf("JSON line: %v %+v", err, back.Audit)
	}
	if err := WriteStream(&b, f, "sarif"); err == nil {
		t.Error("sarif streamed")
	}
}

// Values of the log are the attacker's: a user name with terminal escapes or a
// newline stays on its line, escaped.
func TestAuditTextEscapes(t *testing.T) {
	r := auditReport()
	r.Findings[0].Audit.Actor.User = "eve\x1b[2J\nINFO fake line"
	r.Findings[0].Audit.Events[0].URI = "/x\r\nforged"
	r.Findings[0].Audit.Events[0].Object = ""
	for _, format := range []string{"text", "stream"} {
		var b bytes.Buffer
		var err error
		if format == "stream" {
			err = WriteStream(&b, r.Findings[0], "text")
		} else {
			err = Write(&b, r, "text", Options{})
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), "\nINFO fake") || strings.Contains(b.String(), "\nforged") {
			t.Errorf("%s: input escaped its line:\n%s", format, b.String())
		}
	}
}

func TestAuditSummaryLine(t *testing.T) {
	r := auditReport()
	if got, want := AuditSummaryLine(r), "Read 12,345 events from 2 files: 2 critical, 1 medium; 1 input error."; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
