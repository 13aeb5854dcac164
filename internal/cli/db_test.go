package cli

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// osvRecord is a small OSV record of one npm package.
func osvRecord(id, pkg, modified string) []byte {
	return fmt.Appendf(nil, `{"schema_version": "1.6.0", "id": %q, "modified": %q, "aliases": ["CVE-2026-0001"],
  "affected": [{"package": {"ecosystem": "npm", "name": %q},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}]}]}`, id, modified, pkg)
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// import, status (text, JSON), export and the bundle imported elsewhere: exit codes,
// the summary line, the bundle's SHA-256 printed by both sides.
func TestDBImportStatusExport(t *testing.T) {
	dir := t.TempDir()
	adv := filepath.Join(dir, "advisories")
	writeFile(t, filepath.Join(adv, "GHSA-aaaa-bbbb-cccc.json"), osvRecord("GHSA-aaaa-bbbb-cccc", "left-pad", "2026-11-01T00:00:00Z"))
	writeFile(t, filepath.Join(adv, "GHSA-dddd-eeee-ffff.json"), osvRecord("GHSA-dddd-eeee-ffff", "lodash", "2026-11-20T00:00:00Z"))
	db := filepath.Join(dir, "v.db")
	r := run(t, nil, "db", "import", adv, "--db", db)
	if r.code != ExitOK || r.stdout != "" || !strings.HasPrefix(r.stderr, "palisade: imported 2 records (0 withdrawn) from 2 files into source advisories ("+db+", ") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "db", "status", "--db", db)
	if r.code != ExitOK || !strings.Contains(r.stdout, "Vulnerability database "+db+" (schema 1, ") ||
		!regexp.MustCompile(`(?m)^SOURCE +RECORDS +WITHDRAWN +ECOSYSTEMS +NEWEST +AGE +IMPORTED +SIZE\nadvisories +2 +0 +npm +2026-11-20 +\d+[mhd] +\d{4}-\d\d-\d\d \d\d:\d\d UTC +[0-9.]+ KiB\n`).MatchString(r.stdout) {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "db", "status", "--db", db, "-o", "json")
	var st struct {
		Path          string
		SchemaVersion int
		Bytes         int64
		Sources       []struct {
			vulndb.Source
			AgeSeconds int64
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != ExitOK {
		t.Fatalf("status json: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if st.Path != db || st.SchemaVersion != 1 || st.Bytes == 0 || len(st.Sources) != 1 || st.Sources[0].Records != 2 || st.Sources[0].AgeSeconds <= 0 || st.Sources[0].Ecosystems["npm"] != 2 {
		t.Errorf("status json: %+v", st)
	}
	bundle := filepath.Join(dir, "out", "bundle.zip")
	os.MkdirAll(filepath.Dir(bundle), 0o755)
	r = run(t, nil, "db", "export", bundle, "--db", db)
	data, err := os.ReadFile(bundle)
	if err != nil || r.code != ExitOK {
		t.Fatalf("export: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if r.stdout != hexSum+"  bundle.zip\n" || !strings.Contains(r.stderr, "palisade: exported 1 source (2 records) to "+bundle+": content digest sha256:") {
		t.Errorf("export output:\n%s%s", r.stdout, r.stderr)
	}
	other := filepath.Join(dir, "other.db")
	r = run(t, nil, "db", "import", bundle, "--db", other)
	if r.code != ExitOK || !strings.Contains(r.stderr, "palisade: bundle sha256 "+hexSum+"; content digest sha256:") || !strings.Contains(r.stderr, "verified\npalisade: imported 2 records") {
		t.Errorf("bundle import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "db", "status", "--db", other)
	if !strings.Contains(r.stdout, "\nadvisories  ") {
		t.Errorf("status after the bundle:\n%s", r.stdout)
	}
}

// A malformed record is named and skipped: exit 3; a tampered bundle imports nothing:
// exit 3.
func TestDBImportInputErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "GHSA-aaaa-bbbb-cccc.json"), osvRecord("GHSA-aaaa-bbbb-cccc", "left-pad", "2026-11-01T00:00:00Z"))
	bad := writeFile(t, filepath.Join(dir, "bad.json"), []byte("{\"id\": \"x\",\n\"modified\": nope}"))
	db := filepath.Join(dir, "v.db")
	r := run(t, nil, "db", "import", good, bad, "--db", db, "--source", "mine")
	if r.code != ExitInputErrors || !strings.Contains(r.stderr, "palisade: skipped: "+bad+": line 2: invalid character") ||
		!strings.Contains(r.stderr, "palisade: imported 1 record (0 withdrawn) from 2 files into source mine; 1 skipped (") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bundle := filepath.Join(dir, "b.zip")
	if r := run(t, nil, "db", "export", bundle, "--db", db); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// Change one record's fixed version inside the bundle.
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		rc, _ := e.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(e.Name)
		w.Write(bytes.ReplaceAll(data, []byte("1.2.3"), []byte("0.0.1")))
	}
	zw.Close()
	zr.Close()
	writeFile(t, bundle, buf.Bytes())
	r = run(t, nil, "db", "import", bundle, "--db", filepath.Join(dir, "other.db"))
	if r.code != ExitInputErrors || !strings.Contains(r.stderr, "the bundle was changed after export; nothing imported") {
		t.Errorf("tampered: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestDBUsage(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "import", "--db", missing}, "requires at least 1 arg"},
		{[]string{"db", "import", dir, "--source", "a/b", "--db", missing}, "--source"},
		{[]string{"db", "status", "--db", missing}, "no vulnerability database at " + missing + ": run palisade db import"},
		{[]string{"db", "status", "-o", "yaml", "--db", missing}, "want text or json"},
		{[]string{"db", "export", filepath.Join(dir, "b.zip"), "--db", missing}, "no vulnerability database"},
	} {
		r := run(t, nil, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", c.args, r.code, c.want, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("status or export created the database")
	}
}

// On a terminal the progress line is redrawn in place and erased before the summary.
func TestDBImportProgress(t *testing.T) {
	var b bytes.Buffer
	p := &importProgress{w: &b, live: true}
	p.update(vulndb.Progress{Path: "/x/all.zip", Files: 10, Records: 9, Malformed: 1})
	p.update(vulndb.Progress{Path: "/x/all.zip", Files: 20, Records: 19, Malformed: 1})
	p.update(vulndb.Progress{Done: true})
	p.clear()
	want := "\r\x1b[Kimporting all.zip: 10 files, 9 records, 1 skipped\r\x1b[Kimporting all.zip: 20 files, 19 records, 1 skipped\r\x1b[K"
	if b.String() != want {
		t.Errorf("%q\nwant %q", b.String(), want)
	}
	b.Reset()
	p = &importProgress{w: &b}
	p.update(vulndb.Progress{Files: 1})
	p.clear()
	if b.Len() != 0 {
		t.Errorf("not a terminal: %q", b.String())
	}
}
