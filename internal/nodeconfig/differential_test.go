//go:build linux

package nodeconfig_test

// The differential test of the kubelet configuration builder: for each case, the real
// kubelet of the release the test harness builds (kubetest.Kubelet, from
// hack/k8s-bins.sh) is run only as far as logging its "Effective
// KubeletConfiguration" (cmd/kubelet/app/server.go logs it after the flags, --config,
// --config-dir and flag precedence, before validating anything and before touching
// the host), and nodeconfig.Kubelet is given the same command line and files the way
// the collector gives them (absolute paths, the drop-ins in the kubelet's walk order,
// the files it skips left out). The two v1beta1 objects must agree on every field,
// except the ones in excluded (each with its reason).
//
// Keeping the kubelet from starting: every run gets guardFlag, which
// ValidateKubeletConfiguration rejects right after the configuration is logged (so
// the kubelet exits before UnsecuredDependencies, before it creates a certificate, a
// directory or a cgroup); the test kills the kubelet's process group as soon as the
// log lines it needs are read, and after runTimeout in any case; when the test runs
// as root the kubelet runs as nobody (65534), so that it could not change the host
// even if it went further; --root-dir and --cert-dir point into a temporary
// directory; the environment is empty but for PATH.
//
// testdata/differential/<case>/ holds each case's files, copied into a temporary
// directory (the root of the case: the arguments' {root} is its absolute path).
// testdata/differential/DIFFERENCES.md records what the test found.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/nodeconfig"
)

// guardFlag makes the kubelet's ValidateKubeletConfiguration fail right after it has
// logged the effective configuration. Only the kubelet gets it: Palisade is given the
// command line without it, and its field is excluded from the comparison.
const (
	guardName = "node-status-max-images"
	guardFlag = "--" + guardName + "=-2"
)

// excluded are the fields left out of the comparison, with the reason.
var excluded = map[string]string{
	"nodeStatusMaxImages": "set to -2 by the guard flag that stops the kubelet at validation; only the kubelet is given it",
}

// runTimeout bounds one kubelet run (it takes well under a second: it only loads its
// configuration).
const runTimeout = 60 * time.Second

// maxLog bounds how much of the kubelet's standard error the test reads.
const maxLog = 8 << 20

type diffCase struct {
	name string
	// files is the directory under testdata/differential copied to the case's root
	// ("" for none).
	files string
	// cwd is the kubelet's working directory, relative to the root ("" for the root).
	cwd string
	// args are the kubelet's arguments; {root} is the root's absolute path. Every run
	// adds --root-dir and --cert-dir (given to both) and guardFlag (the kubelet only).
	args []string
	// refuse: the kubelet must refuse to start (no configuration logged), and
	// nodeconfig.Kubelet must return an error.
	refuse bool
	// gap, for a refusal, says why nodeconfig.Kubelet may accept what the kubelet
	// refuses (a known difference, logged instead of failed; DIFFERENCES.md).
	gap string
}

