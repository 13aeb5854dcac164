package admission

import (
	"context"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
)

// Escalation is one reason a pod gives whoever execs into it the node: the rule that
// names the setting, and the field.
type Escalation struct {
	RuleID, Container, Path, Message string
}

// Escalations lists what makes a pod's processes as powerful as the node's: a
// privileged container of any kind (init, regular, ephemeral), or the host's PID or
// IPC namespace. Exec or attach into such a pod escalates to the node; the
// DenyEscalatingExec admission plugin refused it until Kubernetes 1.21.
func Escalations(spec *corev1.PodSpec) []Escalation {
	var out []Escalation
	if spec.HostPID {
		out = append(out, Escalation{RuleID: "PAL-019", Path: "spec.hostPID", Message: "the pod shares the host's PID namespace (hostPID=true)"})
	}
	if spec.HostIPC {
		out = append(out, Escalation{RuleID: "PAL-020", Path: "spec.hostIPC", Message: "the pod shares the host's IPC namespace (hostIPC=true)"})
	}
	priv := func(kind string, i int, name string, sc *corev1.SecurityContext) {
		if sc != nil && sc.Privileged != nil && *sc.Privileged {
			out = append(out, Escalation{RuleID: "PAL-001", Container: name,
				Path:    fmt.Sprintf("spec.%s[%d].securityContext.privileged", kind, i),
				Message: fmt.Sprintf("container %q is privileged", name)})
		}
	}
	for i, c := range spec.InitContainers {
		priv("initContainers", i, c.Name, c.SecurityContext)
	}
	for i, c := range spec.Containers {
		priv("containers", i, c.Name, c.SecurityContext)
	}
	for i, c := range spec.EphemeralContainers {
		priv("ephemeralContainers", i, c.Name, c.SecurityContext)
	}
	return out
}

// ReviewExec decides a request of /validate-exec: CONNECT to pods/exec or
// pods/attach (the target pod is read from c), and an update of
// pods/ephemeralcontainers (the pod with its new containers is in the request). It
// denies when the pod is privileged or shares the host's PID or IPC namespace.
// Webhook exemptions apply, matched with the pod's labels; an exemption limited to
// rules covers the escalations those rules name (PAL-001, PAL-019, PAL-020).
func (e *Evaluator) ReviewExec(ctx context.Context, req *admissionv1.AdmissionRequest, c Cluster) *Decision {
	d := newDecision(req)
	d.Object = finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: req.Namespace, Name: req.Name}
	var pod *corev1.Pod
	switch {
	case req.Operation == admissionv1.Connect && (req.SubResource == "exec" || req.SubResource == "attach"):
		if c == nil {
			return d.fail(fmt.Errorf("no cluster access to read pod %s/%s", req.Namespace, req.Name))
		}
		p, err := c.Pod(ctx, req.Namespace, req.Name)
		if apierrors.IsNotFound(err) {
			// The API server answers NotFound itself.
			d.Allowed = true
			return d
		}
		if err != nil {
			return d.fail(fmt.Errorf("read pod %s/%s: %w", req.Namespace, req.Name, err))
		}
		pod = p
	case req.SubResource == "ephemeralcontainers" && (req.Operation == admissionv1.Update || req.Operation == admissionv1.Create):
		if req.Kind.Group != "" || req.Kind.Version != "v1" || req.Kind.Kind != "Pod" {
			return d.fail(fmt.Errorf("%w: a pods/ephemeralcontainers request for %.100q %.100q, not a v1 Pod", ErrInvalid,
				apiVersion(req.Kind.Group, req.Kind.Version), req.Kind.Kind))
		}
		obj, err := e.requestObject(&req.Object, req)
		if err != nil {
			return d.fail(err)
		}
		if pod, err = toPod(obj.Body); err != nil {
			return d.fail(fmt.Errorf("%w: decode pod: %v", ErrInvalid, err))
		}
	default:
		if e.policies != nil {
			return e.reviewPolicies(ctx, req, c, d)
		}
		d.Allowed = true
		return d
	}
	var nsLabels map[string]string
	if c != nil {
		l, _, err := c.NamespaceLabels(ctx, req.Namespace)
		if err != nil {
			return d.fail(fmt.Errorf("namespace %s: %w", req.Namespace, err))
		}
		nsLabels = l
	}
	now := time.Now()
	scope := requestScope{req: req, ns: req.Namespace, nsLabels: nsLabels, kind: "Pod", name: req.Name, labels: pod.Labels}
	if ex := e.exemptAll(scope, now); ex != nil {
		d.Allowed, d.Exempt = true, ex.describe()
		return d
	}
	verb := req.SubResource
	if verb == "ephemeralcontainers" {
		verb = "adding an ephemeral container to"
	} else {
		verb += " into"
	}
	for _, esc := range Escalations(&pod.Spec) {
		v := Verdict{Action: config.Deny, Count: 1, Finding: finding.Finding{
			RuleID: esc.RuleID, Severity: finding.Critical, Object: d.Object, Container: esc.Container, Path: esc.Path,
			Message:     fmt.Sprintf("%s: %s a pod that is as powerful as its node is denied (formerly DenyEscalatingExec)", esc.Message, verb),
			Remediation: "Debug the pod through its logs or a copy without the privileges (kubectl debug --copy-to), or exempt the user or group for break-glass access",
		}}
		if ex := e.exemptRule(scope, esc.RuleID, now); ex != nil {
			v.Action, v.Note = config.Ignore, "exempt: "+ex.Reason
		}
		d.Verdicts = append(d.Verdicts, v)
	}
	if err := e.applyPolicies(ctx, d, req, scope, c, now); err != nil {
		return d.fail(err)
	}
	d.settle(e.limits.MaxListed)
	return d
}

// toPod converts a generic body into a Pod; a body that does not fit is an error,
// never a panic.
func toPod(body map[string]any) (pod *corev1.Pod, err error) {
	defer func() {
		if r := recover(); r != nil {
			pod, err = nil, fmt.Errorf("not a pod: %v", r)
		}
	}()
	pod = &corev1.Pod{}
	return pod, runtime.DefaultUnstructuredConverter.FromUnstructured(body, pod)
}
