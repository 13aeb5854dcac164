package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// prepareChild builds or finds the test image, catalogs it, completes the inventory
// with Go module paths of the Go database, writes the records over its packages and
// the replicas as OSV zip exports and the Go database in govulncheck's layout, then
// reports on stderr.
func prepareChild(o options) error {
	goRecords, err := readRecords(o.goDB)
	if err != nil {
		return err
	}
	set, goBin, err := testImage(o)
	if err != nil {
		return err
	}
	inv, err := catalogLayout(set.Layout)
	if err != nil {
		return err
	}
	p := protocol.Prepared{GoRecords: len(goRecords), Real: len(inv.Packages), RealBy: countBy(inv), Release: distroRelease(inv),
		GoBinary: goBin.File, GoVersion: goBin.GoVersion, GoModules: len(goBin.Deps) + 1}
	p.Added = synthPackages(inv, goRecords, o.packages)
	p.Packages = len(inv.Packages)
	p.Inventory = filepath.Join(o.work, "inventory.json")
	if err := writeFile(p.Inventory, inv); err != nil {
		return err
	}
	osRecs := osRecords(inv)
	p.OSRecords = len(osRecs)
	if p.OSZips, err = writeZips(o.work, "os", len(osRecs), 50_000, func(i int) map[string]any { return osRecs[i] }); err != nil {
		return err
	}
	originals := append(slices.Clone(goRecords), osRecs...)
	p.Replicas = max(o.records-len(originals), 0)
	if p.ReplicaZips, err = writeZips(o.work, "replicas", p.Replicas, 50_000, func(i int) map[string]any {
		return replica(originals[i%len(originals)], i/len(originals)+1)
	}); err != nil {
		return err
	}
	p.GovulncheckDB = filepath.Join(o.work, "govulndb")
	if err := writeGovulncheckDB(p.GovulncheckDB, goRecords); err != nil {
		return err
	}
	return protocol.Write(p)
}

// testImage builds (or finds) the test image set and the Go binary in it (the
// parent's own memory stays small: see run).
func testImage(o options) (*imagetest.Set, *imagetest.GoBinary, error) {
	return imagetest.BuildStandard(o.rootfs, func(s string) { progress("%s", s) })
}

// catalogLayout catalogs an OCI layout as `palisade image` does.
func catalogLayout(layout string) (*software.Inventory, error) {
	ctx := context.Background()
	o := image.Options{Keep: source.Keep}
	imgs, err := image.Open(ctx, layout, o)
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("%s: %d images, want 1", layout, len(imgs))
	}
	files, err := imgs[0].Read(ctx, o)
	if err != nil {
		return nil, err
	}
	defer files.Close()
	inv := software.Catalog(ctx, files, files)
	if len(inv.Problems) > 0 {
		return nil, fmt.Errorf("%s: %s: %s", layout, inv.Problems[0].Path, inv.Problems[0].Err)
	}
	return &inv, nil
}

func countBy(inv *software.Inventory) string {
	n := map[software.Ecosystem]int{}
	for _, p := range inv.Packages {
		n[p.Ecosystem]++
	}
	var parts []string
	for _, e := range []software.Ecosystem{software.Deb, software.Golang, software.NPM} {
		parts = append(parts, fmt.Sprintf("%d %s", n[e], e))
		delete(n, e)
	}
	for e, c := range n {
		parts = append(parts, fmt.Sprintf("%d %s", c, e))
	}
	return strings.Join(parts, ", ")
}

func distroRelease(inv *software.Inventory) string {
	if inv.Distro == nil {
		return "?"
	}
	return inv.Distro.VersionID
}
