package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/load"
)

var root = filepath.Join("..", "..")

// Same inputs give the same digest, and the epoch is the only time in the image.
func TestImageReproducible(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "palisade")
	if err := os.WriteFile(bin, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	plats := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	build := func(meta Meta, out string) v1.Hash {
		t.Helper()
		imgs := map[string]v1.Image{}
		for _, p := range plats {
			img, err := Image(p, []string{bin}, meta)
			if err != nil {
				t.Fatal(err)
			}
			imgs[p.String()] = img
		}
		idx := Index(imgs, plats, meta)
		if err := WriteLayout(out, idx, meta.Version); err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	meta := Meta{Version: "v1.2.3", Revision: "abc", Source: "https://example.com/p", Created: time.Unix(1700000000, 0)}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	da := build(meta, a)
	// Touch the input between builds: file times of the inputs must not leak in.
	if err := os.Chtimes(bin, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if db := build(meta, b); da != db {
		t.Errorf("two builds: %s and %s, want the same digest", da, db)
	}
	for _, f := range []string{"index.json", "oci-layout"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between builds", f)
		}
	}
	// Rebuilding into an earlier layout replaces it.
	if d := build(meta, a); d != da {
		t.Errorf("rebuild into the same layout: %s, want %s", d, da)
	}
	later := meta
	later.Created = meta.Created.Add(time.Second)
	if d := build(later, filepath.Join(dir, "c")); d == da {
		t.Error("SOURCE_DATE_EPOCH does not change the digest; is it stamped?")
	}
	// A directory that is not a layout is never removed.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(filepath.Join(other, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(other, Index(map[string]v1.Image{}, nil, meta), ""); err == nil {
		t.Error("WriteLayout replaced a directory that is not an OCI layout")
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "1700000000": 1700000000} {
		got, err := sourceDateEpoch(in)
		if err != nil || got.Unix() != want {
			t.Errorf("sourceDateEpoch(%q) = %v, %v; want %d", in, got, err, want)
		}
	}
	if _, err := sourceDateEpoch("yesterday"); err == nil {
		t.Error("sourceDateEpoch(yesterday): no error")
	}
}

