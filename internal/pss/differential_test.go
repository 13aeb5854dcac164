package pss_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// mutation changes a compliant pod so that it touches one Pod Security control (or
// stays inside it with an allowed value, so both verdicts are exercised).
type mutation struct {
	name string
	fn   func(p *corev1.Pod)
}

func ptr[T any](v T) *T { return &v }

func app(p *corev1.Pod) *corev1.Container   { return &p.Spec.Containers[0] }
func init0(p *corev1.Pod) *corev1.Container { return &p.Spec.InitContainers[0] }

// compliantPod satisfies the restricted profile, with one init and one app container.
func compliantPod(name string) *corev1.Pod {
	sc := func() *corev1.SecurityContext {
		return &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36", SecurityContext: sc()}},
			Containers:     []corev1.Container{{Name: "app", Image: "nginx:1.27", SecurityContext: sc()}},
			Volumes:        []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

// mutations covers every control of both profiles, with violating and allowed values,
// at pod and container level and in init containers.
var mutations = []mutation{
	{"privileged", func(p *corev1.Pod) { app(p).SecurityContext.Privileged = ptr(true) }},
	{"privileged-false", func(p *corev1.Pod) { app(p).SecurityContext.Privileged = ptr(false) }},
	{"init-privileged", func(p *corev1.Pod) { init0(p).SecurityContext.Privileged = ptr(true) }},
	{"hostNetwork", func(p *corev1.Pod) { p.Spec.HostNetwork = true }},
	{"hostPID", func(p *corev1.Pod) { p.Spec.HostPID = true }},
	{"hostIPC", func(p *corev1.Pod) { p.Spec.HostIPC = true }},
	{"hostPort", func(p *corev1.Pod) {
		app(p).Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080}}
	}},
	{"hostPort-zero", func(p *corev1.Pod) { app(p).Ports = []corev1.ContainerPort{{ContainerPort: 8080}} }},
	{"hostPath", func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
	}},
	{"configMap-volume", func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}})
	}},
	{"nfs-volume", func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example", Path: "/export"}}})
	}},
	{"add-NET_ADMIN", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"} }},
	{"add-NET_RAW", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_RAW"} }},
	{"add-CHOWN", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Add = []corev1.Capability{"CHOWN"} }},
	{"add-NET_BIND_SERVICE", func(p *corev1.Pod) {
		app(p).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
	}},
	{"add-cap-prefix", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Add = []corev1.Capability{"CAP_CHOWN"} }},
	{"no-drop-all", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Drop = nil }},
	{"drop-lowercase-all", func(p *corev1.Pod) { app(p).SecurityContext.Capabilities.Drop = []corev1.Capability{"all"} }},
	{"init-no-drop-all", func(p *corev1.Pod) { init0(p).SecurityContext.Capabilities = nil }},
	{"ape-unset", func(p *corev1.Pod) { app(p).SecurityContext.AllowPrivilegeEscalation = nil }},
	{"ape-true", func(p *corev1.Pod) { app(p).SecurityContext.AllowPrivilegeEscalation = ptr(true) }},
	{"runAsNonRoot-unset", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsNonRoot = nil }},
	{"runAsNonRoot-false-container", func(p *corev1.Pod) { app(p).SecurityContext.RunAsNonRoot = ptr(false) }},
	{"runAsNonRoot-container-only", func(p *corev1.Pod) {
		p.Spec.SecurityContext.RunAsNonRoot = nil
		app(p).SecurityContext.RunAsNonRoot = ptr(true)
	}},
	{"runAsUser-0", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsUser = ptr(int64(0)) }},
	{"runAsUser-0-container", func(p *corev1.Pod) { init0(p).SecurityContext.RunAsUser = ptr(int64(0)) }},
	{"runAsUser-1000", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsUser = ptr(int64(1000)) }},
	{"seccomp-unset", func(p *corev1.Pod) { p.Spec.SecurityContext.SeccompProfile = nil }},
	{"seccomp-unconfined-pod", func(p *corev1.Pod) {
		p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}},
	{"seccomp-unconfined-container", func(p *corev1.Pod) {
		app(p).SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	}},
	{"seccomp-localhost-container", func(p *corev1.Pod) {
		p.Spec.SecurityContext.SeccompProfile = nil
		for _, c := range []*corev1.Container{app(p), init0(p)} {
			c.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr("p.json")}
		}
	}},
	{"apparmor-unconfined", func(p *corev1.Pod) {
		app(p).SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	}},
	{"apparmor-runtime-default", func(p *corev1.Pod) {
		p.Spec.SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	}},
	{"selinux-spc_t", func(p *corev1.Pod) {
		app(p).SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
	}},
	{"selinux-container_t", func(p *corev1.Pod) {
		p.Spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "container_t", Level: "s0:c1,c2"}
	}},
	{"selinux-user", func(p *corev1.Pod) { app(p).SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{User: "system_u"} }},
	{"procMount-unmasked", func(p *corev1.Pod) {
		app(p).SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount)
		p.Spec.HostUsers = ptr(false)
	}},
	{"sysctl-safe", func(p *corev1.Pod) {
		p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_local_port_range", Value: "1024 65535"}}
	}},
	{"sysctl-unsafe", func(p *corev1.Pod) {
		p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}}
	}},
	{"runAsGroup-0", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsGroup = ptr(int64(0)) }},
}

