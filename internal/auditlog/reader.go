package auditlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Stdin is the name standard input goes by ("-" on the command line).
const Stdin = "<stdin>"

// Bounds of the input. Every one can be changed in Options.
const (
	// DefaultMaxLine bounds one record (a line, or one element of a document): an
	// event at RequestResponse level carries whole objects, and the API server bounds
	// requests at 3 MiB.
	DefaultMaxLine = 16 << 20
	// DefaultMaxItems bounds the events of one document (an EventList, a CloudWatch
	// export, a gcloud array, one line holding several).
	DefaultMaxItems = 1 << 20
	// DefaultMaxGzipRatio bounds how much a .gz file may expand: past 64 MiB out,
	// the output may not be more than this many times the input read (audit logs
	// compress 10 to 30 times; a deflate stream of zeros, about 1000 times).
	DefaultMaxGzipRatio = 200
	// DefaultPoll is how often Follow looks for new data.
	DefaultPoll = 250 * time.Millisecond
)

// gzipSlack is the output a .gz file may produce before its ratio is checked.
const gzipSlack = 64 << 20

// Options change how a Reader reads.
type Options struct {
	// Format forces a format; FormatAuto decides per file from its first record.
	Format Format
	// Follow keeps reading the last input as it grows (tail -F: across rotation and
	// truncation), until the context ends. The other inputs are read first.
	Follow bool
	// MaxLine bounds one record (DefaultMaxLine when 0).
	MaxLine int
	// MaxItems bounds the events of one document (DefaultMaxItems when 0).
	MaxItems int
	// MaxGzipRatio bounds the expansion of a .gz file (DefaultMaxGzipRatio when 0).
	MaxGzipRatio int
	// Poll is how often Follow looks for new data (DefaultPoll when 0).
	Poll time.Duration
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

// Reader yields the events of files, directories (their files in rotation order:
// rotated logs oldest first, then the live one) and standard input, one at a time:
// memory does not grow with the number of events.
type Reader struct {
	ctx   context.Context
	opts  Options
	files []string
	cur   *fileReader
	next  int
	dec   *Decoder

	// Events counts the events returned, Errors the input errors, Skipped the
	// records that are not Kubernetes API events (CloudWatch control messages, GKE
	// entries of other services).
	Events, Errors, Skipped int
}

// Open lists the inputs; nothing is read until Next. A path that does not exist is
// an error here.
func Open(ctx context.Context, paths []string, opts Options) (*Reader, error) {
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	if opts.MaxGzipRatio <= 0 {
		opts.MaxGzipRatio = DefaultMaxGzipRatio
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	switch opts.Format {
	case FormatAuto, FormatEvents, FormatEKS, FormatGKE:
	default:
		return nil, fmt.Errorf("unknown audit log format %q (want events, eks or gke)", opts.Format)
	}
	r := &Reader{ctx: ctx, opts: opts, dec: NewDecoder()}
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
			if path != p && len(d.Name()) > 0 && d.Name()[0] == '.' {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				in = append(in, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		SortRotated(in)
		r.files = append(r.files, in...)
	}
	return r, nil
}

// Files returns the files the reader reads, in order.
func (r *Reader) Files() []string { return r.files }

// Next returns the next event, an *InputError for a record that could not be read
// (call Next again), or io.EOF at the end. With Follow, Next waits for new events
// and returns the context's error when it ends. Other errors end the read.
func (r *Reader) Next() (*Event, error) {
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
		if r.cur == nil {
			if r.next >= len(r.files) {
				return nil, io.EOF
			}
			name := r.files[r.next]
			r.next++
			follow := r.opts.Follow && r.next == len(r.files)
			f, err := r.openFile(name, follow)
			if err != nil {
				r.Errors++
				return nil, &InputError{Location: Location{File: displayName(name)}, Err: err}
			}
			r.cur = f
		}
		ev, err := r.cur.next()
		switch {
		case err == nil:
			r.Events++
			return ev, nil
		case err == io.EOF:
			r.cur.close()
			r.cur = nil
		case err == errSkipped:
			r.Skipped++
		default:
			var ie *InputError
			if errors.As(err, &ie) {
				r.Errors++
			}
			return nil, err
		}
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

func displayName(name string) string {
	if name == "-" {
		return Stdin
	}
	return name
}

// errSkipped is a record that is not a Kubernetes API event.
var errSkipped = errors.New("skipped")

// item is an event, or the error of a record, waiting to be returned.
type item struct {
	ev  *Event
	err error
}

// fileReader reads the records of one input: JSON lines, or a stream of JSON
// documents, decided from the first bytes.
type fileReader struct {
	r      *Reader
	name   string // as given (for Follow)
	show   string // as printed
	format Format
	file   *os.File
	closer []io.Closer
	lines  *lineReader
	docs   *docReader
	follow bool
	// rotated: the followed file was rotated; the rest of the old one is read
	// before the new one is opened.
	rotated bool
	offset  int64 // bytes of the file consumed, for Follow
	queue   []item
	done    bool
}

func (r *Reader) openFile(name string, follow bool) (*fileReader, error) {
	fr := &fileReader{r: r, name: name, show: displayName(name), format: r.opts.Format}
	var in io.Reader
	if name == "-" {
		in = r.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		fr.file = f
		fr.closer = append(fr.closer, f)
		in = f
	}
	if err := fr.start(in, follow); err != nil {
		fr.close()
		return nil, err
	}
	return fr, nil
}

// start looks at the first bytes: gzip is unpacked; a record that does not end on
// its first line (a pretty-printed document) or an array makes the input a stream
// of documents, else it is read line by line.
func (fr *fileReader) start(in io.Reader, follow bool) error {
	counted := &countingReader{r: in}
	br := bufio.NewReaderSize(counted, 64<<10)
	src := io.Reader(br)
	gz := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := newGzipReader(br, counted, fr.r.opts.MaxGzipRatio)
		if err != nil {
			return err
		}
		fr.closer = append(fr.closer, zr)
		src = zr
		gz = true
	}
	fr.follow = follow && !gz && fr.file != nil
	lr := newLineReader(src, fr.r.opts.MaxLine)
	if fr.follow {
		lr.onRead = func(n int) { fr.offset += int64(n) }
		lr.follow = true
	}
	fr.lines = lr
	// A document: the first byte is '[', or the first record spans lines.
	if c, ok := lr.firstByte(); ok && (c == '[' || (c == '{' && !lr.jsonLines())) {
		fr.docs = newDocReader(lr, fr.r.opts.MaxLine, fr.r.opts.MaxItems)
		fr.lines = nil
		fr.follow = false
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (fr *fileReader) close() {
	for i := len(fr.closer) - 1; i >= 0; i-- {
		fr.closer[i].Close()
	}
	fr.closer = nil
}

func (fr *fileReader) next() (*Event, error) {
	for {
		if len(fr.queue) > 0 {
			it := fr.queue[0]
			fr.queue[0] = item{}
			fr.queue = fr.queue[1:]
			return it.ev, it.err
		}
		if fr.done {
			return nil, io.EOF
		}
		if fr.docs != nil {
			rec, line, index, err := fr.docs.next()
			if err == io.EOF {
				fr.done = true
				continue
			}
			loc := Location{File: fr.show, Line: line, Index: index}
			if err != nil {
				fr.queue = append(fr.queue, item{err: &InputError{Location: loc, Err: err}})
				if fr.docs.broken {
					fr.done = true
				}
				continue
			}
			fr.record(rec, loc)
			continue
		}
		b, line, err := fr.lines.next()
		switch {
		case err == nil:
			fr.record(b, Location{File: fr.show, Line: line})
		case err == io.EOF && fr.rotated:
			fr.reopen()
		case err == io.EOF && fr.follow:
			if err := fr.wait(); err != nil {
				return nil, err
			}
		case err == io.EOF:
			fr.done = true
		case errors.Is(err, errTooLong):
			fr.queue = append(fr.queue, item{err: &InputError{Location: Location{File: fr.show, Line: line}, Err: err}})
		default:
			// A read error (a corrupt gzip stream, a bound): the rest of the input
			// cannot be cut into records; report it once and stop.
			fr.queue = append(fr.queue, item{err: &InputError{Location: Location{File: fr.show, Line: line}, Err: err}})
			fr.done = true
		}
	}
}

// record decodes one record (a line or a document element) in the file's format,
// deciding the format from the first record when not forced.
func (fr *fileReader) record(b []byte, loc Location) {
	b = trimSpace(b)
	if len(b) == 0 {
		return
	}
	if fr.format == FormatAuto {
		fr.format = Detect(b)
	}
	loc.Format = fr.format
	n := len(fr.queue)
	switch fr.format {
	case FormatEKS:
		fr.r.dec.eks(b, loc, fr.r.opts.MaxItems, &fr.queue)
	case FormatGKE:
		fr.r.dec.gke(b, loc, &fr.queue)
	default:
		fr.r.dec.events(b, loc, fr.r.opts.MaxItems, &fr.queue)
	}
	if len(fr.queue) == n {
		fr.queue = append(fr.queue, item{err: errSkipped})
	}
}

// wait sleeps until the followed file has more data, was rotated (a new file under
// its name: the rest of the old one was read, read the new one from its start) or
// truncated (read it again from its start), or the context ends.
func (fr *fileReader) wait() error {
	t := time.NewTimer(fr.r.opts.Poll)
	defer t.Stop()
	select {
	case <-fr.r.ctx.Done():
		return fr.r.ctx.Err()
	case <-t.C:
	}
	cur, err := fr.file.Stat()
	if err != nil {
		return nil
	}
	st, err := os.Stat(fr.name)
	if err != nil {
		return nil // rotated away and not yet recreated
	}
	if !os.SameFile(cur, st) {
		// Rotated: read the rest of the old file, its last line too, then the new.
		fr.rotated = true
		fr.lines.follow = false
		return nil
	}
	if st.Size() < fr.offset {
		if _, err := fr.file.Seek(0, io.SeekStart); err == nil {
			fr.offset = 0
			fr.lines.reset(fr.file)
		}
	}
	return nil
}

// reopen opens the file that replaced the followed one.
func (fr *fileReader) reopen() {
	fr.rotated = false
	fr.lines.follow = true
	f, err := os.Open(fr.name)
	if err != nil {
		return // wait and try again
	}
	fr.close()
	fr.file = f
	fr.closer = []io.Closer{f}
	fr.offset = 0
	fr.lines.reset(f)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Detect returns the format of a record: a Cloud Logging LogEntry (protoPayload) is
// GKE, a CloudWatch Logs record or export (message, events, logEvents) is EKS,
// anything else audit.k8s.io/v1 Events.
func Detect(rec []byte) Format {
	var s scanner
	s.reset(rec)
	c := s.peek()
	if c == '[' {
		if s.beginArray() != nil {
			return FormatEvents
		}
		first := true
		if ok, err := s.nextElem(&first); err != nil || !ok {
			return FormatEvents
		}
		start := s.pos
		if s.skip() != nil {
			return FormatEvents
		}
		return Detect(rec[start:s.pos])
	}
	if s.beginObject() != nil {
		return FormatEvents
	}
	format := FormatEvents
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return format
		}
		switch string(key) {
		case "protoPayload":
			return FormatGKE
		case "auditID", "stage", "items":
			return FormatEvents
		case "message", "logEvents", "logStreamName", "messageType", "ingestionTime":
			format = FormatEKS
		case "events":
			if s.peek() == '[' {
				// A CloudWatch filter-log-events export: its events are records.
				format = FormatEKS
			}
		}
		if s.skip() != nil {
			return format
		}
	}
}
