package dotnet

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

const appDeps = `{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "targets": {".NETCoreApp,Version=v8.0/linux-x64": {"web/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}}}},
  "libraries": {
    "web/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1"},
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.1": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "System.Private.Uri/4.3.0": {"type": "package"},
    "Shared.Lib/2.0.0": {"type": "reference"},
    "nokey": {"type": "package"}
  }
}`

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"app/web.deps.json": {Data: []byte(appDeps)},
		"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json": {Data: []byte(
			`{"libraries": {"Microsoft.NETCore.App.Runtime.linux-x64/8.0.1": {"type": "package", "serviceable": true}}}`)},
		"app/broken.deps.json":       {Data: []byte(`{"libraries": [`)},
		"app/web.runtimeconfig.json": {Data: []byte(appDeps)},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	got := softwaretest.Lines(pkgs, func(p software.Package) string { return p.PURL + " " + p.Location.Path })
	want := []string{
		"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1 /app/web.deps.json",
		"pkg:nuget/Newtonsoft.Json@13.0.1 /app/web.deps.json",
		"pkg:nuget/System.Private.Uri@4.3.0 /app/web.deps.json",
		"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1 /usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json",
	}
	softwaretest.EqualLines(t, got, want)
	softwaretest.OneProblem(t, probs, "/app/broken.deps.json")
}

func FuzzParseDeps(f *testing.F) {
	f.Add([]byte(appDeps))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseDeps(b)
	})
}

func BenchmarkParseDeps(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"libraries": {"app/1.0.0": {"type": "project"}`)
	for i := 0; i < 300; i++ {
		sb.WriteString(`, "Package.` + strings.Repeat("X", i%10) + string(rune('A'+i%26)) + `/1.0.` + string(rune('0'+i%10)) + `": {"type": "package", "serviceable": true, "sha512": "sha512-abc", "path": "p/1.0.0"}`)
	}
	sb.WriteString(`}}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseDeps(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLayerAttribution(t *testing.T) {
	v1 := []byte(`{"libraries":{"A/1.0.0":{"type":"package"}}}`)
	v3 := []byte(`{"libraries":{"A/1.0.0":{"type":"package"},"B/2.0.0":{"type":"package"}}}`)
	pkgs, _ := Catalog(context.Background(), fstest.MapFS{"app/x.deps.json": {Data: v3}}, software.Env{Layers: softwaretest.Layers{"app/x.deps.json": {nil, v1, nil, v3}}})
	if len(pkgs) != 2 || pkgs[0].Location.Layer != 1 || pkgs[1].Location.Layer != 3 {
		t.Errorf("%+v", pkgs)
	}
}
