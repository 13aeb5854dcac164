package load

import (
	"bytes"
	"errors"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// IsChart reports whether path is a Helm chart: a directory with Chart.yaml, or a
// chart archive.
func IsChart(path string) bool {
	if isChartArchive(path) {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir() && isChartDir(path)
}

// maxValuesProbe bounds what IsValuesFile reads.
const maxValuesProbe = 1 << 20

// IsValuesFile reports whether path is a regular YAML file that holds Helm values
// rather than Kubernetes objects: every document a mapping with neither apiVersion nor
// kind. Anything else (objects, a list, an unreadable or larger file) is not.
func IsValuesFile(path string) bool {
	if !manifestExt(path) {
		return false
	}
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxValuesProbe {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs > 0
		}
		if err != nil {
			return false
		}
		if _, err := checkAliases(&n); err != nil {
			return false
		}
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return false
		}
		if m == nil {
			continue
		}
		if _, ok := m["apiVersion"]; ok {
			return false
		}
		if _, ok := m["kind"]; ok {
			return false
		}
		docs++
	}
}
