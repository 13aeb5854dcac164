package nodecollect

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

// sleepEnv makes the test binary sleep instead of testing: it is then a process
// named kubelet, found in the real /proc.
const sleepEnv = "PALISADE_NODECOLLECT_SLEEP"

func TestMain(m *testing.M) {
	if os.Getenv(sleepEnv) == "1" {
		time.Sleep(5 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  x509:
    clientCAFile: pki/ca.crt
staticPodURLHeader:
  Authorization:
  - Bearer TOPSECRET
readOnlyPort: 0
`

// kubeadmRoot is a kubeadm node: a kubelet unit with drop-ins, an environment
// file, a configuration file with a relative client CA path, a drop-in directory
// (a subdirectory, a file it skips), the control plane's files, links inside the
// root and out of it.
func kubeadmRoot(t testing.TB) string {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "ca.crt"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildRoot(t, append(slices.Clone(accounts), []entry{
		{Path: "lib/systemd/system/kubelet.service", Mode: 0o644, Content: "[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n"},
		{Path: "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", Mode: 0o640, UID: 0, GID: 1003, Content: `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`},
		// The same name in /etc wins over /usr/lib; another name is added after.
		{Path: "etc/systemd/system/kubelet.service.d/10-kubeadm.conf", Mode: 0o600, Content: "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--kubeconfig=/etc/kubernetes/kubelet.conf\"\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n"},
		{Path: "etc/systemd/system/kubelet.service.d/20-extra.conf", Content: "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--config-dir=/etc/kubernetes/kubelet.conf.d --hostname-override=${LABELS}\" \"LABELS=a=b,c=d\"\n"},
		{Path: "etc/systemd/system/kubelet.service.d/README", Content: "not a drop-in"},
		{Path: "var/lib/kubelet/kubeadm-flags.env", Mode: 0o600, Content: "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10\"\n"},
		{Path: "var/lib/kubelet/config.yaml", Mode: 0o640, UID: 1001, GID: 1003, Content: kubeletConfig},
		{Path: "etc/kubernetes/pki/ca.crt", Mode: 0o644, Content: "-----BEGIN CERTIFICATE-----\n"},
		{Path: "etc/kubernetes/pki/ca.key", Mode: 0o600, Content: "KEY"},
		{Path: "etc/kubernetes/pki/etcd/server.crt", Mode: 0o644, UID: 1002, GID: 1002, Content: "CERT"},
		{Path: "etc/kubernetes/pki/etcd/server.key", Mode: 0o600, UID: 1002, GID: 1002, Content: "KEY"},
		{Path: "etc/kubernetes/pki/README", Content: "not a certificate"},
		// The client CA: a relative link inside the root.
		{Path: "var/lib/kubelet/pki/ca.crt", Link: "../../../../etc/kubernetes/pki/ca.crt"},
		// The kubelet's kubeconfig: an absolute link inside the root.
		{Path: "etc/kubernetes/kubelet.conf", Link: "/etc/kubernetes/real/kubelet.conf"},
		{Path: "etc/kubernetes/real/kubelet.conf", Mode: 0o600, UID: 0, GID: 0, Content: "apiVersion: v1\nkind: Config\nusers: [{name: x, user: {token: TOKEN}}]\n"},
		// The bootstrap kubeconfig points out of the root: confined, it is missing.
		{Path: "etc/kubernetes/bootstrap-kubelet.conf", Link: filepath.Join(outside, "ca.crt")},
		{Path: "etc/kubernetes/kubelet.conf.d/10-a.conf", Content: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 10255\n"},
		{Path: "etc/kubernetes/kubelet.conf.d/15-dir/x.conf", Content: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodURLHeader: {X: [\"TOPSECRET2\"]}\n"},
		{Path: "etc/kubernetes/kubelet.conf.d/15-dir/zz.yaml", Content: "skipped"},
		{Path: "etc/kubernetes/kubelet.conf.d/20-b.conf", Mode: 0o000, Content: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"},
		{Path: "etc/kubernetes/kubelet.conf.d/README.md", Content: "skipped"},
		{Path: "etc/kubernetes/manifests/kube-apiserver.yaml", Mode: 0o600, Content: "kind: Pod\n"},
		{Path: "etc/kubernetes/manifests/etcd.yaml", Mode: 0o600, Content: "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    command:\n    - etcd\n    - --data-dir=/data/etcd\n"},
		{Path: "data/etcd", Dir: true, Mode: 0o700, UID: 1002, GID: 1002},
		{Path: "etc/kubernetes/admin.conf", Mode: 0o600, Content: "secret"},
		{Path: "etc/cni/net.d/10-flannel.conflist", Mode: 0o644, Content: "{}"},
	}...))
}

func fileOf(t *testing.T, f *nodefacts.Facts, role, path string) nodefacts.File {
	t.Helper()
	for _, x := range f.FilesOf(role) {
		if x.Path == path {
			return *x
		}
	}
	t.Fatalf("no %s file %s in %+v", role, path, f.Files)
	return nodefacts.File{}
}

// roundTrip encodes and decodes the facts, as every reader reads them.
func roundTrip(t *testing.T, f *nodefacts.Facts) *nodefacts.Facts {
	t.Helper()
	var b bytes.Buffer
	if err := nodefacts.Encode(&b, f); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"TOPSECRET", "TOKEN", "KEY", "CERT", "outside"} {
		if bytes.Contains(b.Bytes(), []byte(secret)) {
			t.Errorf("the facts hold %q:\n%s", secret, b.String())
		}
	}
	g, err := nodefacts.Decode(&b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return g
}

func TestCollectSystemdKubelet(t *testing.T) {
	root := kubeadmRoot(t)
	proc := buildProc(t, nil)
	f, err := Collect(context.Background(), Options{Root: root, Proc: proc, Version: "test", Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	f = roundTrip(t, f)
	if f.Metadata.Name != "node-a" || f.Node.OSImage != "Ubuntu 24.04.1 LTS" || f.Node.KernelVersion != "6.8.0-test" || f.Profile != "kubeadm" {
		t.Errorf("node %q %+v profile %q", f.Metadata.Name, f.Node, f.Profile)
	}
	k := f.Component(nodefacts.Kubelet)
	if !k.Found || k.How != nodefacts.HowSystemd || k.Exe != "/usr/bin/kubelet" || k.Cwd != "/" {
		t.Fatalf("kubelet %+v", k)
	}
	wantArgs := []string{"--kubeconfig=/etc/kubernetes/kubelet.conf", "--config=/var/lib/kubelet/config.yaml",
		"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock", "--pod-infra-container-image=registry.k8s.io/pause:3.10",
		// systemd does not expand a variable inside another's value.
		"--config-dir=/etc/kubernetes/kubelet.conf.d", "--hostname-override=${LABELS}"}
	if !slices.Equal(k.Args, wantArgs) {
		t.Errorf("args\n%q\nwant\n%q", k.Args, wantArgs)
	}
	wantUnits := []string{"/lib/systemd/system/kubelet.service", "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "/etc/systemd/system/kubelet.service.d/20-extra.conf"}
	if !slices.Equal(k.Units, wantUnits) {
		t.Errorf("units %q, want %q", k.Units, wantUnits)
	}
	if !slices.Equal(k.EnvFiles, []string{"/var/lib/kubelet/kubeadm-flags.env", "/etc/default/kubelet"}) {
		t.Errorf("env files %q", k.EnvFiles)
	}
	// The configuration file, its secret masked, its lines kept.
	if k.Config == nil || k.Config.Path != "/var/lib/kubelet/config.yaml" || k.Config.Error != "" {
		t.Fatalf("config %+v", k.Config)
	}
	if !strings.Contains(k.Config.Content, "  - <masked>\nreadOnlyPort: 0\n") || strings.Count(k.Config.Content, "\n") != strings.Count(kubeletConfig, "\n") {
		t.Errorf("config content:\n%s", k.Config.Content)
	}
	// Drop-ins in the kubelet's order: lexical, the subdirectory entered where it
	// sorts, other files skipped, an unreadable one an error.
	var got []string
	for _, d := range k.DropIns {
		s := d.Path
		switch {
		case d.Skipped:
			s += " skipped"
		case d.Error != "":
			s += " error"
		}
		got = append(got, s)
	}
	dir := "/etc/kubernetes/kubelet.conf.d/"
	want := []string{dir + "10-a.conf", dir + "15-dir/x.conf", dir + "15-dir/zz.yaml skipped", dir + "20-b.conf", dir + "README.md skipped"}
	if asRoot {
		// root reads a file of mode 0000.
		if k.DropIns[3].Error != "" || k.DropIns[3].Content == "" {
			t.Errorf("20-b.conf: %+v", k.DropIns[3])
		}
	} else {
		want[3] += " error"
	}
	if k.DropInDir != "/etc/kubernetes/kubelet.conf.d" || !slices.Equal(got, want) {
		t.Errorf("drop-ins %q\nwant %q", got, want)
	}
	if !strings.Contains(k.DropIns[1].Content, "<masked>") {
		t.Errorf("drop-in not masked: %q", k.DropIns[1].Content)
	}

	// Metadata.
	svc := fileOf(t, f, nodefacts.RoleKubeletService, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf")
	if !svc.Exists || svc.Mode != "0600" || svc.Type != "file" {
		t.Errorf("service drop-in %+v", svc)
	}
	cfg := fileOf(t, f, nodefacts.RoleKubeletConfig, "/var/lib/kubelet/config.yaml")
	if !cfg.Exists || cfg.Mode != "0640" || cfg.From != "--config" {
		t.Errorf("config %+v", cfg)
	}
	kc := fileOf(t, f, nodefacts.RoleKubeletKubeconfig, "/etc/kubernetes/kubelet.conf")
	if !kc.Exists || kc.Mode != "0600" || kc.From != "--kubeconfig" {
		t.Errorf("kubeconfig (through an absolute link) %+v", kc)
	}
	// The client CA: the configuration's relative path, against the file's
	// directory, through a relative link.
	ca := fileOf(t, f, nodefacts.RoleClientCA, "/var/lib/kubelet/pki/ca.crt")
	if !ca.Exists || ca.Mode != "0644" || !strings.Contains(ca.From, "authentication.x509.clientCAFile") {
		t.Errorf("client CA %+v", ca)
	}
	ed := fileOf(t, f, nodefacts.RoleEtcdDataDir, "/data/etcd")
	if !ed.Exists || ed.Type != "dir" || ed.Mode != "0700" {
		t.Errorf("etcd data dir %+v", ed)
	}
	for _, m := range []struct{ role, path string }{
		{nodefacts.RoleAPIServerManifest, "/etc/kubernetes/manifests/kube-apiserver.yaml"},
		{nodefacts.RoleAdminKubeconfig, "/etc/kubernetes/admin.conf"},
		{nodefacts.RolePKIDir, "/etc/kubernetes/pki"},
		{nodefacts.RolePKICert, "/etc/kubernetes/pki/ca.crt"},
		{nodefacts.RolePKIKey, "/etc/kubernetes/pki/ca.key"},
		{nodefacts.RolePKICert, "/etc/kubernetes/pki/etcd/server.crt"},
		{nodefacts.RolePKIKey, "/etc/kubernetes/pki/etcd/server.key"},
		{nodefacts.RoleCNI, "/etc/cni/net.d/10-flannel.conflist"},
	} {
		if x := fileOf(t, f, m.role, m.path); !x.Exists {
			t.Errorf("%s %s missing", m.role, m.path)
		}
	}
	for _, m := range []struct{ role, path string }{
		{nodefacts.RoleSchedulerManifest, "/etc/kubernetes/manifests/kube-scheduler.yaml"},
		{nodefacts.RoleAdminKubeconfig, "/etc/kubernetes/super-admin.conf"},
		{nodefacts.RoleSchedulerKubeconfig, "/etc/kubernetes/scheduler.conf"},
	} {
		if x := fileOf(t, f, m.role, m.path); x.Exists || x.Error != "" || x.UID != -1 {
			t.Errorf("missing %s %s: %+v", m.role, m.path, x)
		}
	}
	if asRoot {
		for _, c := range []struct {
			f           nodefacts.File
			uid, gid    int
			user, group string
		}{
			{cfg, 1001, 1003, "kube", "kubeconf"},
			{ed, 1002, 1002, "etcd", "etcd"},
			{fileOf(t, f, nodefacts.RoleKubeletService, "/lib/systemd/system/kubelet.service"), 0, 0, "root", "root"},
			{fileOf(t, f, nodefacts.RolePKIKey, "/etc/kubernetes/pki/etcd/server.key"), 1002, 1002, "etcd", "etcd"},
		} {
			if c.f.UID != c.uid || c.f.GID != c.gid || c.f.User != c.user || c.f.Group != c.group {
				t.Errorf("%s: owner %d:%d %s:%s, want %d:%d %s:%s", c.f.Path, c.f.UID, c.f.GID, c.f.User, c.f.Group, c.uid, c.gid, c.user, c.group)
			}
		}
	}
	kp := f.Component(nodefacts.KubeProxy)
	if kp.Found || len(kp.Tried) == 0 {
		t.Errorf("kube-proxy %+v", kp)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeProxyKubeconfig, "/var/lib/kube-proxy/kubeconfig.conf"); x.Exists {
		t.Errorf("kube-proxy kubeconfig %+v", x)
	}
}

// A link out of the root stays confined: the bootstrap kubeconfig's target is
// outside, so inside the root nothing is there.
func TestCollectConfinesLinks(t *testing.T) {
	root := kubeadmRoot(t)
	proc := buildProc(t, []fakeProcess{{PID: 10, PPID: 1, Argv: []string{"/usr/bin/kubelet", "--kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--config", "../../../../../../etc/kubernetes/bootstrap-kubelet.conf"}, Cwd: "/var/lib/kubelet"}})
	f, err := Collect(context.Background(), Options{Root: root, Proc: proc})
	if err != nil {
		t.Fatal(err)
	}
	f = roundTrip(t, f)
	k := f.Component(nodefacts.Kubelet)
	if k.Config == nil || k.Config.Path != "/etc/kubernetes/bootstrap-kubelet.conf" || k.Config.Content != "" || k.Config.Error == "" {
		t.Errorf("config through an escaping link: %+v", k.Config)
	}
	if strings.Contains(k.Config.Error, root) {
		t.Errorf("error names the root's directory: %s", k.Config.Error)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeletKubeconfig, "/etc/kubernetes/bootstrap-kubelet.conf"); x.Exists {
		t.Errorf("kubeconfig through an escaping link: %+v", x)
	}
}

// A flags-only kubelet found in /proc (with a relative --config of kube-proxy),
// two kubelets (a wrapper and its child).
func TestCollectFlagsOnlyProcess(t *testing.T) {
	root := buildRoot(t, append(slices.Clone(accounts), []entry{
		{Path: "var/lib/kube-proxy/config.conf", Content: "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: kubeconfig.conf\nmetricsBindAddress: 0.0.0.0:10249\n"},
		{Path: "var/lib/kube-proxy/kubeconfig.conf", Mode: 0o600, Content: "TOKEN"},
		{Path: "etc/kubernetes/kubelet.conf", Mode: 0o644, Content: "TOKEN"},
	}...))
	proc := buildProc(t, []fakeProcess{
		{PID: 7, PPID: 1, Argv: []string{"/usr/bin/kubelet", "--kubeconfig", "/etc/kubernetes/kubelet.conf", "--anonymous-auth=true"}, Cwd: "/", Exe: "/usr/bin/kubelet"},
		{PID: 9, PPID: 7, Argv: []string{"kubelet", "--child"}, Cwd: "/"},
		{PID: 12, PPID: 1, Argv: []string{"/usr/local/bin/kube-proxy", "--config=config.conf", "--kubeconfig=/ignored"}, Cwd: "/var/lib/kube-proxy"},
		{PID: 13, PPID: 1, Argv: []string{"/usr/bin/containerd"}, Cwd: "/"},
	})
	f, err := Collect(context.Background(), Options{Root: root, Proc: proc, NodeName: "worker-9"})
	if err != nil {
		t.Fatal(err)
	}
	f = roundTrip(t, f)
	if f.Metadata.Name != "worker-9" || f.Node.Hostname != "node-a" {
		t.Errorf("names %q %q", f.Metadata.Name, f.Node.Hostname)
	}
	k := f.Component(nodefacts.Kubelet)
	if !k.Found || k.How != nodefacts.HowProcess || k.PID != 7 || k.Config != nil || !slices.Equal(k.Args, []string{"--kubeconfig", "/etc/kubernetes/kubelet.conf", "--anonymous-auth=true"}) {
		t.Errorf("kubelet %+v", k)
	}
	if !slices.ContainsFunc(f.Notes, func(s string) bool { return strings.Contains(s, "2 kubelet processes") }) {
		t.Errorf("notes %q", f.Notes)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeletKubeconfig, "/etc/kubernetes/kubelet.conf"); !x.Exists || x.Mode != "0644" {
		t.Errorf("kubeconfig %+v", x)
	}
	if len(f.FilesOf(nodefacts.RoleKubeletConfig)) != 0 || len(f.FilesOf(nodefacts.RoleClientCA)) != 0 {
		t.Errorf("a flags-only kubelet has no config file nor client CA: %+v", f.Files)
	}
	kp := f.Component(nodefacts.KubeProxy)
	if !kp.Found || kp.Cwd != "/var/lib/kube-proxy" || kp.Config == nil || kp.Config.Path != "/var/lib/kube-proxy/config.conf" || kp.Config.Given != "config.conf" || !strings.Contains(kp.Config.Content, "metricsBindAddress") {
		t.Errorf("kube-proxy %+v", kp)
	}
	// With --config, kube-proxy takes its kubeconfig from the file, relative to
	// its working directory.
	if x := fileOf(t, f, nodefacts.RoleKubeProxyKubeconfig, "/var/lib/kube-proxy/kubeconfig.conf"); !x.Exists || x.Mode != "0600" {
		t.Errorf("kube-proxy kubeconfig %+v", x)
	}
	if len(f.FilesOf(nodefacts.RoleAPIServerManifest)) != 0 {
		t.Error("a worker has no control-plane files")
	}
}

// Nothing at all: the kubelet is not found, every place tried is listed, and the
// files are missing, not failing.
func TestCollectNothing(t *testing.T) {
	root := buildRoot(t, accounts)
	f, err := Collect(context.Background(), Options{Root: root, Proc: buildProc(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	f = roundTrip(t, f)
	k := f.Component(nodefacts.Kubelet)
	if k.Found || !slices.Contains(k.Tried, "/var/lib/kubelet/config.yaml") || !slices.Contains(k.Tried, "/usr/lib/systemd/system/kubelet.service") {
		t.Errorf("kubelet %+v", k)
	}
	for _, x := range f.Files {
		if x.Exists || x.Error != "" {
			t.Errorf("file %+v", x)
		}
	}
	if len(f.FilesOf(nodefacts.RoleKubeletService)) == 0 || len(f.FilesOf(nodefacts.RoleKubeletConfig)) == 0 {
		t.Errorf("files %+v", f.Files)
	}
}

// No process, no unit, but the profile's configuration file: found by profile.
func TestCollectProfileLocations(t *testing.T) {
	root := buildRoot(t, append(slices.Clone(accounts), entry{Path: "var/lib/kubelet/config.yaml", Mode: 0o600, Content: kubeletConfig}))
	f, err := Collect(context.Background(), Options{Root: root, Proc: buildProc(t, nil), Profile: "kubeadm"})
	if err != nil {
		t.Fatal(err)
	}
	f = roundTrip(t, f)
	k := f.Component(nodefacts.Kubelet)
	if !k.Found || k.How != nodefacts.HowProfile || k.Config == nil || !strings.Contains(k.Config.Content, "<masked>") || f.ProfileReason != "--profile" {
		t.Errorf("kubelet %+v", k)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeletConfig, "/var/lib/kubelet/config.yaml"); !x.Exists || x.Mode != "0600" {
		t.Errorf("config %+v", x)
	}
	if _, err := Collect(context.Background(), Options{Root: root, Proc: buildProc(t, nil), Profile: "nope"}); err == nil {
		t.Error("an unknown profile was accepted")
	}
}

func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, Options{Root: kubeadmRoot(t), Proc: buildProc(t, []fakeProcess{{PID: 5, Argv: []string{"kubelet"}}})}); err == nil {
		t.Error("a cancelled collection succeeded")
	}
}

// A real process in the real /proc: this test binary, run as "kubelet" (through
// a link of that name) from a working directory, with a relative --config.
func TestCollectRealProcess(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "kubelet")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	// The working directory is a real directory; the host root holds the same
	// path, so that the process's host paths lead into the root.
	cwd, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := buildRoot(t, append(slices.Clone(accounts),
		entry{Path: filepath.Join(cwd, "rel/config.yaml"), Mode: 0o600, UID: 1001, GID: 1001, Content: kubeletConfig},
		entry{Path: filepath.Join(cwd, "rel/pki/ca.crt"), Mode: 0o644, Content: "CERT"},
	))
	cmd := exec.Command(bin, "--config=rel/config.yaml", "--kubeconfig", "kubelet.conf")
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), sleepEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pid := cmd.Process.Pid
	// Wait until the process runs as the link (its cmdline is set at exec).
	var f *nodefacts.Facts
	for i := 0; i < 200; i++ {
		f, err = Collect(context.Background(), Options{Root: root, Proc: "/proc", pidFilter: func(p int) bool { return p == pid }})
		if err != nil {
			t.Fatal(err)
		}
		if f.Component(nodefacts.Kubelet).Found {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	f = roundTrip(t, f)
	k := f.Component(nodefacts.Kubelet)
	if !k.Found || k.How != nodefacts.HowProcess || k.PID != pid || k.Cwd != cwd || !slices.Equal(k.Args, []string{"--config=rel/config.yaml", "--kubeconfig", "kubelet.conf"}) {
		t.Fatalf("kubelet %+v", k)
	}
	if k.Exe != self {
		t.Errorf("exe %q, want %q", k.Exe, self)
	}
	if k.Config == nil || k.Config.Path != filepath.Join(cwd, "rel/config.yaml") || k.Config.Given != "rel/config.yaml" || !strings.Contains(k.Config.Content, "<masked>") {
		t.Errorf("config %+v", k.Config)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeletConfig, filepath.Join(cwd, "rel/config.yaml")); !x.Exists || x.Mode != "0600" || (asRoot && (x.UID != 1001 || x.User != "kube")) {
		t.Errorf("config file %+v", x)
	}
	if x := fileOf(t, f, nodefacts.RoleKubeletKubeconfig, filepath.Join(cwd, "kubelet.conf")); x.Exists {
		t.Errorf("kubeconfig %+v", x)
	}
	if x := fileOf(t, f, nodefacts.RoleClientCA, filepath.Join(cwd, "rel/pki/ca.crt")); !x.Exists {
		t.Errorf("client CA %+v", x)
	}
}
