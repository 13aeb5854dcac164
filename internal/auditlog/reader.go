package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Stdin is the name standard input goes by ("-" on the command line).
const Stdin = "<stdin>"

// DefaultMaxLine bounds one event (one line of a log): an event at RequestResponse
// level carries whole objects, and the API server bounds requests at 3 MiB.
const DefaultMaxLine = 16 << 20

// Options change how a Reader reads.
type Options struct {
	// Format forces a format; FormatAuto decides per file.
	Format Format
	// Follow keeps reading the last file as it grows (tail -f), until the context
	// ends; only with one file.
	Follow bool
	// MaxLine bounds one record (DefaultMaxLine when 0).
	MaxLine int
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// InputError is a record that could not be read: where, and why. A Reader returns
// it from Next and goes on with the next record.
type InputError struct {
	Location
	Err error
}

func (e *InputError) Error() string { return e.Location.String() + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Reader yields the events of files, directories (their files in name order,
// rotated logs before the live one) and standard input, one at a time: memory does
// not grow with the number of events.
type Reader struct {
	ctx   context.Context
	opts  Options
	files []string
	cur   *fileReader
	next  int

	// Events counts the events returned, Errors the input errors.
	Events, Errors int
}

// Open lists the inputs; nothing is read until Next. A path that does not exist is
// an error here.
func Open(ctx context.Context, paths []string, opts Options) (*Reader, error) {
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	r := &Reader{ctx: ctx, opts: opts}
	for _, p := range paths {
		if p == "-" {
			r.files = append(r.files, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			r.files = append(r.files, p)
			continue
		}
		var in []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				in = append(in, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(in)
		r.files = append(r.files, in...)
	}
	if opts.Follow && len(r.files) != 1 {
		return nil, errors.New("--follow reads exactly one file")
	}
	return r, nil
}

// Files returns the files the reader reads, in order.
func (r *Reader) Files() []string { return r.files }

// Next returns the next event, an *InputError for a record that could not be read
// (call Next again), or io.EOF at the end. Other errors end the read.
func (r *Reader) Next() (*Event, error) {
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
		if r.cur == nil {
			if r.next >= len(r.files) {
				return nil, io.EOF
			}
			f, err := r.openFile(r.files[r.next])
			r.next++
			if err != nil {
				r.Errors++
				return nil, &InputError{Location: Location{File: r.files[r.next-1]}, Err: err}
			}
			r.cur = f
		}
		ev, err := r.cur.next()
		if err == io.EOF {
			r.cur.close()
			r.cur = nil
			continue
		}
		var ie *InputError
		if errors.As(err, &ie) {
			r.Errors++
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		r.Events++
		return ev, nil
	}
}

// Close releases the file being read.
func (r *Reader) Close() error {
	if r.cur != nil {
		r.cur.close()
		r.cur = nil
	}
	return nil
}

type fileReader struct {
	name   string
	closer []io.Closer
	sc     *bufio.Scanner
	line   int
}

func (r *Reader) openFile(name string) (*fileReader, error) {
	fr := &fileReader{name: name}
	var in io.Reader
	if name == "-" {
		fr.name = Stdin
		in = r.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		fr.closer = append(fr.closer, f)
		in = f
	}
	br := bufio.NewReaderSize(in, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			fr.close()
			return nil, fmt.Errorf("gzip: %w", err)
		}
		fr.closer = append(fr.closer, zr)
		in = zr
	} else {
		in = br
	}
	fr.sc = bufio.NewScanner(in)
	fr.sc.Buffer(make([]byte, 0, 64<<10), r.opts.MaxLine)
	return fr, nil
}

func (f *fileReader) next() (*Event, error) {
	for f.sc.Scan() {
		f.line++
		b := bytes.TrimSpace(f.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		loc := Location{File: f.name, Line: f.line, Format: FormatEvents}
		ev, err := Decode(b, loc)
		if err != nil {
			return nil, &InputError{Location: loc, Err: err}
		}
		return ev, nil
	}
	if err := f.sc.Err(); err != nil {
		loc := Location{File: f.name, Line: f.line + 1}
		if errors.Is(err, bufio.ErrTooLong) {
			err = errors.New("record longer than the line bound")
		}
		// The rest of the file cannot be cut into lines: report it once, then stop.
		f.sc = bufio.NewScanner(strings.NewReader(""))
		return nil, &InputError{Location: loc, Err: err}
	}
	return nil, io.EOF
}

func (f *fileReader) close() {
	for i := len(f.closer) - 1; i >= 0; i-- {
		f.closer[i].Close()
	}
}

// Decode reads one audit.k8s.io/v1 Event (one line of the log backend).
func Decode(b []byte, loc Location) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, fmt.Errorf("not an audit event: %w", err)
	}
	if ev.AuditID == "" || ev.Stage == "" {
		return nil, errors.New("not an audit event: no auditID or stage")
	}
	ev.Source = loc
	return &ev, nil
}

// DecodeList reads an audit.k8s.io/v1 EventList (the webhook backend's body). The
// events that decode are returned with the errors of those that did not.
func DecodeList(body []byte, file string) ([]*Event, []error) {
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, []error{&InputError{Location: Location{File: file}, Err: fmt.Errorf("not an EventList: %w", err)}}
	}
	var evs []*Event
	var errs []error
	for i, raw := range list.Items {
		loc := Location{File: file, Index: i + 1, Format: FormatEvents}
		ev, err := Decode(raw, loc)
		if err != nil {
			errs = append(errs, &InputError{Location: loc, Err: err})
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs
}
