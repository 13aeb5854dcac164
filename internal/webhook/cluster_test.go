package webhook

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/admission"
)

// TestSlimKeepsEscalations: the pod cache keeps exactly what exec reviews read.
func TestSlimKeepsEscalations(t *testing.T) {
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "n", Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"big": "x"}},
		Spec: corev1.PodSpec{
			HostPID: true, HostIPC: true,
			InitContainers: []corev1.Container{{Name: "i", Image: "x", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}},
			Containers:     []corev1.Container{{Name: "c", Image: "x", Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "e", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}},
		},
	}
	out, err := slim(pod)
	if err != nil {
		t.Fatal(err)
	}
	p := out.(*corev1.Pod)
	if p.Annotations != nil || p.Spec.Containers[0].Image != "" || p.Spec.Containers[0].Env != nil || p.Labels["a"] != "b" {
		t.Errorf("slim kept too much: %+v", p)
	}
	if got, want := len(admission.Escalations(&p.Spec)), len(admission.Escalations(&pod.Spec)); got != want || want != 4 {
		t.Errorf("escalations after slim %d, before %d, want 4", got, want)
	}
	// A namespace keeps what ValidatingAdmissionPolicies see as namespaceObject
	// (annotations, spec, status), not its managed fields.
	ns, _ := slim(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"l": "v"}, Annotations: map[string]string{"a": "b"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
	if n := ns.(*corev1.Namespace); n.Labels["l"] != "v" || n.Annotations["a"] != "b" || n.ManagedFields != nil || n.Status.Phase != corev1.NamespaceActive {
		t.Errorf("namespace %+v", n)
	}
}

var _ admission.NamespaceReader = (*Cluster)(nil)
