package dockerfile

import (
	"bytes"
	"errors"
	"testing"
)

const sample = `# syntax=docker/dockerfile:1
ARG BASE=golang
ARG TAG=1.22
FROM ${BASE}:${TAG} AS build
RUN apt-get update && \
    apt-get install -y git
COPY --chown=app . /src

FROM scratch
COPY --from=build /out /app
ENV A=1 B="two"
USER 1000
`

func TestParse(t *testing.T) {
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Args) != 2 || len(f.Stages) != 2 {
		t.Fatalf("args %d stages %d", len(f.Args), len(f.Stages))
	}
	b := f.Stages[0]
	if b.From != "${BASE}:${TAG}" || b.Base != "golang:1.22" || b.Name != "build" || b.Line != 4 {
		t.Errorf("stage 0: %+v", b)
	}
	if len(b.Instructions) != 2 {
		t.Fatalf("stage 0 instructions: %+v", b.Instructions)
	}
	run := b.Instructions[0]
	if run.Keyword != "RUN" || run.StartLine != 5 || run.EndLine != 6 {
		t.Errorf("run: %+v", run)
	}
	cp := b.Instructions[1]
	if cp.Keyword != "COPY" || cp.StartLine != 7 || len(cp.Flags) != 1 || cp.Flags[0] != "--chown=app" || len(cp.Args) != 2 {
		t.Errorf("copy: %+v", cp)
	}
	s := f.Stages[1]
	if s.Base != "scratch" || s.Line != 9 || len(s.Instructions) != 3 {
		t.Fatalf("stage 1: %+v", s)
	}
	env := s.Instructions[1]
	if env.Keyword != "ENV" || len(env.Args) != 4 || env.Args[0] != "A" || env.Args[1] != "1" || env.Args[2] != "B" || env.Args[3] != "two" || env.StartLine != 11 {
		t.Errorf("env: %+v", env)
	}
	if s.Instructions[2].Keyword != "USER" || s.Instructions[2].Args[0] != "1000" || s.Instructions[2].StartLine != 12 {
		t.Errorf("user: %+v", s.Instructions[2])
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		line int
	}{
		"run before from": {"ARG X\n\nRUN true\nFROM a\n", 3},
		"no from":         {"# nothing\n", 1},
		"bad from":        {"FROM a\nFROM b c d e\n", 2},
		"bad env":         {"FROM a\nENV A\n", 2},
	} {
		_, err := Parse([]byte(tc.src))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want *Error", name, err)
			continue
		}
		if e.Line != tc.line {
			t.Errorf("%s: line %d (%v), want %d", name, e.Line, err, tc.line)
		}
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"A": "x", "E": ""}
	for in, want := range map[string]string{
		"img:$A":         "img:x",
		"img:${A}":       "img:x",
		"img:${B:-1.0}":  "img:1.0",
		"img:${E:-d}":    "img:d",
		"img:${A:-d}":    "img:x",
		"img:${B}":       "img:",
		"plain":          "plain",
		"$":              "$",
		"a${unterminate": "a${unterminate",
	} {
		if got := Substitute(in, vars); got != want {
			t.Errorf("Substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dir/dockerfile": true, "Containerfile": true,
		"api.Dockerfile": true, "Dockerfile.prod": true, "Dockerfile.": false,
		".dockerfile": false, "Dockerfiles": false, "values.yaml": false, "dockerfile.go": false, "Dockerfile.dockerignore": false, "Dockerfile.j2": false,
	} {
		if got := IsDockerfileName(name); got != want {
			t.Errorf("IsDockerfileName(%q) = %v", name, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("FROM a\nRUN <<EOF\necho\nEOF\n"))
	f.Add([]byte("# escape=`\nFROM a\nRUN a `\n b\n"))
	f.Add([]byte("FROM a\nENV\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		file, err := Parse(data)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, s := range file.Stages {
			if s.Line < 1 || s.Line > lines {
				t.Fatalf("stage line %d of %d", s.Line, lines)
			}
			for _, in := range s.Instructions {
				if in.StartLine < 1 || in.EndLine < in.StartLine || in.EndLine > lines {
					t.Fatalf("%s lines %d-%d of %d", in.Keyword, in.StartLine, in.EndLine, lines)
				}
			}
		}
	})
}
