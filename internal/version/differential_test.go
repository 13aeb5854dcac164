package version

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/semver"
)

// result is one comparison in a differential test: 2 stands for "rejected".
const rejected = 2

func ours(cmp func(a, b string) (int, error), a, b string) int {
	c, err := cmp(a, b)
	if err != nil {
		return rejected
	}
	return c
}

func pairs(n int, next func() string) [][2]string {
	p := make([][2]string, n)
	for i := range p {
		p[i] = [2]string{next(), next()}
		if i%17 == 0 {
			p[i][1] = p[i][0]
		}
	}
	return p
}

// reportDiffs fails with the first mismatches.
func reportDiffs(t *testing.T, ref string, p [][2]string, want []int, cmp func(a, b string) (int, error)) {
	t.Helper()
	if len(want) != len(p) {
		t.Fatalf("%s answered %d comparisons, want %d", ref, len(want), len(p))
	}
	bad, rej := 0, 0
	for i, pr := range p {
		if want[i] == rejected {
			rej++
		}
		if got := ours(cmp, pr[0], pr[1]); got != want[i] {
			bad++
			if bad <= 20 {
				t.Errorf("compare(%q, %q) = %d, %s says %d (2 = rejected)", pr[0], pr[1], got, ref, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d comparisons differ from %s", bad, len(p), ref)
	}
	t.Logf("%d pairs agree with %s (%d of them with a version it rejects)", len(p)-bad, ref, rej)
}

// TestDebAgainstDpkg: 100,000 generated pairs through `dpkg --compare-versions`.
// Each pair is asked one relation (lt, eq or gt in turn: a process per question is
// the cost), batched into shell loops run two at a time.
func TestDebAgainstDpkg(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 100,000 dpkg processes")
	}
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not installed")
	}
	g := newGen(1)
	p := pairs(100000, g.deb)
	ops := []string{"lt", "eq", "gt"}
	dir := t.TempDir()
	var in bytes.Buffer
	for i, pr := range p {
		fmt.Fprintf(&in, "%d %s %s %s\n", i, pr[0], ops[i%3], pr[1])
	}
	list := filepath.Join(dir, "pairs")
	if err := os.WriteFile(list, in.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// xargs hands each shell 4 words per question; the shell prints "index status".
	script := `while [ $# -ge 4 ]; do "$DPKG" --compare-versions "$2" "$3" "$4" 2>/dev/null; echo "$1 $?"; shift 4; done`
	cmd := exec.Command("xargs", "-P", "2", "-n", "4000", "sh", "-c", script, "sh")
	cmd.Env = append(os.Environ(), "DPKG="+dpkg, "LC_ALL=C")
	cmd.Stdin = bytes.NewReader(in.Bytes())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xargs dpkg: %v", err)
	}
	status := make([]int, len(p))
	for i := range status {
		status[i] = -1
	}
	for line := range strings.Lines(string(out)) {
		var i, rc int
		if _, err := fmt.Sscan(line, &i, &rc); err != nil || i < 0 || i >= len(p) {
			t.Fatalf("bad line %q", line)
		}
		status[i] = rc
	}
	bad, rej := 0, 0
	for i, pr := range p {
		if status[i] == 255 || status[i] == 2 {
			rej++
		}
		c, err := CompareDeb(pr[0], pr[1])
		var ok bool
		switch {
		case status[i] == 255 || status[i] == 2:
			ok = err != nil // dpkg: bad syntax
		case err != nil:
			ok = false
		default:
			holds := map[string]bool{"lt": c < 0, "eq": c == 0, "gt": c > 0}[ops[i%3]]
			ok = holds == (status[i] == 0)
		}
		if !ok {
			bad++
			if bad <= 20 {
				t.Errorf("dpkg --compare-versions %q %s %q exits %d; CompareDeb = %d, %v", pr[0], ops[i%3], pr[1], status[i], c, err)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d differ from dpkg", bad, len(p))
	}
	t.Logf("%d pairs agree with dpkg (%d of them with a version it rejects)", len(p)-bad, rej)
}

// TestRPMAgainstRPM: generated pairs through rpm's own rpm.vercmp (one rpm process,
// one Lua loop).
func TestRPMAgainstRPM(t *testing.T) {
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		t.Skip("rpm not installed")
	}
	n := 100000
	if testing.Short() {
		n = 5000
	}
	g := newGen(2)
	p := pairs(n, g.rpm)
	dir := t.TempDir()
	var in bytes.Buffer
	for _, pr := range p {
		fmt.Fprintf(&in, "%s\t%s\n", pr[0], pr[1])
	}
	list := filepath.Join(dir, "pairs")
	if err := os.WriteFile(list, in.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	lua := fmt.Sprintf(`%%{lua: for l in io.lines(%q) do local a, b = l:match("^(.-)\t(.*)$"); print(rpm.vercmp(a, b) .. ",") end}`, list)
	out, err := exec.Command(rpm, "--eval", lua).Output()
	if err != nil {
		t.Fatalf("rpm: %v", err)
	}
	var want []int
	for f := range strings.FieldsFuncSeq(string(out), func(r rune) bool { return r == ',' || r == '\n' }) {
		c, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("rpm printed %q", f)
		}
		want = append(want, sign(c))
	}
	reportDiffs(t, "rpm.vercmp", p, want, CompareRPM)
}

// TestGoAgainstXMod: generated pairs against golang.org/x/mod/semver (valid
// versions ordered the same; what it finds invalid, CompareGo rejects).
func TestGoAgainstXMod(t *testing.T) {
	g := newGen(3)
	p := pairs(200000, g.goVer)
	want := make([]int, len(p))
	for i, pr := range p {
		a, b := pr[0], pr[1]
		// OSV spells Go versions without the "v": CompareGo accepts both.
		if !strings.HasPrefix(a, "v") {
			a = "v" + a
		}
		if !strings.HasPrefix(b, "v") {
			b = "v" + b
		}
		if !semver.IsValid(a) || !semver.IsValid(b) {
			want[i] = rejected
			continue
		}
		want[i] = semver.Compare(a, b)
	}
	reportDiffs(t, "x/mod/semver", p, want, CompareGo)
}

// TestCargoAgainstXMod: SemVer 2.0 precedence of full MAJOR.MINOR.PATCH versions,
// against golang.org/x/mod/semver (the same precedence once "v" is added).
func TestCargoAgainstXMod(t *testing.T) {
	g := newGen(8)
	p := pairs(100000, g.cargo)
	want := make([]int, len(p))
	full := func(v string) bool {
		return !strings.HasPrefix(v, "v") && semver.IsValid("v"+v) && semver.Canonical("v"+v) == "v"+strings.SplitN(v, "+", 2)[0]
	}
	for i, pr := range p {
		if !full(pr[0]) || !full(pr[1]) {
			want[i] = rejected
			continue
		}
		want[i] = semver.Compare("v"+pr[0], "v"+pr[1])
	}
	reportDiffs(t, "x/mod/semver (SemVer 2.0 precedence)", p, want, CompareCargo)
}

// cacheDir is ~/.cache/palisade/NAME.
func cacheDir(t *testing.T, name string) string {
	d, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	return filepath.Join(d, "palisade", name)
}

// TestNPMAgainstNodeSemver: generated pairs against the semver package from the npm
// registry (semver@7, installed once into ~/.cache/palisade/npm-semver), one node
// process for all.
func TestNPMAgainstNodeSemver(t *testing.T) {
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		t.Skip("node or npm not installed")
	}
	dir := cacheDir(t, "npm-semver")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "semver", "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "semver@7")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install semver@7: %v\n%s", err, out)
		}
	}
	g := newGen(4)
	p := pairs(100000, g.npm)
	js, _ := json.Marshal(p)
	file := filepath.Join(t.TempDir(), "pairs.json")
	if err := os.WriteFile(file, js, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `const semver = require(process.argv[1]); const fs = require("fs");
const pairs = JSON.parse(fs.readFileSync(process.argv[2], "utf8")); const out = [];
const ok = v => { try { new semver.SemVer(v); return true } catch (e) { return false } };
for (const [a, b] of pairs) out.push(ok(a) && ok(b) ? semver.compare(a, b) : 2);
process.stdout.write(out.join("\n") + "\n");
process.stderr.write("semver " + require(process.argv[1] + "/package.json").version + "\n");`
	cmd := exec.Command(node, "-e", script, filepath.Join(dir, "node_modules", "semver"), file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	t.Log(strings.TrimSpace(stderr.String()))
	reportDiffs(t, "node-semver", p, atoiLines(t, out), CompareNPM)
}

func atoiLines(t *testing.T, out []byte) []int {
	t.Helper()
	var r []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		c, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("reference printed %q", sc.Text())
		}
		r = append(r, c)
	}
	return r
}

