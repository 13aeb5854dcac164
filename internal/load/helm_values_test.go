package load

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
)

// TestMergeValues: values files merge map by map in order, --set applies last, and
// errors read as Helm's.
func TestMergeValues(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for f, data := range map[string]string{
		a:   "image: {repo: nginx, tag: \"1\"}\nlist: [1, 2]\nkeep: a\n",
		b:   "image: {tag: \"2\"}\nlist: [3]\n",
		bad: "image: [\n",
	} {
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := mergeValues([]string{a, b}, []string{"image.pull=Always", "keep=set"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"image": map[string]any{"repo": "nginx", "tag": "2", "pull": "Always"},
		"list":  []any{float64(3)},
		"keep":  "set",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeValues = %#v, want %#v", got, want)
	}
	if _, err := mergeValues([]string{bad}, nil); err == nil || !strings.HasPrefix(err.Error(), "failed to parse "+bad+": ") {
		t.Errorf("bad values file: %v", err)
	}
	if _, err := mergeValues(nil, []string{"a[=1"}); err == nil || !strings.HasPrefix(err.Error(), "failed parsing --set data: ") {
		t.Errorf("bad --set: %v", err)
	}
	if _, err := mergeValues([]string{filepath.Join(dir, "missing.yaml")}, nil); !os.IsNotExist(err) {
		t.Errorf("missing values file: %v", err)
	}
}

func TestCheckDependencies(t *testing.T) {
	sub := &chart.Chart{Metadata: &chart.Metadata{Name: "present"}}
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "top"}}
	ch.SetDependencies(sub)
	reqs := []*chart.Dependency{{Name: "present"}, {Name: "gone"}, {Name: "lost"}}
	err := checkDependencies(ch, reqs)
	if err == nil || err.Error() != "found in Chart.yaml, but missing in charts/ directory: gone, lost" {
		t.Errorf("checkDependencies = %v", err)
	}
	if err := checkDependencies(ch, reqs[:1]); err != nil {
		t.Errorf("all present: %v", err)
	}
}
