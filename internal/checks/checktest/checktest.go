// Package checktest runs a rule's YAML fixtures, the go/analysis `analysistest` idea
// applied to manifests. A rule's fixtures live in its family package, in
// testdata/PAL-xxx/:
//
//	fail.yaml, fail-*.yaml  inputs the rule must flag, each expected finding marked
//	                        on the line it points at: `# want PAL-001` or
//	                        `# want PAL-001 "message regexp"` (several expectations
//	                        on one line: `# want PAL-001 PAL-001 "second"`); a
//	                        finding in a block scalar (| or >), where # is text,
//	                        points at the scalar's key line, which takes the marker
//	pass.yaml, pass-*.yaml  inputs the rule must not flag (no markers)
//	fail.Dockerfile, ...    the same for rules of Dockerfiles (fail-*.Dockerfile,
//	                        pass.Dockerfile, pass-*.Dockerfile), whose markers are
//	                        removed from the copy scanned
//	fail.image.yaml, ...    the same for rules of container images: an image
//	                        described in YAML, its expected findings listed under
//	                        want (see image.go)
//	.palisade.yaml          optional configuration: rule parameters, the Pod
//	                        Security level
//
// The rules of image signatures read verdicts a fixture states on comment lines
// (`# image-trust: REF denied no-signature ...`, see trust.go).
//
// The repository holds no string a secret scanner would report, so a fixture of a
// credential detector writes the random part of a credential as a placeholder,
// `{{fake SET N}}`: N characters of SET (alnum, upper, base32, digits, b64, b64url),
// generated from a fixed seed before the scan; SET crc32 is N-6 alnum characters and
// their checksum (secrets.Base62CRC32), which GitHub and npm tokens end with
// (`ghp_{{fake crc32 36}}` is a GitHub token, `ghp_{{fake alnum 36}}` a look-alike).
// A placeholder never spans lines, so line numbers are those of the file.
//
// A rule that judges a file by its name (helm-secrets values files are named
// secrets.yaml) takes a fixture that says what it is called: a line
// `# scan-as: secrets.prod.yaml` makes the fixture scanned under that base name.
//
// Each file is scanned as `palisade scan FILE --include PAL-xxx` would scan it
// (with the directory's .palisade.yaml, or defaults), and the check is exact both
// ways for the directory's rule: every unsuppressed finding of the rule must be on a
// marked line with a matching message, and every expectation must be met. Input
// errors and internal errors fail the fixture too. Findings of other rules are
// ignored. A finding without a line (Location.Line 0) cannot be marked and always
// fails: a rule must point at a field.
//
// The fixtures of all families run from this package's own test (fixtures_test.go);
// a family package may also run its own with checktest.RunAll(t, "testdata") from an
// external test package (package foo_test), since checktest imports internal/scan,
// which imports every built-in rule.
package checktest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/source"
)

// ConfigFile is the optional configuration file of a fixture directory.
const ConfigFile = ".palisade.yaml"

var ruleDir = regexp.MustCompile(`^PAL-[0-9]{3}$`)

// Run checks the fixtures of the rule named by dir's base name (testdata/PAL-xxx)
// and reports every problem on t, naming file and line. A directory without a fail
// and a pass file is an error.
func Run(t testing.TB, dir string) {
	t.Helper()
	problems, err := Check(dir)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
}

// RunAll runs, each as a subtest named after its rule, the fixtures of every rule
// under testdata (a package's testdata directory, holding PAL-xxx directories).
func RunAll(t *testing.T, testdata string) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(testdata, "PAL-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Errorf("%s: no PAL-xxx fixture directories", testdata)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { Run(t, dir) })
	}
}

// Files lists the fail and pass fixtures of dir, in name order.
func Files(dir string) (fail, pass []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == ConfigFile {
			continue
		}
		switch {
		case fixtureName(name, "fail"):
			fail = append(fail, filepath.Join(dir, name))
		case fixtureName(name, "pass"):
			pass = append(pass, filepath.Join(dir, name))
		default:
			return nil, nil, fmt.Errorf("%s: not a fixture name (fail.yaml, fail-*.yaml, pass.yaml, pass-*.yaml, the same with .Dockerfile or .image.yaml, %s)", filepath.Join(dir, name), ConfigFile)
		}
	}
	return fail, pass, nil
}

// fixtureExts are the suffixes of fixture files: images (see image.go), manifests,
// and Dockerfiles (read by their *.Dockerfile name).
var fixtureExts = []string{imageExt, ".yaml", ".Dockerfile"}

