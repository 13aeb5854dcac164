package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/software"
)

// A test cataloger: "pkgs.txt" holds "name version" lines; a line "bad" is a Problem.
func init() {
	software.Register(software.Cataloger{
		Name: "test-pkgs",
		Keep: func(name string, _ fs.FileMode, _ int64, _ []byte) bool { return name == "pkgs.txt" },
		Catalog: func(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
			f, err := fsys.Open("pkgs.txt")
			if err != nil {
				return nil, nil
			}
			defer f.Close()
			layer := -1
			if env.Layers != nil {
				layer = env.Layers.LayerOf("pkgs.txt")
			}
			var pkgs []software.Package
			var probs []software.Problem
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				fields := strings.Fields(sc.Text())
				if len(fields) != 2 {
					probs = append(probs, software.Problem{Path: "/pkgs.txt", Err: fmt.Sprintf("malformed line %q", sc.Text())})
					continue
				}
				pkgs = append(pkgs, software.Package{Ecosystem: software.Deb, Name: fields[0], Version: fields[1], PURL: "pkg:deb/" + fields[0] + "@" + fields[1],
					Location: software.Location{Path: "/pkgs.txt", Layer: layer}})
			}
			return pkgs, probs
		},
	})
}

// fakeFiles is an image filesystem in memory: every file visible and kept, in the
// layer layers names (0 by default).
type fakeFiles struct {
	fstest.MapFS
	layers map[string]int
}

func (f fakeFiles) LayerOf(name string) int {
	if _, ok := f.MapFS[name]; !ok {
		return -1
	}
	return f.layers[name]
}

func (f fakeFiles) Versions(name string) []software.Version {
	if _, ok := f.MapFS[name]; !ok {
		return nil
	}
	return []software.Version{{Layer: f.layers[name], Open: func() (fs.File, error) { return f.MapFS.Open(name) }}}
}

