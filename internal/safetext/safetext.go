// Package safetext prints untrusted text (names, values and messages that come from
// manifests, charts, clusters and library errors) on terminals and in text files
// without letting it act as anything but text: control characters, ANSI escape
// sequences, bidirectional overrides and invalid UTF-8 are written Go-style ("\x1b",
// "\u202e"), so a manifest can neither rewrite the terminal nor forge report lines.
//
// Every text writer (the scan report, compliance views, the rbac and netpol views, the
// messages on standard error) prints through Fprintf, which escapes each string-like
// argument; the format string and Raw arguments, which the program writes itself
// (layout, colours), are printed as they are.
package safetext

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Raw is text the program wrote itself (an ANSI colour around text already escaped):
// Fprintf prints it unchanged.
type Raw string

// Escape returns s with every character that is not plain printable text written as
// a Go escape: C0 controls (newline and tab included: one value stays on one line),
// DEL, C1 controls, Unicode format characters (bidirectional overrides, zero-width
// characters), line and paragraph separators, and each byte of invalid UTF-8.
// Backslashes are left alone, so Escape(Escape(s)) == Escape(s) and text that went
// through it once can go through it again.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			b.WriteString(controlEscape(byte(r)))
		case unsafeRune(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether a character outside ASCII must be escaped.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func controlEscape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	return fmt.Sprintf(`\x%02x`, c)
}

// text is an untrusted argument of Fprintf: with %s and %v it formats as its escaped
// value with the flags of the directive (%-8s pads the escaped text); %q and %#v
// quote it Go-style, which escapes as well; other verbs format the original value.
type text struct {
	s string
	v any
}

func (t text) Format(f fmt.State, verb rune) {
	switch {
	case verb == 's' || (verb == 'v' && !f.Flag('#')):
		fmt.Fprintf(f, fmt.FormatString(f, verb), Escape(t.s))
	case verb == 'q' || verb == 'v':
		fmt.Fprintf(f, fmt.FormatString(f, verb), t.s)
	default:
		fmt.Fprintf(f, fmt.FormatString(f, verb), t.v)
	}
}

// wrap makes the string-like arguments untrusted text.
func wrap(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Raw:
			out[i] = string(v)
		case string:
			out[i] = text{v, v}
		case error:
			out[i] = text{v.Error(), v}
		case fmt.Stringer:
			out[i] = text{v.String(), v}
		case []string:
			ts := make([]text, len(v))
			for j, s := range v {
				ts[j] = text{s, s}
			}
			out[i] = ts
		default:
			out[i] = a
		}
	}
	return out
}

// Fprintf is fmt.Fprintf with every string, error, fmt.Stringer and []string argument
// escaped (see Escape); the format and Raw arguments are printed as they are.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, wrap(args)...)
}

// Fprintln is fmt.Fprintln with the arguments escaped as by Fprintf.
func Fprintln(w io.Writer, args ...any) (int, error) {
	return fmt.Fprintln(w, wrap(args)...)
}

// Sprintf is fmt.Sprintf with the arguments escaped as by Fprintf.
func Sprintf(format string, args ...any) string {
	return fmt.Sprintf(format, wrap(args)...)
}

// JSONWriter passes JSON through to w, writing the characters that Escape escapes and
// encoding/json leaves as they are (DEL, C1 controls, format characters such as
// bidirectional overrides, line and paragraph separators) as \u escapes: the same
// JSON values, safe to print on a terminal. The JSON must be valid UTF-8, as
// encoding/json writes it.
func JSONWriter(w io.Writer) io.Writer { return &jsonWriter{w: w} }

type jsonWriter struct {
	w io.Writer
	// partial is the start of a character that the last Write cut.
	partial []byte
}

func (j *jsonWriter) Write(p []byte) (int, error) {
	data := p
	if len(j.partial) > 0 {
		data = append(j.partial, p...)
		j.partial = nil
	}
	var out []byte
	start := 0
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(append(out, data[start:i]...), `\u007f`...)
				start = i + 1
			}
			i++
			continue
		}
		if !utf8.FullRune(data[i:]) {
			j.partial = append([]byte(nil), data[i:]...)
			data = data[:i]
			break
		}
		r, size := utf8.DecodeRune(data[i:])
		if size > 1 && unsafeRune(r) {
			out = append(out, data[start:i]...)
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			start = i + size
		}
		i += size
	}
	if out == nil {
		if _, err := j.w.Write(data); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if _, err := j.w.Write(append(out, data[start:]...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
