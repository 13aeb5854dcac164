package checktest_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// fixtureDirs finds every rule's fixture directory, in whichever package of
// internal/checks it lives, keyed by rule ID.
func fixtureDirs(t *testing.T) map[string]string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "*", "testdata", "PAL-*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range dirs {
		if eventFixtures(d) {
			continue
		}
		id := filepath.Base(d)
		if prev, ok := out[id]; ok {
			t.Errorf("fixtures of %s in two places: %s and %s", id, prev, d)
		}
		out[id] = d
	}
	return out
}

// TestFixtures runs every rule's fixtures, family by family
// (go test -run 'TestFixtures/podsecurity/PAL-001').
func TestFixtures(t *testing.T) {
	fixtureDirs(t) // a rule's fixtures in two places is an error
	testdata, err := filepath.Glob(filepath.Join("..", "*", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range testdata {
		if eventFixtures(td) {
			continue
		}
		if dirs, _ := filepath.Glob(filepath.Join(td, "PAL-*")); len(dirs) > 0 {
			t.Run(filepath.Base(filepath.Dir(td)), func(t *testing.T) {
				for _, dir := range dirs {
					id := filepath.Base(dir)
					t.Run(id, func(t *testing.T) {
						if why := pending[id]; why != "" {
							if problems, err := checktest.Check(dir); err == nil && len(problems) == 0 {
								t.Errorf("the fixtures of %s pass: drop it from pending", id)
							}
							t.Skipf("pending: %s", why)
						}
						checktest.Run(t, dir)
					})
				}
			})
		}
	}
}

// pending lists rules whose fixtures need input this branch cannot read yet, with
// the reason: they are skipped, and fail the test once they pass, so that the entry
// is dropped then.
var pending = map[string]string{}

// families maps the hundreds of a rule ID to the package that holds the rule.
var families = map[int]string{
	0: "podsecurity", 1: "images", 2: "resources", 3: "identity",
	4: "network", 5: "credentials", 6: "namespaces", 7: "controlplane", 8: "admissionpolicy",
}

// subfamilies maps the tens of a rule ID (PAL-47x) to a package of its own inside a
// hundred: the attack-path rules chain several families.
var subfamilies = map[int]string{47: "attackpaths", 73: "nodes", 74: "nodes", 75: "nodes", 76: "nodes", 77: "nodes", 78: "nodes"}

// exempt lists rules that cannot have YAML fixtures, each with the reason (for
// example a rule whose input is not a manifest). None is exempt today; credential
// detectors use {{fake SET N}} placeholders instead (see package checktest).
var exempt = map[string]string{}

// TestEveryRuleHasFixtures asserts that every registered rule has a fixture
// directory, in its family's package, with at least one fail and one pass case, or
// is listed in exempt with a reason.
func TestEveryRuleHasFixtures(t *testing.T) {
	dirs := fixtureDirs(t)
	registered := map[string]bool{}
	for _, r := range rules.All() {
		if r.RunsIn(rules.Audit) {
			// Audit detections judge events: their fixtures are event logs
			// (internal/checks/auditrules/testdata/PAL-9xx/*.jsonl), held by
			// TestEveryDetectionHasFixtures there.
			continue
		}
		registered[r.ID] = true
		dir, ok := dirs[r.ID]
		switch {
		case exempt[r.ID] != "" && ok:
			t.Errorf("%s is exempt from fixtures (%s) but has %s: drop the exemption", r.ID, exempt[r.ID], dir)
		case exempt[r.ID] != "":
		case !ok && pending[r.ID] != "":
		case !ok:
			t.Errorf("%s has no fixtures: add %s/testdata/%s/{fail,pass}.yaml (see package checktest)", r.ID, family(r.ID), r.ID)
		default:
			fail, pass, err := checktest.Files(dir)
			if err != nil {
				t.Error(err)
			} else if len(fail) == 0 || len(pass) == 0 {
				t.Errorf("%s: needs at least one fail and one pass case, has %d and %d", dir, len(fail), len(pass))
			}
			if want := family(r.ID); filepath.Base(filepath.Dir(filepath.Dir(dir))) != want {
				t.Errorf("%s: the fixtures of %s belong in %s/testdata", dir, r.ID, want)
			}
		}
	}
	for id, dir := range dirs {
		if !registered[id] {
			t.Errorf("%s: no registered rule %s", dir, id)
		}
	}
	for id := range exempt {
		if !registered[id] {
			t.Errorf("exempt lists %s, which is not a registered rule", id)
		}
	}
}

// eventFixtures reports whether a path is in the audit detections' package, whose
// fixtures are event logs run by its own tests.
func eventFixtures(path string) bool {
	return strings.Contains(filepath.ToSlash(path), "/auditrules/")
}

func family(id string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "PAL-"))
	if f, ok := subfamilies[n/10]; ok {
		return f
	}
	return families[n/100]
}
