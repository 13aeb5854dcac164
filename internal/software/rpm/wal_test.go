package rpm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
)

// walScript changes testdata's database through SQLite in WAL mode without a
// checkpoint (a package deleted, one added by renaming a copy of another) and copies
// the database and its log while the connection is open.
const walScript = `
import sqlite3, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
c = sqlite3.connect(src, isolation_level=None)
c.execute('pragma journal_mode=wal')
c.execute('pragma wal_autocheckpoint=0')
c.execute('begin')
rows = c.execute('select hnum, blob from Packages order by hnum').fetchall()
c.execute('delete from Packages where hnum=?', (rows[0][0],))
for h, b in rows:
    if b'plain-sub3\x00' in b:
        c.execute('insert into Packages(blob) values (?)', (b.replace(b'plain-sub3\x00', b'plain-subX\x00'),))
c.execute('commit')
shutil.copy(src + '-wal', dst)
c.close()
`

// TestWALGroundTruth checks the write-ahead log against rpm -qa (SQLite replays the
// log when rpm opens the database; --nodigest since the added header was renamed).
// With -update it rewrites testdata/wal.
func TestWALGroundTruth(t *testing.T) {
	needTool(t, "rpm", "rpm")
	needTool(t, "python3", "python3")
	base, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	work, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "rpmdb.sqlite"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("python3", "-c", walScript, filepath.Join(work, "rpmdb.sqlite"), filepath.Join(dir, "rpmdb.sqlite-wal")).CombinedOutput(); err != nil {
		t.Skipf("python3 sqlite3: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "rpmdb.sqlite"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("rpm", "--nodigest", "--nosignature", "--dbpath", dir, "-qa", "--qf", queryFormat).Output()
	if err != nil {
		t.Fatalf("rpm -qa: %v", err)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	sort.Strings(want)
	wal, err := os.ReadFile(filepath.Join(dir, "rpmdb.sqlite-wal"))
	if err != nil {
		t.Fatal(err)
	}
	checkWAL(t, base, wal, want)
	if *update {
		if err := os.MkdirAll("testdata/wal", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/wal/rpmdb.sqlite-wal", wal, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/wal/rpm-qa.txt", out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkWAL(t *testing.T, base, wal []byte, want []string) {
	t.Helper()
	fsys := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: base}, "var/lib/rpm/rpmdb.sqlite-wal": {Data: wal}}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got := lines(t, pkgs); !reflect.DeepEqual(got, want) {
		t.Errorf("with the log: got\n%s\nrpm -qa\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	delete(fsys, "var/lib/rpm/rpmdb.sqlite-wal")
	pkgs, _ = Catalog(context.Background(), fsys, software.Env{})
	if got := lines(t, pkgs); reflect.DeepEqual(got, want) {
		t.Error("the log changes nothing: the test is void")
	}
}

// TestWAL reads testdata/wal's log (made by TestWALGroundTruth -update) on testdata's
// database against what rpm -qa printed then.
func TestWAL(t *testing.T) {
	base, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile("testdata/wal/rpmdb.sqlite-wal")
	if err != nil {
		t.Fatal(err)
	}
	qa, err := os.ReadFile("testdata/wal/rpm-qa.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(qa), "\n"), "\n")
	sort.Strings(want)
	checkWAL(t, base, wal, want)
	// A log cut in the middle of its last frame is read up to its last whole commit;
	// a log with a bad magic is a problem and the database is read without it.
	if _, err := applyWAL(base, wal[:len(wal)-100]); err != nil {
		t.Error(err)
	}
	bad := append([]byte("xxxx"), wal[4:]...)
	_, probs := Catalog(context.Background(), fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: base}, "var/lib/rpm/rpmdb.sqlite-wal": {Data: bad}}, software.Env{})
	if len(probs) != 1 || probs[0].Path != "/var/lib/rpm/rpmdb.sqlite-wal" {
		t.Errorf("problems %v", probs)
	}
}

func FuzzWAL(f *testing.F) {
	base, err := os.ReadFile("testdata/rpmdb.sqlite")
	if err != nil {
		f.Fatal(err)
	}
	if wal, err := os.ReadFile("testdata/wal/rpmdb.sqlite-wal"); err == nil {
		f.Add(wal)
	}
	f.Fuzz(func(t *testing.T, wal []byte) {
		db, err := applyWAL(base, wal)
		if err == nil {
			_ = sqliteBlobs(db, func(int64, []byte, error) {})
		}
	})
}
