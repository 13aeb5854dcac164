package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// configCase is one configuration file and what loading it must give.
type configCase struct {
	name, file, text string
	format           string
	// data is the object's Body["data"]; lines are every "data..." path of Lines.
	data  any
	lines map[string]int
	// errs are the input errors, "line: message part".
	errs []string
	sops *inventory.SOPSInfo
}

// loadConfig writes a file under a fresh directory and loads it alone.
func loadConfig(t *testing.T, file, text string) (*Result, string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return mustLoad(t, []string{p}, Options{}), p
}

func allLines(l *inventory.Lines) map[string]int {
	out := map[string]int{}
	for p, n := range l.All() {
		out[p] = n
	}
	return out
}

func checkConfig(t *testing.T, tc configCase) {
	t.Helper()
	res, path := loadConfig(t, tc.file, tc.text)
	var errs []string
	for _, e := range res.Errors {
		if e.Location.File != path {
			t.Errorf("error names %q, want %q", e.Location.File, path)
		}
		errs = append(errs, fmt.Sprintf("%d: %s", e.Location.Line, e.Message))
	}
	if len(errs) != len(tc.errs) {
		t.Fatalf("errors %q, want %q", errs, tc.errs)
	}
	for i := range errs {
		if !strings.HasPrefix(errs[i], strings.SplitN(tc.errs[i], ":", 2)[0]+":") || !strings.Contains(errs[i], strings.TrimSpace(strings.SplitN(tc.errs[i], ":", 2)[1])) {
			t.Errorf("error %d %q, want %q", i, errs[i], tc.errs[i])
		}
	}
	if tc.data == nil {
		if len(res.Inventory.Objects) != 0 {
			t.Errorf("objects %v, want none", summarize(res.Inventory.Objects))
		}
		return
	}
	if len(res.Inventory.Objects) != 1 {
		t.Fatalf("objects %v, want one configuration file", summarize(res.Inventory.Objects))
	}
	o := res.Inventory.Objects[0]
	if !o.IsConfigFile() || o.Config.Format != tc.format {
		t.Errorf("config %+v, want format %s", o.Config, tc.format)
	}
	if o.Ref.APIVersion != inventory.ConfigFileAPIVersion || o.Ref.Kind != inventory.ConfigFileKind || o.Ref.Name != path || o.Ref.Namespace != "" {
		t.Errorf("ref %+v, want %s %s named %s", o.Ref, inventory.ConfigFileAPIVersion, inventory.ConfigFileKind, path)
	}
	if o.Origin.File != path {
		t.Errorf("origin %+v, want %s", o.Origin, path)
	}
	if !reflect.DeepEqual(o.Body, map[string]any{"data": tc.data}) {
		t.Errorf("body\n got  %#v\n want %#v", o.Body, map[string]any{"data": tc.data})
	}
	if got := allLines(o.Lines); !reflect.DeepEqual(got, tc.lines) {
		t.Errorf("lines\n got  %v\n want %v", sortedLines(got), sortedLines(tc.lines))
	}
	if !reflect.DeepEqual(o.SOPS, tc.sops) {
		t.Errorf("sops %+v, want %+v", o.SOPS, tc.sops)
	}
}

func sortedLines(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(out)
	return out
}

func TestConfigDotenv(t *testing.T) {
	for _, tc := range []configCase{{
		name: "assignments", file: ".env", format: "dotenv",
		text: "# a comment\n" +
			"export DB_USER=app\n" +
			"DB_HOST = db.internal   # where\n" +
			"\n" +
			"QUOTED=\"a \\\"b\\\"\\nc\"\n" +
			"LITERAL='x\\ny #z'\n" +
			"MULTI=\"line one\n" +
			"line two\"\n" +
			"AFTER=1\n" +
			"EMPTY=\n" +
			"HASH=a#b\n" +
			"AFTER=2\n",
		data: map[string]any{
			"DB_USER": "app", "DB_HOST": "db.internal", "QUOTED": "a \"b\"\nc", "LITERAL": `x\ny #z`,
			"MULTI": "line one\nline two", "EMPTY": "", "HASH": "a#b", "AFTER": "2",
		},
		lines: map[string]int{"data": 1, "data.DB_USER": 2, "data.DB_HOST": 3, "data.QUOTED": 5, "data.LITERAL": 6,
			"data.MULTI": 7, "data.EMPTY": 10, "data.HASH": 11, "data.AFTER": 12},
	}, {
		// A line that is not an assignment is an error at its line; the rest is read.
		name: "not an assignment", file: "app.env", format: "dotenv",
		text:  "A=1\nthis is not one\nB=2\n=3\nC=\"open\nD=4\n",
		data:  map[string]any{"A": "1", "B": "2"},
		lines: map[string]int{"data": 1, "data.A": 1, "data.B": 3},
		errs:  []string{"2: dotenv: not an assignment (KEY=value) (and 2 more lines)"},
	}, {
		name: "crlf", file: ".env.production", format: "dotenv",
		text:  "A=1\r\nB=\"x\r\ny\"\r\nC=3\r\n",
		data:  map[string]any{"A": "1", "B": "x\ny", "C": "3"},
		lines: map[string]int{"data": 1, "data.A": 1, "data.B": 2, "data.C": 4},
	}, {
		name: "empty", file: ".env.example", format: "dotenv",
		text: "\n# nothing yet\n", data: map[string]any{}, lines: map[string]int{"data": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) { checkConfig(t, tc) })
	}
}