var diffCases = []diffCase{
	{name: "no flags (legacy defaults)"},
	{name: "flags only", args: []string{
		"--anonymous-auth=false", "--authorization-mode=Webhook", "--authentication-token-webhook=true",
		"--read-only-port=0", "--client-ca-file=/etc/kubernetes/pki/ca.crt", "--rotate-certificates=true",
		"--feature-gates=KubeletCrashLoopBackOffMax=false,MemoryQoS=false", "--event-qps=0",
		"--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"--pod-max-pids=4096", "--seccomp-default", "--make-iptables-util-chains=false",
		"--streaming-connection-idle-timeout=5m", "--protect-kernel-defaults=true",
		"--hostname-override=node-a", "--kubeconfig=/etc/kubernetes/kubelet.conf",
		"--container-runtime-endpoint=unix:///run/crio/crio.sock", "--eviction-hard=memory.available<200Mi,nodefs.available<5%",
		"--system-reserved=cpu=100m,memory=200Mi", "--tls-min-version=VersionTLS12",
		"--rotate-server-certificates=true", "--manifest-url=http://pods.invalid/",
		"--manifest-url-header=Authorization:Bearer not-a-secret,X-Other:a", "--v=1",
	}},
	{name: "flags of every kind", files: "config-only", args: []string{
		"--config={root}/etc/kubernetes/kubelet/config.yaml",
		"--register-with-taints=dedicated=infra:NoSchedule,gpu:NoExecute", "--cluster-dns=10.0.0.10,10.0.0.11",
		"--qos-reserved=memory=50%", "--allowed-unsafe-sysctls=net.core.*,kernel.msg*",
		"--cpu-manager-policy-options=full-pcpus-only=true", "--kube-reserved=cpu=200m,memory=1Gi",
		"--enforce-node-allocatable=pods,kube-reserved", "--hairpin-mode=hairpin-veth", "--oom-score-adj=-900",
		"--cgroup-root=/", "--topology-manager-policy-options=prefer-closest-numa-nodes=true",
		"--manifest-url=http://pods.invalid/", "--manifest-url-header=A:1,B:2", "--manifest-url-header=A:3",
		"--address=::", "--port=10251", "--max-pods=250", "--pods-per-core=10", "--image-gc-high-threshold=90",
		"--eviction-soft=memory.available<1Gi", "--eviction-soft-grace-period=memory.available=1m",
		"--eviction-minimum-reclaim=memory.available=0Mi", "--kube-api-qps=25", "--registry-qps=0",
		"--node-status-update-frequency=4s", "--runtime-request-timeout=10m", "--cpu-cfs-quota-period=50ms",
		"--node-labels=zone=b,app=a", "--node-ip=10.1.2.3", "--provider-id=aws:///x", "--v=1",
	}},
	{name: "shorthand -v and empty --config", args: []string{"--config=", "--config-dir=", "-v", "2", "--read-only-port=0"}},
	{name: "config only (absolute)", files: "config-only", args: []string{"--config={root}/etc/kubernetes/kubelet/config.yaml"}},
	{name: "relative config with a working directory", files: "relative", cwd: "var/lib/kubelet",
		args: []string{"--config=config.yaml"}},
	{name: "relative config above the working directory", files: "relative", cwd: "var/lib/kubelet/pki",
		args: []string{"--config", "../config.yaml"}},
	{name: "config and config-dir", files: "dropins", cwd: "etc/kubelet",
		args: []string{"--config=config.yaml", "--config-dir=config.d"}},
	{name: "config-dir without config", files: "dropins", args: []string{"--config-dir={root}/etc/kubelet/config.d"}},
	{name: "empty config-dir", files: "config-only", args: []string{"--config={root}/etc/kubernetes/kubelet/config.yaml", "--config-dir={root}/etc/kubernetes/empty.d"}},
	{name: "flags over config and drop-ins", files: "dropins", cwd: "etc/kubelet", args: []string{
		"--config=config.yaml", "--config-dir=config.d",
		"--anonymous-auth=true", "--authorization-mode=AlwaysAllow", "--read-only-port=10255",
		"--client-ca-file=ca-from-flag.crt", "--rotate-certificates=false",
		"--feature-gates=MemoryQoS=true,RotateKubeletServerCertificate=false", "--event-qps=7",
		"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "--pod-max-pids=100",
		"--seccomp-default=false", "--make-iptables-util-chains=true",
		"--streaming-connection-idle-timeout=30m", "--protect-kernel-defaults=false",
		"--hostname-override=node-b", "--eviction-hard=memory.available<300Mi",
		"--tls-cert-file=flag.crt", "--v=1",
	}},
	{name: "deprecated flags", files: "config-only", args: []string{
		"--config={root}/etc/kubernetes/kubelet/config.yaml",
		"--maximum-dead-containers=5", "--maximum-dead-containers-per-container=2",
		"--minimum-container-ttl-duration=1m", "--experimental-allocatable-ignore-eviction=true",
		"--cgroup-driver=cgroupfs", "--pod-manifest-path=/etc/kubernetes/other-manifests", "--v=1",
	}},
	{name: "underscores", files: "config-only", args: []string{
		"--config={root}/etc/kubernetes/kubelet/config.yaml",
		"--read_only_port=10255", "--anonymous_auth=true", "--authorization_mode=AlwaysAllow",
		"--feature_gates=KubeletCrashLoopBackOffMax=false", "--event_qps=3", "--hostname_override=node-c",
		"--make_iptables_util_chains=false", "--v=1",
	}},
	{name: "flag value as the next argument", files: "relative", cwd: "var/lib/kubelet", args: []string{
		"--config", "config.yaml", "--read-only-port", "10255", "--authorization-mode", "AlwaysAllow",
		"--event-qps", "9", "--hostname-override", "node-d", "--streaming-connection-idle-timeout", "1h",
		"--anonymous-auth", "--v", "1",
	}},
	{name: "repeated flags", files: "config-only", args: []string{
		"--config={root}/etc/kubernetes/kubelet/config.yaml",
		"--read-only-port=10255", "--read-only-port=0",
		"--feature-gates=KubeletCrashLoopBackOffMax=false", "--feature-gates=MemoryQoS=false",
		"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"--eviction-hard=memory.available<1Gi", "--eviction-hard=nodefs.available<10%",
		"--hostname-override=a", "--hostname-override=b", "--v=1",
	}},
	{name: "config file decoded leniently", files: "lenient", args: []string{"--config={root}/kubelet.yaml"}},
	{name: "eviction settings merged with the defaults", files: "eviction", args: []string{"--config={root}/merge.yaml"}},
	{name: "eviction settings replacing the defaults", files: "eviction", args: []string{"--config={root}/replace.yaml"}},
	{name: "eviction settings in a drop-in", files: "eviction", args: []string{"--config={root}/replace.yaml", "--config-dir={root}/eviction.d"}},
	{name: "config file with a duplicate field", files: "lenient", args: []string{"--config={root}/duplicate.yaml"}},
	{name: "config given twice", files: "lenient", args: []string{"--config={root}/kubelet.yaml", "--config={root}/duplicate.yaml"}},
	{name: "config file of two YAML documents", files: "edge", args: []string{"--config={root}/multi.yaml"}},
	{name: "integer field written as a float", files: "edge", args: []string{"--config={root}/float.yaml"}},
	{name: "YAML anchor and alias", files: "edge", args: []string{"--config={root}/anchor.yaml"}},
	{name: "drop-ins of two documents and a float", files: "edge", args: []string{"--config={root}/float.yaml", "--config-dir={root}/multi.d"}},
	{name: "JSON config file", files: "json", args: []string{"--config={root}/kubelet.json"}},

	{name: "unknown flag", args: []string{"--no-such-flag=1"}, refuse: true},
	{name: "bool flag followed by a value", args: []string{"--anonymous-auth", "false"}, refuse: true},
	{name: "flag with a bad value", args: []string{"--read-only-port=ten"}, refuse: true},
	{name: "undecodable config file", files: "bad", args: []string{"--config={root}/broken.yaml"}, refuse: true},
	{name: "config file with a wrong type", files: "bad", args: []string{"--config={root}/wrong-type.yaml"}, refuse: true},
	{name: "config file without kind", files: "bad", args: []string{"--config={root}/no-kind.yaml"}, refuse: true},
	{name: "empty config file", files: "bad", args: []string{"--config={root}/empty.yaml"}, refuse: true},
	{name: "drop-in without apiVersion and kind", files: "bad", args: []string{"--config-dir={root}/no-kind.d"}, refuse: true},
	{name: "undecodable drop-in", files: "bad", args: []string{"--config-dir={root}/broken.d"}, refuse: true},
	{name: "drop-in of another kind", files: "bad", args: []string{"--config-dir={root}/wrong-kind.d"}, refuse: true},
	{name: "config file of another version", files: "bad", args: []string{"--config={root}/other-version.yaml"}, refuse: true},
	{name: "flag in the wrong case", args: []string{"--Read-Only-Port=0"}, refuse: true},
	{name: "single-dash long flag", args: []string{"-read-only-port=0"}, refuse: true},
	{name: "unknown feature gate", args: []string{"--feature-gates=NoSuchGate=true"}, refuse: true,
		gap: "the kubelet checks feature gates against its own registry before it logs its configuration; nodeconfig does not know the gates"},
	{name: "feature gate disabled under an enabled dependent", args: []string{"--feature-gates=GracefulNodeShutdown=false"}, refuse: true,
		gap: "the kubelet checks feature gate dependencies (GracefulNodeShutdownBasedOnPodPriority needs GracefulNodeShutdown); nodeconfig does not know them"},
}

