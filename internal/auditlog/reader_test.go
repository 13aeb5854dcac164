package auditlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func ev(id string) string {
	return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"` + id +
		`","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-12-01T10:00:00.000001Z","stageTimestamp":"2026-12-01T10:00:00.000002Z"}`
}

func lines(ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(ev(id) + "\n")
	}
	return b.String()
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readAll returns the auditIDs read and the errors (as "location: error").
func readAll(t testing.TB, paths []string, opts Options) (ids []string, errs []string) {
	t.Helper()
	r, err := Open(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		e, err := r.Next()
		if err == io.EOF {
			return ids, errs
		}
		var ie *InputError
		if errors.As(err, &ie) {
			errs = append(errs, ie.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.AuditID)
	}
}

func TestSortRotated(t *testing.T) {
	got := []string{
		"d/audit.log",
		"d/audit-2026-12-01T10-00-00.000.log.gz",
		"d/audit-2026-11-30T23-59-59.999.log",
		"d/audit-2026-12-01T09-00-00.000.log.gz",
		"d/kube.log.1",
		"d/kube.log",
		"d/kube.log.10.gz",
		"d/kube.log.2.gz",
		"d/other.json",
		"d/web.log-20261202.gz",
		"d/web.log",
		"d/web.log-20261201",
	}
	SortRotated(got)
	want := []string{
		"d/audit-2026-11-30T23-59-59.999.log",
		"d/audit-2026-12-01T09-00-00.000.log.gz",
		"d/audit-2026-12-01T10-00-00.000.log.gz",
		"d/audit.log",
		"d/kube.log.10.gz",
		"d/kube.log.2.gz",
		"d/kube.log.1",
		"d/kube.log",
		"d/other.json",
		"d/web.log-20261201",
		"d/web.log-20261202.gz",
		"d/web.log",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %q\nwant %q", got, want)
	}
}

// TestReadDirectoryRotated: a directory of lumberjack-rotated logs, some gzipped, is
// read oldest first, the live file last; dot files are skipped.
func TestReadDirectoryRotated(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "audit.log"), []byte(lines("e5", "e6")))
	write(t, filepath.Join(dir, "audit-2026-12-01T10-00-00.000.log.gz"), gz(t, lines("e3", "e4")))
	write(t, filepath.Join(dir, "audit-2026-12-01T09-00-00.000.log"), []byte(lines("e1", "e2")))
	write(t, filepath.Join(dir, ".audit.log.swp"), []byte("junk"))
	ids, errs := readAll(t, []string{dir}, Options{})
	if want := []string{"e1", "e2", "e3", "e4", "e5", "e6"}; !slices.Equal(ids, want) || errs != nil {
		t.Fatalf("got %v %v", ids, errs)
	}
}

func TestReadStdin(t *testing.T) {
	ids, errs := readAll(t, []string{"-"}, Options{Stdin: bytes.NewReader(gz(t, lines("a", "b")))})
	if !slices.Equal(ids, []string{"a", "b"}) || errs != nil {
		t.Fatalf("got %v %v", ids, errs)
	}
}

// TestReadErrorsNameFileAndLine: a bad line is an error at its line; reading goes on,
// a last line without a newline is read, blank lines are skipped.
func TestReadErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.log")
	write(t, f, []byte(ev("a")+"\n\n{\"auditID\":1}\nnot json\n"+ev("b")+"\n"+`{"kind":"Event"}`+"\n"+ev("c")))
	ids, errs := readAll(t, []string{f}, Options{})
	if !slices.Equal(ids, []string{"a", "b", "c"}) || len(errs) != 3 ||
		!strings.HasPrefix(errs[0], f+":3: ") || !strings.HasPrefix(errs[1], f+":4: ") || !strings.HasPrefix(errs[2], f+":6: ") {
		t.Fatalf("got %v %q", ids, errs)
	}
}

// TestReadFirstLineCut: a log whose first line was cut (tail -c, a partial copy) is
// still read as JSON lines: the first line is an error, the others are events.
func TestReadFirstLineCut(t *testing.T) {
	f := filepath.Join(t.TempDir(), "a.log")
	cut := ev("x")[:100]
	write(t, f, []byte(cut+"\n"+lines("a", "b")))
	ids, errs := readAll(t, []string{f}, Options{})
	if !slices.Equal(ids, []string{"a", "b"}) || len(errs) != 1 || !strings.HasPrefix(errs[0], f+":1: ") {
		t.Fatalf("got %v %q", ids, errs)
	}
}

