package load

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// What `helm template` does before rendering, written against Helm's lower-level
// packages: its action and cli/values packages would link Helm's release storage,
// registry and getters (~500 packages) for two small functions.

// checkDependencies fails when a dependency that Chart.yaml declares is not in the
// chart's charts/ directory (helm.sh/helm/v3/pkg/action.CheckDependencies).
func checkDependencies(ch *chart.Chart, reqs []*chart.Dependency) error {
	var missing []string
outer:
	for _, r := range reqs {
		for _, d := range ch.Dependencies() {
			if d.Name() == r.Name {
				continue outer
			}
		}
		missing = append(missing, r.Name)
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
	}
	return nil
}

// mergeValues merges the values files (-f, "-" for standard input), then the --set
// assignments, as helm.sh/helm/v3/pkg/cli/values.Options.MergeValues does with no
// getters: a values file is always read from the file system.
func mergeValues(valueFiles, set []string) (map[string]any, error) {
	base := map[string]any{}
	for _, filePath := range valueFiles {
		current := map[string]any{}
		data, err := readValuesFile(filePath)
		if err != nil {
			return nil, err
		}
		if err := yaml.Unmarshal(data, &current); err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", filePath, err)
		}
		base = mergeMaps(base, current)
	}
	for _, value := range set {
		if err := strvals.ParseInto(value, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	return base, nil
}

// mergeMaps merges b into a copy of a, maps key by key, other values replaced.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

func readValuesFile(filePath string) ([]byte, error) {
	if strings.TrimSpace(filePath) == "-" {
		return io.ReadAll(os.Stdin)
	}
	if _, err := url.Parse(filePath); err != nil {
		return nil, err
	}
	return os.ReadFile(filePath)
}
