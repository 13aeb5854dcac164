package python

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

// TestMachineSitePackages compares the cataloger with `pip list --path DIR` on
// the machine's site-packages and the distribution's dist-packages.
func TestMachineSitePackages(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if exec.Command(py, "-m", "pip", "--version").Run() != nil {
		t.Skip("no pip")
	}
	out, err := exec.Command(py, "-c", "import site; print('\\n'.join(site.getsitepackages()))").Output()
	if err != nil {
		t.Fatal(err)
	}
	dirs := append(strings.Fields(string(out)), "/usr/lib/python3/dist-packages")
	tested := 0
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		out, err := exec.Command(py, "-m", "pip", "list", "--format", "json", "--path", dir).Output()
		if err != nil {
			t.Fatalf("pip list --path %s: %v", dir, err)
		}
		var list []struct{ Name, Version string }
		if err := json.Unmarshal(out, &list); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, p := range list {
			want[Normalize(p.Name)+"@"+p.Version] = true
		}
		pkgs, probs := Catalog(context.Background(), os.DirFS(dir), software.Env{})
		if len(probs) != 0 {
			t.Errorf("%s: problems %v", dir, probs)
		}
		got := map[string]bool{}
		for _, p := range pkgs {
			// pip list --path reads only the directory's own distributions, not
			// those vendored in subdirectories (setuptools/_vendor/*.dist-info).
			if strings.Count(strings.TrimSuffix(p.Location.Path, "/PKG-INFO"), "/") > 2 {
				continue
			}
			got[Normalize(p.Name)+"@"+p.Version] = true
			if !strings.HasPrefix(p.PURL, "pkg:pypi/"+Normalize(p.Name)+"@") {
				t.Errorf("%s: purl %s", p.Name, p.PURL)
			}
		}
		if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: cataloged %d %v\npip list %d %v", dir, len(g), g, len(w), w)
		}
		tested += len(want)
	}
	if tested == 0 {
		t.Skip("no site-packages with distributions")
	}
}

func TestParseMetadata(t *testing.T) {
	fsys := fstest.MapFS{
		"usr/lib/python3.11/site-packages/Flask_Cors-4.0.0.dist-info/METADATA": {Data: []byte(
			"Metadata-Version: 2.1\r\nName: Flask_Cors\r\nVersion: 4.0.0\r\nLicense: MIT\r\nClassifier: License :: OSI Approved :: MIT License\r\n\r\nName: body\r\n")},
		"usr/lib/python3.11/site-packages/zope.interface-6.0.dist-info/METADATA": {Data: []byte(
			"Metadata-Version: 2.4\nName: zope.interface\nVersion: 6.0\nLicense-Expression: ZPL-2.1\nLicense: Zope Public License\n")},
		"usr/lib/python3.11/site-packages/long-1.0.dist-info/METADATA": {Data: []byte(
			"Name: long\nVersion: 1.0\nLicense: Copyright (c) someone\n        |\n        | Permission is hereby granted\nClassifier: License :: OSI Approved :: BSD License\nClassifier: Programming Language :: Python\n")},
		"usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info":                                 {Data: []byte("Metadata-Version: 2.1\nName: PyJWT\nVersion: 2.6.0\nLicense: UNKNOWN\n")},
		"srv/venv/lib/python3.9/site-packages/six-1.16.0.egg-info/PKG-INFO":                  {Data: []byte("Name: six\nVersion: 1.16.0\n")},
		"srv/venv/lib/python3.9/site-packages/six-1.16.0.egg-info/top_level.txt":             {Data: []byte("six\n")},
		"srv/venv/lib/python3.9/site-packages/bad-1.0.dist-info/METADATA":                    {Data: []byte("Name bad\n")},
		"srv/venv/lib/python3.9/site-packages/noversion-1.0.dist-info/METADATA":              {Data: []byte("Name: noversion\n")},
		"srv/venv/lib/python3.9/site-packages/simplejson-3.19.1-py3.9.egg/EGG-INFO/PKG-INFO": {Data: []byte("Name: simplejson\nVersion: 3.19.1\nLicense: MIT License\n")},
		"srv/venv/lib/python3.9/site-packages/x/EGG-INFO/PKG-INFO":                           {Data: []byte("Name: x\nVersion: 1\n")},
		"srv/venv/lib/python3.9/site-packages/other/METADATA":                                {Data: []byte("Name: x\nVersion: 1\n")},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	got := softwaretest.Lines(pkgs, func(p software.Package) string {
		return p.Name + " " + p.PURL + " " + strings.Join(p.Licenses, ",") + " " + p.Location.Path
	})
	sort.Strings(got)
	want := []string{
		"Flask_Cors pkg:pypi/flask-cors@4.0.0 MIT /usr/lib/python3.11/site-packages/Flask_Cors-4.0.0.dist-info/METADATA",
		"PyJWT pkg:pypi/pyjwt@2.6.0  /usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info",
		"long pkg:pypi/long@1.0 BSD License /usr/lib/python3.11/site-packages/long-1.0.dist-info/METADATA",
		"simplejson pkg:pypi/simplejson@3.19.1 MIT License /srv/venv/lib/python3.9/site-packages/simplejson-3.19.1-py3.9.egg/EGG-INFO/PKG-INFO",
		"six pkg:pypi/six@1.16.0  /srv/venv/lib/python3.9/site-packages/six-1.16.0.egg-info/PKG-INFO",
		"zope.interface pkg:pypi/zope-interface@6.0 ZPL-2.1 /usr/lib/python3.11/site-packages/zope.interface-6.0.dist-info/METADATA",
	}
	softwaretest.EqualLines(t, got, want)
	var bad []string
	for _, p := range probs {
		bad = append(bad, p.Path+": "+p.Err)
	}
	sort.Strings(bad)
	wantBad := []string{
		"/srv/venv/lib/python3.9/site-packages/bad-1.0.dist-info/METADATA: line 1: not a metadata field",
		"/srv/venv/lib/python3.9/site-packages/noversion-1.0.dist-info/METADATA: no Version field",
	}
	if strings.Join(bad, "\n") != strings.Join(wantBad, "\n") {
		t.Errorf("problems:\n%s", strings.Join(bad, "\n"))
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Flask_Cors": "flask-cors", "zope.interface": "zope-interface", "a--b__c..d": "a-b-c-d", "PyYAML": "pyyaml",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%s) = %s", in, got)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense: MIT\n  more\n\nbody"))
	f.Add([]byte("Name: a\r\nVersion: 1\r\nClassifier: License :: OSI Approved :: MIT License\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParseMetadata(b); err == nil && (p.Name == "" || p.Version == "") {
			t.Errorf("a package without name or version: %+v", p)
		}
	})
}

func BenchmarkParseMetadata(b *testing.B) {
	data := []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\nHome-page: https://requests.readthedocs.io\nLicense: Apache 2.0\n" +
		strings.Repeat("Classifier: Programming Language :: Python :: 3\nRequires-Dist: charset-normalizer (<4,>=2)\n", 30) + "\n" + strings.Repeat("long description\n", 2000))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseMetadata(data); err != nil {
			b.Fatal(err)
		}
	}
}