func fixtureName(name, kind string) bool {
	for _, ext := range fixtureExts {
		if base, ok := strings.CutSuffix(name, ext); ok {
			return base == kind || strings.HasPrefix(base, kind+"-")
		}
	}
	return false
}

// Check is Run without a testing.TB: it returns the problems found, one line each
// ("file:line: ..."), and an error when the directory itself is not usable.
func Check(dir string) ([]string, error) {
	rule := filepath.Base(dir)
	if !ruleDir.MatchString(rule) {
		return nil, fmt.Errorf("%s: a fixture directory is named after its rule (PAL-xxx)", dir)
	}
	fail, pass, err := Files(dir)
	if err != nil {
		return nil, err
	}
	if len(fail) == 0 || len(pass) == 0 {
		return nil, fmt.Errorf("%s: needs at least one fail.yaml (or fail-*.yaml) and one pass.yaml (or pass-*.yaml)", dir)
	}
	cfg, err := loadConfig(dir)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, f := range fail {
		problems = append(problems, checkFile(cfg, rule, f, true)...)
	}
	for _, f := range pass {
		problems = append(problems, checkFile(cfg, rule, f, false)...)
	}
	return problems, nil
}

func loadConfig(dir string) (*config.Config, error) {
	path := filepath.Join(dir, ConfigFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return &config.Config{}, nil
	}
	return config.Resolve(path, "")
}

// want is one expectation: a finding of Rule on Line whose message matches Message.
type want struct {
	Line    int
	Rule    string
	Message *regexp.Regexp
	met     bool
}

// got is one finding of the rule under test.
type got struct {
	Line    int
	Message string
}

func checkFile(cfg *config.Config, rule, file string, fail bool) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}
	}
	if isImageFixture(file) {
		return checkImageFile(cfg, rule, file, data, fail)
	}
	wants, problems := parseWants(file, string(data))
	if !fail {
		for _, w := range wants {
			problems = append(problems, fmt.Sprintf("%s:%d: a pass fixture has a `# want` marker", file, w.Line))
		}
		wants = nil
	}
	for _, w := range wants {
		if w.Rule != rule {
			problems = append(problems, fmt.Sprintf("%s:%d: marker names %s in the fixtures of %s", file, w.Line, w.Rule, rule))
		}
	}
	if fail && len(wants) == 0 {
		problems = append(problems, fmt.Sprintf("%s: a fail fixture has no `# want %s` marker", file, rule))
	}
	path := file
	name, err := scanAs(string(data))
	if err != nil {
		return append(problems, fmt.Sprintf("%s: %v", file, err))
	}
	dockerfile := strings.HasSuffix(file, ".Dockerfile")
	if strings.Contains(string(data), "{{fake") || name != "" || dockerfile {
		text, err := expandFakes(string(data))
		if err != nil {
			return append(problems, fmt.Sprintf("%s: %v", file, err))
		}
		if dockerfile {
			// In a Dockerfile # starts a comment only at the start of a line: the
			// markers are removed from the copy scanned (lines stay where they are).
			text = markerTail.ReplaceAllString(text, "")
		}
		tmp, err := os.MkdirTemp("", "checktest")
		if err != nil {
			return append(problems, err.Error())
		}
		defer os.RemoveAll(tmp)
		if name == "" {
			name = filepath.Base(file)
		}
		path = filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return append(problems, err.Error())
		}
	}
	src, err := withTrust(&source.Files{Paths: []string{path}}, string(data))
	if err != nil {
		return append(problems, fmt.Sprintf("%s: %v", file, err))
	}
	res, err := scan.Run(scan.Options{Source: src, Config: cfg, Include: []string{rule}, FailOn: "none", Workers: 1})
	if err != nil {
		return append(problems, fmt.Sprintf("%s: scan: %v", file, err))
	}
	for _, e := range res.Report.Errors {
		problems = append(problems, fmt.Sprintf("%s:%d: input error: %s", file, e.Location.Line, e.Message))
	}
	for _, e := range res.Report.Internal {
		problems = append(problems, fmt.Sprintf("%s: internal error: %v", file, e))
	}
	var gots []got
	for _, f := range res.Report.Findings {
		if f.RuleID == rule && f.Suppressed == nil {
			gots = append(gots, got{Line: f.Location.Line, Message: f.Message})
		}
	}
	return append(problems, match(file, rule, wants, gots)...)
}