// TestReadLineBound: a line over the bound is one error; the next lines are read.
func TestReadLineBound(t *testing.T) {
	f := filepath.Join(t.TempDir(), "a.log")
	long := `{"auditID":"x","stage":"s","requestObject":"` + strings.Repeat("A", 5000) + `"}`
	write(t, f, []byte(ev("a")+"\n"+long+"\n"+ev("b")+"\n"))
	ids, errs := readAll(t, []string{f}, Options{MaxLine: 1024})
	if !slices.Equal(ids, []string{"a", "b"}) || len(errs) != 1 || !strings.Contains(errs[0], ":2: record longer") {
		t.Fatalf("got %v %q", ids, errs)
	}
}

// TestReadGzipBomb: a .gz that expands past the ratio stops with an error.
func TestReadGzipBomb(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bomb.log.gz")
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte(lines("a")))
	w.Write(bytes.Repeat([]byte("\n"), 80<<20))
	w.Write([]byte(lines("never")))
	w.Close()
	write(t, f, b.Bytes())
	ids, errs := readAll(t, []string{f}, Options{MaxGzipRatio: 50})
	if !slices.Equal(ids, []string{"a"}) || len(errs) != 1 || !strings.Contains(errs[0], "expands more than 50 times") {
		t.Fatalf("got %v %q", ids, errs)
	}
	// A corrupt stream is an error too, once.
	data := gz(t, lines("a", "b", "c"))
	write(t, f, append(data[:len(data)-12:len(data)-12], 1, 2, 3))
	_, errs = readAll(t, []string{f}, Options{})
	if len(errs) != 1 || !strings.Contains(errs[0], "gzip") {
		t.Fatalf("corrupt gzip: %q", errs)
	}
}

// TestReadEventList: a file holding an EventList, pretty-printed or on one line.
func TestReadEventList(t *testing.T) {
	dir := t.TempDir()
	pretty := "{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"metadata\": {},\n  \"items\": [\n    " +
		ev("a") + ",\n    " + ev("b") + ",\n    {\"auditID\": 5},\n    " + ev("c") + "\n  ]\n}\n"
	write(t, filepath.Join(dir, "list.json"), []byte(pretty))
	ids, errs := readAll(t, []string{filepath.Join(dir, "list.json")}, Options{})
	if !slices.Equal(ids, []string{"a", "b", "c"}) || len(errs) != 1 || !strings.Contains(errs[0], "list.json:8 event 3: ") {
		t.Fatalf("pretty: got %v %q", ids, errs)
	}
	one := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + ev("d") + "," + ev("e") + "]}\n" + ev("f") + "\n"
	write(t, filepath.Join(dir, "one.log"), []byte(one))
	ids, errs = readAll(t, []string{filepath.Join(dir, "one.log")}, Options{})
	if !slices.Equal(ids, []string{"d", "e", "f"}) || errs != nil {
		t.Fatalf("one line: got %v %q", ids, errs)
	}
	// The bound on the events of one document.
	ids, errs = readAll(t, []string{filepath.Join(dir, "list.json")}, Options{MaxItems: 2})
	if !slices.Equal(ids, []string{"a", "b"}) || len(errs) != 1 || !strings.Contains(errs[0], "more than 2 events") {
		t.Fatalf("bound: got %v %q", ids, errs)
	}
	// A pretty-printed single event, and an array of events.
	write(t, filepath.Join(dir, "arr.json"), []byte("[\n"+ev("g")+",\n"+ev("h")+"\n]\n{\n\"auditID\": \"i\",\n\"stage\": \"ResponseComplete\"\n}\n"))
	ids, errs = readAll(t, []string{filepath.Join(dir, "arr.json")}, Options{})
	if !slices.Equal(ids, []string{"g", "h", "i"}) || errs != nil {
		t.Fatalf("array: got %v %q", ids, errs)
	}
}

func TestDecodeList(t *testing.T) {
	body := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + ev("a") + `,{"auditID":"x"},` + ev("b") + `]}`
	evs, errs := DecodeList([]byte(body), "audit-webhook")
	if len(evs) != 2 || evs[1].AuditID != "b" || evs[1].Source.Index != 3 || len(errs) != 1 ||
		!strings.HasPrefix(errs[0].Error(), "audit-webhook event 2: ") {
		t.Fatalf("got %v %v", evs, errs)
	}
	if _, errs := DecodeList([]byte(`{"items":{}}`), "w"); len(errs) != 1 {
		t.Fatalf("items not an array: %v", errs)
	}
	if _, errs := DecodeList([]byte(`{"items":[]`), "w"); len(errs) != 1 {
		t.Fatalf("truncated: %v", errs)
	}
}