func TestKubeletDifferential(t *testing.T) {
	kubelet := reachableKubelet(t, kubetest.Kubelet(t))
	for _, tc := range diffCases {
		t.Run(tc.name, func(t *testing.T) {
			root := tempDir(t)
			if tc.files != "" {
				copyTree(t, filepath.Join("testdata", "differential", tc.files), root)
			}
			state := tempDir(t)
			args := make([]string, 0, len(tc.args)+2)
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{root}", root))
			}
			args = append(args, "--root-dir="+filepath.Join(state, "root"), "--cert-dir="+filepath.Join(state, "pki"))
			cwd := filepath.Join(root, filepath.FromSlash(tc.cwd))

			run := runKubelet(t, kubelet, cwd, append(append([]string{}, args...), guardFlag))
			in, err := collectInput(cwd, args)
			if err != nil {
				t.Fatalf("collecting the input: %v", err)
			}
			eff, err := nodeconfig.Kubelet(in)

			if tc.refuse {
				if run.config != nil {
					t.Errorf("the kubelet accepted the input; want a refusal\n%s", run.log)
				} else {
					t.Logf("the kubelet refused: %s", run.failure())
				}
				switch {
				case err == nil && tc.gap != "":
					t.Logf("known difference: nodeconfig.Kubelet accepts the input (%s)", tc.gap)
				case err == nil:
					t.Errorf("nodeconfig.Kubelet accepted the input; the kubelet refuses it: %s", run.failure())
				default:
					t.Logf("palisade refused: %v", err)
				}
				return
			}
			if run.config == nil {
				t.Fatalf("the kubelet logged no effective configuration: %s\n%s", run.failure(), run.log)
			}
			if err != nil {
				t.Fatalf("nodeconfig.Kubelet refused an input the kubelet accepts: %v", err)
			}
			diffs := compareConfig(run.config, eff.Object)
			diffs = append(diffs, compareFlags(run, eff, args)...)
			diffs = append(diffs, compareWarnings(run, eff)...)
			for _, d := range diffs {
				t.Error(d)
			}
			if len(diffs) > 0 {
				t.Logf("arguments: %q (cwd %s)", args, cwd)
			}
		})
	}
}