func TestConfigINI(t *testing.T) {
	for _, tc := range []configCase{{
		name: "pypirc", file: ".pypirc", format: "ini",
		text: "[distutils]\n" +
			"index-servers =\n" +
			"    pypi\n" +
			"    private\n" +
			"\n" +
			"; a comment\n" +
			"[pypi]\n" +
			"username: __token__\n" +
			"password = \"quoted value\"\n" +
			"# another\n" +
			"[private]\n" +
			"repository=https://pypi.example.org\n",
		data: map[string]any{
			"distutils": map[string]any{"index-servers": "pypi\nprivate"},
			"pypi":      map[string]any{"username": "__token__", "password": "quoted value"},
			"private":   map[string]any{"repository": "https://pypi.example.org"},
		},
		lines: map[string]int{"data": 1, "data.distutils": 2, "data.distutils.index-servers": 2, "data.pypi": 8,
			"data.pypi.username": 8, "data.pypi.password": 9, "data.private": 12, "data.private.repository": 12},
	}, {
		name: "keys before a section, errors", file: "app.ini", format: "ini",
		text:  "top = 1\n[db\nnot an assignment\n[db]\nhost = h\n",
		data:  map[string]any{"top": "1", "db": map[string]any{"host": "h"}},
		lines: map[string]int{"data": 1, "data.top": 1, "data.db": 5, "data.db.host": 5},
		errs:  []string{"2: ini: section header without ] (and 1 more lines)"},
	}} {
		t.Run(tc.name, func(t *testing.T) { checkConfig(t, tc) })
	}
}

// In an .npmrc a line that starts with // is an assignment (a registry's
// credentials), not a comment; ; and # start comments.
func TestConfigNpmrc(t *testing.T) {
	checkConfig(t, configCase{
		file: ".npmrc", format: "npmrc",
		text: "; comment\n" +
			"registry=https://registry.example.org/\n" +
			"//registry.example.org/:_authToken=${NPM_TOKEN}\n" +
			"@scope:registry = https://npm.example.org/\n" +
			"# comment\n" +
			"always-auth\n",
		data: map[string]any{
			"registry":                           "https://registry.example.org/",
			"//registry.example.org/:_authToken": "${NPM_TOKEN}",
			"@scope:registry":                    "https://npm.example.org/",
			"always-auth":                        "true",
		},
		lines: map[string]int{"data": 1, "data.registry": 2, "data['//registry.example.org/:_authToken']": 3,
			"data['@scope:registry']": 4, "data.always-auth": 6},
	})
}

func TestConfigProperties(t *testing.T) {
	checkConfig(t, configCase{
		file: "application.properties", format: "properties",
		text: "# comment\n" +
			"! also a comment\n" +
			"spring.datasource.url=jdbc:postgresql://db/app\n" +
			"spring.datasource.password : pass\\\n" +
			"    word\n" +
			"key\\ with\\ spaces value\n" +
			"unicode=caf\\u00e9\n" +
			"empty\n",
		data: map[string]any{
			"spring.datasource.url":      "jdbc:postgresql://db/app",
			"spring.datasource.password": "password",
			"key with spaces":            "value",
			"unicode":                    "café",
			"empty":                      "",
		},
		lines: map[string]int{"data": 1, "data['spring.datasource.url']": 3, "data['spring.datasource.password']": 4,
			"data['key with spaces']": 6, "data.unicode": 7, "data.empty": 8},
	})
}

