package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/software"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedTime makes the documents' creation time fixed for the test.
func fixedTime(t testing.TB) {
	t.Helper()
	old := now
	now = func() time.Time { return time.Date(2026, 12, 6, 19, 30, 0, 0, time.UTC) }
	t.Cleanup(func() { now = old })
}

var testTool = Tool{Name: "palisade", Version: "1.2.3"}

const (
	diff0 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	diff1 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	dig   = "sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd"
)

func pkg(eco software.Ecosystem, name, version, purl, cataloger, path string, layer int) software.Package {
	p := software.Package{Ecosystem: eco, Name: name, Version: version, PURL: purl, Cataloger: cataloger,
		Location: software.Location{Path: path, Layer: layer}}
	switch layer {
	case 0:
		p.Location.LayerDiffID = diff0
	case 1:
		p.Location.LayerDiffID = diff1
	}
	return p
}

// richSubject is an inventory with every ecosystem and the spellings that break
// writers: scoped npm, Maven group:artifact, deb and rpm epochs, a Go major version
// suffix, a PyPI name whose purl is normalised, characters JSON and URIs escape,
// license expressions and free-text licenses, and the same package read twice.
func richSubject() Subject {
	libc := pkg(software.Deb, "libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", "dpkg", "/var/lib/dpkg/status", 0)
	libc.SourceName, libc.Arch = "glibc", "amd64"
	libc.Licenses = []string{"GPL-2.0-or-later", "LGPL-2.1-or-later"}
	zlib := pkg(software.Deb, "zlib1g", "1:1.2.13.dfsg-1+b1", "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1%2Bb1?arch=amd64&distro=debian-12", "dpkg", "/var/lib/dpkg/status", 0)
	zlib.SourceName, zlib.SourceVersion, zlib.Arch = "zlib", "1:1.2.13.dfsg-1", "amd64"
	zlib.Licenses = []string{"Zlib"}
	stdcpp := pkg(software.Deb, "libstdc++6", "12.2.0-14", "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12", "dpkg", "/var/lib/dpkg/status.d/libstdc++6", 1)
	stdcpp.SourceName, stdcpp.Arch = "gcc-12", "amd64"
	stdcpp.Licenses = []string{"GPL-3.0-or-later WITH GCC-exception-3.1", "Artistic"}
	ssl := pkg(software.RPM, "openssl-libs", "1:3.0.7-27.el9", "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1", "rpm", "/var/lib/rpm/rpmdb.sqlite", 1)
	ssl.SourceName, ssl.Arch = "openssl", "x86_64"
	ssl.Licenses = []string{"Apache-2.0"}
	musl := pkg(software.APK, "musl", "1.2.4-r2", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1", "apk", "/lib/apk/db/installed", 0)
	musl.SourceName, musl.Arch, musl.Licenses = "musl", "x86_64", []string{"MIT"}
	logrus := pkg(software.Golang, "github.com/sirupsen/logrus", "v1.9.3", "pkg:golang/github.com/sirupsen/logrus@v1.9.3", "go-binary", "/usr/local/bin/app", 1)
	v2 := pkg(software.Golang, "github.com/go-chi/chi/v5", "v5.0.10", "pkg:golang/github.com/go-chi/chi/v5@v5.0.10", "go-binary", "/usr/local/bin/app", 1)
	stdlib := pkg(software.Golang, "stdlib", "go1.22.1", "pkg:golang/stdlib@go1.22.1", "go-binary", "/usr/local/bin/app", 1)
	babel := pkg(software.NPM, "@babel/core", "7.23.0", "pkg:npm/%40babel/core@7.23.0", "npm", "/app/node_modules/@babel/core/package.json", 1)
	babel.Licenses = []string{"MIT"}
	lodash := pkg(software.NPM, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21", "npm", "/app/node_modules/lodash/package.json", 1)
	lodash.Licenses = []string{"MIT OR Apache-2.0"}
	lodash2 := lodash
	lodash2.Location.Path = "/app/node_modules/x/node_modules/lodash/package.json"
	yaml := pkg(software.PyPI, "PyYAML", "6.0.1", "pkg:pypi/pyyaml@6.0.1", "python", "/usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA", -1)
	yaml.Licenses = []string{"MIT License"}
	log4j := pkg(software.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "java",
		"/app/lib/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar!/META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", 1)
	log4j.Licenses = []string{"Apache-2.0"}
	odd := pkg("generic", `evil"<name>&'ü €`, `1.0 "beta"`, `pkg:generic/evil%22%3Cname%3E%26%27%C3%BC%20%E2%82%AC@1.0%20%22beta%22`, "test", "/weird path/with spaces\tand\"quotes\".txt", 0)
	odd.Licenses = []string{"", "Some <custom> license"}
	return Subject{
		Name:     "registry.example.com:5000/team/app:1.0",
		Digest:   dig,
		Platform: "linux/arm64/v8",
		Software: software.Inventory{
			Distro:   &software.Distro{ID: "debian", IDLike: []string{"ubuntu", "other"}, VersionID: "12", VersionCodename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
			Packages: []software.Package{libc, zlib, stdcpp, ssl, musl, logrus, v2, stdlib, babel, lodash, lodash2, yaml, log4j, odd},
		},
	}
}

func write(t testing.TB, f func(*bytes.Buffer, Subject, Tool) error, s Subject) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b, s, testTool); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeCDX(b *bytes.Buffer, s Subject, t Tool) error  { return WriteCycloneDX(b, s, t) }
func writeSPDX(b *bytes.Buffer, s Subject, t Tool) error { return WriteSPDX(b, s, t) }

var writers = []struct {
	name   string
	write  func(*bytes.Buffer, Subject, Tool) error
	golden string
}{
	{"cyclonedx", writeCDX, "rich.cdx.json"},
	{"spdx", writeSPDX, "rich.spdx.json"},
}

// TestGolden: the documents of the rich inventory, byte for byte (-update rewrites
// them); writing twice gives the same bytes.
func TestGolden(t *testing.T) {
	fixedTime(t)
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			got := write(t, w.write, richSubject())
			if again := write(t, w.write, richSubject()); !bytes.Equal(got, again) {
				t.Fatal("two writes of the same subject differ")
			}
			path := filepath.Join("testdata", "golden", w.golden)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (go test -run TestGolden -update)\n%s", w.name, got)
			}
		})
	}
}

