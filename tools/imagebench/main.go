// Command imagebench compares Palisade's image inventory with Syft's, side by side in
// one run on the same images: packages per ecosystem (by Package URL type) against
// the ground truth of the test images (dpkg-query, go version -m, npm ls), every
// package one tool lists and the other does not, wall time, CPU time and peak RSS.
// The images are internal/imagetest's: the test image (a Debian root filesystem made
// by hack/debian-rootfs.sh, a Go binary of old modules, an npm tree, a deleted
// secret) as an OCI layout and a docker-save archive, and a large image (the test
// image plus layers of large incompressible files and many small files, over 500 MB).
//
// Both tools write CycloneDX JSON: `palisade image -o cyclonedx --output-file FILE
// --fail-on none REF`
// and `syft SOURCE -o cyclonedx-json=FILE` (SOURCE oci-dir:DIR or
// docker-archive:FILE). Syft is installed from the Go module proxy into a cache
// directory once (the only network access but the test images' own inputs). The
// result is Markdown for docs/BENCHMARKS.md, written between
// <!-- imagebench:begin ... --> and <!-- imagebench:end --> in -doc when the document
// has those markers, else printed. `make bench` runs it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

func main() {
	o := options{}
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.syft, "syft", "", "syft binary to use instead of installing one")
	flag.StringVar(&o.syftVersion, "syft-version", "v1.57.2", "Syft version to install (github.com/anchore/syft/cmd/syft)")
	flag.StringVar(&o.cache, "cache", defaultCache(), "directory Syft is installed into (a subdirectory per version)")
	flag.StringVar(&o.rootfs, "rootfs", "", "Debian root filesystem (default: the one hack/debian-rootfs.sh builds or finds)")
	flag.StringVar(&o.tools, "tools", "palisade,syft", "tools to run (comma-separated)")
	flag.IntVar(&o.runs, "runs", 3, "runs per timing (the best wall time is kept; a run over a minute is not repeated)")
	flag.IntVar(&o.large.BigFiles, "large-files", imagetest.DefaultLarge.BigFiles, "large image: incompressible files")
	flag.Int64Var(&o.large.BigFileBytes, "large-file-bytes", imagetest.DefaultLarge.BigFileBytes, "large image: bytes per incompressible file")
	flag.IntVar(&o.large.SmallFiles, "small-files", imagetest.DefaultLarge.SmallFiles, "large image: small files")
	flag.StringVar(&o.doc, "doc", "", "document whose imagebench section to rewrite (else print it)")
	flag.StringVar(&o.work, "work", "", "directory for the tools' reports (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "imagebench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, syft, syftVersion, cache, rootfs, tools, doc, work string
	runs                                                         int
	large                                                        imagetest.LargeOptions
}

func defaultCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "palisade", "syft")
	}
	return filepath.Join(os.TempDir(), "palisade-syft")
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "imagebench: "+format+"\n", a...) }

// benchImage is one image both tools read.
type benchImage struct {
	title string
	// palisade and syft are the image as each tool names it.
	palisade, syft string
	// truth is the ground truth of its packages, by ecosystem.
	truth map[string]map[string]bool
}

