// Package protocol is what vulnbench's parent and its measured children (the
// tools/vulnbench/child binary) say to each other, and how the parent reads
// govulncheck's JSON output. The parent stays a small program (it imports none of
// Palisade's packages) because a child's peak RSS, as wait4 reports it, is at least
// its parent's at the fork.
package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Marker starts a child's report line on its standard error.
const Marker = "vulnbench-child: "

// Match is what a match or scan child reports.
type Match struct {
	Packages int `json:"packages"`
	// Match is the wall time of vuln.Match alone, after the inventory was read and
	// the database opened; MatchCPU the process's CPU time over the call.
	Match    time.Duration `json:"match"`
	MatchCPU time.Duration `json:"matchCPU"`
	// Vulnerabilities counts the (package, vulnerability) pairs, Unfixed those
	// without a fix; IDs (scan only) every advisory ID of them, sorted.
	Vulnerabilities int      `json:"vulnerabilities"`
	Unfixed         int      `json:"unfixed"`
	IDs             []string `json:"ids,omitempty"`
	NotEvaluated    int      `json:"notEvaluated"`
	Problems        int      `json:"problems"`
	// Allocated is what the match allocated (Go heap, cumulative); RSSBefore and
	// RSSAfter the process's peak resident set before and after the match (KiB).
	Allocated uint64 `json:"allocated"`
	RSSBefore int64  `json:"rssBefore"`
	RSSAfter  int64  `json:"rssAfter"`
}

// Prepared is what the prepare child made in the work directory.
type Prepared struct {
	// GoRecords counts the Go database's records, OSRecords the records synthesised
	// over the test image's packages, Replicas the replicas.
	GoRecords, OSRecords, Replicas int
	OSZips, ReplicaZips            []string
	// Inventory is the inventory file: Real packages of the test image (RealBy: per
	// ecosystem), Added synthesised, Packages in all; Release its Debian release.
	Inventory             string
	Real, Added, Packages int
	RealBy, Release       string
	// GovulncheckDB is the Go database in govulncheck's layout.
	GovulncheckDB string
	// GoBinary is the test image's Go binary: its file, toolchain and module count.
	GoBinary, GoVersion string
	GoModules           int
}

// Write writes v as the report line on stderr.
func Write(v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stderr, "%s%s\n", Marker, out)
	return err
}

// Parse decodes the last report line of a child's standard error into v.
func Parse(stderr string, v any) error {
	i := strings.LastIndex(stderr, Marker)
	if i < 0 {
		return fmt.Errorf("the child reported nothing: %.2000s", stderr)
	}
	line, _, _ := strings.Cut(stderr[i+len(Marker):], "\n")
	return json.Unmarshal([]byte(line), v)
}

// GovulncheckIDs reads govulncheck's JSON stream (-format json: one object per
// message) and returns the OSV IDs of its "finding" messages, sorted, each once.
func GovulncheckIDs(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	seen := map[string]bool{}
	for {
		var msg struct {
			Finding *struct {
				OSV string `json:"osv"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("govulncheck output: %w", err)
		}
		if msg.Finding != nil && msg.Finding.OSV != "" {
			seen[msg.Finding.OSV] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// ReportIDs reads a Palisade JSON report and returns every advisory ID of its
// findings' vulnerability evidence (the ID, the aliases, the IDs of the records,
// "source/ID"), sorted, each once.
func ReportIDs(data []byte) ([]string, error) {
	var report struct {
		Findings []struct {
			Vulnerability *struct {
				ID      string   `json:"id"`
				Aliases []string `json:"aliases"`
				Records []string `json:"records"`
			} `json:"vulnerability"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, fmt.Errorf("palisade report: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range report.Findings {
		v := f.Vulnerability
		if v == nil {
			continue
		}
		seen[v.ID] = true
		for _, a := range v.Aliases {
			seen[a] = true
		}
		for _, r := range v.Records {
			if i := strings.LastIndexByte(r, '/'); i >= 0 {
				seen[r[i+1:]] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
