// Package dockerfile parses Dockerfiles (and Containerfiles) with BuildKit's own
// parser into a small typed model: stages with their base image, instructions with
// their keyword, flags, arguments and lines. It imports nothing of Palisade.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// File is a parsed Dockerfile.
type File struct {
	// Args are the ARG instructions before the first FROM (global build arguments),
	// which FROM lines may substitute.
	Args []Instruction
	// Stages are the build stages, in order; the last is the image built.
	Stages []Stage
}

// Stage is one FROM and the instructions that follow it.
type Stage struct {
	// From is the image reference as written; Base is From with the defaults of the
	// global ARGs substituted ($NAME, ${NAME}, ${NAME:-default}).
	From, Base string
	// Name is the stage's name (FROM image AS name), or "".
	Name string
	// Line is the line of the FROM instruction.
	Line int
	// FromFlags are the flags of the FROM instruction (--platform=...).
	FromFlags []string
	// Instructions are the instructions of the stage, FROM excluded.
	Instructions []Instruction
}

// Instruction is one instruction.
type Instruction struct {
	// Keyword is the instruction's keyword in upper case (RUN, COPY, ...).
	Keyword string
	// Original is the instruction's text as written (continuations joined).
	Original string
	// Flags are the instruction's flags as written (--from=build, --chown=...).
	Flags []string
	// Args are the instruction's arguments: for ENV, name and value alternate; for
	// ARG, each is NAME or NAME=value; for RUN in shell form, one string.
	Args []string
	// Heredocs are the contents of the instruction's here-documents, if any.
	Heredocs []string
	// StartLine and EndLine are the instruction's first and last lines (1-based).
	StartLine, EndLine int
}

// Error is a Dockerfile that does not parse, at a line (0 when unknown).
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// MaxSize bounds the input Parse reads; callers bound it first with their own limit.
const MaxSize = 16 << 20

// IsDockerfileName reports whether a file name is a Dockerfile's: Dockerfile,
// Containerfile, *.Dockerfile, Dockerfile.* (case-insensitive).
func IsDockerfileName(path string) bool {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case name == "dockerfile", name == "containerfile":
		return true
	case strings.HasSuffix(name, ".dockerfile") && len(name) > len(".dockerfile"):
		return true
	}
	for _, p := range []string{"dockerfile.", "containerfile."} {
		if ext, ok := strings.CutPrefix(name, p); ok && ext != "" {
			return !notDockerfileExt[ext]
		}
	}
	return false
}

// notDockerfileExt are the suffixes of Dockerfile.* names that are other files: a
// per-Dockerfile ignore file, source code and documents about Dockerfiles.
var notDockerfileExt = map[string]bool{
	"dockerignore": true, "go": true, "md": true, "txt": true, "yaml": true, "yml": true,
	"json": true, "sh": true, "py": true, "js": true, "ts": true, "rb": true, "bak": true,
	"orig": true, "swp": true, "tmpl": true, "tpl": true, "j2": true, "template": true, "erb": true,
}

// Parse parses a Dockerfile. An instruction before the first FROM other than ARG,
// a FROM without an image, and input BuildKit refuses are errors (*Error).
func Parse(data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, &Error{Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, parseError(err)
	}
	f := &File{}
	for _, n := range res.AST.Children {
		in := instruction(n)
		if in.Keyword == "FROM" {
			st, err := stage(in, f.Args)
			if err != nil {
				return nil, err
			}
			f.Stages = append(f.Stages, st)
			continue
		}
		if len(f.Stages) == 0 {
			if in.Keyword != "ARG" {
				return nil, &Error{Line: in.StartLine, Msg: in.Keyword + " before the first FROM"}
			}
			f.Args = append(f.Args, in)
			continue
		}
		last := &f.Stages[len(f.Stages)-1]
		last.Instructions = append(last.Instructions, in)
	}
	if len(f.Stages) == 0 {
		return nil, &Error{Line: 1, Msg: "no FROM instruction"}
	}
	return f, nil
}

// parseError gives BuildKit's error its line.
func parseError(err error) error {
	e := &Error{Msg: err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, rs := range le.Locations {
			for _, r := range rs {
				if r.Start.Line > 0 {
					e.Line = r.Start.Line
					break
				}
			}
			if e.Line > 0 {
				break
			}
		}
		if le.Unwrap() != nil {
			e.Msg = le.Unwrap().Error()
		}
	}
	return e
}

func instruction(n *parser.Node) Instruction {
	in := Instruction{
		Keyword:   strings.ToUpper(n.Value),
		Original:  n.Original,
		Flags:     append([]string(nil), n.Flags...),
		StartLine: n.StartLine,
		EndLine:   n.EndLine,
	}
	for a := n.Next; a != nil; a = a.Next {
		in.Args = append(in.Args, a.Value)
	}
	if in.Keyword == "ENV" || in.Keyword == "LABEL" {
		// BuildKit chains name, value, separator triples.
		var kv []string
		for i := 0; i+1 < len(in.Args); i += 3 {
			kv = append(kv, in.Args[i], Unquote(in.Args[i+1]))
		}
		in.Args = kv
	}
	for _, h := range n.Heredocs {
		in.Heredocs = append(in.Heredocs, h.Content)
	}
	return in
}

func stage(in Instruction, globals []Instruction) (Stage, error) {
	st := Stage{Line: in.StartLine, FromFlags: in.Flags}
	switch {
	case len(in.Args) == 1:
	case len(in.Args) == 3 && strings.EqualFold(in.Args[1], "AS"):
		st.Name = strings.ToLower(in.Args[2])
	default:
		return st, &Error{Line: in.StartLine, Msg: "FROM takes an image and an optional AS name"}
	}
	st.From = in.Args[0]
	st.Base = Substitute(st.From, ArgDefaults(globals))
	return st, nil
}

// ArgDefaults maps the names of ARG instructions to their default values (an ARG
// without a default maps to "", and a later ARG overrides an earlier).
func ArgDefaults(args []Instruction) map[string]string {
	m := map[string]string{}
	for _, in := range args {
		if in.Keyword != "ARG" {
			continue
		}
		for _, a := range in.Args {
			name, val, _ := strings.Cut(a, "=")
			m[name] = Unquote(val)
		}
	}
	return m
}

// Unquote removes one pair of matching quotes around s.
func Unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// Substitute replaces $NAME, ${NAME}, ${NAME:-word} and ${NAME-word} in s by the
// values of vars (unknown names by "" or the word).
func Substitute(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		if s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				break
			}
			expr := s[i+2 : i+end]
			i += end + 1
			name, word, hasWord := expr, "", false
			if k := strings.IndexAny(expr, ":-+?"); k >= 0 {
				name = expr[:k]
				word = strings.TrimLeft(expr[k:], ":")
				if strings.HasPrefix(word, "-") {
					word, hasWord = word[1:], true
				}
			}
			v, ok := vars[name]
			if (!ok || v == "") && hasWord {
				v = word
			}
			b.WriteString(v)
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j == i+1 {
			b.WriteByte(c)
			i++
			continue
		}
		b.WriteString(vars[s[i+1:j]])
		i = j
	}
	return b.String()
}
