package imagetest_test

// The ground-truth tests: Palisade's image reader and catalogers on the real test
// images must find exactly what the tools that made their contents say is there
// (dpkg-query --admindir on the root filesystem, go version -m on the binary, npm ls
// --all --json on the node tree), in every form the image comes in, with each
// package's layer, and every entry's owner and mode as on disk.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/software"
	_ "github.com/palisade-k8s/palisade/internal/software/all"
)

// read opens ref with the options and reads and catalogs each image.
func read(t *testing.T, ref string, o image.Options) ([]*image.Image, []*image.FS, []software.Inventory) {
	t.Helper()
	ctx := context.Background()
	o.Keep = software.Keep
	o.TempDir = t.TempDir()
	imgs, err := image.Open(ctx, ref, o)
	if err != nil {
		t.Fatalf("image.Open(%s): %v", ref, err)
	}
	var fss []*image.FS
	var invs []software.Inventory
	for _, img := range imgs {
		fsys, err := img.Read(ctx, o)
		if err != nil {
			t.Fatalf("Read(%s %s): %v", ref, img.Platform, err)
		}
		t.Cleanup(func() { fsys.Close() })
		fss = append(fss, fsys)
		invs = append(invs, software.Catalog(ctx, fsys, fsys))
	}
	return imgs, fss, invs
}

// TestGroundTruth: every form of the linux/amd64 test image.
func TestGroundTruth(t *testing.T) {
	s := imagetest.Images(t)
	reg := s.Serve(t)
	manifest, err := s.Image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := s.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		form, ref, platform, source string
		digest                      bool // the manifest digest is the image's (not a docker archive's)
	}{
		{"oci-layout", s.Layout, "", "oci-layout", true},
		{"oci-layout-index", s.IndexLayout, "linux/amd64", "oci-layout", true},
		{"oci-archive", s.OCIArchive, "", "oci-archive", true},
		{"docker-archive", s.DockerArchive, "", "docker-archive", false},
		{"registry", reg.Image, "", "registry", true},
		{"registry-index", reg.Index, "linux/amd64", "registry", true},
	} {
		t.Run(c.form, func(t *testing.T) {
			imgs, fss, invs := read(t, c.ref, image.Options{Platform: c.platform, Insecure: []string{reg.Host}})
			if len(imgs) != 1 {
				t.Fatalf("%d images, want 1", len(imgs))
			}
			info := imgs[0].ImageInfo
			if info.Source != c.source || info.Platform != "linux/amd64" || info.Config.User != "root" {
				t.Errorf("source %q platform %q user %q, want %q linux/amd64 root", info.Source, info.Platform, info.Config.User, c.source)
			}
			if c.digest && info.Digest != manifest.String() {
				t.Errorf("digest %s, want %s", info.Digest, manifest)
			}
			if len(info.Layers) != len(cf.RootFS.DiffIDs) {
				t.Fatalf("%d layers, want %d", len(info.Layers), len(cf.RootFS.DiffIDs))
			}
			for i, l := range info.Layers {
				if l.DiffID != cf.RootFS.DiffIDs[i].String() {
					t.Errorf("layer %d: diffID %s, want %s", i, l.DiffID, cf.RootFS.DiffIDs[i])
				}
			}
			if !slices.Equal(info.Config.Env, imagetest.Config.Env) {
				t.Errorf("env %q, want %q", info.Config.Env, imagetest.Config.Env)
			}
			inv := invs[0]
			for _, p := range inv.Problems {
				t.Errorf("problem: %s: %s", p.Path, p.Err)
			}
			checkEcosystems(t, inv, software.Deb, software.Golang, software.NPM)
			checkDistro(t, inv, s.Truth.OSRelease)
			checkDeb(t, inv, s.Truth.Deb, s.Truth.OSRelease["VERSION_ID"], imagetest.LayerDebian)
			checkGo(t, inv, s.Truth.Go, imagetest.GoAppPath, imagetest.LayerApp)
			checkNPM(t, inv, s.Truth.NPM, imagetest.LayerApp)
			checkSecrets(t, fss[0])
			if c.form == "oci-layout" {
				checkEntries(t, fss[0], s.Truth.RootFS, imagetest.LayerDebian)
			}
		})
	}
}

