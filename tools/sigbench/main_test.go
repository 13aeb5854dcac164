package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/sigbench/internal/protocol"
)

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("-n", "800, 50,200,50")
	if err != nil || len(got) != 3 || got[0] != 50 || got[2] != 800 {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"", "0", "x", "5,-1"} {
		if _, err := parseCounts("-n", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func fixture() *protocol.Fixture {
	return &protocol.Fixture{Registry: "127.0.0.1:5000", Config: "/w/.palisade.yaml", Key: "/w/cosign.pub", TrustedRoot: "/w/trusted_root.json",
		Issuer: "https://issuer.example", Subject: "^https://github.com/example/.+$"}
}

// TestCommands: both tools get the same references, each its own trust material.
func TestCommands(t *testing.T) {
	f := fixture()
	refs := []string{"127.0.0.1:5000/keyed/s1/app-0000:v1", "127.0.0.1:5000/keyed/s1/app-0001:v1"}
	keyed := protocol.Set{Kind: protocol.Keyed, Signatures: 1}
	keyless := protocol.Set{Kind: protocol.Keyless, Signatures: 1}
	pal := strings.Join(palisadeTool{bin: "/b/palisade"}.cmd(f, keyed, refs), " ")
	if want := "/b/palisade image verify --config /w/.palisade.yaml --insecure-registry 127.0.0.1:5000 -o json " + strings.Join(refs, " "); pal != want {
		t.Errorf("palisade: %s", pal)
	}
	c := cosignTool{bin: "/c/cosign", tufRoot: "/w/tuf"}
	if got := strings.Join(c.cmd(f, keyed, refs), " "); got != "/c/cosign verify --allow-http-registry --allow-insecure-registry -o json --key /w/cosign.pub --insecure-ignore-tlog=true "+strings.Join(refs, " ") {
		t.Errorf("cosign keyed: %s", got)
	}
	got := c.cmd(f, keyless, refs[:1])
	if s := strings.Join(got, " "); !strings.Contains(s, "--trusted-root /w/trusted_root.json --certificate-identity-regexp ^https://github.com/example/.+$ --certificate-oidc-issuer https://issuer.example --insecure-ignore-sct=true "+refs[0]) {
		t.Errorf("cosign keyless: %s", s)
	}
	if short := shortCommand(got, f); short != "cosign verify --allow-http-registry --allow-insecure-registry -o json --trusted-root trusted_root.json --certificate-identity-regexp '^https://github.com/example/.+$' --certificate-oidc-issuer https://issuer.example --insecure-ignore-sct=true "+refs[0] {
		t.Errorf("short: %s", short)
	}
	if c.env()[0] != "TUF_ROOT=/w/tuf" {
		t.Error(c.env())
	}
}

func TestTables(t *testing.T) {
	names := []string{"palisade", "cosign"}
	m := func(wall time.Duration, mib int64) benchrun.Measurement {
		return benchrun.Measurement{Wall: wall, CPU: wall, RSSKB: mib * 1024}
	}
	one := protocol.Set{Kind: protocol.Keyed, Signatures: 1}
	four := protocol.Set{Kind: protocol.Keyed, Signatures: 4}
	rows := []row{
		{set: one, n: 50, m: []benchrun.Measurement{m(100*time.Millisecond, 40), m(2*time.Second, 60)}},
		{set: one, n: 200, m: []benchrun.Measurement{m(300*time.Millisecond, 42), m(8*time.Second, 70)}},
		{set: one, n: 800, m: []benchrun.Measurement{m(1200*time.Millisecond, 48), m(32*time.Second, 90)}},
		{set: four, n: 200, m: []benchrun.Measurement{m(600*time.Millisecond, 44), m(10*time.Second, 75)}},
	}
	g := growthTable(names, rows)
	for _, want := range []string{
		"| kind | images | palisade wall | palisade CPU | palisade peak RSS | palisade images/s | cosign wall |",
		"| keyed | 800 | 1.20 s | 1.20 s | 48 MiB | 667 | 32.00 s | 32.00 s | 90 MiB | 25.0 |",
		"Keyed, from 50 to 800 images (16x): palisade wall 12x, CPU 12x, peak RSS 1.20x; cosign wall 16x, CPU 16x, peak RSS 1.50x.",
	} {
		if !strings.Contains(g, want) {
			t.Errorf("growth table lacks %q:\n%s", want, g)
		}
	}
	if strings.Contains(g, "| keyed | 200 | 600 ms") {
		t.Errorf("growth table has the 4-signature row:\n%s", g)
	}
	ten := protocol.Set{Kind: protocol.Keyed, Signatures: 10}
	rows = append(rows, row{set: ten, n: 200, m: []benchrun.Measurement{m(900*time.Millisecond, 46), m(20*time.Second, 80)}})
	s := signaturesTable(names, rows)
	for _, want := range []string{
		"| keyed, 1 | 200 | 300 ms |", "| keyed, 4 | 200 | 600 ms |", "| keyed, 10 | 200 | 900 ms |",
		"Keyed, 200 images, from 1 to 10 signatures per image: palisade wall 3.00x, CPU 3.00x, peak RSS 1.10x; cosign wall 2.50x, CPU 2.50x, peak RSS 1.14x.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("signatures table lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "| keyed, 1 |") != 1 || strings.Contains(s, "keyless") {
		t.Errorf("signatures table:\n%s", s)
	}
	o := outcomeTable(names, []outcome{{set: one, codes: []int{0, 0}}, {set: protocol.Set{Kind: protocol.Keyed, Refs: []string{"a", "b"}}, codes: []int{1, 10}, requests: []int{5, 8}}})
	if !strings.Contains(o, "| keyed, unsigned | 2 | rejected (exit 1), 2.5 requests | rejected (exit 10), 4.0 requests |") || !strings.Contains(o, "| keyed, 1 signature per image | 0 | verified (exit 0) | verified (exit 0) |") {
		t.Errorf("outcomes:\n%s", o)
	}
	c := cacheSection(protocol.Cache{Images: 1600, Cold: 3200 * time.Millisecond, Hits: 2_000_000, HitTime: 2 * time.Second, AllocsPerHit: 2, BytesPerHit: 64}, m(0, 50))
	if !strings.Contains(c, "| 1,600 | 3.20 s | 2.0 ms | 2,000,000 | 2.00 s | 1,000,000 | 2.0 | 64 | 50 MiB |") {
		t.Errorf("cache:\n%s", c)
	}
	if c := cacheSection(protocol.Cache{Note: "Not measured: x."}, m(0, 1)); !strings.HasSuffix(c, "Not measured: x.\n") {
		t.Errorf("cache note:\n%s", c)
	}
}

// TestCosignVersion: the version the section names is the one hack/cosign.sh builds.
func TestCosignVersion(t *testing.T) {
	data, err := os.ReadFile("../../hack/cosign.sh")
	if err != nil {
		t.Fatal(err)
	}
	if want := `version="${PALISADE_COSIGN_VERSION:-` + cosignVersion + `}"`; !strings.Contains(string(data), want) {
		t.Errorf("hack/cosign.sh does not build cosign %s (no %s)", cosignVersion, want)
	}
}
