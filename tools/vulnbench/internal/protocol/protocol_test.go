package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestGovulncheckIDs: govulncheck's JSON stream (config, progress, osv and finding
// messages, pretty-printed) gives each finding's OSV ID once.
func TestGovulncheckIDs(t *testing.T) {
	stream := `{
  "config": {"protocol_version": "v1.0.0", "scanner_name": "govulncheck", "scan_level": "module"}
}
{"progress": {"message": "Scanning your binary for known vulnerabilities..."}}
{"osv": {"id": "GO-2020-0001", "affected": []}}
{"finding": {"osv": "GO-2022-0493", "fixed_version": "v0.3.8", "trace": [{"module": "golang.org/x/text", "version": "v0.3.0"}]}}
{"finding": {"osv": "GO-2020-0001", "trace": [{"module": "github.com/gorilla/mux", "version": "v1.7.1"}]}}
{"finding": {"osv": "GO-2022-0493", "trace": [{"module": "golang.org/x/text", "version": "v0.3.0", "package": "golang.org/x/text/language"}]}}
`
	ids, err := GovulncheckIDs([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, " "); got != "GO-2020-0001 GO-2022-0493" {
		t.Errorf("ids %s", got)
	}
	if _, err := GovulncheckIDs([]byte(`{"finding": `)); err == nil {
		t.Error("truncated stream: no error")
	}
}

func TestParse(t *testing.T) {
	rep := Match{Packages: 1000, Match: 12 * time.Millisecond, Vulnerabilities: 3, IDs: []string{"GO-1"}}
	data, _ := json.Marshal(rep)
	var got Match
	if err := Parse("progress\n"+Marker+string(data)+"\n", &got); err != nil || got.Packages != 1000 || got.Match != rep.Match || got.IDs[0] != "GO-1" {
		t.Errorf("%+v, %v", got, err)
	}
	if err := Parse("panic: boom", &got); err == nil {
		t.Error("no report: no error")
	}
}

// TestReportIDs: a `palisade image -o json` report's findings (one PAL-130 finding as
// the CLI writes it, one finding of another rule) give their advisory IDs.
func TestReportIDs(t *testing.T) {
	report := `{"schema": 1, "findings": [
{"ruleID": "PAL-130", "vulnerability": {"id": "CVE-2020-14040", "aliases": ["GHSA-5rcv-m4m3-hfh7", "GO-2020-0015"], "package": {"ecosystem": "golang", "name": "golang.org/x/text", "version": "v0.3.0"}, "ecosystem": "Go", "range": "SEMVER: introduced 0, fixed 0.3.3", "fixed": ["0.3.3"], "records": ["Go/GO-2020-0015"]}},
{"ruleID": "PAL-101", "message": "latest tag"},
{"ruleID": "PAL-130", "vulnerability": {"id": "GO-2026-6604", "records": ["Go/GO-2026-6604"]}}
]}`
	ids, err := ReportIDs([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, " "); got != "CVE-2020-14040 GHSA-5rcv-m4m3-hfh7 GO-2020-0015 GO-2026-6604" {
		t.Errorf("ids %s", got)
	}
	if _, err := ReportIDs([]byte("not json")); err == nil {
		t.Error("not JSON: no error")
	}
}
