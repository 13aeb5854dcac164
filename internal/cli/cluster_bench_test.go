package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// TestClusterScanScale times `palisade cluster` on a few thousand objects in the test
// API server (docs/BENCHMARKS.md). It runs only with PALISADE_CLUSTER_BENCH=N, N
// objects per kind and namespace group (default 3,000 objects with N=25).
func TestClusterScanScale(t *testing.T) {
	nStr := os.Getenv("PALISADE_CLUSTER_BENCH")
	if nStr == "" {
		t.Skip("set PALISADE_CLUSTER_BENCH=25 to time a cluster scan of ~3,000 objects")
	}
	per, err := strconv.Atoi(nStr)
	if err != nil || per <= 0 {
		t.Fatalf("PALISADE_CLUSTER_BENCH=%q: want a positive number", nStr)
	}
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	const namespaces = 20
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, namespaces)
	total := 0
	for i := 0; i < namespaces; i++ {
		ns := c.Namespace(t, nil)
		total += 1 + 6*per
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < per; j++ {
				name := fmt.Sprintf("app-%d", j)
				l := map[string]string{"app": name}
				for k := 0; k < 2; k++ {
					if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
						ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, k)},
						Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l},
							Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: podSpec(k == 0)}},
					}, metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
					if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
						ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, k)}, Data: map[string]string{"LOG_LEVEL": "info"},
					}, metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
				}
				if _, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: l, Ports: []corev1.ServicePort{{Port: 80}}},
				}, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
				if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"token": "x"},
				}, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("created %d objects in %d namespaces in %s", total, namespaces, time.Since(start).Round(time.Millisecond))
	kc := writeKubeconfig(t, c.Config())
	for run := 0; run < 3; run++ {
		start = time.Now()
		code, out, stderr := runCluster(t, "--kubeconfig", kc, "-o", "json", "--fail-on", "none")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		t.Logf("palisade cluster: %s (report %d bytes)", time.Since(start).Round(time.Millisecond), len(out))
	}
}
