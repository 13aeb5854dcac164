package load

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"

	"strings"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// TestRenderLikeHelm renders real charts with Helm's engine and with Palisade's
// bounded copy of it: the output must be the same, byte for byte.
func TestRenderLikeHelm(t *testing.T) {
	for _, tc := range []struct {
		chart string
		set   map[string]interface{}
	}{
		{chart: "testdata/chart/mychart"},
		{chart: "testdata/chart/mychart", set: map[string]interface{}{"extraConfig": true, "privileged": true}},
		{chart: "testdata/chart/features"},
		{chart: "testdata/chart/features", set: map[string]interface{}{"empty": "x", "labels": map[string]interface{}{"a": "b"}}},
		{chart: "../../examples/insecure/chart"},
		{chart: "../../examples/hardened/chart"},
		{chart: "../../charts/palisade"},
		{chart: "../checks/credentials/testdata/secrets-chart"},
		{chart: "../report/testdata/scan/chart"},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.chart, tc.set), func(t *testing.T) {
			if _, err := os.Stat(tc.chart); err != nil {
				t.Skip(err)
			}
			caps := chartutil.DefaultCapabilities.Copy()
			ref, err := loader.Load(tc.chart)
			if err != nil {
				t.Fatal(err)
			}
			rv, err := chartutil.ToRenderValues(ref, tc.set, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}, caps)
			if err != nil {
				t.Fatal(err)
			}
			want, err := engine.Render(ref, rv)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := loadChart(tc.chart)
			if err != nil {
				t.Fatal(err)
			}
			rv, err = chartutil.ToRenderValues(ch, tc.set, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}, caps)
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderTemplates(ch, rv, RenderLimits{})
			if err != nil {
				t.Fatal(err)
			}
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("%s differs:\n--- helm\n%s\n--- palisade\n%s", name, want[name], got[name])
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d templates rendered, helm renders %d", len(got), len(want))
			}
		})
	}
}