func TestConfigTOML(t *testing.T) {
	for _, tc := range []configCase{{
		name: "tables", file: "config.toml", format: "toml",
		text: "title = \"app\" # comment\n" +
			"[database]\n" +
			"user = 'admin'\n" +
			"\"quoted.key\" = 1\n" +
			"ports = [\n" +
			"  8000,\n" +
			"  8001,\n" +
			"]\n" +
			"[[servers]]\n" +
			"name = \"a\"\n" +
			"[[servers]]\n" +
			"name = \"b\"\n" +
			"auth = { user = \"u\", token = \"\"\"multi\n" +
			"line\"\"\" }\n" +
			"[servers.extra]\n" +
			"on = true\n" +
			"when = 1979-05-27T07:32:00Z\n" +
			"dotted.key = 2.5\n",
		data: map[string]any{
			"title": "app",
			"database": map[string]any{
				"user": "admin", "quoted.key": int64(1), "ports": []any{int64(8000), int64(8001)},
			},
			"servers": []any{
				map[string]any{"name": "a"},
				map[string]any{"name": "b", "auth": map[string]any{"user": "u", "token": "multi\nline"},
					"extra": map[string]any{"on": true, "when": "1979-05-27T07:32:00Z", "dotted": map[string]any{"key": 2.5}}},
			},
		},
		lines: map[string]int{"data": 1, "data.title": 1, "data.database": 2, "data.database.user": 3,
			"data.database['quoted.key']": 4, "data.database.ports": 5, "data.database.ports[0]": 6,
			"data.database.ports[1]": 7, "data.servers": 9, "data.servers[0]": 9, "data.servers[0].name": 10,
			"data.servers[1]": 11, "data.servers[1].name": 12, "data.servers[1].auth": 13,
			"data.servers[1].auth.user": 13, "data.servers[1].auth.token": 13, "data.servers[1].extra": 15,
			"data.servers[1].extra.on": 16, "data.servers[1].extra.when": 17, "data.servers[1].extra.dotted": 18,
			"data.servers[1].extra.dotted.key": 18},
	}, {
		name: "invalid", file: "bad.toml",
		text: "a = 1\n\nb = = 2\n",
		errs: []string{"3: invalid TOML"},
	}, {
		name: "nested too deep", file: "deep.toml",
		text: "a = " + strings.Repeat("[", maxTOMLDepth+1) + strings.Repeat("]", maxTOMLDepth+1) + "\n",
		errs: []string{"1: nest more than 512 deep"},
	}} {
		t.Run(tc.name, func(t *testing.T) { checkConfig(t, tc) })
	}
}

// YAML and JSON documents with neither apiVersion nor kind are configuration; each
// document of a stream is judged alone.
func TestConfigYAMLAndJSONDocuments(t *testing.T) {
	for _, tc := range []configCase{{
		name: "values file", file: "values.yaml", format: "yaml",
		text: "# values\n" +
			"gitlab:\n" +
			"  url: https://gitlab.example.org\n" +
			"  token: placeholder\n" +
			"hosts:\n" +
			"- a\n" +
			"- b\n",
		data: map[string]any{"gitlab": map[string]any{"url": "https://gitlab.example.org", "token": "placeholder"},
			"hosts": []any{"a", "b"}},
		// As in objects, a field is at the line of its value (a mapping or a
		// sequence: its first entry).
		lines: map[string]int{"data": 2, "data.gitlab": 3, "data.gitlab.url": 3, "data.gitlab.token": 4,
			"data.hosts": 6, "data.hosts[0]": 6, "data.hosts[1]": 7},
	}, {
		name: "json", file: "settings.json", format: "json",
		text:  "{\n\t\"api\": {\n\t\t\"key\": \"k\"\n\t},\n\t\"list\": [1]\n}\n",
		data:  map[string]any{"api": map[string]any{"key": "k"}, "list": []any{int64(1)}},
		lines: map[string]int{"data": 1, "data.api": 2, "data.api.key": 3, "data.list": 5, "data.list[0]": 5},
	}, {
		name: "json array", file: "servers.json", format: "json",
		text:  "[\n  {\"host\": \"a\"}\n]\n",
		data:  []any{map[string]any{"host": "a"}},
		lines: map[string]int{"data": 1, "data[0]": 2, "data[0].host": 2},
	}} {
		t.Run(tc.name, func(t *testing.T) { checkConfig(t, tc) })
	}
}