// TestGroundTruthPlatforms: the two-platform index, one platform at a time and all.
func TestGroundTruthPlatforms(t *testing.T) {
	s := imagetest.Images(t)
	reg := s.Serve(t)
	for _, ref := range []string{s.IndexLayout, reg.Index} {
		imgs, _, invs := read(t, ref, image.Options{Platform: "linux/arm64", Insecure: []string{reg.Host}})
		if len(imgs) != 1 || imgs[0].Platform != "linux/arm64" || imgs[0].Config.User != imagetest.ARM64User {
			t.Fatalf("%s linux/arm64: %d images (%+v)", ref, len(imgs), imgs)
		}
		checkEcosystems(t, invs[0], software.Golang)
		checkGo(t, invs[0], s.Truth.GoARM64, imagetest.GoAppPath, 0)
		if invs[0].Distro != nil {
			t.Errorf("%s linux/arm64: distro %+v, want none", ref, invs[0].Distro)
		}

		imgs, _, invs = read(t, ref, image.Options{AllPlatforms: true, Insecure: []string{reg.Host}})
		var plats []string
		for _, img := range imgs {
			plats = append(plats, img.Platform)
		}
		sort.Strings(plats)
		if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
			t.Errorf("%s, all platforms: %v", ref, plats)
		}
		for i, img := range imgs {
			if img.Platform == "linux/amd64" {
				checkDeb(t, invs[i], s.Truth.Deb, s.Truth.OSRelease["VERSION_ID"], imagetest.LayerDebian)
			}
		}
	}
}

