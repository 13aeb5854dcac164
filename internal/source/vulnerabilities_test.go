package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/sbom"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// noAdvisories is a database the fake matcher never reads.
type noAdvisories struct{}

func (noAdvisories) Lookup(software.Ecosystem, string) ([]*osv.Record, error) { return nil, nil }

// fakeMatch replaces the matcher: every package named "bash" has one vulnerability,
// and every image one advisory not evaluated, one unsupported ecosystem and one
// problem. It records the packages it saw.
type fakeMatch struct {
	mu   sync.Mutex
	seen []string
	err  error
	boom bool
}

func (m *fakeMatch) match(ctx context.Context, db vuln.Advisories, inv *software.Inventory) (*vuln.Result, error) {
	if m.boom {
		panic("matcher bug")
	}
	if m.err != nil {
		return nil, m.err
	}
	res := &vuln.Result{Unsupported: map[software.Ecosystem]int{software.Gem: 2}, Problems: []string{"Debian/DSA-1: version \"x\" of bash: invalid"}}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range inv.Packages {
		p := &inv.Packages[i]
		m.seen = append(m.seen, p.Name+" "+p.Version)
		if p.Name == "bash" {
			res.Vulnerabilities = append(res.Vulnerabilities, vuln.Vulnerability{Package: p, Evidence: finding.Vulnerability{ID: "CVE-2022-3715"}})
			res.NotEvaluated = append(res.NotEvaluated, vuln.NotEvaluated{Package: p, IDs: []string{"OSV-2020-1"}})
		}
	}
	return res, nil
}

func (m *fakeMatch) install(t *testing.T) {
	prev := match
	match = m.match
	t.Cleanup(func() { match = prev })
}