func run(o options) error {
	var tools []tool
	for _, name := range strings.Split(o.tools, ",") {
		switch strings.TrimSpace(name) {
		case "palisade":
			pal, err := filepath.Abs(o.palisade)
			if err != nil {
				return err
			}
			if _, err := os.Stat(pal); err != nil {
				return fmt.Errorf("palisade binary: %w (make build)", err)
			}
			tools = append(tools, palisadeTool{pal})
		case "syft":
			bin := o.syft
			if bin == "" {
				var err error
				if bin, err = installSyft(o.cache, o.syftVersion); err != nil {
					return err
				}
			}
			tools = append(tools, syftTool{bin})
		default:
			return fmt.Errorf("-tools: unknown tool %q (palisade, syft)", name)
		}
	}
	if len(tools) == 0 {
		return errors.New("-tools: none")
	}

	set, large, err := images(o)
	if err != nil {
		return err
	}
	truth := groundTruth(set.Truth)
	benches := []benchImage{
		{title: "test image, OCI layout", palisade: set.Layout, syft: "oci-dir:" + set.Layout, truth: truth},
		{title: "test image, docker archive", palisade: set.DockerArchive, syft: "docker-archive:" + set.DockerArchive, truth: truth},
		{title: fmt.Sprintf("large image (%s), OCI layout", mb(large.Bytes)), palisade: large.Layout, syft: "oci-dir:" + large.Layout, truth: truth},
	}

	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "imagebench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	results := make([][]result, len(benches))
	for i, b := range benches {
		for j, t := range tools {
			report := filepath.Join(work, fmt.Sprintf("%d-%s.cdx.json", i, t.name()))
			progress("%s on the %s (best of %d)", t.name(), b.title, o.runs)
			m, err := measure(o.runs, t.cmd(b, report), t.env())
			if err != nil {
				return err
			}
			data, err := os.ReadFile(report)
			if err != nil {
				return fmt.Errorf("%s on the %s: %w", t.name(), b.title, err)
			}
			inv, err := parseCycloneDX(data, report)
			if err != nil {
				return err
			}
			results[i] = append(results[i], result{tool: tools[j], m: m, inv: inv})
			progress("%s on the %s: %s; %s", t.name(), b.title, m, inv.summary())
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "Measured by `make bench` (`tools/imagebench`) on %s/%s, %d CPUs, %s; Syft %s (`syft SOURCE -o cyclonedx-json`) beside `palisade image -o cyclonedx`, the same images in the same run. Timings: best of %d runs (a run over a minute once); peak RSS is the process's maximum resident set (wait4).\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), o.syftVersion, o.runs)
	fmt.Fprintf(&out, "The images (`internal/imagetest`, built from real artifacts): the **test image** is Debian %s `debootstrap --variant=minbase` with openssh-server and ca-certificates (%d dpkg packages), `/app/goapp` built from `internal/imagetest/testdata/goapp` (%d Go modules with the toolchain, old versions, one replaced), the npm tree of `testdata/npmapp` under `/app` (%d packages, `npm ci`), and a layer adding a private key and an AWS credentials file that the next layer deletes: 4 layers, %s compressed. The **large image** is the test image plus a layer of %d incompressible files of %s and a layer of %d small text files: %d layers, %s compressed, %s uncompressed, the same packages.\n\n",
		set.Truth.OSRelease["VERSION_CODENAME"], len(truth["deb"]), len(truth["golang"]), len(truth["npm"]), mb(imageBytes(set)),
		o.large.BigFiles, fmt.Sprintf("%d MiB", o.large.BigFileBytes>>20), o.large.SmallFiles, large.Layers, mb(large.Bytes), mb(large.Uncompressed))
	out.WriteString(packageTable(benches, results))
	out.WriteString("\n")
	out.WriteString(timeTable(benches, results))
	out.WriteString("\n")
	out.WriteString(differences(benches, results))
	out.WriteString("\n")
	out.WriteString(againstTruth(benches, results))
	return emit(o.doc, out.String())
}

// images builds (or finds) the test images and the large image.
func images(o options) (*imagetest.Set, *imagetest.Large, error) {
	set, _, err := imagetest.BuildStandard(o.rootfs, func(s string) { progress("%s", s) })
	if err != nil {
		return nil, nil, err
	}
	progress("building or finding the large image")
	large, err := imagetest.BuildLarge(set, o.large, "")
	if err != nil {
		return nil, nil, err
	}
	return set, large, nil
}

func imageBytes(s *imagetest.Set) int64 {
	m, err := s.Image.Manifest()
	if err != nil {
		return 0
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// groundTruth is the test image's packages as keys (see key), by ecosystem.
func groundTruth(t imagetest.Truth) map[string]map[string]bool {
	out := map[string]map[string]bool{"deb": {}, "golang": {}, "npm": {}}
	for _, p := range t.Deb {
		out["deb"][p.Name+"@"+p.Version] = true
	}
	out["golang"][t.Go.Main.Path+"@"+goVersion(t.Go.Main.Version)] = true
	for _, d := range t.Go.Deps {
		out["golang"][d.Path+"@"+goVersion(d.Version)] = true
	}
	out["golang"]["stdlib@"+goVersion(t.Go.GoVersion)] = true
	for _, p := range t.NPM.Packages {
		out["npm"][p.Name+"@"+p.Version] = true
	}
	return out
}

// goVersion drops what tools write differently around a Go module's version: the
// "v" ("v1.7.1", "1.7.1"), the toolchain's "go" ("go1.26.8"), and "(devel)" (no
// version).
func goVersion(v string) string {
	if v == "(devel)" {
		return ""
	}
	v = strings.TrimPrefix(v, "go")
	return strings.TrimPrefix(v, "v")
}

// tool is a program under comparison.
type tool interface {
	name() string
	cmd(b benchImage, report string) []string
	env() []string
}

type palisadeTool struct{ bin string }

func (palisadeTool) name() string { return "palisade" }
func (p palisadeTool) cmd(b benchImage, report string) []string {
	return []string{p.bin, "image", "-o", "cyclonedx", "--output-file", report, "--fail-on", "none", b.palisade}
}
func (palisadeTool) env() []string { return nil }

type syftTool struct{ bin string }

func (syftTool) name() string { return "syft" }
func (s syftTool) cmd(b benchImage, report string) []string {
	return []string{s.bin, "scan", b.syft, "-q", "-o", "cyclonedx-json=" + report}
}

// env: no update check (no network but what the user named).
func (syftTool) env() []string { return []string{"SYFT_CHECK_FOR_APP_UPDATE=false"} }

// installSyft installs Syft with go install into cache/VERSION once.
func installSyft(cache, version string) (string, error) {
	return benchrun.GoInstall(cache, "syft", "github.com/anchore/syft/cmd/syft", version, progress)
}

// result is one tool's run on one image.
type result struct {
	tool tool
	m    measurement
	inv  inventory
}

// inventory is the packages of a CycloneDX document: keys by ecosystem (purl type).
type inventory struct {
	byType map[string]map[string]bool
	// components counts every component with a purl; noPURL those without one, by
	// CycloneDX component type (Syft lists files and the operating system).
	components int
	noPURL     map[string]int
}

// others is the components without a purl, by type ("5830 file, 1 operating-system").
func (inv inventory) others() string {
	var parts []string
	for _, t := range sortedKeys(inv.noPURL) {
		parts = append(parts, fmt.Sprintf("%d %s", inv.noPURL[t], t))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func (inv inventory) summary() string {
	var parts []string
	for _, t := range sortedKeys(inv.byType) {
		parts = append(parts, fmt.Sprintf("%d %s", len(inv.byType[t]), t))
	}
	return fmt.Sprintf("%d components with a purl (%s); without one: %s", inv.components, strings.Join(parts, ", "), inv.others())
}

// cdx is the part of a CycloneDX BOM read here.
type cdx struct {
	BOMFormat  string         `json:"bomFormat"`
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// maxDepth bounds nested components.
const maxDepth = 32

// parseCycloneDX reads a CycloneDX JSON BOM's components (nested ones included) into
// package keys by purl type.
func parseCycloneDX(data []byte, name string) (inventory, error) {
	var bom cdx
	if err := json.Unmarshal(data, &bom); err != nil {
		return inventory{}, fmt.Errorf("%s: %w", name, err)
	}
	if bom.BOMFormat != "CycloneDX" {
		return inventory{}, fmt.Errorf("%s: bomFormat %q, want CycloneDX", name, bom.BOMFormat)
	}
	inv := inventory{byType: map[string]map[string]bool{}, noPURL: map[string]int{}}
	var walk func(cs []cdxComponent, depth int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("%s: components nested deeper than %d", name, maxDepth)
		}
		for _, c := range cs {
			if c.PURL == "" {
				inv.noPURL[c.Type]++
			} else {
				typ, k, err := key(c.PURL)
				if err != nil {
					return fmt.Errorf("%s: component %q: %w", name, c.Name, err)
				}
				inv.components++
				if inv.byType[typ] == nil {
					inv.byType[typ] = map[string]bool{}
				}
				inv.byType[typ][k] = true
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return inv, walk(bom.Components, 0)
}

// key is a purl's type and its package key: "name@version" with the namespace
// joined to the name for npm (scopes) and Go (module paths) and left out for OS
// packages (the distribution), qualifiers and subpath ignored, Go versions without
// "v". The two tools spell qualifiers differently; name and version decide.
func key(purl string) (typ, k string, err error) {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return "", "", fmt.Errorf("purl %q: no pkg: scheme", purl)
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	version := ""
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest, version = rest[:i], rest[i+1:]
	}
	typ, path, ok := strings.Cut(strings.Trim(rest, "/"), "/")
	if !ok || typ == "" || path == "" {
		return "", "", fmt.Errorf("purl %q: no type or name", purl)
	}
	typ = strings.ToLower(typ)
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if segs[i], err = url.PathUnescape(s); err != nil {
			return "", "", fmt.Errorf("purl %q: %w", purl, err)
		}
	}
	if version, err = url.PathUnescape(version); err != nil {
		return "", "", fmt.Errorf("purl %q: %w", purl, err)
	}
	name := strings.Join(segs, "/")
	switch typ {
	case "deb", "rpm", "apk", "alpm":
		name = segs[len(segs)-1]
	case "golang":
		version = goVersion(version)
	}
	return typ, name + "@" + version, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ecosystems lists the ground truth's ecosystems first, then any other a tool found.
func ecosystems(truth map[string]map[string]bool, rs []result) []string {
	out := []string{"deb", "golang", "npm"}
	var more []string
	for _, r := range rs {
		for t := range r.inv.byType {
			if !slices.Contains(out, t) && !slices.Contains(more, t) {
				more = append(more, t)
			}
		}
	}
	sort.Strings(more)
	return append(out, more...)
}

// packageTable: per image and ecosystem, the ground truth and each tool's packages,
// and how many of them are true.
func packageTable(benches []benchImage, results [][]result) string {
	var b strings.Builder
	b.WriteString("**Packages per ecosystem** (distinct name and version per Package URL type; \"true\" = in the ground truth: dpkg-query, go version -m with the toolchain as stdlib, npm ls --all; an ecosystem without ground truth has none):\n\n| image | ecosystem | ground truth |")
	sep := "|---|---|---:|"
	for _, r := range results[0] {
		fmt.Fprintf(&b, " %s | %s true |", r.tool.name(), r.tool.name())
		sep += "---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for i, bi := range benches {
		for _, e := range ecosystems(bi.truth, results[i]) {
			fmt.Fprintf(&b, "| %s | %s | %d |", bi.title, e, len(bi.truth[e]))
			for _, r := range results[i] {
				got := r.inv.byType[e]
				fmt.Fprintf(&b, " %d | %d |", len(got), countIn(got, bi.truth[e]))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "| %s | components without a purl | |", bi.title)
		for _, r := range results[i] {
			fmt.Fprintf(&b, " %s | |", r.inv.others())
		}
		b.WriteString("\n")
	}
	return b.String()
}

func countIn(got, truth map[string]bool) int {
	n := 0
	for k := range got {
		if truth[k] {
			n++
		}
	}
	return n
}

func timeTable(benches []benchImage, results [][]result) string {
	var b strings.Builder
	b.WriteString("**Time and memory** (wall, CPU, peak RSS):\n\n| image |")
	sep := "|---|"
	for _, r := range results[0] {
		fmt.Fprintf(&b, " %s |", r.tool.name())
		sep += "---|"
	}
	b.WriteString("\n" + sep + "\n")
	for i, bi := range benches {
		fmt.Fprintf(&b, "| %s |", bi.title)
		for _, r := range results[i] {
			fmt.Fprintf(&b, " %s |", r.m)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// maxListed bounds the packages listed per image, ecosystem and side.
const maxListed = 40

// differences lists, per image and ecosystem, the packages one tool found and another
// did not, each marked with whether the ground truth holds it. Identical lists on
// several images are written once.
func differences(benches []benchImage, results [][]result) string {
	var b strings.Builder
	b.WriteString("**Differences** (packages one tool lists and the other does not, by name and version; ✓ in the ground truth, ✗ not in it):\n\n")
	if len(results[0]) < 2 {
		b.WriteString("(one tool only)\n")
		return b.String()
	}
	prev := map[string]string{}
	anything := false
	for i, bi := range benches {
		for _, e := range ecosystems(bi.truth, results[i]) {
			for x, rx := range results[i] {
				for y, ry := range results[i] {
					if x == y {
						continue
					}
					var only []string
					for k := range rx.inv.byType[e] {
						if !ry.inv.byType[e][k] {
							only = append(only, k)
						}
					}
					if len(only) == 0 {
						continue
					}
					anything = true
					sort.Strings(only)
					var items []string
					for j, k := range only {
						if j == maxListed {
							items = append(items, fmt.Sprintf("and %d more", len(only)-maxListed))
							break
						}
						mark := "✗"
						if bi.truth[e][k] {
							mark = "✓"
						}
						items = append(items, fmt.Sprintf("`%s` %s", k, mark))
					}
					list := strings.Join(items, ", ")
					id := e + " only " + rx.tool.name()
					if prev[id] == list {
						fmt.Fprintf(&b, "- %s, %s, only %s: the same as above\n", bi.title, e, rx.tool.name())
						continue
					}
					prev[id] = list
					fmt.Fprintf(&b, "- %s, %s, only %s (%d): %s\n", bi.title, e, rx.tool.name(), len(only), list)
				}
			}
		}
	}
	if !anything {
		b.WriteString("None: both tools list the same packages.\n")
	}
	return b.String()
}

// againstTruth lists, per image, ecosystem with ground truth and tool, the true
// packages the tool missed and the packages it listed that the ground truth does not
// hold: the evidence for each difference above.
func againstTruth(benches []benchImage, results [][]result) string {
	var b strings.Builder
	b.WriteString("**Against the ground truth** (per tool: true packages it missed, packages it listed that the ground truth does not hold):\n\n")
	prev := map[string]string{}
	anything := false
	for i, bi := range benches {
		for _, e := range []string{"deb", "golang", "npm"} {
			for _, r := range results[i] {
				var missed, extra []string
				for k := range bi.truth[e] {
					if !r.inv.byType[e][k] {
						missed = append(missed, k)
					}
				}
				for k := range r.inv.byType[e] {
					if !bi.truth[e][k] {
						extra = append(extra, k)
					}
				}
				if len(missed)+len(extra) == 0 {
					continue
				}
				anything = true
				line := fmt.Sprintf("missed %d%s; not in the ground truth %d%s", len(missed), listed(missed), len(extra), listed(extra))
				id := e + " " + r.tool.name()
				if prev[id] == line {
					fmt.Fprintf(&b, "- %s, %s, %s: the same as above\n", bi.title, e, r.tool.name())
					continue
				}
				prev[id] = line
				fmt.Fprintf(&b, "- %s, %s, %s: %s\n", bi.title, e, r.tool.name(), line)
			}
		}
	}
	if !anything {
		b.WriteString("Every tool lists exactly the ground truth.\n")
	}
	return b.String()
}

// listed is ": `a`, `b`" (up to maxListed), or "" for none.
func listed(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	var items []string
	for j, k := range keys {
		if j == maxListed {
			items = append(items, fmt.Sprintf("and %d more", len(keys)-maxListed))
			break
		}
		items = append(items, "`"+k+"`")
	}
	return " (" + strings.Join(items, ", ") + ")"
}

func mb(n int64) string { return fmt.Sprintf("%d MB", (n+500_000)/1_000_000) }

func emit(doc, body string) error {
	return docsection.Emit(os.Stdout, doc, "imagebench", "the image comparison", body, progress)
}

type measurement struct{ benchrun.Measurement }

func (m measurement) String() string {
	return fmt.Sprintf("%s wall, %s CPU, %d MiB", benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), benchrun.MiB(m.RSSKB))
}

// measure runs the command runs times and keeps the best wall time with that run's
// CPU time and peak RSS; a run over a minute is not repeated.
func measure(runs int, argv, env []string) (measurement, error) {
	m, err := benchrun.Best(runs, benchrun.Command{Argv: argv, Env: env, StopAfter: time.Minute})
	return measurement{m}, err
}
