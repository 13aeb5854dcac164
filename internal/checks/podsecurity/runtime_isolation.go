package podsecurity

// A container shares the node's kernel: one kernel exploit from inside it reaches the
// node and every other pod there. Two layers narrow that path.
//
// Sandboxed runtimes (gVisor's runsc, Kata Containers) put a user-space kernel or a
// lightweight VM between the workload and the host. They cost performance and
// compatibility, so clusters keep them for code they do not trust — user-submitted
// jobs, third-party plugins, CI runners — and select them per pod with
// spec.runtimeClassName, which names a node.k8s.io RuntimeClass whose `handler` is the
// CRI runtime configuration on the nodes. A workload marked untrusted that names no
// RuntimeClass runs under the node's default runtime (runc), with no sandbox.
//
// Seccomp filters system calls; without a profile the container runtime runs the
// container Unconfined (unless every kubelet runs with --seccomp-default). The
// restricted Pod Security profile requires a profile, and PAL-013 reports its absence;
// teams that hold workloads only to baseline (podSecurityLevel: baseline) still get a
// low-severity note from PAL-030, since RuntimeDefault costs almost nothing. AppArmor
// needs no such note: on AppArmor-enabled nodes the runtime applies its default profile
// to every unprivileged container that sets none, and PAL-014 reports the explicit
// opt-out (unconfined). Windows pods have neither mechanism.
//
// Semantics:
//   - a RuntimeClass in the input is judged by its handler; a class only in the
//     cluster is judged by its name (parameter sandboxedRuntimeClasses);
//   - the seccomp profile is the effective one: the container's, else the pod's, else
//     the deprecated pod and container annotations, which the kubelet still honours.

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catRuntime = "runtime isolation"

	refRuntimeClass = "https://kubernetes.io/docs/concepts/containers/runtime-class/"
	refSeccomp      = "https://kubernetes.io/docs/tutorials/security/seccomp/"
)

// indexRuntimeClasses names the index of RuntimeClass handlers by class name.
var indexRuntimeClasses = inventory.NewIndex("runtimeclass-handlers", []string{"RuntimeClass"}, buildRuntimeClasses)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-030", Title: "Container without a seccomp profile (baseline scans)", Severity: low, Category: catRuntime,
			Rationale: "Without a seccomp profile the container runtime lets the container make every system call, including the rarely needed ones behind most container-escape exploits; RuntimeDefault blocks them at almost no cost. " +
				"This note runs only when the restricted profile's own rule (PAL-013, medium) does not: when the scan holds workloads to baseline (podSecurityLevel: baseline or --pss-level baseline) or PAL-013 is disabled. " +
				"AppArmor is not reported here: the runtime applies its default AppArmor profile to unprivileged containers that set none, and PAL-014 reports an explicit unconfined profile. Windows pods (spec.os.name: windows) have no seccomp and are skipped.",
			Remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod so every container inherits it (or a Localhost profile for a workload that needs a tailored one).",
			References:  []string{refSeccomp, refPSS},
			Frameworks:  rules.Frameworks{CIS: []string{"5.6.2"}, NSA: []string{nsaPodSec}, Layer: layerContainer},
		},
		CoveredBy: "PAL-013",
		Workload:  checkSeccompNote,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-031", Title: "Untrusted workload without a sandboxed runtime class", Severity: medium, Category: catRuntime,
			Rationale: "Workloads marked untrusted (by label or namespace, see the parameters) run code nobody vouches for. Under the default runtime (runc) such code shares the node's kernel with every other pod, so one kernel exploit takes the node. " +
				"A RuntimeClass whose handler is a sandboxed runtime (gVisor runsc, Kata Containers) gives the pod its own kernel boundary. A RuntimeClass in the input is judged by its handler; a class that exists only in the cluster is judged by its name.",
			Remediation: "Install a sandboxed runtime on (some) nodes, create a RuntimeClass for it (handler runsc or kata, with scheduling.nodeSelector for those nodes) and set spec.runtimeClassName on the untrusted workload's pod template.",
			References:  []string{refRuntimeClass, "https://gvisor.dev/docs/user_guide/containerd/quick_start/", "https://github.com/kata-containers/kata-containers/blob/main/docs/how-to/run-kata-with-k8s.md"},
			Frameworks:  rules.Frameworks{NSA: []string{nsaPodSec}, Layer: layerContainer},
			Params: []rules.Param{
				{Name: "untrustedLabels",
					Description: "Labels (key=value, or key alone for any value) that mark a workload as untrusted, on the pod template or on the workload object.",
					Default:     []string{"palisade.dev/untrusted=true"}},
				{Name: "untrustedNamespaces", Syntax: rules.Glob,
					Description: "Namespaces (shell patterns) whose workloads are all untrusted.",
					Default:     []string{}},
				{Name: "sandboxedHandlers", Syntax: rules.Glob,
					Description: "CRI handlers (shell patterns) that sandbox a pod; a RuntimeClass in the input counts when its handler matches.",
					Default:     []string{"runsc", "runsc-*", "gvisor", "kata", "kata-*"}},
				{Name: "sandboxedRuntimeClasses", Syntax: rules.Glob,
					Description: "RuntimeClass names (shell patterns) taken as sandboxed when the class is not in the input.",
					Default:     []string{"gvisor", "gvisor-*", "runsc", "runsc-*", "kata", "kata-*", "*sandbox*"}},
			},
		},
		Needs:    []inventory.AnyIndex{indexRuntimeClasses},
		Deferred: true,
		Workload: checkUntrustedRuntime,
	})
}

