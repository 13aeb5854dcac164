package software

import "testing"

func TestNormalizeName(t *testing.T) {
	for _, c := range []struct {
		eco      Ecosystem
		in, want string
	}{
		{PyPI, "Django", "django"},
		{PyPI, "zope.interface", "zope-interface"},
		{PyPI, "Foo__Bar-.baz", "foo-bar-baz"},
		{PyPI, "-lead_", "-lead-"},
		{NuGet, "Newtonsoft.Json", "newtonsoft.json"},
		{Composer, "Symfony/HTTP-Kernel", "symfony/http-kernel"},
		{Golang, "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{NPM, "@Scope/Pkg", "@Scope/Pkg"},
		{Deb, "libssl3", "libssl3"},
	} {
		if got := NormalizeName(c.eco, c.in); got != c.want {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", c.eco, c.in, got, c.want)
		}
	}
}
