package nodecollect

import (
	"slices"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"/usr/bin/kubelet\x00--config=/var/lib/kubelet/config.yaml\x00", []string{"/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml"}},
		{"kubelet\x00\x00--v=2\x00", []string{"kubelet", "", "--v=2"}},
		{"kubelet --rewritten title", []string{"kubelet --rewritten title"}},
		{"", nil},
		{"\x00", nil},
	} {
		if got := parseCmdline([]byte(tc.raw)); !slices.Equal(got, tc.want) {
			t.Errorf("parseCmdline(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func FuzzParseCmdline(f *testing.F) {
	f.Add([]byte("/usr/bin/kubelet\x00--config\x00rel/config.yaml\x00"))
	f.Add([]byte("hyperkube\x00kubelet\x00--kubeconfig=/x\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		args := parseCmdline(raw)
		if len(args) > maxArgs {
			t.Fatalf("%d arguments", len(args))
		}
		for _, a := range args {
			if strings.IndexByte(a, 0) >= 0 {
				t.Fatalf("argument %q holds a NUL", a)
			}
		}
		if a, ok := daemonArgs("kubelet", args, ""); ok && len(a) >= len(args) {
			t.Fatalf("daemon args %q of %q", a, args)
		}
		flagValue(args, "config")
	})
}

func TestFlagValue(t *testing.T) {
	args := []string{"--config=a", "--v", "2", "--config", "b", "--config_dir=c", "--kubeconfig", "--", "--config=d"}
	if v, ok := flagValue(args, "config"); !ok || v != "b" {
		t.Errorf("config = %q, %v; want b (the last)", v, ok)
	}
	if v, ok := flagValue(args, "config-dir"); !ok || v != "c" {
		t.Errorf("config-dir = %q, %v; want c (underscores normalized)", v, ok)
	}
	if v, ok := flagValue(args, "kubeconfig"); !ok || v != "--" {
		t.Errorf("kubeconfig = %q, %v; want the next argument", v, ok)
	}
}

func TestDaemonArgs(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		exe  string
		ok   bool
		args []string
	}{
		{[]string{"/usr/bin/kubelet", "--v=2"}, "/usr/bin/kubelet", true, []string{"--v=2"}},
		{[]string{"kubelet"}, "", true, []string{}},
		{[]string{"/hyperkube", "kubelet", "--v=2"}, "/hyperkube", true, []string{"--v=2"}},
		{[]string{"/hyperkube", "kube-apiserver"}, "/hyperkube", false, nil},
		{[]string{"/proc/self/fd/3", "--v=2"}, "/usr/local/bin/kubelet (deleted)", true, []string{"--v=2"}},
		{[]string{"/usr/bin/kubelet-wrapper"}, "/usr/bin/kubelet-wrapper", false, nil},
	} {
		got, ok := daemonArgs("kubelet", tc.argv, tc.exe)
		if ok != tc.ok || (ok && !slices.Equal(got, tc.args)) {
			t.Errorf("daemonArgs(%q, %q) = %q, %v; want %q, %v", tc.argv, tc.exe, got, ok, tc.args, tc.ok)
		}
	}
}

func TestUnitExpansion(t *testing.T) {
	unit := `[Unit]
Description=kubelet
[Service]
ExecStart=/usr/bin/kubelet --old
Environment="A=--a=1 --b=2" 'C=x y'
Environment=D=--d \
  E=--e
# ExecStart=/commented
ExecStart=
ExecStart=-/usr/bin/kubelet $A "${C}" --c=${C}x $MISSING ${MISSING} $$HOME \
    $D $E --f="two words"
WorkingDirectory=/var/lib/kubelet
EnvironmentFile=-/etc/default/kubelet
[Install]
ExecStart=/ignored
`
	var s unitSettings
	if err := parseUnit("kubelet.service", []byte(unit), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.execStart) != 1 || s.workingDir != "/var/lib/kubelet" || !slices.Equal(s.envFiles, []string{"-/etc/default/kubelet"}) {
		t.Fatalf("settings %+v", s)
	}
	env := map[string]string{}
	for _, a := range s.env {
		k, v, _ := strings.Cut(a, "=")
		env[k] = v
	}
	parseEnvFile([]byte("# comment\nexport A=\"--a=3  --b=\\\"4\\\"\"\nBAD LINE\n"), env)
	exe, args, err := expandExec(s.execStart[0], env)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--a=3", `--b="4"`, "x y", "--c=x yx", "", "$HOME", "--d", "--e", "--f=two words"}
	if exe != "/usr/bin/kubelet" || !slices.Equal(args, want) {
		t.Errorf("expandExec = %q %q\nwant %q", exe, args, want)
	}
	if err := parseUnit("bad", []byte("[Service\n"), &s); err == nil || !strings.Contains(err.Error(), "bad:1") {
		t.Errorf("bad section: %v", err)
	}
}

func FuzzParseUnit(f *testing.F) {
	f.Add([]byte("[Service]\nEnvironment=\"A=--x y\"\nExecStart=\nExecStart=/k $A ${A} '$A'\n"), []byte("A=\"1 2\"\n"))
	f.Add([]byte("[Service]\nExecStart=@/k argv0 \\\n --x\n"), []byte(""))
	f.Fuzz(func(t *testing.T, unit, envFile []byte) {
		var s unitSettings
		if err := parseUnit("u", unit, &s); err != nil {
			return
		}
		env := map[string]string{}
		for _, a := range s.env {
			k, v, _ := strings.Cut(a, "=")
			env[k] = v
		}
		parseEnvFile(envFile, env)
		for _, e := range s.execStart {
			if _, args, err := expandExec(e, env); err == nil && len(args) > maxArgs+1 {
				t.Fatalf("%d arguments", len(args))
			}
		}
	})
}

func TestMaskStaticPodURLHeader(t *testing.T) {
	for _, in := range []string{
		"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodURLHeader:\n  Authorization:\n  - Bearer SECRET1\n  - \"Basic SECRET2\" # c\n  X-Other: ['SECRET3', \"SECRET4\"]\nreadOnlyPort: 0\n",
		"{\"staticPodURLHeader\": {\"Authorization\": [\"Bearer SECRET1\"]}, \"readOnlyPort\": 0}\n",
		"staticpodurlheader:\n  A:\n  - |\n    SECRET1\n    SECRET2\n  B:\n  - plain SECRET3\n    continued SECRET4\nreadOnlyPort: 0\n",
		"x: &h\n  A: [SECRET1, 'it''s SECRET2']\nstaticPodURLHeader: *h\nreadOnlyPort: 0\n",
		"staticPodURLHeader: {A: [\"SECRET1,x\"], B: [SECRET2]}\nreadOnlyPort: 0\n---\nstaticPodURLHeader:\n  C: [\"multi\n    line SECRET3\"]\nreadOnlyPort: 0\n",
	} {
		out, err := maskStaticPodURLHeader([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if strings.Contains(string(out), "SECRET") {
			t.Errorf("masked:\n%s\nstill holds a secret", out)
		}
		if strings.Count(string(out), "\n") != strings.Count(in, "\n") {
			t.Errorf("masked:\n%s\nchanged the line count", out)
		}
		if !strings.Contains(string(out), "readOnlyPort: 0") && !strings.Contains(string(out), `"readOnlyPort": 0`) {
			t.Errorf("masked:\n%s\nlost another field", out)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(out, &n); err != nil {
			t.Errorf("masked:\n%s\nis not YAML: %v", out, err)
		}
	}
	// Aliases that make a cycle, or a graph of many paths, are walked once each.
	for _, in := range []string{"staticPodURLHeader: &a {A: [*a, *a, SECRET]}\n", "b: &b [SECRET, SECRET]\nc: &c [*b, *b, *b, *b]\nd: &d [*c, *c, *c, *c]\ne: &e [*d, *d, *d, *d]\nf: &f [*e, *e, *e, *e]\nstaticPodURLHeader: {A: [*f, *f, *f, *f]}\n"} {
		done := make(chan []byte)
		go func() {
			out, _ := maskStaticPodURLHeader([]byte(in))
			done <- out
		}()
		select {
		case out := <-done:
			if strings.Contains(string(out), "SECRET") {
				t.Errorf("masked:\n%s\nstill holds a secret", out)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("masking %q does not end", in)
		}
	}
	if out, err := maskStaticPodURLHeader([]byte("staticPodURLHeader: [unclosed SECRET")); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("invalid YAML naming the field: %q, %v", out, err)
	}
	plain := "authentication:\n  anonymous: {enabled: false}\n"
	if out, _ := maskStaticPodURLHeader([]byte(plain)); string(out) != plain {
		t.Errorf("a file without the field changed: %q", out)
	}
}

func FuzzMask(f *testing.F) {
	f.Add([]byte("staticPodURLHeader:\n  A:\n  - SECRET\n"))
	f.Add([]byte("staticPodURLHeader: {A: [\"SECRET\"]}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		type result struct {
			out []byte
			err error
		}
		done := make(chan result, 1)
		go func() {
			out, err := maskStaticPodURLHeader(in)
			done <- result{out, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("masking %q does not end", in)
		}
		out, err := r.out, r.err
		if err != nil {
			return
		}
		if strings.Count(string(out), "\n") != strings.Count(string(in), "\n") {
			t.Fatalf("line count changed: %q -> %q", in, out)
		}
	})
}
