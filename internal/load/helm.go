package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// renderChart renders a chart directory or archive in-process, the way `helm
// template` does, and returns one source per rendered template. A chart that cannot
// be read or rendered is an input error for that chart; other inputs still load.
//
// The chart is read without leaving it (helm_chart.go), its values are validated
// without fetching schemas (helm_schema.go), and its templates are rendered by
// Palisade's bounded copy of Helm's engine (helm_render.go): within
// opts.Render.Timeout and opts.Render.MaxBytes. Helm's messages quote templates,
// values and files: they are masked and bounded before they are reported.
func renderChart(path string, opts *Options, addErr func(finding.InputError)) []source {
	quietLibraries()
	opts.charts++
	// The chart's values files are configuration, read for credentials even when
	// the chart does not render.
	var values []source
	fail := func(file string, format string, args ...any) []source {
		addErr(finding.InputError{
			Location: finding.Location{File: file, Renderer: "helm"},
			Message:  "helm chart: " + untrusted(fmt.Sprintf(format, args...)),
		})
		return values
	}
	ch, err := loadChart(path)
	if err != nil {
		var ce *chartError
		if errors.As(err, &ce) {
			return fail(ce.file, "%v", ce.err)
		}
		return fail(path, "load: %v", err)
	}
	values = chartValuesSources(path, ch)
	if err := checkDependencies(ch, ch.Metadata.Dependencies); err != nil {
		return fail(path, "%v (run `helm dependency build %s`)", err, path)
	}
	for _, f := range opts.Helm.ValuesFiles {
		if err := checkValuesFile(f); err != nil {
			return fail(f, "values: %v", err)
		}
	}
	vals, err := mergeValues(opts.Helm.ValuesFiles, opts.Helm.Set)
	if err != nil {
		return fail(path, "values: %v", err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return fail(path, "dependencies: %v", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if opts.Helm.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.Helm.KubeVersion)
		if err != nil {
			return fail(path, "kube version: %v", err)
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
	rv, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, chartutil.ReleaseOptions{
		Name: name, Namespace: ns, Revision: 1, IsInstall: true,
	}, caps, true)
	if err != nil {
		return fail(path, "values: %v", err)
	}
	if v, ok := rv["Values"].(chartutil.Values); ok {
		if err := validateValues(ch, v); err != nil {
			return fail(path, "values: values don't meet the specifications of the schema(s) in the following chart(s):\n%v", err)
		}
	}
	out, err := renderTemplates(ch, rv, opts.Render)
	if err != nil {
		return fail(path, "render: %v", err)
	}
	renderer := "helm chart " + ch.Name()
	var srcs []source
	for _, crd := range ch.CRDObjects() {
		srcs = append(srcs, bytesSource(finding.Location{
			File: templateFile(path, ch, crd.Filename), Renderer: renderer, Rendered: true, Provenance: finding.FromRendered,
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
			File: templateFile(path, ch, k), Renderer: renderer, Rendered: true, Provenance: finding.FromRendered,
		}, []byte(out[k])))
	}
	if len(srcs) == 0 {
		return fail(path, "renders no manifests with these values")
	}
	return append(srcs, values...)
}

// chartValuesFile reports whether a file at the root of a chart holds values: Helm's
// values.yaml, the values-*.yaml and values.*.yaml files of other environments, and
// helm-secrets' secrets.yaml and secrets.*.yaml (also .yml).
func chartValuesFile(name string) bool {
	if strings.Contains(name, "/") {
		return false
	}
	base, ok := strings.CutSuffix(strings.ToLower(name), ".yaml")
	if !ok {
		if base, ok = strings.CutSuffix(strings.ToLower(name), ".yml"); !ok {
			return false
		}
	}
	return base == "values" || base == "secrets" || strings.HasPrefix(base, "values-") ||
		strings.HasPrefix(base, "values.") || strings.HasPrefix(base, "secrets.")
}

// chartValuesSources are the values files of a chart (chartValuesFile), read as
// configuration files: named by their file in the chart (archive#file for an
// archive), with their own line numbers, and not counted as inputs of their own (the
// chart is the input). Templates and other files of the chart are not read.
func chartValuesSources(path string, ch *chart.Chart) []source {
	var out []source
	for _, f := range ch.Raw {
		if f == nil || !chartValuesFile(f.Name) {
			continue
		}
		out = append(out, source{
			base: finding.Location{File: templateFile(path, ch, f.Name), Renderer: "helm chart " + ch.Name(), Provenance: finding.FromRendered},
			open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.Data)), nil },
			mode: configOnly, part: true,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].base.File < out[j].base.File })
	return out
}

// userValuesSources are the --values files of a scan that rendered a chart, read as
// configuration files once (standard input, "-", is left to Helm).
func userValuesSources(opts *Options) []source {
	var out []source
	for _, f := range opts.Helm.ValuesFiles {
		if strings.TrimSpace(f) == "-" || checkValuesFile(f) != nil {
			continue // standard input, or a file the chart reported already
		}
		s := fileSource(f, true)
		s.mode, s.format, s.part = configOnly, "", true
		out = append(out, s)
	}
	return out
}

// checkValuesFile refuses a --values file that is not a regular file (a device or a
// FIFO would be read for ever), or that is over Helm's maximum chart size. "-" is
// standard input, as for Helm.
func checkValuesFile(p string) error {
	if strings.TrimSpace(p) == "-" {
		return nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): not read", p, st.Mode().Type())
	}
	if st.Size() > loader.MaxDecompressedChartSize {
		return fmt.Errorf("%s is %d bytes, over the limit of %d", p, st.Size(), loader.MaxDecompressedChartSize)
	}
	return nil
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