// TestImageOfPalisade builds the real image for this machine's architecture into an
// OCI layout and checks it against what runs it: the kubelet's runAsNonRoot check,
// Palisade's own rules, and the Deployments of deploy/ and the chart.
func TestImageOfPalisade(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the static binary")
	}
	dir := t.TempDir()
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	files, err := Compile("go", root, dir, p, []Binary{{Name: "palisade", Package: "./cmd/palisade"}}, "v0.0.0-test")
	if err != nil {
		t.Fatal(err)
	}
	meta := Meta{Version: "v0.0.0-test", Revision: "0123456789abcdef", Source: "https://github.com/palisade-k8s/palisade", Created: time.Unix(1700000000, 0)}
	img, err := Image(p, files, meta)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "layout")
	if err := WriteLayout(out, Index(map[string]v1.Image{p.String(): img}, []v1.Platform{p}, meta), meta.Version); err != nil {
		t.Fatal(err)
	}

	// Read the image back from the layout, as a registry client would.
	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	om, err := outer.IndexManifest()
	if err != nil || len(om.Manifests) != 1 || om.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != meta.Version {
		t.Fatalf("layout index.json: %+v, %v; want one index named %s", om, err, meta.Version)
	}
	idx, err := outer.ImageIndex(om.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("image index: %+v, %v; want one manifest for linux/%s", im, err, runtime.GOARCH)
	}
	got, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}

	// The kubelet admits a pod with runAsNonRoot and no runAsUser only if the image's
	// user is a number other than 0 (it cannot resolve names): so must this image.
	u, g, _ := strings.Cut(cf.Config.User, ":")
	uidN, err := strconv.Atoi(u)
	if err != nil || uidN == 0 {
		t.Errorf("config User = %q, want a numeric non-zero UID", cf.Config.User)
	}
	if _, err := strconv.Atoi(g); err != nil {
		t.Errorf("config User = %q, want a numeric GID", cf.Config.User)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Time.Equal(meta.Created) {
		t.Errorf("config os/arch/created = %s/%s/%v", cf.OS, cf.Architecture, cf.Created)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.source":   meta.Source,
		"org.opencontainers.image.version":  meta.Version,
		"org.opencontainers.image.revision": meta.Revision,
	} {
		if cf.Config.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], want)
		}
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/usr/local/bin/palisade" || len(cf.Config.Cmd) != 0 {
		t.Fatalf("entrypoint %q cmd %q, want [/usr/local/bin/palisade] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
	}

	// The file system: the entrypoint binary (static, root-owned, not writable by the
	// user) and passwd/group; no shell or anything else to run.
	fsys := layerFiles(t, got)
	allowed := map[string]bool{"etc/": true, "etc/passwd": true, "etc/group": true, "home/": true, "home/nonroot/": true, "tmp/": true, "usr/": true, "usr/local/": true, "usr/local/bin/": true, "usr/local/bin/palisade": true}
	for name, h := range fsys {
		if !allowed[name] {
			t.Errorf("unexpected file %s in the image", name)
		}
		if base := path.Base(name); base == "sh" || base == "bash" || base == "busybox" || base == "ash" {
			t.Errorf("shell %s in the image", name)
		}
		if !h.ModTime.Equal(meta.Created) {
			t.Errorf("%s mtime %v, want SOURCE_DATE_EPOCH %v", name, h.ModTime, meta.Created)
		}
	}
	entry := strings.TrimPrefix(cf.Config.Entrypoint[0], "/")
	h, ok := fsys[entry]
	if !ok {
		t.Fatalf("entrypoint %s not in the image", entry)
	}
	if h.Typeflag != tar.TypeReg || h.Mode&0o111 == 0 || h.Mode&0o022 != 0 || h.Uid != 0 {
		t.Errorf("entrypoint: type %c mode %o uid %d, want a root-owned executable nobody else can write", h.Typeflag, h.Mode, h.Uid)
	}
	if !strings.Contains(string(fsys["etc/passwd"].data), ":"+u+":"+g+":") {
		t.Errorf("/etc/passwd has no entry for %s:\n%s", cf.Config.User, fsys["etc/passwd"].data)
	}
	exe := filepath.Join(dir, "entrypoint")
	if err := os.WriteFile(exe, fsys[entry].data, 0o755); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("entrypoint is dynamically linked (has PT_INTERP); the image has no libc")
		}
	}
	ef.Close()
	if v, err := exec.Command(exe, "version").Output(); err != nil || strings.TrimSpace(string(v)) != "palisade "+meta.Version {
		t.Errorf("%s version = %q, %v; want palisade %s", entry, v, err, meta.Version)
	}

	// A pod that relies on the image's user (runAsNonRoot, no runAsUser) passes
	// Palisade's non-root rules.
	ref := "ghcr.io/palisade-k8s/palisade@" + im.Manifests[0].Digest.String()
	pod := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(pod, []byte(`apiVersion: v1
kind: Pod
metadata: {name: palisade, namespace: palisade}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: palisade
    image: `+ref+`
    args: [version]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	if code := cli.Main([]string{"scan", "--include", "PAL-003,PAL-004", "--fail-on", "info", pod}, nil, &so, &se); code != 0 {
		t.Errorf("scan of a pod running the image: exit %d\n%s%s", code, so.String(), se.String())
	}

	// deploy/ and the chart run this image: its repository (the source label's
	// path on ghcr.io), its entrypoint (no command), arguments the binary accepts, and
	// the image's user.
	repo := "ghcr.io/" + strings.ToLower(strings.TrimPrefix(meta.Source, "https://github.com/"))
	res := load.Load([]string{filepath.Join(root, "deploy"), filepath.Join(root, "charts", "palisade")}, load.Options{Decode: func(string, string) bool { return true }})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	n := 0
	for _, o := range res.Inventory.Objects {
		if o.Ref.Kind != "Deployment" {
			continue
		}
		spec := dig(o.Body, "spec", "template", "spec")
		sc, _ := spec["securityContext"].(map[string]any)
		if fmt.Sprint(sc["runAsUser"]) != u || fmt.Sprint(sc["runAsGroup"]) != g {
			t.Errorf("%s: runAsUser/runAsGroup %v/%v, want the image's %s", o.Origin, sc["runAsUser"], sc["runAsGroup"], cf.Config.User)
		}
		cs, _ := spec["containers"].([]any)
		for _, c := range cs {
			c, _ := c.(map[string]any)
			n++
			image, _ := c["image"].(string)
			name, _, _ := strings.Cut(image, "@")
			if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
				name = name[:i]
			}
			if name != repo {
				t.Errorf("%s: image %q, want %s", o.Origin, image, repo)
			}
			if c["command"] != nil {
				t.Errorf("%s: command %v overrides the image's entrypoint", o.Origin, c["command"])
			}
			var args []string
			for _, a := range c["args"].([]any) {
				args = append(args, a.(string))
			}
			if msg, err := exec.Command(exe, append(args, "--help")...).CombinedOutput(); err != nil {
				t.Errorf("%s: the image's binary rejects args %q: %v\n%s", o.Origin, args, err, msg)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d containers in deploy/ and the chart, want 2", n)
	}
}

type tarFile struct {
	*tar.Header
	data []byte
}

func layerFiles(t *testing.T, img v1.Image) map[string]tarFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]tarFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = tarFile{h, data}
	}
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// The Dockerfile, for builds with a daemon, makes the same image: the same user,
// entrypoint and build flags, a shell-less nonroot base, and the Go of go.mod.
func TestDockerfileMatches(t *testing.T) {
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var goVersion string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			parts := strings.Split(v, ".")
			goVersion = parts[0] + "." + parts[1]
		}
	}
	var froms []string
	inst := map[string]string{}
	for _, l := range strings.Split(string(df), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, _ := strings.Cut(l, " ")
		if k == "FROM" {
			froms = append(froms, v)
		}
		inst[k] = v
	}
	if len(froms) != 2 || !strings.Contains(froms[0], "golang:"+goVersion+" ") {
		t.Errorf("build stage %q, want golang:%s (go.mod)", froms, goVersion)
	}
	if len(froms) == 2 && !strings.HasPrefix(froms[1], "gcr.io/distroless/static") || !strings.HasSuffix(froms[len(froms)-1], ":nonroot") {
		t.Errorf("final stage FROM %q, want distroless static :nonroot", froms[len(froms)-1])
	}
	if inst["USER"] != user {
		t.Errorf("USER %q, want %q as tools/ociimage", inst["USER"], user)
	}
	if want := `["` + binDir + `/palisade"]`; inst["ENTRYPOINT"] != want {
		t.Errorf("ENTRYPOINT %s, want %s", inst["ENTRYPOINT"], want)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-s -w"} {
		if !strings.Contains(string(df), flag) {
			t.Errorf("Dockerfile does not build with %s", flag)
		}
	}
}