// TestPyPIAgainstPackaging: generated pairs against Python's packaging.version
// (the installed packaging, else pip's vendored copy).
func TestPyPIAgainstPackaging(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	g := newGen(5)
	p := pairs(100000, g.pypi)
	js, _ := json.Marshal(p)
	file := filepath.Join(t.TempDir(), "pairs.json")
	if err := os.WriteFile(file, js, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `import json, sys
try:
    from packaging.version import Version, InvalidVersion
    import packaging as p
except ImportError:
    from pip._vendor.packaging.version import Version, InvalidVersion
    import pip._vendor.packaging as p
sys.stderr.write("packaging %s\n" % p.__version__)
out = []
for a, b in json.load(open(sys.argv[1])):
    try:
        x, y = Version(a), Version(b)
        out.append(str((x > y) - (x < y)))
    except InvalidVersion:
        out.append("2")
print("\n".join(out))
`
	cmd := exec.Command(py, "-c", script, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("python packaging unavailable: %v\n%s", err, stderr.String())
	}
	t.Log(strings.TrimSpace(stderr.String()))
	reportDiffs(t, "packaging.version", p, atoiLines(t, out), ComparePyPI)
}

// TestMavenAgainstComparableVersion: generated sequences through maven-artifact's
// ComparableVersion main, which compares each argument with the next.
func TestMavenAgainstComparableVersion(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	jars, _ := filepath.Glob("/usr/share/maven-repo/org/apache/maven/maven-artifact/*/maven-artifact-*.jar")
	if more, _ := filepath.Glob("/usr/share/maven*/lib/maven-artifact*.jar"); len(more) > 0 {
		jars = append(jars, more...)
	}
	if len(jars) == 0 {
		t.Skip("no maven-artifact jar")
	}
	jar := jars[0]
	g := newGen(6)
	total, batches := 0, 20
	if testing.Short() {
		batches = 2
	}
	for batch := range batches {
		seq := make([]string, 2500)
		for i := range seq {
			seq[i] = g.maven()
			if i%11 == 0 && i > 0 {
				seq[i] = seq[i-1]
			}
		}
		out, err := exec.Command(java, append([]string{"-cp", jar, "org.apache.maven.artifact.versioning.ComparableVersion"}, seq...)...).Output()
		if err != nil {
			t.Fatalf("java ComparableVersion: %v", err)
		}
		var p [][2]string
		var want []int
		k := 0
		for line := range strings.Lines(string(out)) {
			line = strings.TrimSuffix(line, "\n")
			if !strings.HasPrefix(line, "   ") || k+1 >= len(seq) {
				continue
			}
			rel := strings.TrimPrefix(line, "   "+seq[k]+" ")
			rel = strings.TrimSuffix(rel, " "+seq[k+1])
			c, ok := map[string]int{"<": -1, "==": 0, ">": 1}[rel]
			if !ok {
				t.Fatalf("batch %d: cannot read %q (comparing %q, %q)", batch, line, seq[k], seq[k+1])
			}
			p = append(p, [2]string{seq[k], seq[k+1]})
			want = append(want, c)
			k++
		}
		if k != len(seq)-1 {
			t.Fatalf("batch %d: read %d comparisons, want %d", batch, k, len(seq)-1)
		}
		reportDiffs(t, filepath.Base(jar), p, want, CompareMaven)
		total += len(p)
	}
	t.Logf("%d pairs in all", total)
}
