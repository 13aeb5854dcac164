package nodeconfig

import (
	"reflect"
	"strings"
	"testing"
)

const header = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"

func cfg(path, body string) *File { return &File{Path: path, Content: []byte(header + body)} }

func dropIn(path, body string) File { return File{Path: path, Content: []byte(header + body)} }

// want is a path's expected value (as the v1beta1 JSON decodes: numbers are
// float64) and, when kind is set, its origin.
type want struct {
	path  string
	value any // absent: the field is not in the object
	kind  string
	file  string
	line  int
	arg   int
}

type absent struct{}

func TestKubelet(t *testing.T) {
	const conf = "/var/lib/kubelet/config.yaml"
	const d10, d20 = "/etc/kubernetes/kubelet.conf.d/10-a.conf", "/etc/kubernetes/kubelet.conf.d/sub/20-b.conf"
	tests := []struct {
		name     string
		in       Input
		want     []want
		flags    map[string]string
		warnings []string
	}{{
		name: "flags only: legacy defaults",
		in:   Input{Args: []string{"--kubeconfig=/etc/kubernetes/kubelet.conf", "--hostname-override", "node-1"}},
		want: []want{
			{path: "authentication.anonymous.enabled", value: true, kind: FromLegacyDefault},
			{path: "authentication.webhook.enabled", value: false, kind: FromLegacyDefault},
			{path: "authorization.mode", value: "AlwaysAllow", kind: FromLegacyDefault},
			{path: "readOnlyPort", value: 10255.0, kind: FromLegacyDefault},
			{path: "port", value: 10250.0, kind: FromDefault},
			{path: "streamingConnectionIdleTimeout", value: "4h0m0s", kind: FromDefault},
			{path: "evictionHard", value: absent{}},
			{path: "crashLoopBackOff.maxContainerRestartPeriod", value: "5m0s"},
			{path: "imagePullCredentialsVerificationPolicy", value: "NeverVerifyPreloadedImages"},
		},
		flags: map[string]string{"kubeconfig": "/etc/kubernetes/kubelet.conf", "hostname-override": "node-1"},
	}, {
		name: "flags only: flags over legacy defaults",
		in:   Input{Args: []string{"--anonymous-auth=false", "--authorization-mode", "Webhook", "--read-only-port=0", "--authentication-token-webhook"}},
		want: []want{
			{path: "authentication.anonymous.enabled", value: false, kind: FromFlag, arg: 0},
			{path: "authorization.mode", value: "Webhook", kind: FromFlag, arg: 1},
			{path: "readOnlyPort", value: absent{}, kind: FromFlag, arg: 3},
			{path: "authentication.webhook.enabled", value: true, kind: FromFlag, arg: 4},
		},
	}, {
		name: "the file replaces the flags-only object",
		in:   Input{Args: []string{"--config=" + conf}, Config: cfg(conf, "cgroupDriver: systemd\n")},
		want: []want{
			{path: "authentication.anonymous.enabled", value: false, kind: FromDefault},
			{path: "authorization.mode", value: "Webhook", kind: FromDefault},
			{path: "readOnlyPort", value: absent{}, kind: FromDefault},
			{path: "cgroupDriver", value: "systemd", kind: FromFile, file: conf, line: 3},
		},
		flags: map[string]string{"config": conf},
	}, {
		name: "drop-ins merge nested objects in the order given; null deletes; lists replace",
		in: Input{Args: []string{"--config", conf, "--config-dir=/etc/kubernetes/kubelet.conf.d"},
			Config: cfg(conf, "authentication:\n  anonymous:\n    enabled: true\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nclusterDNS: [10.96.0.10, 10.96.0.11]\nmaxPods: 50\n"),
			DropIns: []File{
				dropIn(d10, "authentication:\n  webhook:\n    cacheTTL: 1m\nclusterDNS: [10.0.0.10]\nmaxPods: 60\n"),
				dropIn(d20, "authentication:\n  anonymous:\n    enabled: null\nmaxPods: 70\n"),
			}},
		want: []want{
			{path: "authentication.x509.clientCAFile", value: "/etc/kubernetes/pki/ca.crt", kind: FromFile, file: conf, line: 7},
			{path: "authentication.webhook.cacheTTL", value: "1m0s", kind: FromDropIn, file: d10, line: 5},
			{path: "authentication.anonymous.enabled", value: false, kind: FromDefault},
			{path: "clusterDNS", value: []any{"10.0.0.10"}, kind: FromDropIn, file: d10, line: 6},
			{path: "maxPods", value: 70.0, kind: FromDropIn, file: d20, line: 6},
		},
	}, {
		name: "flags take precedence over the file and drop-ins",
		in: Input{Args: []string{"--config", conf, "--read-only-port=0", "--config-dir=/d", "--max-pods", "90"},
			Config:  cfg(conf, "readOnlyPort: 10255\nmaxPods: 50\n"),
			DropIns: []File{dropIn(d10, "maxPods: 60\nreadOnlyPort: 10266\n")}},
		want: []want{
			{path: "readOnlyPort", value: absent{}, kind: FromFlag, arg: 2},
			{path: "maxPods", value: 90.0, kind: FromFlag, arg: 4},
		},
	}, {
		name: "feature gates: the file's kept unless a flag sets the same gate",
		in: Input{Args: []string{"--feature-gates=B=false,C=true", "--config=" + conf},
			Config: cfg(conf, "featureGates:\n  A: true\n  B: true\n")},
		want: []want{
			{path: "featureGates", value: map[string]any{"A": true, "B": false, "C": true}},
			{path: "featureGates.A", value: true, kind: FromFile, file: conf, line: 4},
			{path: "featureGates.B", value: false, kind: FromFlag, arg: 0},
		},
	}, {
		name: "a feature gate on the command line changes the file's defaults",
		in: Input{Args: []string{"--feature-gates=KubeletCrashLoopBackOffMax=false", "--config=" + conf},
			Config: cfg(conf, "")},
		want: []want{{path: "crashLoopBackOff.maxContainerRestartPeriod", value: absent{}}},
	}, {
		name: "repeated flags: scalars last wins, maps merge after replacing the file's",
		in: Input{Args: []string{"--config=" + conf, "--max-pods=10", "--max-pods=20", "--eviction-hard=memory.available<1Gi", "--eviction-hard", "nodefs.available<5%", "--system-reserved=cpu=1,memory=1Gi"},
			Config: cfg(conf, "evictionHard:\n  imagefs.available: 20%\n")},
		want: []want{
			{path: "maxPods", value: 20.0, kind: FromFlag, arg: 2},
			{path: "evictionHard", value: map[string]any{"memory.available": "1Gi", "nodefs.available": "5%"}, kind: FromFlag, arg: 4},
			{path: "evictionHard.imagefs.available", value: absent{}},
			{path: "systemReserved", value: map[string]any{"cpu": "1", "memory": "1Gi"}, kind: FromFlag, arg: 6},
		},
	}, {
		name: "word separators normalised; deprecated flags warn and apply",
		in:   Input{Args: []string{"--read_only_port=0", "--maximum-dead-containers=3", "--cgroup_driver", "systemd"}},
		want: []want{
			{path: "readOnlyPort", value: absent{}, kind: FromFlag, arg: 0},
			{path: "cgroupDriver", value: "systemd", kind: FromFlag, arg: 2},
		},
		flags:    map[string]string{"maximum-dead-containers": "3"},
		warnings: []string{"--read-only-port (argument 0) has been deprecated", "--maximum-dead-containers (argument 1) has been deprecated"},
	}, {
		name:  "non-configuration flags hold the parsed value",
		in:    Input{Args: []string{"--minimum-container-ttl-duration=1m", "--maximum-dead-containers=05", "--node-labels=b=2", "--node-labels=a=1", "--runtime-cgroups=/rt", "--image-credential-provider-bin-dir=/bin"}},
		flags: map[string]string{"minimum-container-ttl-duration": "1m0s", "maximum-dead-containers": "5", "node-labels": "a=1,b=2", "runtime-cgroups": "/rt", "image-credential-provider-bin-dir": "/bin"},
	}, {
		name:     "--help: the kubelet exits",
		in:       Input{Args: []string{"-h"}},
		warnings: []string{"prints its usage and exits"},
	}, {
		name: "-- ends the flags",
		in:   Input{Args: []string{"--max-pods=3", "--"}},
		want: []want{{path: "maxPods", value: 3.0, kind: FromFlag, arg: 0}},
	}, {
		name: "single-dash shorthand -v and --v",
		in:   Input{Args: []string{"-v", "4", "--v=5", "-v6"}},
		want: []want{{path: "logging.verbosity", value: 6.0, kind: FromFlag, arg: 3}},
	}, {
		name: "relative paths: the file's resolve against its directory, the drop-ins' do not",
		in: Input{Args: []string{"--config=config.yaml", "--config-dir=conf.d"},
			Config:  cfg(conf, "staticPodPath: manifests\ntlsCertFile: pki/kubelet.crt\nauthentication:\n  x509:\n    clientCAFile: /abs/ca.crt\n"),
			DropIns: []File{dropIn(d10, "tlsPrivateKeyFile: pki/kubelet.key\n")}},
		want: []want{
			{path: "staticPodPath", value: "/var/lib/kubelet/manifests"},
			{path: "tlsCertFile", value: "/var/lib/kubelet/pki/kubelet.crt"},
			{path: "authentication.x509.clientCAFile", value: "/abs/ca.crt"},
			{path: "tlsPrivateKeyFile", value: "pki/kubelet.key", kind: FromDropIn, file: d10, line: 3},
		},
	}, {
		name: "a relative --config path resolves against the working directory",
		in:   Input{Args: []string{"--config=config.yaml"}, Cwd: "/var/lib/kubelet", Config: cfg("config.yaml", "staticPodPath: manifests\n")},
		want: []want{{path: "staticPodPath", value: "/var/lib/kubelet/manifests", kind: FromFile, file: "/var/lib/kubelet/config.yaml", line: 3}},
	}, {
		name: "a zero in the file the defaults replace has the defaults' origin",
		in:   Input{Config: cfg(conf, "streamingConnectionIdleTimeout: 0s\nport: 0\nimageGCHighThresholdPercent: 0\nreadOnlyPort: 0\n")},
		want: []want{
			{path: "streamingConnectionIdleTimeout", value: "4h0m0s", kind: FromDefault},
			{path: "port", value: 10250.0, kind: FromDefault},
			{path: "imageGCHighThresholdPercent", value: 0.0, kind: FromFile, file: conf, line: 5},
			{path: "readOnlyPort", value: absent{}, kind: FromFile, file: conf, line: 6},
		},
	}, {
		name: "EvictionHard: the default when the file has none",
		in:   Input{Config: cfg(conf, "")},
		want: []want{{path: "evictionHard", value: map[string]any{"memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%", "imagefs.available": "15%", "imagefs.inodesFree": "5%"}}},
	}, {
		name: "EvictionHard: the file's alone without mergeDefaultEvictionSettings",
		in:   Input{Config: cfg(conf, "evictionHard:\n  memory.available: 1Gi\n")},
		want: []want{{path: "evictionHard", value: map[string]any{"memory.available": "1Gi"}}},
	}, {
		name: "EvictionHard: merged with the defaults with mergeDefaultEvictionSettings",
		in:   Input{Config: cfg(conf, "mergeDefaultEvictionSettings: true\nevictionHard:\n  memory.available: 1Gi\n")},
		want: []want{{path: "evictionHard", value: map[string]any{"memory.available": "1Gi", "nodefs.available": "10%", "nodefs.inodesFree": "5%", "imagefs.available": "15%", "imagefs.inodesFree": "5%"}}},
	}, {
		name: "--config-dir alone: the flags-only object is the base",
		in:   Input{Args: []string{"--config-dir=/etc/kubernetes/kubelet.conf.d"}, DropIns: []File{dropIn(d10, "readOnlyPort: 0\nauthorization:\n  mode: Webhook\n")}},
		want: []want{
			{path: "authentication.anonymous.enabled", value: true, kind: FromLegacyDefault},
			{path: "readOnlyPort", value: absent{}, kind: FromDropIn, file: d10, line: 3},
			{path: "authorization.mode", value: "Webhook", kind: FromDropIn, file: d10, line: 5},
			{path: "evictionHard", value: absent{}},
		},
	}, {
		// The merged JSON's keys are sorted; encoding/json matches "MaxPods"
		// case-insensitively, then "maxPods" (the base's) overwrites it.
		name: "a drop-in's field in the wrong case loses to the base's",
		in:   Input{Config: cfg(conf, ""), DropIns: []File{dropIn(d10, "MaxPods: 12\nKubeAPIBurst: 7\n")}},
		want: []want{{path: "maxPods", value: 110.0}, {path: "kubeAPIBurst", value: 100.0}},
	}, {
		name:     "the file: unknown fields and the wrong case are a warning, decoded leniently",
		in:       Input{Config: cfg(conf, "bogus: 1\nMaxPods: 12\nmaxPods: 13\n")},
		want:     []want{{path: "maxPods", value: 13.0, kind: FromFile, file: conf, line: 5}},
		warnings: []string{"lenient decoding"},
	}, {
		// The flags registered again over the file's object (flag precedence)
		// write logsapi's registration defaults into the split-stream fields.
		name: "the file's logging split streams are reset by the flags' registration",
		in:   Input{Config: cfg(conf, "logging:\n  verbosity: 2\n  options:\n    text:\n      splitStream: true\n      infoBufferSize: 1Ki\n")},
		want: []want{
			{path: "logging.verbosity", value: 2.0, kind: FromFile, file: conf, line: 4},
			{path: "logging.options.text.splitStream", value: absent{}},
			{path: "logging.options.text.infoBufferSize", value: "1Ki"},
		},
	}, {
		name: "staticPodURLHeader values are masked, as the kubelet logs them",
		in:   Input{Args: []string{"--manifest-url-header=Authorization:Bearer secret"}},
		want: []want{{path: "staticPodURLHeader", value: map[string]any{"Authorization": []any{"<masked>"}}, kind: FromFlag, arg: 0}},
	}, {
		name: "JSON documents",
		in: Input{Config: &File{Path: conf, Content: []byte(`{"apiVersion":"kubelet.config.k8s.io/v1beta1","kind":"KubeletConfiguration","port":10251}`)},
			DropIns: []File{{Path: d10, Content: []byte(`{"apiVersion":"kubelet.config.k8s.io/v1beta1","kind":"KubeletConfiguration","port":10252}`)}}},
		want: []want{{path: "port", value: 10252.0, kind: FromDropIn, file: d10, line: 1}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Kubelet(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				got, ok := e.Value(w.path)
				if _, none := w.value.(absent); none {
					if ok {
						t.Errorf("%s = %v, want absent", w.path, got)
					}
				} else if !ok || !reflect.DeepEqual(got, w.value) {
					t.Errorf("%s = %#v (set %v), want %#v", w.path, got, ok, w.value)
				}
				if w.kind == "" {
					continue
				}
				o := e.Origin(w.path)
				if o.Kind != w.kind || o.File != w.file || o.Line != w.line || (w.kind == FromFlag && o.Arg != w.arg) {
					t.Errorf("origin of %s = %+v, want %s %s:%d arg %d", w.path, o, w.kind, w.file, w.line, w.arg)
				}
			}
			for k, v := range tt.flags {
				if got, _ := e.Flag(k); got != v {
					t.Errorf("flag %s = %q, want %q", k, got, v)
				}
			}
			for _, w := range tt.warnings {
				if !strings.Contains(strings.Join(e.Warnings, "\n"), w) {
					t.Errorf("warnings %q lack %q", e.Warnings, w)
				}
			}
		})
	}
}