func TestConfigMixedStream(t *testing.T) {
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n" + // 1-3
		"---\n" + // 4
		"db:\n  password: x\n" + // 5-6
		"---\n" + // 7
		"kind: Deployment\nmetadata: {name: broken}\n" + // 8-9
		"---\n" + // 10
		"- apiVersion: v1\n  kind: Pod\n" + // 11-12
		"---\n" + // 13
		"just text\n" + // 14
		"---\n" + // 15
		"{}\n" // 16
	res, path := loadConfig(t, "mixed.yaml", text)
	var got []string
	for _, o := range res.Inventory.Objects {
		got = append(got, fmt.Sprintf("%s %s doc %d line %d", o.Ref.Kind, filepath.Base(o.Ref.Name), o.Origin.Document, o.Origin.Line))
	}
	want := []string{
		"ConfigMap cm doc 0 line 1",
		"ConfigFile mixed.yaml doc 1 line 5",
		"ConfigFile mixed.yaml doc 5 line 16",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects\n got  %q\n want %q", got, want)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, fmt.Sprintf("%d: %s", e.Location.Line, e.Message))
	}
	wantErrs := []string{
		"8: not a Kubernetes object: missing apiVersion",
		"11: not a Kubernetes object: document is a sequence, not a mapping",
		"14: not a Kubernetes object: document is a scalar, not a mapping",
	}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("errors\n got  %q\n want %q", errs, wantErrs)
	}
	if res.Inventory.Objects[1].Ref.Name != path {
		t.Errorf("configuration named %q, want %q", res.Inventory.Objects[1].Ref.Name, path)
	}
}

// Rendered output (a chart's templates, an overlay) holds objects only: a template
// that renders a mapping without apiVersion and kind is still an error.
func TestRenderedDocumentsAreNeverConfiguration(t *testing.T) {
	objs, errs := parseDocument(document{line: 1, data: []byte("a: 1\n"), mode: configNever}, inventoryLocation("t.yaml"), &Options{Decode: decodeAll})
	if len(objs) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Message, "missing apiVersion and kind") {
		t.Errorf("objects %v, errors %v; want the error of old", objs, errs)
	}
}

