package cmdline

import (
	"strings"
	"testing"
)

// FuzzParse checks that any command line parses without panicking and that every flag
// points at the arguments it came from.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"--authorization-mode=Node,RBAC\n--profiling\n--etcd-servers\nhttps://127.0.0.1:2379",
		"-v=2\n-hv\n3\n--\n--x", "--=x", "---x", "-", "--a_b=c\nextra\n--d", "-client-cert-auth\nfalse\n--x",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	kind := func(n string) Kind {
		switch {
		case strings.HasPrefix(n, "b"), n == "h", n == "profiling":
			return Bool
		case strings.HasPrefix(n, "v"):
			return Value
		}
		return Unknown
	}
	f.Fuzz(func(t *testing.T, data string, goFlag bool) {
		args := strings.Split(data, "\n")
		syntax := PFlag
		if goFlag {
			syntax = GoFlag
		}
		fs := Parse(args, syntax, kind)
		last := -1
		for _, fl := range fs.List {
			if fl.Name == "" {
				t.Fatalf("empty flag name in %+v", fs.List)
			}
			if fl.Arg < last || fl.Arg < 0 || fl.ValueArg >= len(args) || fl.ValueArg-fl.Arg > 1 || fl.ValueArg < fl.Arg {
				t.Fatalf("flag %+v points outside its arguments (%d)", fl, len(args))
			}
			last = fl.Arg
			if fl.Implied && (fl.Value != "true" || fl.ValueArg != fl.Arg) {
				t.Fatalf("implied flag %+v", fl)
			}
			if syntax == PFlag && len(fl.Name) > 1 && strings.Contains(fl.Name, "_") {
				t.Fatalf("flag name %q not normalised", fl.Name)
			}
			if arg := args[fl.Arg]; !strings.Contains(arg, fl.Name) && !strings.Contains(normalise(arg), fl.Name) {
				t.Fatalf("flag %q not named in argument %q", fl.Name, args[fl.Arg])
			}
		}
		for _, v := range fs.List {
			_ = SplitList(v.Value)
		}
	})
}

// FuzzWords checks that splitting a script never panics and that quoting its words
// again yields the same words.
func FuzzWords(f *testing.F) {
	for _, s := range []string{
		"exec /usr/local/bin/kube-apiserver --a='x y' --b=\"p q\" 1>>/var/log/a.log 2>&1",
		"a \\\n b; c && d || e | f & g", "# c\n$(x 'y') ${z} `w`", "'", "\"\\", "$(", "${a", "`",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		words := Words(script)
		var b strings.Builder
		for _, w := range words {
			if w.Op {
				b.WriteString(w.Text)
			} else {
				b.WriteString("'" + strings.ReplaceAll(w.Text, "'", `'\''`) + "'")
			}
			b.WriteByte(' ')
		}
		again := Words(b.String())
		if len(again) != len(words) {
			t.Fatalf("%q: words %+v, requoted %q gives %+v", script, words, b.String(), again)
		}
		for i := range words {
			if words[i] != again[i] {
				t.Fatalf("%q: word %d %+v, requoted gives %+v", script, i, words[i], again[i])
			}
		}
	})
}