// TestRenderErrorsLikeHelm: a failing template gives Helm's message.
func TestRenderErrorsLikeHelm(t *testing.T) {
	for name, tpl := range map[string]string{
		"fail":     `{{ fail "stop here" }}`,
		"required": `{{ required "x is required" .Values.x }}`,
		"parse":    `{{ if }}`,
		"call":     `{{ repeat -1 "a" }}`,
		"missing":  `{{ include "nope" . }}`,
	} {
		t.Run(name, func(t *testing.T) {
			ch := inlineChart(map[string]string{"templates/x.yaml": tpl})
			rv, err := chartutil.ToRenderValues(ch, nil, chartutil.ReleaseOptions{Name: "rel"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, want := engine.Render(ch, rv)
			_, got := renderTemplates(ch, rv, RenderLimits{})
			if want == nil || got == nil || got.Error() != want.Error() {
				t.Errorf("error %v, helm says %v", got, want)
			}
		})
	}
}

// inlineChart is a chart made of the given files (Chart.yaml added).
func inlineChart(files map[string]string) *chart.Chart {
	ch, err := loadInlineChart(files)
	if err != nil {
		panic(err)
	}
	return ch
}

func loadInlineChart(files map[string]string) (*chart.Chart, error) {
	var bf []*loader.BufferedFile
	bf = append(bf, &loader.BufferedFile{Name: "Chart.yaml", Data: []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n")})
	for name, data := range files {
		bf = append(bf, &loader.BufferedFile{Name: name, Data: []byte(data)})
	}
	return loader.LoadFiles(bf)
}

// TestRenderLimits: templates that would run for ever or build values without bound
// stop at a limit, with an error that says which.
func TestRenderLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tpl    string
		values string
		limits RenderLimits
		want   string
	}{
		{name: "repeat", tpl: `{{ repeat 2000000000 "a" }}`, want: "repeat would build a value over the limit of 64Mi"},
		{name: "range until", tpl: `{{ range until 2000000000 }}x{{ end }}`, want: "until would build a value over the limit"},
		{name: "untilStep", tpl: `{{ range untilStep 0 2000000000 1 }}{{ end }}`, want: "untilStep would build a value over the limit"},
		{name: "seq", tpl: `{{ seq 1 2000000000 }}`, want: "seq would build a value over the limit"},
		{name: "nested until", tpl: `{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}`,
			limits: RenderLimits{MaxBytes: 2 << 20}, want: "templates did more than 32Mi of work in all (16 times --render-max-bytes)"},
		{name: "indent", tpl: `{{ indent 2000000000 "a" }}`, want: "indent would build a value over the limit"},
		{name: "nindent", tpl: `{{ "a\nb" | nindent 1000000000 }}`, want: "nindent would build a value over the limit"},
		{name: "replace", tpl: `{{ $s := repeat 10000 "a" }}{{ replace "" $s $s }}`, want: "replace would build a value over the limit"},
		{name: "regexReplaceAll", tpl: `{{ $s := repeat 10000 "a" }}{{ regexReplaceAll "" $s $s }}`, want: "regexReplaceAll would build a value over the limit"},
		{name: "randAlphaNum", tpl: `{{ randAlphaNum 2000000000 }}`, want: "randAlphaNum would build a value over the limit"},
		{name: "doubling a string", tpl: `{{ $s := "aaaaaaaa" }}{{ range until 64 }}{{ $s = print $s $s }}{{ end }}`,
			want: "print would build a value over the limit"},
		{name: "doubling a list", tpl: `{{ $l := list 1 }}{{ range until 64 }}{{ $l = concat $l $l }}{{ end }}`,
			limits: RenderLimits{MaxBytes: 1 << 20}, want: "concat would build a value over the limit of 1Mi"},
		{name: "shared structure printed", tpl: `{{ $x := list "aaaaaaaaaaaaaaaa" }}{{ range until 40 }}{{ $x = list $x $x }}{{ end }}{{ toYaml $x }}`,
			want: "toYaml would build a value over the limit"},
		{name: "shared structure printed by an action", tpl: `{{ $x := list "aaaaaaaaaaaaaaaa" }}{{ range until 40 }}{{ $x = list $x $x }}{{ end }}{{ $x }}`,
			want: "printing would build a value over the limit"},
		{name: "shared structure in the values", tpl: `{{ $x := dict }}{{ $_ := set .Values "x" $x }}{{ range until 40 }}{{ $y := dict }}{{ $_ := set $x "a" $y }}{{ $_ := set $x "b" $y }}{{ $x = $y }}{{ end }}{{ .Values.YAML }}`,
			want: "values not printed"},
		{name: "map containing itself", tpl: `{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ toYaml $d }}`,
			want: "set on a value that contains itself"},
		{name: "merge into itself", tpl: `{{ $d := dict "a" 1 }}{{ $_ := merge $d (dict "b" $d) }}`,
			want: "merge on a value that contains itself"},
		{name: "deep chain", tpl: `{{ $d := dict }}{{ range until 20000 }}{{ $d = dict "a" $d }}{{ end }}{{ toJson $d }}`,
			want: "toJson on a value nested more than 10000 deep"},
		{name: "deep TOML", tpl: `{{ fromToml (printf "a = %s1%s" (repeat 20000 "[") (repeat 20000 "]")) }}`,
			want: "fromToml on a text nested more than 10000 deep"},
		{name: "uniq", tpl: `{{ uniq (until 1000000) }}`, want: "uniq would build a value over the limit"},
		{name: "tpl recursion through values", tpl: `{{ tpl .Values.x . }}`, values: "x: '{{ tpl .Values.x . }}'",
			want: "tpl nested more than 1000 deep"},
		{name: "include recursion", tpl: `{{ define "a" }}{{ include "a" . }}{{ include "a" . }}{{ end }}{{ include "a" . }}`,
			want: "include nested more than 1000 deep"},
		{name: "output cap", tpl: `{{ range until 100 }}{{ repeat 1000000 "a" }}{{ end }}`,
			want: "rendered output over the limit of 64Mi (--render-max-bytes)"},
		{name: "smaller output cap", tpl: `{{ repeat 2048 "a" }}`, limits: RenderLimits{MaxBytes: 1024},
			want: "repeat would build a value over the limit of 1Ki"},
		{name: "nested ifs", tpl: strings.Repeat("{{if 1}}", 5000) + strings.Repeat("{{end}}", 5000),
			want: "if, range, with, define and block nest more than 1000 deep"},
		{name: "else if chain", tpl: "{{if 0}}" + strings.Repeat("{{else if 0}}", 5000) + "{{end}}",
			want: "nest more than 1000 deep"},
		{name: "nested ifs in tpl", tpl: `{{ tpl (printf "%s%s" (repeat 600000 "{{- if 1}}") (repeat 600000 "{{end}}")) . }}`,
			want: "tpl: if, range, with, define and block nest more than 1000 deep"},
		{name: "loop without functions", tpl: `{{ range 2000000000 }}{{ end }}`, limits: RenderLimits{Timeout: 50 * time.Millisecond},
			want: "render took longer than 50ms (--render-timeout)"},
		{name: "template recursion without functions", tpl: `{{ define "a" }}{{ template "a" . }}{{ template "a" . }}{{ end }}{{ template "a" . }}`,
			limits: RenderLimits{Timeout: 50 * time.Millisecond}, want: "render took longer than 50ms"},
		{name: "values range", tpl: `{{ range .Values.l }}{{ range $.Values.l }}{{ range $.Values.l }}{{ end }}{{ end }}{{ end }}`,
			values: "l: [" + strings.Repeat("0,", 5000) + "0]", limits: RenderLimits{Timeout: 50 * time.Millisecond},
			want: "render took longer than 50ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"templates/x.yaml": tc.tpl}
			if tc.values != "" {
				files["values.yaml"] = tc.values
			}
			ch := inlineChart(files)
			rv, err := chartutil.ToRenderValues(ch, nil, chartutil.ReleaseOptions{Name: "rel"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = renderTemplates(ch, rv, tc.limits)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if _, ok := err.(*limitError); !ok {
				t.Errorf("error %T, want a limit error", err)
			}
		})
	}
}

// TestHelmRenderLimitIsAnInputError: a chart stopped by a limit is an input error for
// that chart, named by the flag; the rest of the scan loads.
func TestHelmRenderLimitIsAnInputError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: bomb\nversion: 0.1.0\n",
		"templates/x.yaml": `{{ repeat 2000000000 "a" }}`,
	})
	res := Load([]string{dir, "testdata/deployment.yaml"}, Options{})
	if len(res.Errors) != 1 || res.Errors[0].Location.File != dir || !strings.Contains(res.Errors[0].Message, "--render-max-bytes") {
		t.Errorf("errors %v, want one on the chart naming --render-max-bytes", res.Errors)
	}
	if len(res.Inventory.Objects) != 1 {
		t.Errorf("the other input was not loaded: %v", summarize(res.Inventory.Objects))
	}
}