// runtimeClasses maps a RuntimeClass name to its handler ("" when it has none).
type runtimeClasses map[string]string

func buildRuntimeClasses(inv *inventory.Inventory) runtimeClasses {
	idx := runtimeClasses{}
	for _, o := range inv.Objects {
		if o.Ref.Kind != "RuntimeClass" || !strings.HasPrefix(o.Ref.APIVersion, "node.k8s.io/") {
			continue
		}
		if _, seen := idx[o.Ref.Name]; seen {
			continue
		}
		h, _ := o.Body["handler"].(string)
		idx[o.Ref.Name] = h
	}
	return idx
}

func isWindowsPod(spec *corev1.PodSpec) bool {
	return spec.OS != nil && spec.OS.Name == corev1.Windows
}

func checkSeccompNote(p *rules.Pass, w *workload.Workload) {
	if isWindowsPod(w.Spec) {
		return
	}
	podAnn := w.Meta.Annotations[seccompPodAnnotation]
	for _, c := range w.Containers {
		if c.Effective.SeccompProfile.Set {
			continue
		}
		ann, ok := w.Meta.Annotations[seccompContainerAnnotationPrefix+c.Name]
		if !ok {
			ann = podAnn
		}
		if ann != "" && ann != "unconfined" {
			continue // the kubelet still honours the deprecated annotations
		}
		p.Report(c.Effective.SeccompProfile.Path, c.Name,
			"container %q has no seccomp profile and the pod sets none to inherit, so it may make every system call", c.Name)
	}
}

func checkUntrustedRuntime(p *rules.Pass, w *workload.Workload) {
	ns := w.Object.Ref.Namespace
	why := ""
	switch {
	case hasExemptLabel(p.Strings("untrustedLabels"), w):
		why = "is labelled untrusted"
	case matchAny(p.Strings("untrustedNamespaces"), ns):
		why = "runs in namespace " + ns + ", whose workloads are untrusted"
	default:
		return
	}
	class := w.Spec.RuntimeClassName
	if class == nil || *class == "" {
		p.Report(w.SpecField("runtimeClassName"), "", "the workload %s but names no runtimeClassName, so it runs under the node's default runtime without a sandbox", why)
		return
	}
	name := *class
	handlers := p.Strings("sandboxedHandlers")
	byName := p.Strings("sandboxedRuntimeClasses")
	p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
		var idx runtimeClasses
		if inv != nil {
			idx = inventory.Get(inv, indexRuntimeClasses)
		}
		if h, ok := idx[name]; ok {
			if matchAny(handlers, h) {
				return true, ""
			}
			return false, " (its handler " + quoteList([]string{h}) + " is not a sandboxed runtime)"
		}
		return matchAny(byName, name), " (the class is not in the input and its name is not one of the sandboxed runtime classes)"
	}, w.SpecField("runtimeClassName"), "", "the workload %s but its runtimeClassName %q is not a sandboxed runtime", why, name)
}
