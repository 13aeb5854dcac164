package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// TestHTMLScans: the HTML report of real scans (the insecure example and, when it
// is there, the shared corpus of thousands of findings) embeds every finding with
// the JSON report's fingerprints and summary, and is written quickly in memory
// bounded by a small multiple of its size.
func TestHTMLScans(t *testing.T) {
	dirs := []string{filepath.Join("..", "..", "examples", "insecure")}
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(corpus); err == nil && !testing.Short() {
		dirs = append(dirs, corpus)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{dir}}, Version: "test", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			var js bytes.Buffer
			if err := report.Write(&js, res.Report, "json", report.Options{}); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			var page bytes.Buffer
			if err := report.Write(&page, res.Report, "html", report.Options{}); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d findings: %d bytes of HTML (JSON %d) in %v, %d bytes allocated", len(res.Report.Findings), page.Len(), js.Len(), took, alloc)
			if took > 10*time.Second {
				t.Errorf("writing took %v", took)
			}
			// The buffer holding the page is part of what was allocated.
			if alloc > uint64(6*page.Len()+(8<<20)) {
				t.Errorf("%d bytes allocated for a page of %d", alloc, page.Len())
			}
			var jr struct {
				Summary struct {
					Findings   int            `json:"findings"`
					BySeverity map[string]int `json:"bySeverity"`
				} `json:"summary"`
				Findings []struct {
					Fingerprint string `json:"fingerprint"`
				} `json:"findings"`
			}
			if err := json.Unmarshal(js.Bytes(), &jr); err != nil {
				t.Fatal(err)
			}
			s := page.String()
			m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindStringSubmatch(s)
			if m == nil {
				t.Fatal("no data")
			}
			var hd struct {
				Findings []struct {
					Fingerprint string `json:"fp"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(m[1]), &hd); err != nil {
				t.Fatal(err)
			}
			if len(hd.Findings) != len(jr.Findings) {
				t.Fatalf("%d findings in the page, %d in the JSON report", len(hd.Findings), len(jr.Findings))
			}
			for i := range hd.Findings {
				if hd.Findings[i].Fingerprint != jr.Findings[i].Fingerprint {
					t.Fatalf("finding %d: fingerprint %s, JSON %s", i, hd.Findings[i].Fingerprint, jr.Findings[i].Fingerprint)
				}
			}
			if !strings.Contains(s, `data-count="findings">`+strconv.Itoa(jr.Summary.Findings)+`<`) {
				t.Error("findings count differs from the JSON summary")
			}
			for sev, n := range jr.Summary.BySeverity {
				if !strings.Contains(s, `data-count="`+sev+`">`+strconv.Itoa(n)+`<`) {
					t.Errorf("%s count differs from the JSON summary (%d)", sev, n)
				}
			}
			if len(jr.Findings) > 1000 && page.Len() > js.Len() {
				t.Errorf("HTML %d bytes larger than the JSON report (%d)", page.Len(), js.Len())
			}
		})
	}
}