// TestTimestamp: only the creation time (and the serial number or namespace made
// from it) changes with the clock.
func TestTimestamp(t *testing.T) {
	fixedTime(t)
	for _, w := range writers {
		a := write(t, w.write, richSubject())
		now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
		b := write(t, w.write, richSubject())
		fixedTime(t)
		if bytes.Equal(a, b) {
			t.Errorf("%s: the document does not change with the time", w.name)
		}
		if !strings.Contains(string(b), "2027-01-01T00:00:00Z") {
			t.Errorf("%s: no creation time 2027-01-01T00:00:00Z in\n%s", w.name, b)
		}
		la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		if len(la) != len(lb) {
			t.Fatalf("%s: %d lines, then %d", w.name, len(la), len(lb))
		}
		diff := 0
		for i := range la {
			if la[i] != lb[i] {
				diff++
			}
		}
		if diff != 2 {
			t.Errorf("%s: %d lines differ, want 2 (time and serial/namespace)", w.name, diff)
		}
	}
}

// expected is what Read gives back for a subject written in a format: SPDX keeps
// the licenses as one expression, or none when one of them is not an SPDX
// expression.
func expected(s Subject, format string) Subject {
	s.Software.Packages = append([]software.Package(nil), s.Software.Packages...)
	for i := range s.Software.Packages {
		p := &s.Software.Packages[i]
		var ls []string
		if format == "spdx" {
			if l := spdxLicenseDeclared(p.Licenses, newLicenses()); l != noAssertion {
				ls = []string{l}
			}
		} else {
			for _, l := range p.Licenses {
				if strings.TrimSpace(l) != "" {
					ls = append(ls, l)
				}
			}
		}
		p.Licenses = ls
	}
	if s.Software.Packages == nil {
		s.Software.Packages = []software.Package{}
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	fixedTime(t)
	rootfs := richSubject()
	rootfs.Name, rootfs.Digest, rootfs.Platform = "/srv/rootfs", "", ""
	for i := range rootfs.Software.Packages {
		rootfs.Software.Packages[i].Location.Layer = -1
		rootfs.Software.Packages[i].Location.LayerDiffID = ""
	}
	empty := Subject{Name: "empty:latest", Digest: dig}
	for _, w := range writers {
		for _, s := range []Subject{richSubject(), rootfs, empty} {
			t.Run(w.name+"/"+s.Name, func(t *testing.T) {
				doc := write(t, w.write, s)
				got, err := Read(bytes.NewReader(doc), "sbom.json")
				if err != nil {
					t.Fatal(err)
				}
				want := expected(s, w.name)
				if !reflect.DeepEqual(*got, want) {
					gj, _ := json.MarshalIndent(got, "", " ")
					wj, _ := json.MarshalIndent(want, "", " ")
					t.Errorf("read back:\n%s\nwant:\n%s", gj, wj)
				}
			})
		}
	}
}

// TestUniqueIDs: bom-refs and SPDXIDs are unique even for the same package read
// twice from the same file.
func TestUniqueIDs(t *testing.T) {
	fixedTime(t)
	s := richSubject()
	s.Software.Packages = append(s.Software.Packages, s.Software.Packages...)
	var cdxDoc struct {
		Components []struct {
			Ref string `json:"bom-ref"`
		}
		Dependencies []struct {
			DependsOn []string
		}
	}
	if err := json.Unmarshal(write(t, writeCDX, s), &cdxDoc); err != nil {
		t.Fatal(err)
	}
	var spdxDoc struct {
		Packages []struct {
			ID string `json:"SPDXID"`
		}
	}
	if err := json.Unmarshal(write(t, writeSPDX, s), &spdxDoc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cdxDoc.Components {
		if seen[c.Ref] {
			t.Errorf("bom-ref %q twice", c.Ref)
		}
		seen[c.Ref] = true
	}
	if n := len(cdxDoc.Dependencies[0].DependsOn); n != len(s.Software.Packages)+1 {
		t.Errorf("the image depends on %d components, want %d", n, len(s.Software.Packages)+1)
	}
	for _, p := range spdxDoc.Packages {
		if seen[p.ID] {
			t.Errorf("SPDXID %q twice", p.ID)
		}
		seen[p.ID] = true
		if strings.Trim(strings.TrimPrefix(p.ID, "SPDXRef-"), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "" {
			t.Errorf("SPDXID %q has characters SPDX does not allow", p.ID)
		}
	}
}

// TestReadForeign reads documents other tools write: CycloneDX 1.4 with legacy
// tools, nested components, a file and a component without a purl; SPDX 2.2 with
// documentDescribes, underscores in categories and a package without a purl.
func TestReadForeign(t *testing.T) {
	for _, tc := range []struct {
		file     string
		subject  Subject
		problems []string
	}{
		{
			file: "cyclonedx-1.4.json",
			subject: Subject{Name: "alpine:3.19", Digest: "sha256:13b7e62e8df80264dbb747995705a986aa530415763a6c58f84a3ca8af9a5bcd", Software: software.Inventory{
				Distro: &software.Distro{ID: "alpine", VersionID: "3.19.1", PrettyName: "Alpine Linux v3.19"},
				Packages: []software.Package{
					{Ecosystem: software.APK, Name: "busybox", Version: "1.36.1-r15", PURL: "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1", Arch: "x86_64", Licenses: []string{"GPL-2.0-only"}, SourceName: "busybox", Cataloger: "apk-db-cataloger",
						Location: software.Location{Path: "/lib/apk/db/installed", Layer: -1, LayerDiffID: "sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820"}},
					{Ecosystem: software.Maven, Name: "org.yaml:snakeyaml", Version: "1.33", PURL: "pkg:maven/org.yaml/snakeyaml@1.33", Licenses: []string{"Apache-2.0 OR MIT"}, Cataloger: "sbom", Location: software.Location{Layer: -1}},
					{Ecosystem: software.NPM, Name: "@types/node", Version: "20.1.0", PURL: "pkg:npm/%40types/node@20.1.0", Cataloger: "sbom", Location: software.Location{Layer: -1}},
				},
			}},
			problems: []string{`component "mystery" (bom-ref "m1"): no package URL`, `component "bad" (bom-ref "b1"): package URL "npm/bad"`},
		},
		{
			file: "spdx-2.2.json",
			subject: Subject{Name: "debian:12", Software: software.Inventory{
				Distro: &software.Distro{ID: "debian", VersionID: "12"},
				Packages: []software.Package{
					{Ecosystem: software.Deb, Name: "bash", Version: "5.2.15-2+b2", PURL: "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12", Arch: "amd64", Licenses: []string{"GPL-3.0-or-later"}, Cataloger: "sbom", Location: software.Location{Layer: -1}},
					{Ecosystem: software.Golang, Name: "golang.org/x/net", Version: "v0.17.0", PURL: "pkg:golang/golang.org/x/net@v0.17.0", Cataloger: "sbom", Location: software.Location{Layer: -1}},
				},
			}},
			problems: []string{`package "nopurl" (SPDXID "SPDXRef-nopurl"): no package URL`},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Read(f, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			probs := got.Software.Problems
			got.Software.Problems = nil
			if !reflect.DeepEqual(*got, tc.subject) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(tc.subject, "", " ")
				t.Errorf("read:\n%s\nwant:\n%s", gj, wj)
			}
			if len(probs) != len(tc.problems) {
				t.Fatalf("problems %v, want %d", probs, len(tc.problems))
			}
			for i, p := range probs {
				if p.Path != tc.file || !strings.HasPrefix(p.Err, tc.problems[i]) {
					t.Errorf("problem %d: %+v, want %s: %s...", i, p, tc.file, tc.problems[i])
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	oldSize, oldPackages := sizeLimit, packageLimit
	sizeLimit, packageLimit = 4096, 3
	t.Cleanup(func() { sizeLimit, packageLimit = oldSize, oldPackages })
	big := `{"bomFormat":"CycloneDX","specVersion":"1.6"}` + strings.Repeat(" ", 4096)
	four := `{"type":"library","name":"a","purl":"pkg:npm/a@1"}`
	four = strings.Repeat(four+",", 3) + four
	deep := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + strings.Repeat(`{"type":"library","name":"x","components":[`, maxDepth+2) + strings.Repeat(`]}`, maxDepth+2) + `]}`
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", ``, "in.json:1: unexpected end of JSON input"},
		{"syntax", "{\n\"bomFormat\": \"CycloneDX\",\n,}", "in.json:3: invalid character ','"},
		{"other", `{"kind":"Pod"}`, "in.json: not a CycloneDX (bomFormat) or SPDX (spdxVersion) JSON document"},
		{"array", `[1]`, "in.json:1: json: cannot unmarshal array"},
		{"cdx 1.2", `{"bomFormat":"CycloneDX","specVersion":"1.2"}`, `in.json: CycloneDX "1.2": only 1.4 to 1.6 are read`},
		{"cdx format", `{"bomFormat":"SWID","specVersion":"1.6"}`, `in.json: bomFormat is not "CycloneDX"`},
		{"spdx 2.1", `{"spdxVersion":"SPDX-2.1"}`, `in.json: "SPDX-2.1": only SPDX-2.2 and SPDX-2.3 JSON are read`},
		{"spdx type", `{"spdxVersion":"SPDX-2.3","packages":{}}`, "in.json:1: json: cannot unmarshal object"},
		{"too big", big, "in.json: SBOM larger than 4096 bytes"},
		{"cdx too many", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + four + `]}`, "in.json: more than 3 packages"},
		{"cdx too many nested", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","components":[` + four + `]}]}`, "in.json: more than 3 packages"},
		{"spdx too many", `{"spdxVersion":"SPDX-2.3","packages":[` + strings.Repeat(`{"SPDXID":"SPDXRef-a","name":"a"},`, 3) + `{"SPDXID":"SPDXRef-b","name":"b"}]}`, "in.json: more than 3 packages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.doc), "in.json")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want %s...", err, tc.want)
			}
		})
	}
	packageLimit = MaxPackages
	want := fmt.Sprintf("in.json: components nested deeper than %d", maxDepth)
	if _, err := Read(strings.NewReader(deep), "in.json"); err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestDistroFromPURL: a document without an operating-system entry takes the
// distribution release from its OS packages' distro qualifier.
func TestDistroFromPURL(t *testing.T) {
	for q, want := range map[string]software.Distro{
		"debian-12":          {ID: "debian", VersionID: "12"},
		"alpine-3.19.1":      {ID: "alpine", VersionID: "3.19.1"},
		"opensuse-leap-15.5": {ID: "opensuse-leap", VersionID: "15.5"},
		"bookworm":           {ID: "bookworm"},
	} {
		if got := parseDistroQualifier(q); !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: %+v, want %+v", q, *got, want)
		}
	}
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
		{"type":"library","name":"lodash","purl":"pkg:npm/lodash@4.17.21"},
		{"type":"library","name":"openssl-libs","version":"1:3.0.7-27.el9","purl":"pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1"},
		{"type":"library","name":"bash","purl":"pkg:rpm/redhat/bash@5.1.8-6.el9?epoch=2&distro=rhel-9.2"}]}`
	s, err := Read(strings.NewReader(doc), "in.json")
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Software.Distro; d == nil || d.ID != "rhel" || d.VersionID != "9.3" {
		t.Errorf("distro %+v, want rhel 9.3", d)
	}
	if v := s.Software.Packages[2].Version; v != "2:5.1.8-6.el9" {
		t.Errorf("rpm version from the purl %q, want the epoch 2:5.1.8-6.el9", v)
	}
}

// TestLicenseBounds: expression validation is bounded in length and count, so a
// hostile SBOM read and written again cannot make the writer crawl.
func TestLicenseBounds(t *testing.T) {
	long := strings.Repeat("MIT AND ", maxExpression/8) + "MIT"
	c := newLicenses()
	if c.spdxExpression(long) {
		t.Errorf("an expression of %d bytes was validated", len(long))
	}
	if !c.spdxExpression("MIT AND Apache-2.0") || !c.spdxLicenseID("MIT") || c.spdxLicenseID("MIT AND Apache-2.0") {
		t.Error("short expressions and identifiers are not recognised")
	}
	for i := 0; i < maxValidations; i++ {
		c.spdxExpression(fmt.Sprintf("MIT OR LicenseRef-x%d", i))
	}
	if c.spdxExpression("Apache-2.0 OR MIT") {
		t.Errorf("more than %d expressions validated", maxValidations)
	}
	if !c.spdxLicenseID("Apache-2.0") || !c.spdxExpression("MIT AND Apache-2.0") {
		t.Error("identifiers and expressions seen before are no longer recognised")
	}
}

// TestReadSpecExamples reads the valid example documents of the CycloneDX
// specification (testdata/cyclonedx-valid) and SPDX's examples
// (testdata/spdx-valid): each is read without an error, and every package Read
// returns has an ecosystem, a name and its purl.
func TestReadSpecExamples(t *testing.T) {
	cdxFiles, err1 := filepath.Glob(filepath.Join("testdata", "cyclonedx-valid", "*.json"))
	spdxFiles, err2 := filepath.Glob(filepath.Join("testdata", "spdx-valid", "*.json"))
	if err1 != nil || err2 != nil || len(cdxFiles) == 0 || len(spdxFiles) == 0 {
		t.Fatal(err1, err2, cdxFiles, spdxFiles)
	}
	files := append(cdxFiles, spdxFiles...)
	total := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Read(f, filepath.Base(path))
		f.Close()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, p := range s.Software.Packages {
			if p.Ecosystem == "" || p.Name == "" || p.PURL == "" {
				t.Errorf("%s: package %+v", path, p)
			}
		}
		total += len(s.Software.Packages)
		t.Logf("%s: %d packages, %d problems", filepath.Base(path), len(s.Software.Packages), len(s.Software.Problems))
	}
	if total == 0 {
		t.Error("no package read from the specification's examples")
	}
}

// TestReadSPDXLenient: fields Read does not use cannot fail a document (a supplier
// without its "Organization:" type, a creator without a type), and a document may
// name its subject with DESCRIBED_BY.
func TestReadSPDXLenient(t *testing.T) {
	doc := `{"spdxVersion":"SPDX-2.3","name":"doc","creationInfo":{"creators":["somebody"]},
	"packages":[
		{"SPDXID":"SPDXRef-img","name":"app:1","versionInfo":"sha256:00","primaryPackagePurpose":"CONTAINER"},
		{"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1","supplier":"Debian project",
		 "externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}],
	"relationships":[{"spdxElementId":"SPDXRef-img","relationshipType":"DESCRIBED_BY","relatedSpdxElement":"SPDXRef-DOCUMENT"}]}`
	s, err := Read(strings.NewReader(doc), "in.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "app:1" || s.Digest != "sha256:00" || len(s.Software.Packages) != 1 || s.Software.Packages[0].Name != "a" {
		t.Errorf("read %+v", s)
	}
}
