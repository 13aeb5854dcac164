package load

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// renderChart renders a chart directory or archive in-process with the Helm v3 SDK, the
// way `helm template` does, and returns one source per rendered template. A chart that
// cannot be rendered is an input error for that chart; other inputs still load.
func renderChart(path string, opts *Options, addErr func(finding.InputError)) []source {
	fail := func(format string, args ...any) []source {
		addErr(finding.InputError{
			Location: finding.Location{File: path, Renderer: "helm"},
			Message:  "helm chart: " + fmt.Sprintf(format, args...),
		})
		return nil
	}
	ch, err := loader.Load(path)
	if err != nil {
		return fail("load: %v", err)
	}
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		return fail("%v (run `helm dependency build %s`)", err, path)
	}
	vopts := values.Options{ValueFiles: opts.Helm.ValuesFiles, Values: opts.Helm.Set}
	vals, err := vopts.MergeValues(getter.Providers{})
	if err != nil {
		return fail("values: %v", err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return fail("dependencies: %v", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if opts.Helm.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.Helm.KubeVersion)
		if err != nil {
			return fail("kube version: %v", err)
		}
		caps.KubeVersion = *kv
	}
	name := opts.Helm.ReleaseName
	if name == "" {
		name = "release-name"
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: name, Namespace: ns, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return fail("values: %v", err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return fail("render: %v", err)
	}
	renderer := "helm chart " + ch.Name()
	var srcs []source
	for _, crd := range ch.CRDObjects() {
		srcs = append(srcs, bytesSource(finding.Location{
			File: templateFile(path, ch, crd.Filename), Renderer: renderer, Rendered: true,
		}, crd.File.Data))
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		base := filepath.Base(k)
		if strings.HasSuffix(k, "NOTES.txt") || strings.HasPrefix(base, "_") || strings.TrimSpace(out[k]) == "" {
			continue
		}
		srcs = append(srcs, bytesSource(finding.Location{
			File: templateFile(path, ch, k), Renderer: renderer, Rendered: true,
		}, []byte(out[k])))
	}
	if len(srcs) == 0 {
		return fail("renders no manifests with these values")
	}
	return srcs
}

// templateFile maps a rendered template name ("mychart/charts/sub/templates/x.yaml")
// to its file under the chart directory, or names it inside an archive.
func templateFile(chartPath string, ch *chart.Chart, name string) string {
	rel := strings.TrimPrefix(name, ch.Name()+"/")
	if isChartArchive(chartPath) {
		return chartPath + "#" + rel
	}
	return filepath.Join(chartPath, filepath.FromSlash(rel))
}