// TestFollow: a goroutine appends to the log (half lines too), rotates it (rename,
// new file) and truncates it; the reader sees every event once, in order, and stops
// when the context ends.
func TestFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	write(t, path, []byte(lines("a")))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := Open(ctx, []string{path}, Options{Follow: true, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	step := make(chan string)
	go func() {
		for s := range step {
			switch s {
			case "append":
				f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				line := ev("b")
				f.Write([]byte(line[:40]))
				f.Sync()
				time.Sleep(5 * time.Millisecond)
				f.Write([]byte(line[40:] + "\n" + ev("c") + "\n"))
				f.Close()
			case "rotate":
				f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				f.Write([]byte(ev("d") + "\n" + ev("e"))) // the last line of the old file has no newline
				f.Close()
				os.Rename(path, filepath.Join(dir, "audit-2026-12-01T10-00-00.000.log"))
				write(t, path, []byte(lines("f")))
			case "truncate":
				// Shorter than what was read: a truncation to a size at least as
				// large cannot be told from the file growing.
				os.WriteFile(path, []byte(`{"auditID":"g","stage":"ResponseComplete"}`+"\n"), 0o644)
			}
		}
	}()
	next := func() string {
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		return e.AuditID
	}
	var got []string
	got = append(got, next())
	step <- "append"
	got = append(got, next(), next())
	step <- "rotate"
	got = append(got, next(), next(), next())
	// Truncated to a shorter file: read again from its start.
	step <- "truncate"
	got = append(got, next())
	close(step)
	if want := []string{"a", "b", "c", "d", "e", "f", "g"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	done := make(chan error)
	go func() { _, err := r.Next(); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
}

// TestFollowDirectory: the rotated files are read, then the live one followed.
func TestFollowDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "audit-2026-12-01T09-00-00.000.log.gz"), gz(t, lines("a")))
	write(t, filepath.Join(dir, "audit.log"), []byte(lines("b")))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, []string{dir}, Options{Follow: true, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a", "b"} {
		e, err := r.Next()
		if err != nil || e.AuditID != want {
			t.Fatalf("got %v %v, want %s", e, err, want)
		}
	}
	f, _ := os.OpenFile(filepath.Join(dir, "audit.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(lines("c")))
	f.Close()
	if e, err := r.Next(); err != nil || e.AuditID != "c" {
		t.Fatalf("got %v %v", e, err)
	}
	cancel()
	if _, err := r.Next(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func TestOpenUnknownFormat(t *testing.T) {
	if _, err := Open(context.Background(), nil, Options{Format: "splunk"}); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// FuzzReader: any bytes, as a file or gzipped, in every format: no panic, no event
// without an auditID and a stage, every error located in the file.
func FuzzReader(f *testing.F) {
	f.Add([]byte(lines("a", "b")), uint8(0))
	f.Add([]byte(`{"kind":"EventList","items":[`+ev("a")+`]}`), uint8(0))
	f.Add([]byte("{\n\"items\": [\n"+ev("a")+"\n]}\n[1,2]"), uint8(0))
	f.Add([]byte(eksFilterLogEvents), uint8(2))
	f.Add([]byte(gkeSample), uint8(3))
	f.Add([]byte("["+gkeSample+"]"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		format := []Format{FormatAuto, FormatEvents, FormatEKS, FormatGKE}[mode%4]
		if mode&4 != 0 {
			data = gz(t, string(data))
		}
		r, err := Open(context.Background(), []string{"-"}, Options{Stdin: bytes.NewReader(data), Format: format, MaxLine: 1 << 16, MaxItems: 100})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if i > len(data)+10 {
				t.Fatal("more records than bytes")
			}
			var ie *InputError
			if errors.As(err, &ie) {
				if ie.File != Stdin {
					t.Fatalf("error not located: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.AuditID == "" || e.Stage == "" {
				t.Fatalf("event without auditID or stage: %+v", e)
			}
		}
	})
}

func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"kind":"EventList","items":[` + ev("a") + `,{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, errs := DecodeList(b, "w")
		for _, e := range evs {
			if e.AuditID == "" || e.Stage == "" || e.Source.Index == 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
		if len(evs)+len(errs) > len(b)+1 {
			t.Fatal("more results than bytes")
		}
	})
}

func ExampleOpen() {
	r, err := Open(context.Background(), []string{"-"}, Options{Stdin: strings.NewReader(ev("e1") + "\n")})
	if err != nil {
		panic(err)
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err) // an *InputError: go on
			continue
		}
		fmt.Println(e.Source, e.Verb, e.Resource(), e.User.Username)
	}
	// Output: <stdin>:1 list pods alice
}