// Every image is matched once its software is known, before the rules see it: read
// from a registry, found in the cache, a root filesystem, an SBOM. What the matcher
// could not do is a notice naming the image.
func TestImagesMatchVulnerabilities(t *testing.T) {
	m := &fakeMatch{}
	m.install(t)
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	rootfs := func(dir string) (located, error) {
		img := testImage(dir, 'r', "", fstest.MapFS{"pkgs.txt": {Data: []byte("bash 5.1\n")}}, nil)
		info := img.info
		info.Digest = ""
		return located{Info: &info, Read: func(ctx context.Context, _ image.Options) (inventory.ImageFiles, func() error, error) {
			return fakeFiles{MapFS: img.files}, func() error { return nil }, nil
		}}, nil
	}
	var doc strings.Builder
	inv := software.Inventory{Packages: []software.Package{{Ecosystem: software.Deb, Name: "bash", Version: "5.0", PURL: "pkg:deb/debian/bash@5.0"}}}
	if err := sbom.WriteCycloneDX(&doc, sbom.Subject{Name: "app", Software: inv}, sbom.Tool{Name: "test", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	sbomFile := filepath.Join(t.TempDir(), "app.cdx.json")
	if err := os.WriteFile(sbomFile, []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, pass := range []string{"read", "cached"} {
		m.seen = nil
		seenInVisit := map[string]bool{}
		var mu sync.Mutex
		src := &Images{Refs: []string{"web:1"}, RootFS: []string{"/mnt/root"}, SBOMs: []string{sbomFile}, Cache: cache, Version: "test",
			Advisories: noAdvisories{}, open: reg.open, openRootFS: rootfs}
		res, err := src.Read(context.Background(), Needs{Kinds: []string{finding.ImageKind}, Visit: func(o *inventory.Object) {
			mu.Lock()
			defer mu.Unlock()
			seenInVisit[o.Ref.Name] = o.Image.Vulnerabilities != nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 || len(res.Internal) > 0 {
			t.Fatalf("%s: errors %v, internal %v", pass, res.Errors, res.Internal)
		}
		if len(res.Inventory.Objects) != 3 {
			t.Fatalf("%s: %d objects", pass, len(res.Inventory.Objects))
		}
		for _, o := range res.Inventory.Objects {
			name := o.Ref.Name
			if !seenInVisit[name] {
				t.Errorf("%s: %s: the rules saw no vulnerabilities", pass, name)
			}
			vs := o.Image.Vulnerabilities
			if vs == nil || len(vs.Vulnerabilities) != 1 || vs.Vulnerabilities[0].Package.Name != "bash" {
				t.Errorf("%s: %s: vulnerabilities %+v", pass, name, vs)
			}
			var notices []string
			for _, n := range res.Notices {
				if n.Location.File == name {
					notices = append(notices, n.Message)
				}
			}
			want := []string{
				"vulnerability OSV-2020-1 of deb bash ",
				"2 gem packages have advisories that were not matched: Palisade has no version order for gem",
				`vulnerability database: Debian/DSA-1: version "x" of bash: invalid`,
			}
			if len(notices) != len(want) {
				t.Errorf("%s: %s: notices %q", pass, name, notices)
				continue
			}
			for i, w := range want {
				if !strings.Contains(notices[i], w) {
					t.Errorf("%s: %s: notice %q, want %q", pass, name, notices[i], w)
				}
			}
			if !strings.Contains(notices[0], "not evaluated: the advisory gives only GIT (commit) ranges") {
				t.Errorf("%s: %s: notice %q", pass, name, notices[0])
			}
		}
		if len(m.seen) != 4 {
			t.Errorf("%s: matched packages %q, want the 2 of the image, the root filesystem's and the SBOM's", pass, m.seen)
		}
	}
	if reg.reads.Load() != 1 {
		t.Errorf("the image was read %d times, want once (then from the cache)", reg.reads.Load())
	}
}

// No database, no matching: ImageInfo.Vulnerabilities stays nil.
func TestImagesNoAdvisories(t *testing.T) {
	m := &fakeMatch{boom: true}
	m.install(t)
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	res, err := (&Images{Refs: []string{"web:1"}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Internal) > 0 || res.Inventory.Objects[0].Image.Vulnerabilities != nil {
		t.Errorf("matched without a database: %v", res.Internal)
	}
}

// A database that fails is an input error naming the image; a matcher that panics an
// internal error naming it; the image is still checked.
func TestImagesMatchFailures(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	m := &fakeMatch{err: errors.New("database read: bad page")}
	m.install(t)
	res, err := (&Images{Refs: []string{"web:1"}, Advisories: noAdvisories{}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Location.File != "web:1" || res.Errors[0].Message != "matching the vulnerability database: database read: bad page" {
		t.Errorf("errors %+v", res.Errors)
	}
	if len(res.Inventory.Objects) != 1 {
		t.Errorf("%d objects", len(res.Inventory.Objects))
	}
	m.err, m.boom = nil, true
	res, err = (&Images{Refs: []string{"web:1"}, Advisories: noAdvisories{}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Internal) != 1 || res.Internal[0].Location.File != "web:1" || !strings.Contains(res.Internal[0].Message, "matcher bug") || len(res.Inventory.Objects) != 1 {
		t.Errorf("internal %+v, %d objects", res.Internal, len(res.Inventory.Objects))
	}
}

// scan --images and cluster --images match the workloads' images too.
func TestWorkloadImagesMatch(t *testing.T) {
	m := &fakeMatch{}
	m.install(t)
	pod := &inventory.Object{
		Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web"},
		Body: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web"},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "web:1"}}}},
	}
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	src := &WorkloadImages{Source: &Objects{Objects: []*inventory.Object{pod}, Inputs: 1}, Images: Images{Advisories: noAdvisories{}, open: reg.open}}
	res, err := src.Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	imgs := res.Images()
	if len(imgs) != 1 || imgs[0].Vulnerabilities == nil || len(imgs[0].Vulnerabilities.Vulnerabilities) != 1 {
		t.Fatalf("images %+v", imgs)
	}
}

// The default database missing is a notice, a named one an error; neither opens it.
func TestVulnDBMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vulndb.db")
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	res, err := (&Images{Refs: []string{"web:1"}, DB: &VulnDB{Path: path}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notices) != 1 || res.Notices[0].Location.File != path || !strings.Contains(res.Notices[0].Message, "no vulnerability database") || !strings.Contains(res.Notices[0].Message, "palisade db import") {
		t.Errorf("notices %+v", res.Notices)
	}
	if res.Inventory.Objects[0].Image.Vulnerabilities != nil {
		t.Error("matched without a database")
	}
	_, err = (&Images{Refs: []string{"web:1"}, DB: &VulnDB{Path: path, Required: true}, open: reg.open}).Read(context.Background(), Needs{})
	if !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), path) {
		t.Errorf("required database missing: %v", err)
	}
}

// The default database is named from "~" when it is under the home directory.
func TestVulnDBMissingHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, ".cache", "palisade", "vulndb.db")
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", webFiles, nil)}}}
	res, err := (&Images{Refs: []string{"web:1"}, DB: &VulnDB{Path: path}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notices) != 1 || res.Notices[0].Location.File != filepath.Join("~", ".cache", "palisade", "vulndb.db") {
		t.Errorf("notices %+v", res.Notices)
	}
	if got := HomeRelative(home + "x/vulndb.db"); got != home+"x/vulndb.db" {
		t.Errorf("HomeRelative of a sibling of the home directory: %q", got)
	}
}

// A source older than the maximum age is a notice naming it and its age, or with
// fail an input error; a database without source is a notice.
func TestStaleness(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	sources := []vulndb.Source{
		{Name: "Go", Newest: now.Add(-2 * 24 * time.Hour)},
		{Name: "Debian", Newest: now.Add(-(9*24 + 3) * time.Hour)},
	}
	notices, errs := staleness("/db", sources, now, 7*24*time.Hour, false)
	if len(errs) != 0 || len(notices) != 1 || notices[0].Location.File != "/db" ||
		notices[0].Message != "vulnerability database source Debian is 9d3h old (newest advisory 2026-11-27), older than --max-db-age 7d: import it again" {
		t.Errorf("notices %+v, errors %+v", notices, errs)
	}
	notices, errs = staleness("/db", sources, now, 7*24*time.Hour, true)
	if len(notices) != 0 || len(errs) != 1 || !strings.HasSuffix(errs[0].Message, "(--fail-on-stale-db)") || !strings.Contains(errs[0].Message, "source Debian is 9d3h old") {
		t.Errorf("notices %+v, errors %+v", notices, errs)
	}
	if notices, errs = staleness("/db", sources, now, 10*24*time.Hour, true); len(notices)+len(errs) != 0 {
		t.Errorf("fresh: notices %+v, errors %+v", notices, errs)
	}
	if notices, _ = staleness("/db", nil, now, time.Hour, true); len(notices) != 1 || !strings.Contains(notices[0].Message, "holds no advisories") {
		t.Errorf("empty: notices %+v", notices)
	}
	// The default database, in the user's home, is named from "~" as the notice of a
	// missing one is: the same on every machine.
	home := t.TempDir()
	t.Setenv("HOME", home)
	if notices, _ = staleness(filepath.Join(home, ".cache", "palisade", "vulndb.db"), sources, now, 7*24*time.Hour, false); len(notices) != 1 || notices[0].Location.File != "~/.cache/palisade/vulndb.db" {
		t.Errorf("in the home directory: notices %+v", notices)
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Minute: "40m0s", 5 * time.Hour: "5h", 7 * 24 * time.Hour: "7d", 51 * time.Hour: "2d3h",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
	}
}