// collectInput builds nodeconfig's Input the way the collector does: the arguments as
// the kubelet got them, its working directory, the --config file at its absolute path
// (relative to the working directory), and the .conf files under --config-dir in the
// order the kubelet merges them (filepath.WalkDir's lexical order, subdirectories
// included), at absolute paths, the files it skips left out.
func collectInput(cwd string, args []string) (nodeconfig.Input, error) {
	in := nodeconfig.Input{Args: args, Cwd: cwd}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(cwd, p)
	}
	if p := lastFlag(args, "config"); p != "" {
		b, err := os.ReadFile(abs(p))
		if err != nil {
			return in, err
		}
		in.Config = &nodeconfig.File{Path: abs(p), Content: b}
	}
	if dir := lastFlag(args, "config-dir"); dir != "" {
		err := filepath.WalkDir(abs(dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(d.Name()) != ".conf" {
				return err
			}
			b, err := os.ReadFile(path)
			in.DropIns = append(in.DropIns, nodeconfig.File{Path: path, Content: b})
			return err
		})
		if err != nil {
			return in, err
		}
	}
	return in, nil
}

// lastFlag is the value of the last --name=value or --name value in args (enough for
// the test's own command lines: --config and --config-dir take a value).
func lastFlag(args []string, name string) string {
	var v string
	for i := 0; i < len(args); i++ {
		n, val, ok := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || strings.ReplaceAll(n, "_", "-") != name {
			continue
		}
		if !ok && i+1 < len(args) {
			i++
			val = args[i]
		}
		v = val
	}
	return v
}