// TestHelmChartStaysInside: a chart's files are read without leaving its directory;
// a link that leaves it, a device, a FIFO, and links and out-of-chart entries in
// archives are input errors naming them.
func TestHelmChartStaysInside(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{
		"secret.txt":        "outside-secret-value",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n",
	})
	base := map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: {{ .Files.Get \"env.txt\" | quote }}}\n",
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		fifo  string
		blame string
		want  string
	}{
		{name: "environment", files: map[string]string{"env.txt": "->/proc/self/environ",
			"templates/x.yaml": `{{ fail (.Files.Get "env.txt") }}`}, blame: "env.txt", want: "outside the chart: not followed"},
		{name: "file outside", files: map[string]string{"env.txt": "->OUT/secret.txt"}, blame: "env.txt", want: "outside the chart"},
		{name: "templates directory outside", files: map[string]string{"templates/more": "->OUT/templates"}, blame: "templates/more", want: "outside the chart"},
		{name: "values file outside", files: map[string]string{"values.yaml": "->OUT/secret.txt"}, blame: "values.yaml", want: "outside the chart"},
		{name: "subchart outside", files: map[string]string{"charts/sub": "->OUT"}, blame: "charts/sub", want: "outside the chart"},
		{name: "device", files: map[string]string{"env.txt": "->/dev/zero"}, blame: "env.txt", want: "outside the chart"},
		{name: "loop", files: map[string]string{"files/loop": "->.."}, blame: "files/loop", want: "a loop"},
		{name: "FIFO", files: map[string]string{}, fifo: "env.txt", blame: "env.txt", want: "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tc.files {
				files[k] = strings.ReplaceAll(v, "OUT", outside)
			}
			writeTree(t, dir, files)
			if tc.fifo != "" {
				if err := syscall.Mkfifo(filepath.Join(dir, tc.fifo), 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			}
			res := Load([]string{dir}, Options{})
			if len(res.Errors) != 1 || res.Errors[0].Location.File != filepath.Join(dir, tc.blame) || !strings.Contains(res.Errors[0].Message, tc.want) {
				t.Errorf("errors %v, want one on %s saying %q", res.Errors, tc.blame, tc.want)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), "PATH=") || strings.Contains(e.Error(), "outside-secret-value") {
					t.Errorf("error shows what lies outside the chart: %s", e.Error())
				}
			}
			if len(res.Inventory.Objects) != 0 {
				t.Errorf("objects %v, want none", summarize(res.Inventory.Objects))
			}
		})
	}
	t.Run("link inside the chart", func(t *testing.T) {
		dir := t.TempDir()
		files := map[string]string{"files/env.txt": "inside", "env.txt": "->files/env.txt"}
		for k, v := range base {
			files[k] = v
		}
		writeTree(t, dir, files)
		res := mustLoad(t, []string{dir}, Options{})
		noErrors(t, res)
		if d := field(find(t, res, "ConfigMap", "x").Body, "data", "a"); d != "inside" {
			t.Errorf("data.a = %v, want the linked file", d)
		}
	})
	for _, tc := range []struct {
		name string
		hdr  tar.Header
		want string
	}{
		{name: "symbolic link", hdr: tar.Header{Name: "c/env.txt", Typeflag: tar.TypeSymlink, Linkname: "/proc/self/environ"}, want: "is a symbolic link"},
		{name: "hard link", hdr: tar.Header{Name: "c/env.txt", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}, want: "is a hard link"},
		{name: "absolute", hdr: tar.Header{Name: "/etc/cron.d/x", Typeflag: tar.TypeReg, Size: 1}, want: "outside the chart"},
		{name: "parent", hdr: tar.Header{Name: "c/../../x", Typeflag: tar.TypeReg, Size: 1}, want: "outside the chart"},
		{name: "device", hdr: tar.Header{Name: "c/zero", Typeflag: tar.TypeChar}, want: "not a regular file"},
	} {
		t.Run("archive "+tc.name, func(t *testing.T) {
			archive := filepath.Join(t.TempDir(), "c-0.1.0.tgz")
			writeArchive(t, archive, []tar.Header{tc.hdr}, base)
			res := Load([]string{archive}, Options{})
			if len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0].Location.File, archive+"#") || !strings.Contains(res.Errors[0].Message, tc.want) {
				t.Errorf("errors %v, want one on an entry of %s saying %q", res.Errors, archive, tc.want)
			}
		})
	}
	t.Run("subchart archive with a link", func(t *testing.T) {
		var sub bytes.Buffer
		writeArchiveTo(t, &sub, []tar.Header{{Name: "sub/env.txt", Typeflag: tar.TypeSymlink, Linkname: "/proc/self/environ"}},
			map[string]string{"Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n"}, "sub")
		dir := t.TempDir()
		files := map[string]string{"charts/sub-0.1.0.tgz": sub.String()}
		for k, v := range base {
			files[k] = v
		}
		writeTree(t, dir, files)
		res := Load([]string{dir}, Options{})
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Location.File, "charts/sub-0.1.0.tgz#sub/env.txt") || !strings.Contains(res.Errors[0].Message, "symbolic link") {
			t.Errorf("errors %v, want one on the link in the subchart archive", res.Errors)
		}
	})
	t.Run("values file is a device", func(t *testing.T) {
		res := Load([]string{"testdata/chart/mychart"}, Options{Helm: HelmOptions{ValuesFiles: []string{"/dev/zero"}}})
		if len(res.Errors) != 1 || res.Errors[0].Location.File != "/dev/zero" || !strings.Contains(res.Errors[0].Message, "not a regular file") {
			t.Errorf("errors %v, want one on /dev/zero", res.Errors)
		}
	})
}