// TestGroundTruthRootFS: the root filesystem directory itself (--rootfs).
func TestGroundTruthRootFS(t *testing.T) {
	rootfs := imagetest.DebianRootFS(t)
	debs, err := imagetest.DpkgTruth(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	osr, err := imagetest.OSRelease(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	var installed []imagetest.DebPackage
	for _, p := range debs {
		if p.Installed() {
			installed = append(installed, p)
		}
	}
	img, err := image.OpenRootFS(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := image.Options{Keep: software.Keep, TempDir: t.TempDir()}
	fsys, err := img.Read(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	inv := software.Catalog(ctx, fsys, fsys)
	checkEcosystems(t, inv, software.Deb)
	checkDistro(t, inv, osr)
	checkDeb(t, inv, installed, osr["VERSION_ID"], 0)
}

// checkEcosystems: the inventory holds packages of exactly these ecosystems (the
// images hold no others: a package of another is a false positive).
func checkEcosystems(t *testing.T, inv software.Inventory, want ...software.Ecosystem) {
	t.Helper()
	got := map[software.Ecosystem]int{}
	for _, p := range inv.Packages {
		got[p.Ecosystem]++
	}
	for e, n := range got {
		if !slices.Contains(want, e) {
			var ex []string
			for _, p := range inv.Packages {
				if p.Ecosystem == e && len(ex) < 5 {
					ex = append(ex, p.PURL+" at "+p.Location.Path)
				}
			}
			t.Errorf("%d %s packages, want none: %v", n, e, ex)
		}
	}
	for _, e := range want {
		if got[e] == 0 {
			t.Errorf("no %s packages", e)
		}
	}
}

func checkDistro(t *testing.T, inv software.Inventory, osr map[string]string) {
	t.Helper()
	d := inv.Distro
	if d == nil {
		t.Errorf("no distribution release, want %s %s", osr["ID"], osr["VERSION_ID"])
		return
	}
	if d.ID != osr["ID"] || d.VersionID != osr["VERSION_ID"] || d.VersionCodename != osr["VERSION_CODENAME"] || d.PrettyName != osr["PRETTY_NAME"] {
		t.Errorf("distro %+v, want os-release %v", *d, osr)
	}
}

// checkDeb: the dpkg packages are exactly dpkg-query's installed ones, with
// architecture and source package, read from /var/lib/dpkg/status in layer.
func checkDeb(t *testing.T, inv software.Inventory, truth []imagetest.DebPackage, versionID string, layer int) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range truth {
		want[fmt.Sprintf("%s %s %s source %s %s", p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion)] = true
	}
	got := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Ecosystem != software.Deb {
			continue
		}
		// The source package defaults to the package itself (Package.SourceName is
		// empty when the database has no Source field, SourceVersion when it equals
		// Version), as ${source:Package} and ${source:Version} do.
		src, srcVer := p.SourceName, p.SourceVersion
		if src == "" {
			src = p.Name
		}
		if srcVer == "" {
			srcVer = p.Version
		}
		k := fmt.Sprintf("%s %s %s source %s %s", p.Name, p.Version, p.Arch, src, srcVer)
		if got[k] {
			t.Errorf("deb package listed twice: %s", k)
		}
		got[k] = true
		if p.Location.Path != "/var/lib/dpkg/status" || p.Location.Layer != layer {
			t.Errorf("%s: location %+v, want /var/lib/dpkg/status in layer %d", p.Name, p.Location, layer)
		}
		u := parsePURL(t, p.PURL)
		if u.typ != "deb" || u.namespace != "debian" || u.name != p.Name || u.version != p.Version || u.qualifiers.Get("arch") != p.Arch || u.qualifiers.Get("distro") != "debian-"+versionID {
			t.Errorf("%s: purl %s (%+v), want pkg:deb/debian/%s@%s?arch=%s&distro=debian-%s", p.Name, p.PURL, u, p.Name, p.Version, p.Arch, versionID)
		}
	}
	diff(t, "deb", got, want)
}

// checkGo: the Go modules are exactly go version -m's: the main module (no version
// when "(devel)"), every dependency with replacements applied (a replacement by a
// directory keeps the module path, without a version), and the toolchain as
// "stdlib"; all from the binary file, added by layer.
func checkGo(t *testing.T, inv software.Inventory, truth *imagetest.GoBinary, file string, layer int) {
	t.Helper()
	want := map[string]bool{}
	main := truth.Main.Version
	if main == "(devel)" {
		main = ""
	}
	want[truth.Main.Path+"@"+main] = true
	for _, d := range truth.Deps {
		p, v := d.Path, d.Version
		if d.Replaces != "" && v == "" {
			p, _, _ = strings.Cut(d.Replaces, "@")
		}
		want[p+"@"+v] = true
	}
	want["stdlib@"+imagetest.StdlibVersion(truth.GoVersion)] = true
	got := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Ecosystem != software.Golang {
			continue
		}
		got[p.Name+"@"+p.Version] = true
		if p.Location.Path != file || p.Location.Layer != layer {
			t.Errorf("%s: location %+v, want %s in layer %d", p.Name, p.Location, file, layer)
		}
		if u := parsePURL(t, p.PURL); u.typ != "golang" || path.Join(u.namespace, u.name) != p.Name || u.version != p.Version {
			t.Errorf("%s: purl %s (%+v), want pkg:golang/%s@%s", p.Name, p.PURL, u, p.Name, p.Version)
		}
	}
	diff(t, "golang", got, want)
}

// checkNPM: the npm packages are exactly npm ls's (each name and version; a package
// installed at two places counts once), read under /app in layer. The project
// itself (package.json at the root, "" in the lock) may be reported or not.
func checkNPM(t *testing.T, inv software.Inventory, truth *imagetest.NPMTree, layer int) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range truth.Packages {
		want[p.Name+"@"+p.Version] = true
	}
	got := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Ecosystem != software.NPM {
			continue
		}
		if p.Name == truth.Root.Name && p.Version == truth.Root.Version {
			continue
		}
		got[p.Name+"@"+p.Version] = true
		if !strings.HasPrefix(p.Location.Path, imagetest.NPMAppPath+"/") || p.Location.Layer != layer {
			t.Errorf("%s: location %+v, want under %s in layer %d", p.Name, p.Location, imagetest.NPMAppPath, layer)
		}
		if u := parsePURL(t, p.PURL); u.typ != "npm" || path.Join(u.namespace, u.name) != p.Name || u.version != p.Version {
			t.Errorf("%s: purl %s (%+v), want pkg:npm/%s@%s", p.Name, p.PURL, u, p.Name, p.Version)
		}
	}
	diff(t, "npm", got, want)
}

// purl is a Package URL's parts, decoded (https://github.com/package-url/purl-spec).
type purl struct {
	typ, namespace, name, version string
	qualifiers                    url.Values
}

func parsePURL(t *testing.T, s string) purl {
	t.Helper()
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		t.Errorf("purl %q: no pkg: scheme", s)
		return purl{}
	}
	var u purl
	rest, _, _ = strings.Cut(rest, "#")
	rest, q, _ := strings.Cut(rest, "?")
	var err error
	if u.qualifiers, err = url.ParseQuery(q); err != nil {
		t.Errorf("purl %q: qualifiers: %v", s, err)
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest, u.version = rest[:i], rest[i+1:]
	}
	segs := strings.Split(rest, "/")
	for i := range segs {
		if segs[i], err = url.PathUnescape(segs[i]); err != nil {
			t.Errorf("purl %q: %v", s, err)
		}
	}
	if u.version, err = url.PathUnescape(u.version); err != nil {
		t.Errorf("purl %q: %v", s, err)
	}
	if len(segs) < 2 {
		t.Errorf("purl %q: no name", s)
		return u
	}
	u.typ, u.name, u.namespace = segs[0], segs[len(segs)-1], strings.Join(segs[1:len(segs)-1], "/")
	return u
}

