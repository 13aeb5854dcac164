package cli

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// cluster --images reads the images of the workloads of a live cluster (init
// containers too): an image that cannot be pulled is a coverage entry naming it
// (exit 3), never a silent pass.
func TestClusterImages(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	labels := map[string]string{"app": "web"}
	spec := podSpec(false)
	spec.Containers[0].Image = "127.0.0.1:1/app:1"
	spec.InitContainers = []corev1.Container{{Name: "init", Image: "127.0.0.1:1/init:1"}}
	if _, err := c.Client().AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := writeKubeconfig(t, c.Config())
	code, out, errs := runCluster(t, "--kubeconfig", kc, "-n", ns, "--images", "--insecure-registry", "127.0.0.1:1", "--image-cache", t.TempDir(), "--fail-on", "none")
	if code != ExitInputErrors {
		t.Fatalf("exit %d, want 3\n%s%s", code, out, errs)
	}
	for _, want := range []string{"NOT CHECKED image 127.0.0.1:1/app:1: ", "NOT CHECKED image 127.0.0.1:1/init:1: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCluster(t, "--kubeconfig", kc, "-n", ns, "--fail-on", "none")
	if code != ExitOK || strings.Contains(out, "NOT CHECKED") {
		t.Errorf("without --images: exit %d\n%s", code, out)
	}
}
