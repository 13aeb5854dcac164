package checktest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
)

// fakeTB records what Run reports instead of failing the test.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	panic("checktest.Run must not stop the test: " + fmt.Sprintf(format, args...))
}

const privileged = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0
      securityContext:
        privileged: true%s
---
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: api
      image: registry.example.com/api:1.0
      securityContext:
        privileged: %s
`

const unprivileged = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0
`

func fixtureDir(t *testing.T, rule string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), rule)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRun proves the helper fails a fixture in each way it can be wrong, naming the
// file and line, and passes a right one.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rule  string
		files map[string]string
		want  []string // substrings of the reported errors, in order; none: it passes
	}{{
		name: "right",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, ` # want PAL-001 "container \"web\" sets securityContext\\.privileged=true"`,
				`true # want PAL-001`),
			"fail-second.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml":        unprivileged,
		},
	}, {
		name: "unexpected finding",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "true"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:21: unexpected finding PAL-001: container \"api\" sets securityContext.privileged=true"},
	}, {
		name: "missing finding",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false # want PAL-001"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:21: missing finding PAL-001"},
	}, {
		name: "finding on another line than marked",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": strings.Replace(fmt.Sprintf(privileged, "", "false"), "name: web\n", "name: web # want PAL-001\n", 1),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:4: missing finding PAL-001", "fail.yaml:10: unexpected finding PAL-001"},
	}, {
		name: "message does not match",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, ` # want PAL-001 "hostNetwork"`, "false"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:10: unexpected finding PAL-001", `fail.yaml:10: missing finding PAL-001 matching "hostNetwork"`},
	}, {
		name: "two findings, one marker",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001 PAL-001", "false"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:10: missing finding PAL-001"},
	}, {
		name: "finding in a pass file",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": fmt.Sprintf(privileged, "", "false"),
		},
		want: []string{"pass.yaml:10: unexpected finding PAL-001"},
	}, {
		name: "marker in a pass file",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": unprivileged + "# want PAL-001\n",
		},
		want: []string{"pass.yaml:9: a pass fixture has a `# want` marker"},
	}, {
		name: "fail file without a marker",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": unprivileged,
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml: a fail fixture has no `# want PAL-001` marker"},
	}, {
		name: "marker of another rule",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001 PAL-018", "false"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:10: marker names PAL-018 in the fixtures of PAL-001"},
	}, {
		name: "bad marker",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, ` # want PAL-001 "("`, "false"),
			"pass.yaml": unprivileged,
		},
		want: []string{"fail.yaml:10: bad marker regexp", "fail.yaml: a fail fixture has no `# want PAL-001` marker", "fail.yaml:10: unexpected finding PAL-001"},
	}, {
		name: "fake credential placeholders",
		rule: "PAL-505",
		files: map[string]string{
			"fail.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: ghp_{{fake crc32 36}} # want PAL-505\n",
			"pass.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: ghp_{{fake alnum 3}}\n  lookalike: ghp_{{fake alnum 36}}\n",
		},
	}, {
		name: "bad placeholder",
		rule: "PAL-505",
		files: map[string]string{
			"fail.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: ghp_{{fake alnum36}} # want PAL-505\n",
			"pass.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: ghp_{{fake emoji 36}}\n",
		},
		want: []string{`fail.yaml: bad placeholder "{{fake alnum36}}`, "pass.yaml: bad placeholder {{fake emoji 36}}"},
	}, {
		name: "scanned under another name",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": "# scan-as: pod.prod.yaml\n" + fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": unprivileged,
		},
	}, {
		name: "bad scan-as name",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": "# scan-as: ../x.yaml\n" + unprivileged,
		},
		want: []string{`pass.yaml: bad scan-as directive "# scan-as: ../x.yaml"`},
	}, {
		name:  "no pass case",
		rule:  "PAL-001",
		files: map[string]string{"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false")},
		want:  []string{"needs at least one fail.yaml (or fail-*.yaml) and one pass.yaml"},
	}, {
		name: "stray file",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": unprivileged, "bad.yaml": unprivileged,
		},
		want: []string{"bad.yaml: not a fixture name"},
	}, {
		name: "input error",
		rule: "PAL-001",
		files: map[string]string{
			"fail.yaml": fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml": unprivileged + "---\nkind: [\n",
		},
		want: []string{"pass.yaml:11: input error"},
	}, {
		name: "configuration applies",
		rule: "PAL-001",
		files: map[string]string{
			".palisade.yaml": "rules:\n  PAL-001:\n    enabled: false\n",
			"fail.yaml":      fmt.Sprintf(privileged, " # want PAL-001", "false"),
			"pass.yaml":      unprivileged,
		},
		want: []string{"fail.yaml:10: missing finding PAL-001"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixtureDir(t, tc.rule, tc.files)
			tb := &fakeTB{}
			checktest.Run(tb, dir)
			if len(tb.errors) != len(tc.want) {
				t.Fatalf("reported %d errors, want %d:\n%s", len(tb.errors), len(tc.want), strings.Join(tb.errors, "\n"))
			}
			for i, w := range tc.want {
				if !strings.Contains(tb.errors[i], w) {
					t.Errorf("error %d = %q, want it to contain %q", i, tb.errors[i], w)
				}
			}
		})
	}
}
