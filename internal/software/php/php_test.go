package php

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

const v2 = `{"packages": [
  {"name": "monolog/monolog", "version": "2.9.1", "version_normalized": "2.9.1.0", "license": ["MIT"], "type": "library"},
  {"name": "symfony/console", "version": "v6.3.4", "license": ["MIT"]},
  {"name": "phpunit/phpunit", "version": "10.3.2", "license": "BSD-3-Clause"},
  {"name": "noslash", "version": "1.0.0"},
  {"name": "a/noversion"}
], "dev": true, "dev-package-names": ["phpunit/phpunit"]}`

const v1 = `[{"name": "guzzlehttp/guzzle", "version": "6.5.5", "license": ["MIT"]}]`

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"var/www/html/vendor/composer/installed.json": {Data: []byte(v2)},
		"srv/old/vendor/composer/installed.json":      {Data: []byte(v1)},
		"srv/bad/vendor/composer/installed.json":      {Data: []byte(`{"packages": 1}`)},
		"srv/app/composer.lock":                       {Data: []byte(v2)},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	got := softwaretest.Lines(pkgs, softwaretest.PURLLicensesPath)
	want := []string{
		"pkg:composer/guzzlehttp/guzzle@6.5.5 MIT /srv/old/vendor/composer/installed.json",
		"pkg:composer/monolog/monolog@2.9.1 MIT /var/www/html/vendor/composer/installed.json",
		"pkg:composer/symfony/console@v6.3.4 MIT /var/www/html/vendor/composer/installed.json",
		"pkg:composer/phpunit/phpunit@10.3.2 BSD-3-Clause /var/www/html/vendor/composer/installed.json",
	}
	softwaretest.EqualLines(t, got, want)
	softwaretest.OneProblem(t, probs, "/srv/bad/vendor/composer/installed.json")
}

func TestLayerAttribution(t *testing.T) {
	v2 := []byte(`[{"name": "guzzlehttp/guzzle", "version": "6.5.5"}, {"name": "a/b", "version": "1"}]`)
	pkgs, _ := Catalog(context.Background(), fstest.MapFS{"app/vendor/composer/installed.json": {Data: v2}}, software.Env{Layers: softwaretest.Layers{"app/vendor/composer/installed.json": {[]byte(v1), nil, v2}}})
	if len(pkgs) != 2 || pkgs[0].Location.Layer != 0 || pkgs[1].Location.Layer != 2 {
		t.Errorf("%+v", pkgs)
	}
}

func FuzzParseInstalled(f *testing.F) {
	f.Add([]byte(v1))
	f.Add([]byte(v2))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseInstalled(b)
	})
}

func BenchmarkParseInstalled(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"packages": [`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"name": "vendor/pkg` + strings.Repeat("x", i%9) + `", "version": "v1.2.3", "license": ["MIT"], "description": "` + strings.Repeat("d", 200) + `"}`)
	}
	sb.WriteString(`]}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseInstalled(data); err != nil {
			b.Fatal(err)
		}
	}
}
