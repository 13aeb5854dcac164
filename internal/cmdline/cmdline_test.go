package cmdline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func kinds(m map[string]Kind) func(string) Kind {
	return func(n string) Kind { return m[n] }
}

// render prints flags compactly: name=value (implied values with a *), @arg/valueArg.
func render(fs *Flags) string {
	var b []string
	for _, f := range fs.List {
		v := f.Value
		if f.Implied {
			v += "*"
		}
		pos := fmt.Sprint(f.Arg)
		if f.ValueArg != f.Arg {
			pos += "/" + fmt.Sprint(f.ValueArg)
		}
		b = append(b, f.Name+"="+v+"@"+pos)
	}
	if fs.Err != "" {
		b = append(b, "ERR "+fs.Err)
	}
	return strings.Join(b, " ")
}

func TestParsePFlag(t *testing.T) {
	k := kinds(map[string]Kind{"profiling": Bool, "anonymous-auth": Bool, "h": Bool, "v": Value, "etcd-servers": Value, "authorization-mode": Value})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"equals", []string{"--authorization-mode=Node,RBAC"}, "authorization-mode=Node,RBAC@0"},
		{"separate value", []string{"--etcd-servers", "https://127.0.0.1:2379"}, "etcd-servers=https://127.0.0.1:2379@0/1"},
		{"value that looks like a flag is still taken", []string{"--etcd-servers", "--profiling"}, "etcd-servers=--profiling@0/1"},
		{"bool alone", []string{"--profiling", "--anonymous-auth=false"}, "profiling=true*@0 anonymous-auth=false@1"},
		{"bool does not take the next argument", []string{"--profiling", "false"}, "profiling=true*@0"},
		{"empty value", []string{"--authorization-mode="}, "authorization-mode=@0"},
		{"value with equals", []string{"--feature-gates=A=true,B=false"}, "feature-gates=A=true,B=false@0"},
		{"underscores normalised", []string{"--anonymous_auth=false"}, "anonymous-auth=false@0"},
		{"repeated", []string{"--profiling=false", "--profiling=true"}, "profiling=false@0 profiling=true@1"},
		{"positional arguments do not stop parsing", []string{"extra", "--profiling=false"}, "profiling=false@1"},
		{"double dash stops parsing", []string{"--", "--profiling=false"}, ""},
		{"lone dash is positional", []string{"-", "--profiling=false"}, "profiling=false@1"},
		{"quotes are literal", []string{`--anonymous-auth="false"`}, `anonymous-auth="false"@0`},
		{"unknown flag takes a following value", []string{"--secure-port", "6443"}, "secure-port=6443@0/1"},
		{"unknown flag before a flag is boolean", []string{"--allow-privileged", "--profiling=false"}, "allow-privileged=true*@0 profiling=false@1"},
		{"unknown flag at the end is boolean", []string{"--allow-privileged"}, "allow-privileged=true*@0"},
		{"missing value", []string{"--etcd-servers"}, "ERR flag needs an argument: --etcd-servers"},
		{"bad syntax", []string{"--profiling=false", "---x", "--anonymous-auth=false"}, "profiling=false@0 ERR bad flag syntax: ---x"},
		{"bad syntax equals", []string{"--=x"}, "ERR bad flag syntax: --=x"},
		{"shorthand with equals", []string{"-v=2", "--profiling=false"}, "v=2@0 profiling=false@1"},
		{"shorthand separate value", []string{"-v", "2", "--profiling=false"}, "v=2@0/1 profiling=false@2"},
		{"shorthand attached value", []string{"-v2"}, "v=2@0"},
		{"shorthand group", []string{"-hv", "3"}, "h=true*@0 v=3@0/1"},
		{"single-dash long name is shorthands", []string{"-hv=4"}, "h=true*@0 v=4@0"},
		{"shorthand missing value", []string{"-v"}, "ERR flag needs an argument: -v"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(Parse(tc.args, PFlag, k)); got != tc.want {
				t.Errorf("Parse(%q) = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

func TestParseGoFlag(t *testing.T) {
	k := kinds(map[string]Kind{"client-cert-auth": Bool, "auto-tls": Bool, "cert-file": Value})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"double dash", []string{"--cert-file=/a"}, "cert-file=/a@0"},
		{"single dash", []string{"-cert-file", "/a"}, "cert-file=/a@0/1"},
		{"bool alone", []string{"--client-cert-auth", "--auto-tls=false"}, "client-cert-auth=true*@0 auto-tls=false@1"},
		{"bool then a word stops parsing", []string{"--client-cert-auth", "false", "--auto-tls=true"}, "client-cert-auth=true*@0"},
		{"non-flag stops parsing", []string{"x", "--auto-tls=true"}, ""},
		{"double dash stops parsing", []string{"--", "--auto-tls=true"}, ""},
		{"underscores are not normalised", []string{"--client_cert_auth=true"}, "client_cert_auth=true@0"},
		{"missing value", []string{"--cert-file"}, "ERR flag needs an argument: --cert-file"},
		{"bad syntax", []string{"-=x"}, "ERR bad flag syntax: -=x"},
		{"repeated", []string{"--auto-tls=true", "--auto-tls=false"}, "auto-tls=true@0 auto-tls=false@1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(Parse(tc.args, GoFlag, k)); got != tc.want {
				t.Errorf("Parse(%q) = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

func TestLastAndAll(t *testing.T) {
	fs := Parse([]string{"--enable-admission-plugins=A", "--profiling=false", "--enable-admission-plugins=B,C", "--profiling"}, PFlag, nil)
	if f, ok := fs.Last("profiling"); !ok || f.Value != "true" || f.Arg != 3 {
		t.Errorf("Last(profiling) = %+v, %v", f, ok)
	}
	if _, ok := fs.Last("absent"); ok {
		t.Error("Last(absent) found")
	}
	var vals []string
	for _, f := range fs.All("enable-admission-plugins") {
		vals = append(vals, SplitList(f.Value)...)
	}
	if !reflect.DeepEqual(vals, []string{"A", "B", "C"}) {
		t.Errorf("accumulated list = %q", vals)
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                 nil,
		"a":                {"a"},
		"a,b":              {"a", "b"},
		"a,,b":             {"a", "", "b"},
		`"a,b",c`:          {"a,b", "c"},
		` a, b`:            {" a", " b"},
		`a"b,c`:            {`a"b`, "c"},
		"Node,RBAC,":       {"Node", "RBAC", ""},
		`"Node,RBAC"`:      {"Node,RBAC"},
		"x\ny":             {"x"},
		"AlwaysAllow,RBAC": {"AlwaysAllow", "RBAC"},
	} {
		if got := SplitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	cases := []struct {
		script string
		want   string
	}{
		{"kube-apiserver --a=b  --c d", "kube-apiserver|--a=b|--c|d"},
		{"exec /usr/local/bin/kube-apiserver --a='x y' --b=\"p q\"", "exec|/usr/local/bin/kube-apiserver|--a=x y|--b=p q"},
		{`--a="x\"y\$z\q"`, `--a=x"y$z\q`},
		{"a \\\n  b", "a|b"},
		{"a\\ b", "a b"},
		{"a; b && c || d | e & f", "a|[;]|b|[&&]|c|[||]|d|[|]|e|[&]|f"},
		{"cmd --a=1 1>>/var/log/x.log 2>&1", "cmd|--a=1|[>>]|/var/log/x.log|[>&]|1"},
		{"a\nb", "a|[\n]|b"},
		{"a # comment --x\nb", "a|[\n]|b"},
		{"a#b", "a#b"},
		{"echo ''", "echo|"},
		{"'unterminated", "unterminated"},
		{`"unterminated \"`, `unterminated "`},
		{"x2>y", "x2|[>]|y"},
		{"(a)", "[(]|a|[)]"},
		{"$FOO ${BAR:-a b} --x=$(cat /f | tr -d ' ') `date; x`", "$FOO|${BAR:-a b}|--x=$(cat /f | tr -d ' ')|`date; x`"},
		{"$(unterminated x", "$(unterminated x"},
	}
	for _, tc := range cases {
		var parts []string
		for _, w := range Words(tc.script) {
			s := w.Text
			if w.Op {
				s = "[" + s + "]"
			}
			parts = append(parts, s)
		}
		if got := strings.Join(parts, "|"); got != tc.want {
			t.Errorf("Words(%q) = %q, want %q", tc.script, got, tc.want)
		}
	}
}
