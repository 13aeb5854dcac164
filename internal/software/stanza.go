package software

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Stanzas reads a package database made of stanzas: runs of lines separated by
// blank lines (dpkg's status, apk's installed), within bounds.
type Stanzas struct {
	MaxFile int64  // bytes read from the file
	MaxLine int    // bytes in one line
	Max     int    // stanzas in the file
	Noun    string // what a stanza is, in the error of the Max bound ("stanzas", "packages")
	// Blank says whether a line (without its "\r") separates stanzas; nil: an
	// empty line.
	Blank func(line []byte) bool
}

// Read calls line for each line of a stanza, without its "\r", with its number
// (from 1) and whether it starts the stanza, and end after the last line of each
// stanza. The error is what stopped the read: an I/O error, a bound, ctx.
func (s Stanzas) Read(ctx context.Context, r io.Reader, line func(n int, line []byte, start bool), end func()) error {
	lr := &io.LimitedReader{R: r, N: s.MaxFile + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), s.MaxLine)
	var (
		started bool
		n       int
		stanzas int
	)
	flush := func() {
		if !started {
			return
		}
		started = false
		stanzas++
		end()
	}
	for sc.Scan() {
		n++
		l := sc.Bytes()
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if s.Blank == nil && len(l) == 0 || s.Blank != nil && s.Blank(l) {
			flush()
			if stanzas >= s.Max {
				return fmt.Errorf("line %d: more than %d %s", n, s.Max, s.Noun)
			}
			if stanzas%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		line(n, l, !started)
		started = true
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, s.MaxLine)
		}
		return err
	}
	if lr.N <= 0 {
		return fmt.Errorf("larger than %d bytes", s.MaxFile)
	}
	flush()
	return nil
}

// LineError is a malformed line or stanza of a file.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// FileProblems are the problems of the file abs read in part: its malformed lines,
// then err, what stopped the read (if not nil).
func FileProblems(abs string, bad []LineError, err error) []Problem {
	var probs []Problem
	for _, b := range bad {
		probs = append(probs, Problem{Path: abs, Err: b.Error()})
	}
	if err != nil {
		probs = append(probs, Problem{Path: abs, Err: err.Error()})
	}
	return probs
}

// OpenDatabase opens the package database name of fsys (OpenFile): nil, nil when
// it does not exist; a Problem naming it when it cannot be opened.
func OpenDatabase(fsys fs.FS, name string) (fs.File, []Problem) {
	f, err := OpenFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Problem{{Path: "/" + name, Err: err.Error()}}
	}
	return f, nil
}