// Without a rule that reads configuration files, they keep no body, but are still
// there (counted) with their SOPS metadata.
func TestConfigNotDecoded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	if err := os.WriteFile(p, []byte("A=1\nsops_version=3.9.0\nsops_mac=ENC[AES256_GCM,data:x,type:str]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Load([]string{p}, Options{Decode: func(_, kind string) bool { return kind != inventory.ConfigFileKind }})
	if len(res.Inventory.Objects) != 1 {
		t.Fatalf("objects %v", res.Inventory.Objects)
	}
	o := res.Inventory.Objects[0]
	if !o.IsConfigFile() || o.Body != nil || o.Lines != nil || o.SOPS == nil || o.SOPS.Version != "3.9.0" {
		t.Errorf("object %+v: want a configuration file without body, with its SOPS version", o)
	}
}

func inventoryLocation(file string) finding.Location { return finding.Location{File: file} }

// SOPS metadata is read from every format sops writes (github.com/getsops/sops: the
// top-level "sops" mapping of YAML, JSON and TOML, the sops_* keys of dotenv, the
// [sops] section of INI) into Object.SOPS, and removed from a configuration file's
// data and lines; a Kubernetes object keeps it in its body.
func TestSOPSMetadata(t *testing.T) {
	enc := "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]"
	suffix := &inventory.SOPSInfo{Version: "3.9.1", UnencryptedSuffix: "_unencrypted"}
	for _, tc := range []configCase{{
		name: "yaml", file: "secrets.yaml", format: "yaml",
		text: "db:\n  password: " + enc + "\n  user_unencrypted: app\n" +
			"sops:\n  age:\n  - recipient: age1example\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: " + enc + "\n" +
			"  unencrypted_suffix: _unencrypted\n  version: 3.9.1\n",
		data:  map[string]any{"db": map[string]any{"password": enc, "user_unencrypted": "app"}},
		lines: map[string]int{"data": 1, "data.db": 2, "data.db.password": 2, "data.db.user_unencrypted": 3},
		sops:  suffix,
	}, {
		name: "json", file: "secrets.json", format: "json",
		text: "{\n  \"token\": \"" + enc + "\",\n  \"sops\": {\n    \"mac\": \"" + enc + "\",\n" +
			"    \"encrypted_regex\": \"^(token)$\",\n    \"mac_only_encrypted\": true,\n    \"version\": \"3.10.2\"\n  }\n}\n",
		data:  map[string]any{"token": enc},
		lines: map[string]int{"data": 1, "data.token": 2},
		sops:  &inventory.SOPSInfo{Version: "3.10.2", EncryptedRegex: "^(token)$", MACOnlyEncrypted: true},
	}, {
		name: "dotenv", file: ".env", format: "dotenv",
		text: "TOKEN=" + enc + "\nsops_age__list_0__map_recipient=age1example\nsops_lastmodified=2026-01-01T00:00:00Z\n" +
			"sops_mac=" + enc + "\nsops_unencrypted_suffix=_unencrypted\nsops_version=3.9.1\n",
		data:  map[string]any{"TOKEN": enc},
		lines: map[string]int{"data": 1, "data.TOKEN": 1},
		sops:  suffix,
	}, {
		name: "ini", file: "app.ini", format: "ini",
		text:  "[db]\npassword = " + enc + "\n[sops]\nmac = " + enc + "\nunencrypted_suffix = _unencrypted\nversion = 3.9.1\n",
		data:  map[string]any{"db": map[string]any{"password": enc}},
		lines: map[string]int{"data": 1, "data.db": 2, "data.db.password": 2},
		sops:  suffix,
	}, {
		name: "toml", file: "app.toml", format: "toml",
		text:  "password = \"" + enc + "\"\n[sops]\nmac = \"" + enc + "\"\nunencrypted_suffix = \"_unencrypted\"\nversion = \"3.9.1\"\n",
		data:  map[string]any{"password": enc},
		lines: map[string]int{"data": 1, "data.password": 1},
		sops:  suffix,
	}, {
		// A mapping named sops that is not sops' metadata is data.
		name: "not metadata", file: "values.yaml", format: "yaml",
		text:  "sops:\n  enabled: true\n",
		data:  map[string]any{"sops": map[string]any{"enabled": true}},
		lines: map[string]int{"data": 1, "data.sops": 2, "data.sops.enabled": 2},
	}} {
		t.Run(tc.name, func(t *testing.T) { checkConfig(t, tc) })
	}
	t.Run("kubernetes object", func(t *testing.T) {
		res, _ := loadConfig(t, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  token: "+enc+
			"\nsops:\n  mac: "+enc+"\n  encrypted_regex: ^(data|stringData)$\n  version: 3.9.1\n")
		noErrors(t, res)
		if len(res.Inventory.Objects) != 1 {
			t.Fatalf("objects %v", summarize(res.Inventory.Objects))
		}
		o := res.Inventory.Objects[0]
		if o.IsConfigFile() || !reflect.DeepEqual(o.SOPS, &inventory.SOPSInfo{Version: "3.9.1", EncryptedRegex: "^(data|stringData)$"}) {
			t.Errorf("config %+v, sops %+v", o.Config, o.SOPS)
		}
		if _, ok := o.Body["sops"]; !ok {
			t.Errorf("the Secret's body lost its sops metadata: %v", o.Body)
		}
	})
}

// A directory walk reads configuration files by name, hidden ones included, and
// still skips hidden directories (.git) and files of other kinds.
func TestWalkConfigurationFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		".env":                                   "A=1\n",
		".env.example":                           "A=changeme\n",
		"prod.env":                               "A=2\n",
		".npmrc":                                 "registry=https://registry.example.org/\n",
		".pypirc":                                "[pypi]\nusername = u\n",
		"app.ini":                                "a = 1\n",
		"app.properties":                         "a=1\n",
		"pyproject.toml":                         "[project]\nname = \"x\"\n",
		"docker-compose.yml":                     "services:\n  db:\n    image: postgres\n",
		"deploy.yaml":                            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
		"notes.txt":                              "A=1\n",
		"Makefile":                               "all:\n",
		".git/config":                            "[core]\n",
		".git/hooks/x.env":                       "A=1\n",
		".github/ci.yml":                         "on: push\n",
		"sub/.env.local":                         "B=1\n",
		"sub/settings.json":                      "{\"a\": 1}\n",
		"sub/.hidden/values.yml":                 "a: 1\n",
		"web/node_modules/left-pad/package.json": "{\"name\": \"left-pad\"}\n",
		"web/node_modules/.bin/x.env":            "A=1\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := mustLoad(t, []string{dir}, Options{})
	noErrors(t, res)
	var got []string
	for _, o := range res.Inventory.Objects {
		rel, _ := filepath.Rel(dir, o.Origin.File)
		what := o.Ref.Kind
		if o.IsConfigFile() {
			what = o.Config.Format
		}
		got = append(got, filepath.ToSlash(rel)+" "+what)
	}
	sort.Strings(got)
	want := []string{
		".env dotenv", ".env.example dotenv", ".npmrc npmrc", ".pypirc ini", "app.ini ini",
		"app.properties properties", "deploy.yaml ConfigMap", "docker-compose.yml yaml", "prod.env dotenv",
		"pyproject.toml toml", "sub/.env.local dotenv", "sub/settings.json json",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walked\n got  %q\n want %q", got, want)
	}
	// Named explicitly, a file of an unknown kind is still read as YAML.
	res = mustLoad(t, []string{filepath.Join(dir, "notes.txt")}, Options{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "not a Kubernetes object") {
		t.Errorf("notes.txt: errors %v, want one saying it is not an object", res.Errors)
	}
	// Named explicitly, a configuration file is read as one.
	res = mustLoad(t, []string{filepath.Join(dir, ".git", "hooks", "x.env")}, Options{})
	if noErrors(t, res); len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Config.Format != "dotenv" {
		t.Errorf("x.env: objects %v", summarize(res.Inventory.Objects))
	}
}

// A chart's values files (values.yaml, values-*.yaml, values.*.yaml, secrets.yaml,
// secrets.*.yaml at its root) and the --values files of a chart scan are read as
// configuration files, with their own lines, besides the rendered objects; the
// chart's other files (templates, files/) are not.
func TestChartValuesAreConfiguration(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "app")
	files := map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"values.yaml":           "image: nginx\n# the token\ngitlab:\n  token: placeholder\n",
		"values-prod.yaml":      "replicas: 3\n",
		"values.staging.yaml":   "replicas: 2\n",
		"secrets.yaml":          "db:\n  password: pw\n",
		"secrets.prod.yaml":     "db:\n  password: pw2\n",
		"other.yaml":            "not: values\n",
		"files/values.yaml":     "nested: not read\n",
		"templates/values.yaml": "# a template named like values\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  image: {{ .Values.image }}\n",
	}
	for name, text := range files {
		p := filepath.Join(chart, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	user := filepath.Join(dir, "my-values.yaml")
	if err := os.WriteFile(user, []byte("image: nginx:mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "app-0.1.0.tgz")
	writeChartArchive(t, chart, "app", archive)

	res := mustLoad(t, []string{chart, archive}, Options{Helm: HelmOptions{ValuesFiles: []string{user}}})
	noErrors(t, res)
	var got []string
	for _, o := range res.Inventory.Objects {
		name := strings.TrimPrefix(filepath.ToSlash(o.Origin.File), filepath.ToSlash(dir)+"/")
		if !o.IsConfigFile() {
			got = append(got, o.Ref.Kind+" "+name)
			continue
		}
		got = append(got, fmt.Sprintf("%s %s line %d %s", o.Config.Format, name, o.Origin.Line, o.Origin.Provenance))
		if o.Ref.Name != o.Origin.File {
			t.Errorf("%s named %q", o.Origin.File, o.Ref.Name)
		}
	}
	want := []string{
		"ConfigMap app/templates/cm.yaml",
		"yaml app/secrets.prod.yaml line 1 rendered",
		"yaml app/secrets.yaml line 1 rendered",
		"yaml app/values-prod.yaml line 1 rendered",
		"yaml app/values.staging.yaml line 1 rendered",
		"yaml app/values.yaml line 1 rendered",
		"ConfigMap app-0.1.0.tgz#templates/cm.yaml",
		"yaml app-0.1.0.tgz#secrets.prod.yaml line 1 rendered",
		"yaml app-0.1.0.tgz#secrets.yaml line 1 rendered",
		"yaml app-0.1.0.tgz#values-prod.yaml line 1 rendered",
		"yaml app-0.1.0.tgz#values.staging.yaml line 1 rendered",
		"yaml app-0.1.0.tgz#values.yaml line 1 rendered",
		// Once, though two charts were rendered with it.
		"yaml my-values.yaml line 1 file",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects\n got  %q\n want %q", got, want)
	}
	values := res.Inventory.Objects[5]
	if l, ok := values.Lines.Line("data.gitlab.token"); !ok || l != 4 {
		t.Errorf("line of data.gitlab.token = %d, want 4", l)
	}
	// The chart is the input: its values files are not counted apart (2 charts of
	// two rendered templates each).
	if res.Files != 4 {
		t.Errorf("Files = %d, want 4", res.Files)
	}
}
