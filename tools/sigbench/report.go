package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/sigbench/internal/protocol"
)

// describe says what the images, the signatures and the commands are.
func describe(f *protocol.Fixture, tools []tool) string {
	var b strings.Builder
	var sets []string
	for _, s := range f.Sets {
		sets = append(sets, fmt.Sprintf("%d %s", len(s.Refs), s.Name()))
	}
	fmt.Fprintf(&b, "The images (`tools/sigbench/fixture`): random single-layer images signed with `internal/signature/sigtest` (as the tests sign them), each in a repository of its own, in go-containerregistry's registry on loopback (plain HTTP, served by the fixture process, not counted in the tools' CPU or memory), named by tag: %s (prepared in %s). **Keyed**: cosign's legacy signature, a `sha256-<digest>.sig` tag whose layers are the simple-signing payload with an ECDSA P-256 signature in the `dev.cosignproject.cosign/signature` annotation, without a transparency-log entry (as `cosign sign --key --tlog-upload=false`). ",
		strings.Join(sets, ", "), f.Prepared.Round(time.Millisecond))
	if f.TrustedRoot != "" {
		b.WriteString("**Keyless**: a Sigstore bundle attached as an OCI 1.1 referrer, from a virtual Sigstore (sigstore-go's test certificate authority and transparency log: a Fulcio-style certificate of the identity, a DSSE envelope of cosign v3's `https://sigstore.dev/cosign/sign/v1` statement, a log entry with an inclusion proof) checked against its `trusted_root.json`; its certificates carry no signed certificate timestamps, so its `trusted_root.json` lists no CT log and cosign is given `--insecure-ignore-sct`. ")
	} else {
		b.WriteString("Keyless images are not measured in this run (the fixture made none). ")
	}
	b.WriteString("With several signatures per image, the trusted one is the last: the others are by an untrusted key (keyed) or another identity (keyless), so a verifier checks them all.\n\n")
	for _, t := range tools {
		if p, ok := t.(palisadeTool); ok && p.fixture != "" {
			b.WriteString("The palisade binary measured has no `image verify` command: Palisade's side is `signature.Verifier` over the registry store in a child process (`tools/sigbench/fixture -mode verify`), one image after the other, without a report.\n\n")
		}
	}
	b.WriteString("The commands, one invocation for all the images of a row:\n\n")
	s := protocol.Set{Kind: protocol.Keyed, Signatures: 1}
	for _, t := range tools {
		fmt.Fprintf(&b, "- %s, keyed: `%s`\n", t.name(), shortCommand(t.cmd(f, s, []string{"REF..."}), f))
		if f.TrustedRoot != "" {
			s.Kind = protocol.Keyless
			fmt.Fprintf(&b, "- %s, keyless: `%s`\n", t.name(), shortCommand(t.cmd(f, s, []string{"REF..."}), f))
			s.Kind = protocol.Keyed
		}
	}
	return b.String()
}