// match pairs findings with expectations on the same line; a finding takes the
// first unmet expectation whose regexp matches its message.
func match(file, rule string, wants []*want, gots []got) []string {
	var problems []string
	for _, g := range gots {
		found := false
		for _, w := range wants {
			if !w.met && w.Line == g.Line && w.Rule == rule && w.Message.MatchString(g.Message) {
				w.met, found = true, true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s:%d: unexpected finding %s: %s", file, g.Line, rule, g.Message))
		}
	}
	for _, w := range wants {
		if !w.met && w.Rule == rule {
			m := ""
			if w.Message.String() != "" {
				m = fmt.Sprintf(" matching %q", w.Message)
			}
			problems = append(problems, fmt.Sprintf("%s:%d: missing finding %s%s", file, w.Line, w.Rule, m))
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return lineOf(problems[i]) < lineOf(problems[j]) })
	return problems
}

func lineOf(problem string) int {
	for _, ext := range fixtureExts {
		if _, rest, ok := strings.Cut(problem, ext+":"); ok {
			n, _ := strconv.Atoi(strings.SplitN(rest, ":", 2)[0])
			return n
		}
	}
	return 0
}

// scanAsRE is the directive that names the file a fixture is scanned as.
var scanAsRE = regexp.MustCompile(`(?m)^#\s*scan-as:\s*(.*?)\s*$`)

// scanAs returns the file name a fixture asks to be scanned as ("" for its own).
func scanAs(text string) (string, error) {
	m := scanAsRE.FindStringSubmatch(text)
	if m == nil {
		return "", nil
	}
	name := m[1]
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\ ") {
		return "", fmt.Errorf("bad scan-as directive %q: want a file name without a directory", m[0])
	}
	return name, nil
}

var (
	marker     = regexp.MustCompile(`#\s*want\s+(.*)$`)
	markerTail = regexp.MustCompile(`(?m)[ \t]*#\s*want\s+.*$`)
	ruleTok    = regexp.MustCompile(`^PAL-[0-9]{3}`)
)

// parseWants reads the `# want` markers of a fixture, one or more expectations per
// line: a rule ID, optionally followed by a double-quoted Go string holding a
// regexp of the message.
func parseWants(file, text string) ([]*want, []string) {
	var wants []*want
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		m := marker.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n := i + 1
		rest := strings.TrimSpace(m[1])
		for rest != "" {
			id := ruleTok.FindString(rest)
			if id == "" {
				problems = append(problems, fmt.Sprintf("%s:%d: bad marker: want a rule ID (PAL-xxx), got %q", file, n, rest))
				break
			}
			rest = strings.TrimSpace(rest[len(id):])
			w := &want{Line: n, Rule: id, Message: regexp.MustCompile("")}
			if strings.HasPrefix(rest, `"`) {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s:%d: bad marker: %v", file, n, err))
					break
				}
				rest = strings.TrimSpace(rest[len(q):])
				s, _ := strconv.Unquote(q)
				re, err := regexp.Compile(s)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s:%d: bad marker regexp: %v", file, n, err))
					break
				}
				w.Message = re
			}
			wants = append(wants, w)
		}
	}
	return wants, problems
}

var (
	fakeRE   = regexp.MustCompile(`\{\{fake ([a-z0-9]+) ([0-9]+)\}\}`)
	fakeSets = map[string]string{
		"alnum":  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"upper":  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
		"base32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		"digits": "0123456789",
		"b64":    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
		"b64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
	}
)

// expandFakes replaces each {{fake SET N}} placeholder with N characters of SET,
// the same for every run. None was ever issued by a provider.
func expandFakes(text string) (string, error) {
	var err error
	seed := uint64(0xc0ffee)
	out := fakeRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := fakeRE.FindStringSubmatch(m)
		set, ok := fakeSets[sub[1]]
		n, _ := strconv.Atoi(sub[2])
		crc := sub[1] == "crc32"
		if crc {
			set, ok = fakeSets["alnum"], n > 6
		}
		if !ok || n < 1 || n > 4096 {
			err = fmt.Errorf("bad placeholder %s: want {{fake SET N}}, SET one of alnum, upper, base32, digits, b64, b64url, crc32 (N > 6), 0 < N <= 4096", m)
			return m
		}
		b := make([]byte, n)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = set[(seed>>33)%uint64(len(set))]
		}
		if crc {
			copy(b[n-6:], secrets.Base62CRC32(string(b[:n-6])))
		}
		return string(b)
	})
	if err == nil && strings.Contains(out, "{{fake") {
		i := strings.Index(out, "{{fake")
		err = fmt.Errorf("bad placeholder %q: want {{fake SET N}}", out[i:min(len(out), i+24)])
	}
	return out, err
}
