package ruby

import (
	"context"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

// fluentd is the shape RubyGems writes for an installed gem.
const fluentd = `# -*- encoding: utf-8 -*-
# stub: fluentd 1.16.2 ruby lib

Gem::Specification.new do |s|
  s.name = "fluentd".freeze
  s.version = "1.16.2"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["Sadayuki Furuhashi".freeze]
  s.licenses = ["Apache-2.0".freeze]
  s.summary = "Fluentd event collector".freeze

  s.add_runtime_dependency(%q<msgpack>.freeze, [">= 1.3.1", "< 2.0.0"])
end
`

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"usr/local/bundle/specifications/fluentd-1.16.2.gemspec": {Data: []byte(fluentd)},
		"usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec": {Data: []byte(
			"# -*- encoding: utf-8 -*-\n# stub: json 2.6.3 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.3\"\n  s.license = 'Ruby'\nend\n")},
		"var/lib/gems/3.1.0/specifications/stubonly-0.1.gemspec": {Data: []byte("# stub: stubonly 0.1.pre ruby lib\n")},
		"var/lib/gems/3.1.0/specifications/bad.gemspec":          {Data: []byte("Gem::Specification.new do |s|\nend\n")},
		"src/app/app.gemspec":                                    {Data: []byte(fluentd)},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	got := softwaretest.Lines(pkgs, softwaretest.PURLLicensesPath)
	sort.Strings(got)
	want := []string{
		"pkg:gem/fluentd@1.16.2 Apache-2.0 /usr/local/bundle/specifications/fluentd-1.16.2.gemspec",
		"pkg:gem/json@2.6.3 Ruby /usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
		"pkg:gem/stubonly@0.1.pre  /var/lib/gems/3.1.0/specifications/stubonly-0.1.gemspec",
	}
	softwaretest.EqualLines(t, got, want)
	softwaretest.OneProblem(t, probs, "/var/lib/gems/3.1.0/specifications/bad.gemspec")
}

func FuzzParseGemspec(f *testing.F) {
	f.Add([]byte(fluentd))
	f.Add([]byte("# stub: a 1 ruby lib\n s.version = Gem::Version.new(\"2\")\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParseGemspec(b); err == nil && (p.Name == "" || p.Version == "") {
			t.Errorf("%+v", p)
		}
	})
}

func BenchmarkParseGemspec(b *testing.B) {
	data := []byte(fluentd + strings.Repeat("  s.add_runtime_dependency(%q<msgpack>.freeze, [\">= 1.3.1\", \"< 2.0.0\"])\n", 30))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseGemspec(data); err != nil {
			b.Fatal(err)
		}
	}
}
