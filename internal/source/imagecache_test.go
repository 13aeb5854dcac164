package source

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// An image in the cache is not read again: its inventory comes from the cache, and
// its files replay the entries of every layer with the content of the secret
// candidates, so the image rules judge it as before. Another version's entry is not
// used.
func TestImageCache(t *testing.T) {
	dir := t.TempDir()
	files := fstest.MapFS{
		"pkgs.txt":    webFiles["pkgs.txt"],
		"root/.npmrc": webFiles["root/.npmrc"],
		"usr/bin/app": webFiles["usr/bin/app"],
		"etc/alt":     {Data: []byte("../../../root"), Mode: fs.ModeSymlink},
		"etc/abs":     {Data: []byte("/root/.npmrc"), Mode: fs.ModeSymlink},
	}
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "linux/amd64", files, map[string]int{"pkgs.txt": 1})}}}
	read := func(version string) (*Result, map[string]string) {
		t.Helper()
		seen := map[string]string{}
		res, err := (&Images{Refs: []string{"web:1"}, Cache: dir, Version: version, open: reg.open}).Read(context.Background(), Needs{Visit: func(o *inventory.Object) {
			f := o.Image.Files
			for _, name := range []string{"root/.npmrc", "etc/alt/.npmrc", "etc/abs", "usr/bin/app"} {
				b, err := fs.ReadFile(f, name)
				switch {
				case errors.Is(err, inventory.ErrNotKept):
					seen[name] = "not kept"
				case err != nil:
					seen[name] = err.Error()
				default:
					seen[name] = string(b)
				}
			}
			n := 0
			_ = f.Walk(func(*inventory.ImageEntry) error { n++; return nil })
			seen["entries"] = strings.Repeat("x", n)
			if l := f.LayerOf("pkgs.txt"); l != 1 {
				seen["layer"] = "wrong"
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 || len(res.Notices) > 0 {
			t.Fatalf("errors %v notices %v", res.Errors, res.Notices)
		}
		return res, seen
	}
	first, seenFirst := read("v1")
	if reg.reads.Load() != 1 {
		t.Fatalf("reads %d", reg.reads.Load())
	}
	second, seen := read("v1")
	if reg.reads.Load() != 1 {
		t.Errorf("a cached digest was read again (%d reads)", reg.reads.Load())
	}
	if len(reg.opened) != 2 {
		t.Errorf("the tag must still be resolved: opened %v", reg.opened)
	}
	npmrc := string(webFiles["root/.npmrc"].Data)
	want := map[string]string{"root/.npmrc": npmrc, "etc/alt/.npmrc": npmrc, "etc/abs": npmrc, "usr/bin/app": "not kept", "entries": "xxxxx"}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("cached %s = %q, want %q", k, seen[k], v)
		}
	}
	if seen["layer"] != "" {
		t.Errorf("LayerOf from the cache is wrong")
	}
	if seenFirst["root/.npmrc"] != npmrc {
		t.Errorf("first read: %v", seenFirst)
	}
	a, b := first.Inventory.Objects[0].Image, second.Inventory.Objects[0].Image
	if len(b.Software.Packages) != 2 || !reflect.DeepEqual(b.Software.Packages, a.Software.Packages) || b.Digest != a.Digest || len(b.Layers) != 2 || b.Files != nil {
		t.Errorf("cached image %+v, want %+v", b, a)
	}
	read("v2")
	if reg.reads.Load() != 2 {
		t.Errorf("another version's cache entry was used (%d reads)", reg.reads.Load())
	}
}

// A digest that is not a digest does not key the cache.
func TestImageCachePath(t *testing.T) {
	c := imageCache{dir: "/c", version: "v1.2.0"}
	if p := c.path("sha256:../../etc", ""); p != "" {
		t.Errorf("path = %q", p)
	}
	if p := c.path(digest('a'), "linux/arm64/v8"); p != "/c/v1.2.0/sha256-"+strings.Repeat("a", 64)+"/linux_arm64_v8" {
		t.Errorf("path = %q", p)
	}
	if p := (imageCache{dir: "/c", version: "../x"}).path(digest('a'), ""); !strings.HasPrefix(p, "/c/_._x/") {
		t.Errorf("path = %q", p)
	}
}

// scan --images: the images of every container, init container and ephemeral
// container are read once per reference, the objects that run each are recorded,
// and an image that cannot be read is a coverage gap naming it.
func TestWorkloadImages(t *testing.T) {
	deploy := func(name string, images ...string) *inventory.Object {
		var cs []any
		for _, img := range images {
			cs = append(cs, map[string]any{"name": "c", "image": img})
		}
		return &inventory.Object{
			Ref: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: name},
			Body: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": name},
				"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
					"containers":     cs,
					"initContainers": []any{map[string]any{"name": "init", "image": "init:1"}},
				}}}},
		}
	}
	pod := &inventory.Object{
		Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "debug"},
		Body: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "debug"},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "web:1"}},
				"ephemeralContainers": []any{map[string]any{"name": "dbg", "image": "busybox:1"}}}},
	}
	objs := []*inventory.Object{deploy("web", "web:1", "gone:1"), deploy("api", "web:1"), pod}
	reg := &fakeRegistry{images: map[string][]fakeImage{
		"web:1":     {testImage("web:1", 'a', "", webFiles, nil)},
		"init:1":    {testImage("init:1", 'b', "", webFiles, nil)},
		"busybox:1": {testImage("busybox:1", 'c', "", webFiles, nil)},
	}}
	src := &WorkloadImages{Source: &Objects{Objects: objs, Inputs: 1}, Images: Images{open: reg.open}}
	var visitedImages atomic.Int32
	res, err := src.Read(context.Background(), Needs{Visit: func(o *inventory.Object) {
		if o.Image != nil && o.Image.Files != nil {
			visitedImages.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.opened, ","); len(reg.opened) != 4 || !strings.Contains(got, "init:1") || !strings.Contains(got, "busybox:1") {
		t.Errorf("opened %s", got)
	}
	var names []string
	var web *inventory.ImageInfo
	for _, o := range res.Inventory.Objects {
		names = append(names, o.Ref.Name)
		if o.Ref.Name == "web:1" {
			web = o.Image
		}
	}
	if strings.Join(names, ",") != "web,api,debug,web:1,init:1,busybox:1" || visitedImages.Load() != 3 {
		t.Errorf("objects %v, images visited %d", names, visitedImages.Load())
	}
	var wl []string
	for _, w := range web.Workloads {
		wl = append(wl, w.String())
	}
	if strings.Join(wl, ",") != "Deployment/shop/web,Deployment/shop/api,Pod/shop/debug" {
		t.Errorf("web:1 run by %v", wl)
	}
	if len(res.Errors) != 0 || len(res.Coverage) != 1 {
		t.Fatalf("errors %v coverage %v", res.Errors, res.Coverage)
	}
	g := res.Coverage[0]
	if g.Kind != finding.ImageKind || g.Image != "gone:1" || !strings.Contains(g.Reason, "connection refused") {
		t.Errorf("gap %+v", g)
	}
	if res.Inputs != 1 || res.ConfigFiles() != 0 {
		t.Errorf("inputs %d config files %d", res.Inputs, res.ConfigFiles())
	}
}
