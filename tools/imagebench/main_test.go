package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	for purl, want := range map[string]string{
		"pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux": "deb bsdutils@1:2.38.1-5+deb12u3",
		"pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12":                                         "deb adduser@3.134",
		"pkg:golang/github.com/gorilla/mux@v1.7.1":                                                       "golang github.com/gorilla/mux@1.7.1",
		"pkg:golang/stdlib@1.26.8":                                                                       "golang stdlib@1.26.8",
		"pkg:golang/stdlib@v1.26.8":                                                                      "golang stdlib@1.26.8",
		"pkg:golang/example.com/palisade/goapp@(devel)":                                                  "golang example.com/palisade/goapp@",
		"pkg:golang/example.com/palisade/goapp":                                                          "golang example.com/palisade/goapp@",
		"pkg:npm/%40sindresorhus/is@0.7.0":                                                               "npm @sindresorhus/is@0.7.0",
		"pkg:npm/express@4.16.0#lib":                                                                     "npm express@4.16.0",
		"pkg:generic/perl@5.36.0":                                                                        "generic perl@5.36.0",
	} {
		typ, k, err := key(purl)
		if err != nil {
			t.Errorf("key(%s): %v", purl, err)
			continue
		}
		if got := typ + " " + k; got != want {
			t.Errorf("key(%s) = %s, want %s", purl, got, want)
		}
	}
	for _, bad := range []string{"", "deb/debian/x@1", "pkg:", "pkg:deb", "pkg:npm/%zz@1"} {
		if _, _, err := key(bad); err == nil {
			t.Errorf("key(%q): no error", bad)
		}
	}
}

// TestSyftOutput: counting on a real Syft CycloneDX report of the test image (a
// trimmed excerpt: the BOM's shape, the operating-system component without a purl,
// and a few packages of each kind).
func TestSyftOutput(t *testing.T) {
	data, err := os.ReadFile("testdata/syft-excerpt.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := parseCycloneDX(data, "syft-excerpt.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if inv.noPURL["operating-system"] != 1 || inv.noPURL["file"] != 1 {
		t.Errorf("components without a purl: %v, want 1 operating-system and 1 file", inv.noPURL)
	}
	for _, want := range []struct{ typ, key string }{
		{"deb", "bsdutils@1:2.38.1-5+deb12u3"},
		{"golang", "github.com/gorilla/mux@1.7.1"},
		{"golang", "stdlib@1.26.8"},
		{"npm", "@sindresorhus/is@0.7.0"},
		{"npm", "express@4.16.0"},
	} {
		if !inv.byType[want.typ][want.key] {
			t.Errorf("%s %s not found in %v", want.typ, want.key, inv.byType[want.typ])
		}
	}

	// Two tools, one of which misses a package and adds another: the tables count
	// both and the differences name each with its verdict.
	other := inventory{byType: map[string]map[string]bool{}}
	for typ, ks := range inv.byType {
		other.byType[typ] = map[string]bool{}
		for k := range ks {
			if k != "express@4.16.0" {
				other.byType[typ][k] = true
			}
		}
	}
	other.byType["npm"]["left-pad@1.0.0"] = true
	truth := map[string]map[string]bool{"deb": {}, "golang": {}, "npm": {"express@4.16.0": true}}
	for typ, ks := range inv.byType {
		if truth[typ] == nil {
			continue
		}
		for k := range ks {
			truth[typ][k] = true
		}
	}
	benches := []benchImage{{title: "img", truth: truth}}
	results := [][]result{{{tool: palisadeTool{}, inv: other}, {tool: syftTool{}, inv: inv}}}
	table := packageTable(benches, results)
	npmTrue := len(truth["npm"])
	for _, want := range []string{
		"| img | npm | " + strconv.Itoa(npmTrue) + " | " + strconv.Itoa(npmTrue) + " | " + strconv.Itoa(npmTrue-1) + " | " + strconv.Itoa(npmTrue) + " | " + strconv.Itoa(npmTrue) + " |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	against := againstTruth(benches, results)
	for _, want := range []string{"img, npm, palisade: missed 1 (`express@4.16.0`); not in the ground truth 1 (`left-pad@1.0.0`)"} {
		if !strings.Contains(against, want) {
			t.Errorf("against the ground truth lacks %q:\n%s", want, against)
		}
	}
	if strings.Contains(against, "syft") {
		t.Errorf("syft lists exactly the ground truth here:\n%s", against)
	}
	diffs := differences(benches, results)
	for _, want := range []string{"img, npm, only palisade (1): `left-pad@1.0.0` ✗", "img, npm, only syft (1): `express@4.16.0` ✓"} {
		if !strings.Contains(diffs, want) {
			t.Errorf("differences lack %q:\n%s", want, diffs)
		}
	}
}

func TestParseCycloneDXBounds(t *testing.T) {
	if _, err := parseCycloneDX([]byte(`{"bomFormat":"SPDX"}`), "x"); err == nil {
		t.Error("not CycloneDX: no error")
	}
	deep := `{"bomFormat":"CycloneDX","components":[` + strings.Repeat(`{"name":"a","components":[`, maxDepth+2) + strings.Repeat(`]}`, maxDepth+2) + `]}`
	if _, err := parseCycloneDX([]byte(deep), "x"); err == nil {
		t.Error("components nested too deep: no error")
	}
	if _, err := parseCycloneDX([]byte(`{"bomFormat":"CycloneDX","components":[{"name":"x","purl":"nope"}]}`), "x"); err == nil {
		t.Error("a bad purl: no error")
	}
}

// FuzzParseCycloneDX: any input is a result or an error, never a panic.
func FuzzParseCycloneDX(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"name":"x","purl":"pkg:npm/%40a/b@1?x=y#z","components":[{"purl":"pkg:deb/debian/c@1%3A2"}]}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"purl":"pkg:golang/stdlib@go1.22"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := parseCycloneDX(data, "fuzz")
		if err == nil && inv.byType == nil {
			t.Fatal("no error and no inventory")
		}
	})
}
