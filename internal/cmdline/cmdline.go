// Package cmdline reads a command line the way the Kubernetes control-plane binaries
// parse theirs: spf13/pflag for kube-apiserver, kube-controller-manager and
// kube-scheduler, Go's flag package for etcd. It also splits the shell scripts some
// manifests wrap a binary in. Everything here is a pure function of its input.
package cmdline

import (
	"encoding/csv"
	"strings"
)

// Syntax is the flag parser a binary uses.
type Syntax int

const (
	// PFlag is spf13/pflag with the Kubernetes word-separator normaliser: "--a_b" is
	// "--a-b", non-flag arguments do not stop parsing, and "--" does.
	PFlag Syntax = iota
	// GoFlag is Go's flag package (etcd): "-name" and "--name" are the same flag, and
	// parsing stops at the first argument that is not a flag, or after "--".
	GoFlag
)

// Kind says how a flag takes its value.
type Kind int

const (
	// Unknown flags take the next argument as their value unless it looks like a
	// flag (or there is none), in which case they are read as a boolean set alone.
	Unknown Kind = iota
	// Value flags always take a value: "--name=v" or "--name v".
	Value
	// Bool flags take a value only after "=": "--name" alone means true.
	Bool
)

// Flag is one occurrence of a flag.
type Flag struct {
	// Name is the flag name without dashes, normalised as the binary normalises it.
	Name string
	// Value is the value given, or "true" for a boolean flag given alone.
	Value string
	// Implied is true when the value was not written (a boolean flag given alone).
	Implied bool
	// Arg is the index of the argument that names the flag; ValueArg that of the
	// argument holding the value (Arg itself, or Arg+1 for "--name value").
	Arg, ValueArg int
}

// Flags is a parsed command line.
type Flags struct {
	// List holds every flag occurrence in order.
	List []Flag
	// Err is set when the binary would refuse the command line (bad flag syntax, a
	// flag without its value); parsing stopped at that argument.
	Err string
}

// Last returns the last occurrence of a flag: for a scalar flag, the one that wins.
func (fs *Flags) Last(name string) (Flag, bool) {
	for i := len(fs.List) - 1; i >= 0; i-- {
		if fs.List[i].Name == name {
			return fs.List[i], true
		}
	}
	return Flag{}, false
}

// All returns every occurrence of a flag in order. List flags (pflag string slices)
// accumulate them: the first replaces the default, later ones append.
func (fs *Flags) All(name string) []Flag {
	var out []Flag
	for _, f := range fs.List {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// Parse reads the flags of args, the arguments after the binary's name. kind says
// how each flag (by normalised name) takes its value.
func Parse(args []string, syntax Syntax, kind func(name string) Kind) *Flags {
	if kind == nil {
		kind = func(string) Kind { return Unknown }
	}
	if syntax == GoFlag {
		return parseGo(args, kind)
	}
	return parsePFlag(args, kind)
}

// parsePFlag follows pflag's FlagSet.Parse with interspersed arguments allowed.
func parsePFlag(args []string, kind func(string) Kind) *Flags {
	fs := &Flags{}
	for i := 0; i < len(args); i++ {
		s := args[i]
		if len(s) < 2 || s[0] != '-' {
			continue // a positional argument; parsing goes on
		}
		if s[1] != '-' {
			next, ok := fs.shorthands(args, i, kind)
			if !ok {
				return fs
			}
			i = next
			continue
		}
		if len(s) == 2 {
			return fs // "--" ends the flags
		}
		name := s[2:]
		if name[0] == '-' || name[0] == '=' {
			fs.Err = "bad flag syntax: " + s
			return fs
		}
		name, value, hasValue := strings.Cut(name, "=")
		name = normalise(name)
		f := Flag{Name: name, Value: value, Arg: i, ValueArg: i}
		if !hasValue && !takeValue(args, &i, &f, kind(name)) {
			fs.Err = "flag needs an argument: " + s
			return fs
		}
		fs.List = append(fs.List, f)
	}
	return fs
}

// shorthands reads a group of one-letter flags ("-v=2", "-v 2", "-hv2") at args[i]
// and returns the index of the last argument it used.
func (fs *Flags) shorthands(args []string, i int, kind func(string) Kind) (int, bool) {
	sh := args[i][1:]
	for len(sh) > 0 {
		f := Flag{Name: sh[:1], Arg: i, ValueArg: i}
		switch k := kind(f.Name); {
		case len(sh) > 2 && sh[1] == '=':
			f.Value, sh = sh[2:], ""
		case k == Bool || k == Unknown && len(sh) == 1 && (i+1 >= len(args) || looksLikeFlag(args[i+1])):
			f.Value, f.Implied, sh = "true", true, sh[1:]
		case len(sh) > 1:
			f.Value, sh = sh[1:], ""
		case i+1 < len(args):
			f.Value, f.ValueArg, sh = args[i+1], i+1, ""
		default:
			fs.Err = "flag needs an argument: " + args[i]
			return i, false
		}
		fs.List = append(fs.List, f)
	}
	if n := len(fs.List); n > 0 && fs.List[n-1].ValueArg > i {
		return fs.List[n-1].ValueArg, true
	}
	return i, true
}

// parseGo follows Go's flag.FlagSet.Parse.
func parseGo(args []string, kind func(string) Kind) *Flags {
	fs := &Flags{}
	for i := 0; i < len(args); i++ {
		s := args[i]
		if len(s) < 2 || s[0] != '-' {
			return fs // the first non-flag argument ends the flags
		}
		dashes := 1
		if s[1] == '-' {
			dashes++
			if len(s) == 2 {
				return fs
			}
		}
		name := s[dashes:]
		if name == "" || name[0] == '-' || name[0] == '=' {
			fs.Err = "bad flag syntax: " + s
			return fs
		}
		name, value, hasValue := strings.Cut(name, "=")
		f := Flag{Name: name, Value: value, Arg: i, ValueArg: i}
		if !hasValue && !takeValue(args, &i, &f, kind(name)) {
			fs.Err = "flag needs an argument: " + s
			return fs
		}
		fs.List = append(fs.List, f)
	}
	return fs
}

// takeValue completes a flag written without "=", as both flag packages do: a bool
// flag, or an unknown one followed by another flag or by nothing, is implied true;
// any other takes the next argument, advancing *i. It is false when no argument is
// left for a flag that needs one.
func takeValue(args []string, i *int, f *Flag, k Kind) bool {
	switch {
	case k == Bool || k == Unknown && (*i+1 >= len(args) || looksLikeFlag(args[*i+1])):
		f.Value, f.Implied = "true", true
	case *i+1 < len(args):
		*i++
		f.Value, f.ValueArg = args[*i], *i
	default:
		return false
	}
	return true
}

// normalise applies the Kubernetes flag normaliser: underscores read as dashes.
func normalise(name string) string {
	return strings.ReplaceAll(name, "_", "-")
}

func looksLikeFlag(s string) bool {
	return len(s) > 1 && s[0] == '-'
}

// SplitList splits the value of a list flag as pflag's string slices do: as one line
// of comma-separated values, in which double quotes may enclose commas. An empty
// value is an empty list. A value that is not valid CSV (pflag then fails) is split
// on commas.
func SplitList(v string) []string {
	if v == "" {
		return nil
	}
	r := csv.NewReader(strings.NewReader(v))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return strings.Split(v, ",")
	}
	return rec
}