// kubeletRun is what one kubelet run logged.
type kubeletRun struct {
	// config is the logged effective configuration (nil if none was logged).
	config map[string]any
	// flags are the "FLAG: --name=value" lines (logged with --v=1 or more).
	flags map[string]string
	// deprecated are the flags pflag warned about ("Flag --name has been
	// deprecated, why"), by name; lenient counts the config files the kubelet
	// decoded leniently ("Using lenient decoding as strict decoding failed").
	deprecated map[string]string
	lenient    int
	// log is the standard error read (up to the configuration and its flags), for
	// messages; exit is how the run ended.
	log  string
	exit error
}

// failure is the error the kubelet exited with, from its log (a multi-line value
// joined), else its exit status.
func (r kubeletRun) failure() string {
	lines := strings.Split(strings.TrimSpace(r.log), "\n")
	for i, line := range lines {
		if !strings.Contains(line, "command failed") && !strings.HasPrefix(line, "Error:") {
			continue
		}
		if !strings.HasSuffix(line, "=<") {
			return line
		}
		msg := strings.TrimSuffix(line, "<")
		for _, l := range lines[i+1:] {
			text, ok := strings.CutPrefix(l, "\t")
			if !ok {
				break
			}
			msg += " " + strings.TrimSpace(text)
		}
		return msg
	}
	return fmt.Sprintf("exit: %v", r.exit)
}