// writeArchive writes a chart archive of the files under the directory c, plus the
// extra headers (with one byte of data for regular files).
func writeArchive(t *testing.T, path string, extra []tar.Header, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	writeArchiveTo(t, &buf, extra, files, "c")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeArchiveTo(t *testing.T, w *bytes.Buffer, extra []tar.Header, files map[string]string, dir string) {
	t.Helper()
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: dir + "/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range extra {
		h := h
		h.Mode = 0o644
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHelmErrorsMasked: a render error quotes what the template chose to print;
// credential shapes in it are masked and it is cut to 2 KiB.
func TestHelmErrorsMasked(t *testing.T) {
	token := "ghp_" + strings.Repeat("aB3", 12)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":       "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml":      "db: {password: hunter2}\ntoken: " + token + "\n",
		"templates/x.yaml": `{{ fail (printf "%v %s %s" .Values.db .Values.token (repeat 10000 "x")) }}`,
	})
	res := Load([]string{dir}, Options{})
	if len(res.Errors) != 1 {
		t.Fatalf("errors %v", res.Errors)
	}
	msg := res.Errors[0].Message
	for _, s := range []string{"hunter2", token[4:]} {
		if strings.Contains(msg, s) {
			t.Errorf("message shows %q: %.200s", s, msg)
		}
	}
	if len(msg) > maxMessage+100 || !strings.Contains(msg, "more bytes)") {
		t.Errorf("message of %d bytes, want it cut to about %d", len(msg), maxMessage)
	}
}

// TestHelmSchemaNotFetched: a values schema's $ref is not fetched (Helm's validator
// reads any URL and any file of the machine).
func TestHelmSchemaNotFetched(t *testing.T) {
	url, requests := countingServer(t)
	for name, ref := range map[string]string{"http": url + "/schema.json", "file": "file:///etc/hostname", "relative": "other.json"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				"Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
				"values.yaml":        "x: 1\n",
				"values.schema.json": `{"type": "object", "properties": {"x": {"$ref": "` + ref + `"}, "y": {"type": "string"}}}`,
				"templates/x.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
			})
			res := mustLoad(t, []string{dir}, Options{})
			noErrors(t, res)
			res = Load([]string{dir}, Options{Helm: HelmOptions{Set: []string{"y=null"}}})
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "schema") {
				t.Errorf("errors %v, want the schema to apply", res.Errors)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server, want none", n)
	}
}