func diff(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d packages missing: %s", what, len(missing), len(want), strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		t.Errorf("%s: %d packages not in the ground truth: %s", what, len(extra), strings.Join(extra, ", "))
	}
}

// checkSecrets: the credential files are gone from the merged view, but every
// layer's entries still show them in the layer that added them.
func checkSecrets(t *testing.T, fsys *image.FS) {
	t.Helper()
	for _, f := range imagetest.SecretFiles {
		if _, err := fs.Stat(fsys, strings.TrimPrefix(f.Path, "/")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: Stat err %v, want not exist (deleted in layer %d)", f.Path, err, f.DeletedIn)
		}
	}
	if _, err := fs.Stat(fsys, "root/.aws"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root/.aws: Stat err %v, want not exist (whited out)", err)
	}
	if fi, err := fs.Stat(fsys, "root/.ssh"); err != nil || !fi.IsDir() {
		t.Errorf("root/.ssh: %v %v, want the directory (only its file was whited out)", fi, err)
	}
	found := map[string]bool{}
	err := fsys.Walk(func(e *inventory.ImageEntry) error {
		if strings.Contains(e.Path, ".wh.") {
			t.Errorf("whiteout marker %s listed as an entry", e.Path)
		}
		for _, f := range imagetest.SecretFiles {
			if e.Path == f.Path && e.Layer == f.Layer {
				found[f.Path] = true
				if e.Visible || e.Type != inventory.EntryRegular {
					t.Errorf("%s in layer %d: visible %v type %v, want a regular file no longer visible", e.Path, e.Layer, e.Visible, e.Type)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range imagetest.SecretFiles {
		if !found[f.Path] {
			t.Errorf("%s: not among layer %d's entries", f.Path, f.Layer)
		}
	}
}

// checkEntries: every entry of the root filesystem's layer has the type, owner,
// group, mode (setuid, setgid and sticky included) and link target the file has on
// disk, and none is missing (device nodes, FIFOs and sockets are not in the layer).
func checkEntries(t *testing.T, fsys *image.FS, rootfs string, layer int) {
	t.Helper()
	seen := map[string]bool{}
	bad := 0
	err := fsys.Walk(func(e *inventory.ImageEntry) error {
		if e.Layer != layer {
			return nil
		}
		seen[e.Path] = true
		fi, err := os.Lstat(filepath.Join(rootfs, filepath.FromSlash(e.Path)))
		if err != nil {
			t.Errorf("%s: in the layer, not on disk: %v", e.Path, err)
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		const bits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
		typ := inventory.EntryRegular
		switch {
		case fi.IsDir():
			typ = inventory.EntryDir
		case fi.Mode()&fs.ModeSymlink != 0:
			typ = inventory.EntrySymlink
		}
		ok := e.UID == int(st.Uid) && e.GID == int(st.Gid) && e.Mode&bits == fi.Mode()&bits
		switch {
		case e.Type == inventory.EntryHardlink:
			ok = ok && typ == inventory.EntryRegular && st.Nlink > 1
		case e.Type != typ:
			ok = false
		case typ == inventory.EntryRegular:
			ok = ok && e.Size == fi.Size()
		case typ == inventory.EntrySymlink:
			target, _ := os.Readlink(filepath.Join(rootfs, filepath.FromSlash(e.Path)))
			ok = ok && e.Link == target
		}
		if !ok && bad < 20 {
			bad++
			t.Errorf("%s: type %v %d:%d %v size %d link %q, on disk %v %d:%d %v size %d", e.Path, e.Type, e.UID, e.GID, e.Mode, e.Size, e.Link, typ, st.Uid, st.Gid, fi.Mode(), fi.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	err = filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == rootfs {
			return err
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			return nil
		}
		rel, _ := filepath.Rel(rootfs, path)
		if p := "/" + filepath.ToSlash(rel); !seen[p] {
			if missing < 20 {
				t.Errorf("%s: on disk, not among layer %d's entries", p, layer)
			}
			missing++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
