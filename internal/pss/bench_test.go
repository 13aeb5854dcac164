package pss

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkEvaluate runs every official check on a typical two-container pod.
func BenchmarkEvaluate(b *testing.B) {
	ev, err := New("latest")
	if err != nil {
		b.Fatal(err)
	}
	f := false
	spec := &corev1.PodSpec{
		Containers: []corev1.Container{
			{Name: "app", Image: "app:1", SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &f}},
			{Name: "sidecar", Image: "proxy:1", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}},
		},
		Volumes: []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}},
	}
	meta := &metav1.ObjectMeta{Name: "p"}
	for b.Loop() {
		ev.Evaluate(meta, spec)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
}