func (f fakeFiles) Walk(fn func(e *inventory.ImageEntry) error) error {
	names := make([]string, 0, len(f.MapFS))
	for n := range f.MapFS {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mf := f.MapFS[n]
		e := &inventory.ImageEntry{Path: "/" + n, Layer: f.layers[n], Type: inventory.EntryRegular, Mode: mf.Mode, Size: int64(len(mf.Data)), Visible: true, Kept: true}
		if mf.Mode&fs.ModeSymlink != 0 {
			e.Type, e.Link, e.Kept = inventory.EntrySymlink, string(mf.Data), false
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (f fakeFiles) OpenVersion(e *inventory.ImageEntry) (fs.File, error) {
	return f.MapFS.Open(strings.TrimPrefix(e.Path, "/"))
}

// fakeRegistry serves fake images by reference.
type fakeRegistry struct {
	mu     sync.Mutex
	images map[string][]fakeImage
	opened []string
	reads  atomic.Int32
	closed atomic.Int32
	// inFlight and maxInFlight measure the reads at once.
	inFlight, maxInFlight atomic.Int32
	// readErr, if set, is the error of reading the image of that digest; block
	// makes Read wait for the end of its context.
	readErr map[string]error
	block   bool
}

type fakeImage struct {
	info  inventory.ImageInfo
	files fstest.MapFS
	layer map[string]int
}

func (r *fakeRegistry) open(ctx context.Context, ref string, o image.Options) ([]located, error) {
	r.mu.Lock()
	r.opened = append(r.opened, ref)
	imgs, ok := r.images[ref]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("GET https://%s: dial tcp: connection refused", ref)
	}
	var out []located
	for _, fi := range imgs {
		fi := fi
		info := fi.info
		out = append(out, located{Info: &info, Read: func(ctx context.Context, o image.Options) (inventory.ImageFiles, func() error, error) {
			r.reads.Add(1)
			n := r.inFlight.Add(1)
			defer r.inFlight.Add(-1)
			for {
				m := r.maxInFlight.Load()
				if n <= m || r.maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			if r.block {
				<-ctx.Done()
				return nil, nil, ctx.Err()
			}
			if err := r.readErr[info.Digest]; err != nil {
				return nil, nil, err
			}
			if o.Keep == nil || !o.Keep("pkgs.txt", 0o644, 10, nil) || !o.Keep("root/.npmrc", 0o600, 10, nil) {
				return nil, nil, errors.New("Keep does not keep the cataloger's files and the secret candidates")
			}
			return fakeFiles{MapFS: fi.files, layers: fi.layer}, func() error { r.closed.Add(1); return nil }, nil
		}})
	}
	return out, nil
}

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func testImage(ref string, d byte, platform string, files fstest.MapFS, layer map[string]int) fakeImage {
	return fakeImage{
		info: inventory.ImageInfo{Digest: digest(d), Platform: platform, Source: "registry",
			Layers: []inventory.ImageLayer{{DiffID: digest('0')}, {DiffID: digest('1')}}},
		files: files, layer: layer,
	}
}

var webFiles = fstest.MapFS{
	"pkgs.txt":    {Data: []byte("bash 5.2\nlibc6 2.36\n")},
	"root/.npmrc": {Data: []byte("//registry.npmjs.org/:_authToken=x\n"), Mode: 0o600},
	"usr/bin/app": {Data: []byte("\x7fELF")},
}

// Each image is an object of ImageKind that the consumer's Visit sees with its files
// open; the files are closed (Files nil) after, the packages carry their layer's
// diffID, and images count neither as objects nor as configuration files.
func TestImagesObject(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{
		"reg.example/web:1": {testImage("reg.example/web:1", 'a', "linux/amd64", webFiles, map[string]int{"pkgs.txt": 1})},
	}}
	var visited []*inventory.Object
	var sawFiles bool
	src := &Images{Refs: []string{"reg.example/web:1"}, open: reg.open}
	res, err := src.Read(context.Background(), Needs{Kinds: []string{finding.ImageKind}, Visit: func(o *inventory.Object) {
		visited = append(visited, o)
		if o.Image != nil && o.Image.Files != nil {
			b, err := fs.ReadFile(o.Image.Files, "root/.npmrc")
			sawFiles = err == nil && len(b) > 0
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || len(res.Coverage) > 0 {
		t.Fatalf("errors %v, coverage %v", res.Errors, res.Coverage)
	}
	if len(res.Inventory.Objects) != 1 || len(visited) != 1 || !sawFiles {
		t.Fatalf("objects %d, visited %d, files seen in Visit %v", len(res.Inventory.Objects), len(visited), sawFiles)
	}
	o := res.Inventory.Objects[0]
	want := finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: "reg.example/web:1"}
	if o.Ref != want || !o.Ref.IsImage() || o.Origin.File != "reg.example/web:1" || o.Origin.Provenance != finding.FromImage {
		t.Errorf("object %+v origin %+v", o.Ref, o.Origin)
	}
	if name, _ := o.Body["metadata"].(map[string]any)["name"].(string); name != "reg.example/web:1" {
		t.Errorf("body %v", o.Body)
	}
	if o.Image.Files != nil || reg.closed.Load() != 1 {
		t.Errorf("files not closed: Files %v, closed %d", o.Image.Files, reg.closed.Load())
	}
	pkgs := o.Image.Software.Packages
	if len(pkgs) != 2 || pkgs[0].Location.Layer != 1 || pkgs[0].Location.LayerDiffID != digest('1') || pkgs[0].Cataloger != "test-pkgs" {
		t.Errorf("packages %+v", pkgs)
	}
	if res.Inputs != 1 || res.ConfigFiles() != 0 || len(res.Images()) != 1 {
		t.Errorf("inputs %d, config files %d, images %d", res.Inputs, res.ConfigFiles(), len(res.Images()))
	}
}

// An index read for several platforms gives one object per platform, named with it.
func TestImagesPlatformsNamed(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{"multi:1": {
		testImage("multi:1", 'a', "linux/amd64", webFiles, nil),
		testImage("multi:1", 'b', "linux/arm64", webFiles, nil),
	}}}
	res, err := (&Images{Refs: []string{"multi:1"}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range res.Inventory.Objects {
		names = append(names, o.Ref.Name)
	}
	if strings.Join(names, ",") != "multi:1 (linux/amd64),multi:1 (linux/arm64)" {
		t.Errorf("names %q", names)
	}
}

// Two references to the same manifest digest are read once.
func TestImagesOncePerDigest(t *testing.T) {
	img := testImage("web:1", 'a', "linux/amd64", webFiles, nil)
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {img}, "web@" + digest('a'): {img}}}
	res, err := (&Images{Refs: []string{"web:1", "web@" + digest('a')}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Inventory.Objects) != 1 || reg.reads.Load() != 1 || len(reg.opened) != 2 {
		t.Errorf("objects %d, reads %d, opened %v", len(res.Inventory.Objects), reg.reads.Load(), reg.opened)
	}
}

// At most Parallel images are read at once.
func TestImagesParallelBound(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{}}
	var refs []string
	for i := 0; i < 8; i++ {
		ref := fmt.Sprintf("img%d:1", i)
		refs = append(refs, ref)
		reg.images[ref] = []fakeImage{testImage(ref, byte('a'+i), "linux/amd64", webFiles, nil)}
	}
	res, err := (&Images{Refs: refs, Parallel: 2, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Inventory.Objects) != 8 || reg.maxInFlight.Load() > 2 {
		t.Errorf("objects %d, at most %d reads at once (bound 2)", len(res.Inventory.Objects), reg.maxInFlight.Load())
	}
	for i, o := range res.Inventory.Objects {
		if o.Ref.Name != refs[i] {
			t.Errorf("object %d is %s, want input order (%s)", i, o.Ref.Name, refs[i])
		}
	}
}

// An image that cannot be located, a hostile layer, a file a cataloger cannot read
// and an image not read in time are input errors naming the image (and the layer and
// entry, the path).
func TestImagesErrors(t *testing.T) {
	bad := fstest.MapFS{"pkgs.txt": {Data: []byte("bash 5.2\nbad\n")}}
	reg := &fakeRegistry{
		images: map[string][]fakeImage{
			"hostile:1": {testImage("hostile:1", 'h', "", webFiles, nil)},
			"bad:1":     {testImage("bad:1", 'b', "", bad, nil)},
		},
		readErr: map[string]error{digest('h'): &image.LayerError{Image: "hostile:1", Layer: digest('1'), Entry: "../../etc/passwd", Err: errors.New("path escapes the image root")}},
	}
	res, err := (&Images{Refs: []string{"gone:1", "hostile:1", "bad:1"}, open: reg.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		"gone:1: GET https://gone:1: dial tcp: connection refused",
		"hostile:1: layer " + digest('1') + ": entry \"../../etc/passwd\": path escapes the image root",
		"bad:1: /pkgs.txt: malformed line \"bad\"",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Name != "bad:1" || len(res.Inventory.Objects[0].Image.Software.Packages) != 1 {
		t.Errorf("the readable image with a bad file is still inventoried: %d objects", len(res.Inventory.Objects))
	}
	if len(res.Coverage) != 0 {
		t.Errorf("coverage %v", res.Coverage)
	}

	slow := &fakeRegistry{images: map[string][]fakeImage{"slow:1": {testImage("slow:1", 's', "", webFiles, nil)}}, block: true}
	res, err = (&Images{Refs: []string{"slow:1"}, Timeout: 1, open: slow.open}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "not read within --image-timeout") {
		t.Errorf("timeout: %v", res.Errors)
	}
}

// An interrupted read is an error, not a partial result.
func TestImagesInterrupted(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{"slow:1": {testImage("slow:1", 's', "", webFiles, nil)}}, block: true}
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	_, err := (&Images{Refs: []string{"slow:1"}, open: reg.open}).Read(ctx, Needs{})
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Errorf("err = %v, want an *InterruptedError", err)
	}
}

// Progress: one line per image when not on a terminal, with the digest, platform,
// layers and packages; on a terminal the lines are redrawn in place.
func TestImagesProgress(t *testing.T) {
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "linux/amd64", webFiles, nil)}}}
	var b strings.Builder
	if _, err := (&Images{Refs: []string{"web:1", "gone:1"}, Parallel: 1, Progress: &b, open: reg.open}).Read(context.Background(), Needs{}); err != nil {
		t.Fatal(err)
	}
	want := "image gone:1: not read: GET https://gone:1: dial tcp: connection refused\nimage web:1 sha256:aaaaaaaaaaaa linux/amd64: 2 layers, 0 B, 2 packages\n"
	if b.String() != want {
		t.Errorf("progress:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if _, err := (&Images{Refs: []string{"web:1"}, Progress: &b, Live: true, open: reg.open}).Read(context.Background(), Needs{}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "\x1b[1F") || !strings.Contains(s, "image web:1: 2 packages found, checking") || !strings.HasSuffix(s, "2 packages\n\x1b[J") {
		t.Errorf("live progress: %q", s)
	}
}

// An SBOM that cannot be read is an input error naming it; a missing one too.
func TestImagesSBOMErrors(t *testing.T) {
	res, err := (&Images{SBOMs: []string{"testdata/does-not-exist.json"}}).Read(context.Background(), Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Location.File != "testdata/does-not-exist.json" {
		t.Errorf("errors %v", res.Errors)
	}
}