// TestPodSecurityMatchesAPIServer compares, pod by pod, Palisade's verdict for a
// namespace's enforce level (rule PAL-606 in a scan of the namespace and its pods)
// with the API server's own PodSecurity admission (server-side dry-run create), for
// every single mutation and every pair of them. Pods the API server rejects in
// validation (not by PodSecurity) are left out and counted.
func TestPodSecurityMatchesAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	c := kubetest.Shared(t)
	ctx := context.Background()
	levels := []string{"baseline", "restricted"}
	nsOf := map[string]string{}
	for _, l := range levels {
		nsOf[l] = c.Namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": l})
	}

	var pods []*corev1.Pod
	add := func(ms ...mutation) {
		var names []string
		for _, m := range ms {
			names = append(names, m.name)
		}
		p := compliantPod(fmt.Sprintf("p%03d", len(pods)))
		p.Annotations = map[string]string{"mutations": strings.Join(names, "+")}
		for _, m := range ms {
			m.fn(p)
		}
		pods = append(pods, p)
	}
	add()
	for i := range mutations {
		add(mutations[i])
		for j := i + 1; j < len(mutations); j++ {
			add(mutations[i], mutations[j])
		}
	}

	// The API server's verdicts.
	server := map[string]bool{} // level/pod -> rejected by PodSecurity
	valid := map[string]bool{}
	invalid := 0
	for _, p := range pods {
		ok := true
		for _, l := range levels {
			q := p.DeepCopy()
			q.Namespace = nsOf[l]
			_, err := c.Client().CoreV1().Pods(q.Namespace).Create(ctx, q, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			switch {
			case err == nil:
			case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
				server[l+"/"+p.Name] = true
			case apierrors.IsInvalid(err):
				ok = false
			default:
				t.Fatalf("%s (%s) in %s: %v", p.Name, p.Annotations["mutations"], l, err)
			}
		}
		if ok {
			valid[p.Name] = true
		} else {
			invalid++
		}
	}
	if len(valid) < 300 {
		t.Fatalf("only %d valid pods (%d invalid): the generator must cover more", len(valid), invalid)
	}

	// Palisade's verdicts: one scan of both namespaces and all valid pods.
	var b strings.Builder
	for _, l := range levels {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    pod-security.kubernetes.io/enforce: %s\n---\n", nsOf[l], l)
		for _, p := range pods {
			if !valid[p.Name] {
				continue
			}
			q := p.DeepCopy()
			q.Namespace = nsOf[l]
			out, err := yaml.Marshal(q)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(out)
			b.WriteString("---\n")
		}
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(b.String())}, FailOn: "none", Include: []string{"PAL-606"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	levelOf := map[string]string{}
	for l, ns := range nsOf {
		levelOf[ns] = l
	}
	palisade := map[string]bool{}
	for _, f := range res.Report.Findings {
		palisade[levelOf[f.Object.Namespace]+"/"+f.Object.Name] = true
	}

	var mismatches []string
	rejected := map[string]int{}
	for _, l := range levels {
		for _, p := range pods {
			if !valid[p.Name] {
				continue
			}
			k := l + "/" + p.Name
			if server[k] {
				rejected[l]++
			}
			if server[k] != palisade[k] {
				mismatches = append(mismatches, fmt.Sprintf("%s %s (%s): API server rejects=%v, Palisade rejects=%v", l, p.Name, p.Annotations["mutations"], server[k], palisade[k]))
			}
		}
	}
	sort.Strings(mismatches)
	for _, m := range mismatches {
		t.Error(m)
	}
	t.Logf("%d pods (%d left out as invalid), rejected by the API server: baseline %d, restricted %d; %d mismatches",
		len(valid), invalid, rejected["baseline"], rejected["restricted"], len(mismatches))
	// Both verdicts must occur at both levels, or the comparison proves little.
	for _, l := range levels {
		if rejected[l] == 0 || rejected[l] == len(valid) {
			t.Errorf("%s: %d of %d pods rejected; the generator must produce both verdicts", l, rejected[l], len(valid))
		}
	}
}
