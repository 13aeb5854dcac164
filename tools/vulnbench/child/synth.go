package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// The synthesised records' "modified" and "published" time: fixed, so that two runs
// write the same databases.
const synthTime = "2026-11-01T00:00:00Z"

// readRecords reads every *.json record of dir (the Go database's data/osv) as raw
// JSON objects, by file name.
func readRecords(dir string) ([]map[string]any, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var r map[string]any
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no OSV records", dir)
	}
	return out, nil
}

// osRecords are records in the style of osv.dev's Debian and npm data over the real
// packages of the inventory: Debian records name the source package (ecosystem
// Debian:<release>), npm records the package. By the package's index i, cycling:
// fixed just after the installed version (affected), fixed at it (not affected),
// no fix (affected, unfixed), another Debian release or a fix that sorts before the
// installed version with "~" (not affected). Every other record has a CVSS v3.1
// vector, every third a CVE alias.
func osRecords(inv *software.Inventory) []map[string]any {
	release := ""
	if inv.Distro != nil {
		release = inv.Distro.VersionID
	}
	type key struct{ eco, name, version string }
	seen := map[key]bool{}
	var keys []key
	for _, p := range inv.Packages {
		var k key
		switch p.Ecosystem {
		case software.Deb:
			if release == "" {
				continue
			}
			k = key{"Debian:" + release, p.Name, p.Version}
			if p.SourceName != "" {
				k.name = p.SourceName
			}
			if p.SourceVersion != "" {
				k.version = p.SourceVersion
			}
		case software.NPM:
			k = key{"npm", p.Name, p.Version}
		default:
			continue
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var out []map[string]any
	for i, k := range keys {
		id := fmt.Sprintf("DEBIAN-CVE-2099-%d", 10000+i)
		rangeType := "ECOSYSTEM"
		if k.eco == "npm" {
			id = fmt.Sprintf("OSV-2099-%d", 10000+i)
			rangeType = "SEMVER"
		}
		eco := k.eco
		events := []any{map[string]any{"introduced": "0"}}
		switch i % 4 {
		case 0: // affected, fixed in the next upload
			events = append(events, map[string]any{"fixed": nextVersion(k.eco, k.version)})
		case 1: // fixed at the installed version: not affected
			events = append(events, map[string]any{"fixed": k.version})
		case 2: // no fix: affected
		case 3:
			if k.eco == "npm" { // last_affected before the installed version
				events = []any{map[string]any{"introduced": "0"}, map[string]any{"last_affected": "0.0.1"}}
			} else { // another release's record, or a fix sorting before the installed version
				if i%8 == 3 {
					eco = "Debian:11"
					events = append(events, map[string]any{"fixed": nextVersion(k.eco, k.version)})
				} else {
					events = append(events, map[string]any{"fixed": k.version + "~bench1"})
				}
			}
		}
		r := map[string]any{
			"schema_version": "1.6.0",
			"id":             id,
			"modified":       synthTime,
			"published":      synthTime,
			"summary":        "synthesised advisory for " + k.name,
			"affected": []any{map[string]any{
				"package": map[string]any{"ecosystem": eco, "name": k.name},
				"ranges":  []any{map[string]any{"type": rangeType, "events": events}},
			}},
		}
		if i%2 == 0 {
			r["severity"] = []any{map[string]any{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}
		}
		if i%3 == 0 {
			r["aliases"] = []any{fmt.Sprintf("CVE-2099-%d", 10000+i)}
		}
		out = append(out, r)
	}
	return out
}

// nextVersion is a version just after v: a Debian upload ("+bench1" sorts after
// the version and before any later revision), the next SemVer patch for npm.
func nextVersion(eco, v string) string {
	if eco != "npm" {
		return v + "+bench1"
	}
	core, pre, _ := strings.Cut(v, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) == 3 {
		if n, err := strconv.Atoi(parts[2]); err == nil {
			if pre != "" { // 1.2.3-rc.1 < 1.2.3
				return core
			}
			return parts[0] + "." + parts[1] + "." + strconv.Itoa(n+1)
		}
	}
	return "999999.0.0"
}

// replica is record r replicated under a new ID ("GO-2024-1234-R17": the ID with
// -R and the replica number, so the prefix stays one the OSV schema knows) for new
// packages (every affected package renamed per replica: a Go module under
// bench17.example/, others suffixed -bench17): a larger database, as a larger
// upstream is, with more packages rather than more records per package. Aliases are
// renamed too, related and withdrawn kept as they are.
func replica(r map[string]any, n int) map[string]any {
	out := make(map[string]any, len(r))
	for k, v := range r {
		out[k] = v
	}
	suffix := "-R" + strconv.Itoa(n)
	out["id"] = fmt.Sprint(r["id"]) + suffix
	if as, ok := r["aliases"].([]any); ok {
		renamed := make([]any, len(as))
		for i, a := range as {
			renamed[i] = fmt.Sprint(a) + suffix
		}
		out["aliases"] = renamed
	}
	delete(out, "related")
	if affected, ok := r["affected"].([]any); ok {
		renamed := make([]any, 0, len(affected))
		for _, a := range affected {
			am, ok := a.(map[string]any)
			if !ok {
				continue
			}
			nm := make(map[string]any, len(am))
			for k, v := range am {
				nm[k] = v
			}
			if pkg, ok := am["package"].(map[string]any); ok {
				np := make(map[string]any, len(pkg))
				for k, v := range pkg {
					np[k] = v
				}
				name := fmt.Sprint(pkg["name"])
				if strings.HasPrefix(fmt.Sprint(pkg["ecosystem"]), "Go") {
					np["name"] = "bench" + strconv.Itoa(n) + ".example/" + name
				} else {
					np["name"] = name + "-bench" + strconv.Itoa(n)
				}
				delete(np, "purl")
				nm["package"] = np
			}
			renamed = append(renamed, nm)
		}
		out["affected"] = renamed
	}
	return out
}

// writeZips writes records as OSV zip exports (one ID.json entry per record, as
// osv.dev's all.zip) of at most perZip records each, into dir as prefix-N.zip, and
// returns their paths.
func writeZips(dir, prefix string, n, perZip int, record func(i int) map[string]any) ([]string, error) {
	var paths []string
	var zw *zip.Writer
	var f *os.File
	closeZip := func() error {
		if zw == nil {
			return nil
		}
		err := zw.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		zw = nil
		return err
	}
	for i := range n {
		if i%perZip == 0 {
			if err := closeZip(); err != nil {
				return nil, err
			}
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.zip", prefix, len(paths)+1))
			var err error
			if f, err = os.Create(p); err != nil {
				return nil, err
			}
			zw = zip.NewWriter(f)
			paths = append(paths, p)
		}
		r := record(i)
		w, err := zw.Create(fmt.Sprint(r["id"]) + ".json")
		if err != nil {
			return nil, err
		}
		if err := writeJSON(w, r); err != nil {
			return nil, err
		}
	}
	return paths, closeZip()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// synthPackages adds packages named as the Go database names modules (real module
// paths) to inv until it holds want packages: by the records' IDs, each module once,
// at a version inside an affected range (the introduced version, or the lowest
// pseudo-version when a range starts at 0) for even ones and at the fixed version
// for odd ones.
func synthPackages(inv *software.Inventory, records []map[string]any, want int) int {
	have := map[string]bool{}
	for _, p := range inv.Packages {
		have[string(p.Ecosystem)+"/"+p.Name] = true
	}
	sorted := slices.Clone(records)
	sort.Slice(sorted, func(i, j int) bool { return fmt.Sprint(sorted[i]["id"]) < fmt.Sprint(sorted[j]["id"]) })
	added := 0
	for _, r := range sorted {
		if len(inv.Packages) >= want {
			break
		}
		if _, withdrawn := r["withdrawn"]; withdrawn {
			continue
		}
		affected, _ := r["affected"].([]any)
		for _, a := range affected {
			am, _ := a.(map[string]any)
			pkg, _ := am["package"].(map[string]any)
			name, _ := pkg["name"].(string)
			if pkg["ecosystem"] != "Go" || name == "" || name == "stdlib" || name == "toolchain" || have["golang/"+name] {
				continue
			}
			introduced, fixed := firstRange(am)
			version := ""
			switch {
			case added%2 == 1 && fixed != "":
				version = "v" + fixed
			case introduced != "" && introduced != "0":
				version = "v" + introduced
			default:
				version = "v0.0.0-20000101000000-000000000000"
			}
			have["golang/"+name] = true
			inv.Packages = append(inv.Packages, software.Package{
				Ecosystem: software.Golang, Name: name, Version: version,
				PURL:      "pkg:golang/" + name + "@" + version,
				Cataloger: "vulnbench",
				Location:  software.Location{Path: "/synthesised/go-binary", Layer: -1},
			})
			added++
			break
		}
	}
	return added
}

// firstRange is the first introduced and fixed event of an affected entry's first
// range.
func firstRange(affected map[string]any) (introduced, fixed string) {
	ranges, _ := affected["ranges"].([]any)
	if len(ranges) == 0 {
		return "", ""
	}
	rm, _ := ranges[0].(map[string]any)
	events, _ := rm["events"].([]any)
	for _, e := range events {
		em, _ := e.(map[string]any)
		if v, ok := em["introduced"].(string); ok && introduced == "" {
			introduced = v
		}
		if v, ok := em["fixed"].(string); ok && fixed == "" {
			fixed = v
		}
	}
	return introduced, fixed
}