var (
	klogLine  = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^ \]]+\] (.*)$`)
	flagLine  = regexp.MustCompile(`^FLAG: --([^=]+)=(".*")$`)
	configMsg = `"Effective KubeletConfiguration" config=<`
	// deprecatedLine is pflag's warning, written as it parses the flag.
	deprecatedLine = regexp.MustCompile(`^Flag --([^ ]+) has been deprecated, (.*)$`)
)

// runKubelet runs the kubelet in dir with args and reads its effective configuration
// from its log (klog's text format: a multi-line value is key=<, its lines each
// after a tab, then " >"), and the FLAG lines that follow it; the process group is
// killed as soon as anything else follows.
func runKubelet(t *testing.T, kubelet, dir string, args []string) kubeletRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubelet, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the kubelet: %v", err)
	}
	kill := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer kill()

	run := kubeletRun{flags: map[string]string{}, deprecated: map[string]string{}}
	var log, yamlText strings.Builder
	const (
		before = iota
		inConfig
		after
	)
	state := before
	sc := bufio.NewScanner(io.LimitReader(stderr, maxLog))
	sc.Buffer(make([]byte, 64<<10), maxLog)
read:
	for sc.Scan() {
		line := sc.Text()
		if state == inConfig {
			if line == " >" {
				state = after
				continue
			}
			text, ok := strings.CutPrefix(line, "\t")
			if !ok {
				t.Fatalf("unexpected line in the logged configuration: %q", line)
			}
			yamlText.WriteString(text + "\n")
			continue
		}
		log.WriteString(line + "\n")
		m := klogLine.FindStringSubmatch(line)
		if d := deprecatedLine.FindStringSubmatch(line); d != nil && state == before {
			run.deprecated[d[1]] = d[2]
		}
		if m != nil && strings.HasPrefix(m[1], `"Using lenient decoding`) {
			run.lenient++
		}
		switch {
		case state == before && m != nil && m[1] == configMsg:
			state = inConfig
		case state == after && m != nil && flagLine.MatchString(m[1]):
			f := flagLine.FindStringSubmatch(m[1])
			v, err := strconv.Unquote(f[2])
			if err != nil {
				t.Fatalf("FLAG line %q: %v", line, err)
			}
			run.flags[f[1]] = v
		case state == after:
			// Past the configuration and its flags (the validation error): done.
			kill()
			break read
		}
	}
	if state == inConfig {
		t.Fatalf("the kubelet's log ended inside the configuration (%v)\n%s", sc.Err(), log.String())
	}
	kill()
	run.exit = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the kubelet ran for more than %s and was killed", runTimeout)
	}
	run.log = log.String()
	if state == after {
		j, err := yaml.YAMLToJSON([]byte(yamlText.String()))
		if err != nil {
			t.Fatalf("the logged configuration is not YAML: %v\n%s", err, yamlText.String())
		}
		if err := json.Unmarshal(j, &run.config); err != nil || run.config == nil {
			t.Fatalf("the logged configuration is not an object: %v", err)
		}
	}
	return run
}

// compareConfig lists every path where Palisade's object differs from the kubelet's,
// after both went through JSON (numbers alike) and the sensitive staticPodURLHeader
// values were masked in Palisade's as the kubelet masks them in its log.
func compareConfig(kubelet, palisade map[string]any) []string {
	var p map[string]any
	b, err := json.Marshal(palisade)
	if err != nil {
		return []string{fmt.Sprintf("palisade's object does not encode: %v", err)}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return []string{fmt.Sprintf("palisade's object does not decode: %v", err)}
	}
	if h, ok := p["staticPodURLHeader"].(map[string]any); ok {
		for k := range h {
			h[k] = []any{"<masked>"}
		}
	}
	for path := range excluded {
		delete(kubelet, path)
		delete(p, path)
	}
	var diffs []string
	diffValue("", kubelet, p, &diffs)
	return diffs
}

func diffValue(path string, k, p any, diffs *[]string) {
	km, kIsMap := k.(map[string]any)
	pm, pIsMap := p.(map[string]any)
	if kIsMap && pIsMap {
		keys := map[string]bool{}
		for key := range km {
			keys[key] = true
		}
		for key := range pm {
			keys[key] = true
		}
		sorted := make([]string, 0, len(keys))
		for key := range keys {
			sorted = append(sorted, key)
		}
		sort.Strings(sorted)
		for _, key := range sorted {
			sub := key
			if path != "" {
				sub = path + "." + key
			}
			kv, inK := km[key]
			pv, inP := pm[key]
			switch {
			case !inP:
				*diffs = append(*diffs, fmt.Sprintf("%s: kubelet %s, palisade has no such field", sub, show(kv)))
			case !inK:
				*diffs = append(*diffs, fmt.Sprintf("%s: palisade %s, the kubelet has no such field", sub, show(pv)))
			default:
				diffValue(sub, kv, pv, diffs)
			}
		}
		return
	}
	if !reflect.DeepEqual(k, p) {
		*diffs = append(*diffs, fmt.Sprintf("%s: kubelet %s, palisade %s", path, show(k), show(p)))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// compareFlags holds Palisade's non-configuration flags (Effective.Flags) to the
// values the kubelet logged for them (FLAG lines, with --v=1 or more), and checks
// that each non-configuration flag of the command line is among them.
func compareFlags(run kubeletRun, eff *nodeconfig.Effective, args []string) []string {
	if len(run.flags) == 0 {
		return nil
	}
	var diffs []string
	names := make([]string, 0, len(eff.Flags))
	for name := range eff.Flags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, ok := run.flags[name]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("flag --%s: palisade %q, the kubelet has no such flag", name, eff.Flags[name]))
		case want != eff.Flags[name]:
			diffs = append(diffs, fmt.Sprintf("flag --%s: kubelet %q, palisade %q", name, want, eff.Flags[name]))
		}
	}
	for _, a := range args {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		n = strings.ReplaceAll(n, "_", "-")
		if !strings.HasPrefix(a, "--") || !nonConfigFlags[n] {
			continue
		}
		if _, ok := eff.Flags[n]; !ok {
			diffs = append(diffs, fmt.Sprintf("flag --%s: kubelet %q, palisade has no such flag", n, run.flags[n]))
		}
	}
	return diffs
}