func TestKubeletErrors(t *testing.T) {
	const conf = "/var/lib/kubelet/config.yaml"
	big := make([]byte, maxDocument+1)
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"unknown flag", Input{Args: []string{"--kubeconfig=k", "--no-such-flag=1"}}, `argument 1 ("--no-such-flag=1"): unknown flag: --no-such-flag`},
		{"bad value", Input{Args: []string{"--read-only-port=http"}}, `argument 0 ("--read-only-port=http")`},
		{"bad value in the next argument", Input{Args: []string{"--max-pods", "many"}}, `argument 0 ("--max-pods" "many")`},
		{"bad bool", Input{Args: []string{"--anonymous-auth=maybe"}}, `argument 0`},
		{"bad duration", Input{Args: []string{"--sync-frequency=5"}}, `sync-frequency`},
		{"bad IP", Input{Args: []string{"--address=not-an-ip"}}, `not a valid IP address`},
		{"bool then a word", Input{Args: []string{"--anonymous-auth", "false"}}, `argument 1 ("false"): unknown command`},
		{"single-dash long name", Input{Args: []string{"-config=/x"}}, `argument 0`},
		{"missing value", Input{Args: []string{"--kubeconfig"}}, `needs an argument`},
		{"an argument after --", Input{Args: []string{"--max-pods=3", "--", "--read-only-port=0"}}, `argument 2 ("--read-only-port=0"): unknown command`},
		{"bad taint", Input{Args: []string{"--register-with-taints=a=b:Sometimes"}}, `invalid taint effect`},
		{"empty file", Input{Config: &File{Path: conf}}, conf + ": kubelet config file was empty"},
		{"no kind", Input{Config: &File{Path: conf, Content: []byte("maxPods: 1\n")}}, "Kind' is missing"},
		{"wrong kind", Input{Config: &File{Path: conf, Content: []byte("apiVersion: v1\nkind: Pod\n")}}, "unknown apiVersion/kind"},
		{"bad YAML", Input{Config: &File{Path: conf, Content: []byte(header + "maxPods: [\n")}}, conf},
		{"bad type, with the line", Input{Config: cfg(conf, "cgroupDriver: systemd\nmaxPods: many\n")}, conf + ": line 4:"},
		{"drop-in without kind", Input{Config: cfg(conf, ""), DropIns: []File{{Path: "/d/10.conf", Content: []byte("maxPods: 3\n")}}}, "/d/10.conf: Object 'Kind' is missing"},
		{"drop-in of another kind", Input{Config: cfg(conf, ""), DropIns: []File{{Path: "/d/10.conf", Content: []byte("apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n")}}}, "/d/10.conf: unknown apiVersion/kind"},
		{"drop-in with a duplicate key", Input{Config: cfg(conf, ""), DropIns: []File{dropIn("/d/10.conf", "maxPods: 3\nmaxPods: 4\n")}}, "/d/10.conf"},
		{"drop-in with a bad type", Input{Config: cfg(conf, ""), DropIns: []File{dropIn("/d/10.conf", "maxPods: many\n")}}, "/d/10.conf"},
		{"--config without the file", Input{Args: []string{"--config=/nope"}}, "--config /nope"},
		{"file over the bound", Input{Config: &File{Path: conf, Content: big}}, "over the"},
		{"configz over the bound", Input{Configz: big}, "over the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Kubelet(tt.in)
			if err == nil {
				t.Fatalf("no error; object %v", e.Object["maxPods"])
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestKubeletMasksHeaders(t *testing.T) {
	e, err := Kubelet(Input{Args: []string{"--manifest-url-header=Authorization:Bearer secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if o := e.Origin("staticPodURLHeader"); strings.Contains(o.String(), "secret") {
		t.Errorf("origin %q repeats the header", o)
	}
}

func TestKubeletConfigz(t *testing.T) {
	e, err := Kubelet(Input{Configz: []byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":false}},"readOnlyPort":0}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Value("authentication.anonymous.enabled"); v != false {
		t.Errorf("anonymous = %v", v)
	}
	if o := e.Origin("readOnlyPort"); o.Kind != FromConfigz {
		t.Errorf("origin %+v", o)
	}
}

// The non-configuration flags keep their last value and its argument index.
func TestKubeletFlags(t *testing.T) {
	e, err := Kubelet(Input{Args: []string{"--node-ip=10.0.0.1", "--cert-dir", "/a", "--cert-dir=/b", "--seccomp-default", "--container-runtime-endpoint=unix:///run/crio/crio.sock"}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Flag("cert-dir"); v != "/b" || e.FlagArgs["cert-dir"] != 3 {
		t.Errorf("cert-dir = %q at %d", v, e.FlagArgs["cert-dir"])
	}
	if v, _ := e.Flag("seccomp-default"); v != "true" {
		t.Errorf("seccomp-default = %q", v)
	}
	// --container-runtime-endpoint is a configuration field.
	if v, _ := e.Value("containerRuntimeEndpoint"); v != "unix:///run/crio/crio.sock" {
		t.Errorf("containerRuntimeEndpoint = %v", v)
	}
	if v, _ := e.Value("seccompDefault"); v != false {
		t.Errorf("seccompDefault = %v (the flag is KubeletFlags', not the configuration's)", v)
	}
}

// Every field of the v1beta1 object after a round trip is present with the
// kubelet's JSON types (a pointer field the internal type holds as a value is
// never absent).
func TestKubeletObjectShape(t *testing.T) {
	e, err := Kubelet(Input{Config: cfg("/c.yaml", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"enableSystemLogQuery", "enableServer", "registryPullQPS", "podPidsLimit", "resolvConf", "cpuCFSQuotaPeriod", "containerLogMonitorInterval", "logging.flushFrequency", "shutdownGracePeriod"} {
		if _, ok := e.Value(p); !ok {
			t.Errorf("%s absent", p)
		}
	}
	if v, _ := e.Value("logging.flushFrequency"); v != "5s" {
		t.Errorf("logging.flushFrequency = %v", v)
	}
}