// shortCommand writes argv with the binary's base name and the fixture's files and
// registry by their roles.
func shortCommand(argv []string, f *protocol.Fixture) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case i == 0:
			a = a[strings.LastIndexByte(a, '/')+1:]
		case strings.HasSuffix(a, "/fixture.json"):
			a = "fixture.json"
		case a == f.Config:
			a = ".palisade.yaml"
		case a == f.Key:
			a = "cosign.pub"
		case f.TrustedRoot != "" && a == f.TrustedRoot:
			a = "trusted_root.json"
		case a == f.Registry:
			a = "HOST:PORT"
		case f.Subject != "" && a == f.Subject:
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// outcomeTable: every tool's exit code on each whole set.
func outcomeTable(names []string, outcomes []outcome) string {
	var b strings.Builder
	b.WriteString("**Outcomes** (each whole set in one invocation; a row is timed only when every tool verifies every signed image, exit code 0, and rejects the unsigned ones, a non-zero exit code; requests: the HTTP requests the registry served during the invocation, per image):\n\n| set | images |")
	sep := "|---|---:|"
	for _, n := range names {
		fmt.Fprintf(&b, " %s |", n)
		sep += "---|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, o := range outcomes {
		fmt.Fprintf(&b, "| %s | %d |", o.set.Name(), len(o.set.Refs))
		for i, c := range o.codes {
			if c == 0 {
				b.WriteString(" verified (exit 0)")
			} else {
				fmt.Fprintf(&b, " rejected (exit %d)", c)
			}
			if i < len(o.requests) && len(o.set.Refs) > 0 {
				fmt.Fprintf(&b, ", %.1f requests |", float64(o.requests[i])/float64(len(o.set.Refs)))
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// growthTable: the rows of one signature per image, by kind and N, then how each
// tool grows from the smallest N to the largest.
func growthTable(names []string, rows []row) string {
	var b strings.Builder
	b.WriteString("**Growth with the number of images** (one signature per image; images/s = images / wall time):\n\n")
	b.WriteString(header(names, "kind"))
	var notes []string
	for _, kind := range []string{protocol.Keyed, protocol.Keyless} {
		var first, last *row
		for i := range rows {
			r := &rows[i]
			if r.set.Kind != kind || r.set.Signatures != 1 {
				continue
			}
			if first == nil {
				first = r
			}
			last = r
			b.WriteString(line(kind, r))
		}
		if first != nil && last != first {
			notes = append(notes, growth(kind, names, first, last))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

// signaturesTable: per kind, the rows of several signatures per image after the
// same number of images with one (when measured), then how each tool grows from
// the fewest signatures to the most.
func signaturesTable(names []string, rows []row) string {
	var b strings.Builder
	var notes []string
	started := false
	for _, kind := range []string{protocol.Keyed, protocol.Keyless} {
		var kindRows []*row
		for i := range rows {
			if r := &rows[i]; r.set.Kind == kind && r.set.Signatures > 1 {
				kindRows = append(kindRows, r)
			}
		}
		if len(kindRows) == 0 {
			continue
		}
		for i := range rows {
			if r := &rows[i]; r.set.Kind == kind && r.set.Signatures == 1 && r.n == kindRows[0].n {
				kindRows = append([]*row{r}, kindRows...)
				break
			}
		}
		if !started {
			b.WriteString("**Signatures per image** (the trusted signature last, after signatures by an untrusted key or another identity; beside the same number of images with one signature):\n\n")
			b.WriteString(header(names, "kind, signatures per image"))
			started = true
		}
		for _, r := range kindRows {
			b.WriteString(line(fmt.Sprintf("%s, %d", kind, r.set.Signatures), r))
		}
		first, last := kindRows[0], kindRows[len(kindRows)-1]
		if first != last {
			var parts []string
			for i, n := range names {
				a, z := first.m[i], last.m[i]
				parts = append(parts, fmt.Sprintf("%s wall %s, CPU %s, peak RSS %s", n, ratio(z.Wall.Seconds(), a.Wall.Seconds()), ratio(z.CPU.Seconds(), a.CPU.Seconds()), ratio(float64(z.RSSKB), float64(a.RSSKB))))
			}
			notes = append(notes, fmt.Sprintf("%s%s, %d images, from %d to %d signatures per image: %s.", strings.ToUpper(kind[:1]), kind[1:], first.n, first.set.Signatures, last.set.Signatures, strings.Join(parts, "; ")))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

func header(names []string, first string) string {
	h := "| " + first + " | images |"
	sep := "|---|---:|"
	for _, n := range names {
		h += fmt.Sprintf(" %s wall | %s CPU | %s peak RSS | %s images/s |", n, n, n, n)
		sep += "---:|---:|---:|---:|"
	}
	return h + "\n" + sep + "\n"
}

func line(first string, r *row) string {
	s := fmt.Sprintf("| %s | %d |", first, r.n)
	for _, m := range r.m {
		s += fmt.Sprintf(" %s | %s | %d MiB | %s |", benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), benchrun.MiB(m.RSSKB), perSecond(r.n, m.Wall))
	}
	return s + "\n"
}

// growth: "Keyed, from 50 to 800 images (16x): palisade wall 9.80x, CPU 12.10x, peak
// RSS 1.20x; cosign ...".
func growth(kind string, names []string, first, last *row) string {
	var parts []string
	for i, n := range names {
		a, z := first.m[i], last.m[i]
		parts = append(parts, fmt.Sprintf("%s wall %s, CPU %s, peak RSS %s", n, ratio(z.Wall.Seconds(), a.Wall.Seconds()), ratio(z.CPU.Seconds(), a.CPU.Seconds()), ratio(float64(z.RSSKB), float64(a.RSSKB))))
	}
	return fmt.Sprintf("%s%s, from %d to %d images (%s): %s.", strings.ToUpper(kind[:1]), kind[1:], first.n, last.n, ratio(float64(last.n), float64(first.n)), strings.Join(parts, "; "))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "?"
	}
	r := a / b
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func perSecond(n int, d time.Duration) string {
	if d <= 0 {
		return "?"
	}
	v := float64(n) / d.Seconds()
	if v >= 100 {
		return thousands(int(v + 0.5))
	}
	return fmt.Sprintf("%.1f", v)
}

// cacheSection: the cache hit path measured in process.
func cacheSection(c protocol.Cache, m benchrun.Measurement) string {
	var b strings.Builder
	b.WriteString("**Cache hit path** (in process, `tools/sigbench/fixture -mode cache`: a `signature.Verifier` over the registry store and the signature cache the admission webhook uses, keyed by digest and policy generation; the first verification of each image fills it, then every image again and again from the cache):\n\n")
	if c.Note != "" {
		b.WriteString(c.Note + "\n")
		return b.String()
	}
	b.WriteString("| images | first verification (all) | per image | verifications from the cache | time | verifications/s | allocations per hit | bytes per hit | process peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.1f | %.0f | %d MiB |\n",
		thousands(c.Images), benchrun.Duration(c.Cold), perImage(c.Cold, c.Images), thousands(c.Hits), benchrun.Duration(c.HitTime), perSecond(c.Hits, c.HitTime), c.AllocsPerHit, c.BytesPerHit, benchrun.MiB(m.RSSKB))
	return b.String()
}

func perImage(d time.Duration, n int) string {
	if n == 0 {
		return "?"
	}
	p := d / time.Duration(n)
	if p < time.Millisecond {
		return fmt.Sprintf("%d µs", p.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", float64(p.Microseconds())/1000)
}

// measureCache runs the fixture child's cache mode against the registry.
func measureCache(bin, work string, f *protocol.Fixture) (protocol.Cache, benchrun.Measurement, error) {
	var c protocol.Cache
	var refs []string
	for _, s := range f.Sets {
		if s.Signatures == 1 {
			refs = append(refs, s.Refs...)
		}
	}
	progress("the cache hit path over %d images, in process", len(refs))
	m, err := benchrun.Best(1, benchrun.Command{Argv: []string{bin, "-mode", "cache", "-fixture", filepath.Join(work, "fixture.json")}})
	if err != nil {
		// The comparison above stands without it: say why in the section.
		progress("cache: %v", err)
		msg, _, _ := strings.Cut(err.Error(), "\n")
		if i := strings.Index(msg, "exit status"); i >= 0 {
			msg = "the child failed: " + msg[i:]
		}
		return protocol.Cache{Note: fmt.Sprintf("Not measured: %s.", strings.TrimSuffix(msg, "."))}, m, nil
	}
	if err := protocol.Parse(m.Stderr, &c); err != nil {
		return c, m, err
	}
	if c.Note == "" {
		progress("cache: %d verifications from the cache in %s (%s/s)", c.Hits, benchrun.Duration(c.HitTime), perSecond(c.Hits, c.HitTime))
	} else {
		progress("cache: %s", c.Note)
	}
	return c, m, nil
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