// compareWarnings checks that Palisade warns of each deprecated flag the kubelet
// warned of (and of no other), and of lenient decoding when the kubelet decoded a
// file leniently.
func compareWarnings(run kubeletRun, eff *nodeconfig.Effective) []string {
	var diffs []string
	warned := map[string]bool{}
	for _, w := range eff.Warnings {
		if m := palisadeDeprecated.FindStringSubmatch(w); m != nil {
			warned[m[1]] = true
		}
	}
	for name, why := range run.deprecated {
		if !warned[name] && name != guardName {
			diffs = append(diffs, fmt.Sprintf("warning: the kubelet warns that --%s has been deprecated (%s); palisade does not (warnings %q)", name, why, eff.Warnings))
		}
	}
	for name := range warned {
		if _, ok := run.deprecated[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("warning: palisade warns that --%s has been deprecated; the kubelet does not", name))
		}
	}
	if run.lenient > 0 {
		found := false
		for _, w := range eff.Warnings {
			found = found || strings.Contains(strings.ToLower(w), "lenient") || strings.Contains(strings.ToLower(w), "strict")
		}
		if !found {
			diffs = append(diffs, fmt.Sprintf("warning: the kubelet decoded a file leniently (strict decoding failed); palisade does not say so (warnings %q)", eff.Warnings))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// palisadeDeprecated is nodeconfig's deprecation warning.
var palisadeDeprecated = regexp.MustCompile(`^flag --([^ ]+) .*has been deprecated`)

// nonConfigFlags are the kubelet flags of the test's command lines that set no
// KubeletConfiguration field (KubeletFlags, cmd/kubelet/app/options): they are
// checked against the kubelet's FLAG lines.
var nonConfigFlags = map[string]bool{
	"config": true, "config-dir": true, "kubeconfig": true, "hostname-override": true,
	"root-dir": true, "cert-dir": true, "seccomp-default": true,
	"node-labels": true, "node-ip": true,
	"maximum-dead-containers": true, "maximum-dead-containers-per-container": true,
	"minimum-container-ttl-duration": true, "experimental-allocatable-ignore-eviction": true,
}

// reachableKubelet returns a path to the kubelet binary that the kubelet's user
// can execute: as root the kubelet runs as nobody, which cannot reach a binary
// cached under root's home (mode 0700), so it gets a copy in a directory it reaches.
func reachableKubelet(t *testing.T, bin string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return bin
	}
	dst := filepath.Join(tempDir(t), "kubelet")
	in, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// tempDir is a temporary directory that the kubelet, running as nobody, can read.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "palisade-kubeletdiff-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // the kubelet runs as nobody: it must reach the directory
		for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
				t.Fatalf("%s is not searchable by others, so the kubelet (run as nobody) cannot reach %s: set TMPDIR to a directory it can reach", p, dir)
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	return dir
}

// copyTree copies the files under src into dst, readable by everyone.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the case's files: %v", err)
	}
}
