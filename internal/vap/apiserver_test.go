package vap

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

type warningCollector struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningCollector) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func (w *warningCollector) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.warnings
	w.warnings = nil
	return out
}

// TestAgainstAPIServer is a smoke test of the wiring against the real
// kube-apiserver (the full differential test is differential_test.go): a few
// policies (messageExpression, Warn, params, matchConditions) applied to the
// server and to Palisade, and objects created with server-side dry run; the
// verdict, message and warnings must be equal.
func TestAgainstAPIServer(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	marker := fmt.Sprintf("vapcore-%d", time.Now().UnixNano()%1e9)
	ns := c.Namespace(t, map[string]string{"vapcore": marker})
	rules := deploymentRules + "  namespaceSelector: {matchLabels: {vapcore: " + marker + "}}\n"
	src := strings.Join([]string{
		policy(marker+"-replicas", rules+"validations:\n- expression: object.spec.replicas <= 3\n  messageExpression: \"'replicas ' + string(object.spec.replicas) + ' > 3'\"\n  reason: Forbidden\n"),
		binding(marker+"-replicas", marker+"-replicas", "[Deny]", ""),
		policy(marker+"-team", rules+"matchConditions:\n- {name: not-db, expression: \"object.metadata.name != 'db'\"}\nvalidations:\n- expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n  message: no team label\n"),
		binding(marker+"-team", marker+"-team", "[Warn, Audit]", ""),
		policy(marker+"-params", rules+"paramKind: {apiVersion: v1, kind: ConfigMap}\nvalidations:\n- expression: object.metadata.name.size() <= int(params.data.maxName)\n"),
		binding(marker+"-params", marker+"-params", "[Deny]", "paramRef: {name: limits, namespace: "+ns+", parameterNotFoundAction: Deny}"),
		fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: %s}\ndata: {maxName: '6'}\n", ns),
	}, "\n---\n")
	s := compileYAML(t, src)

	var b Bundle
	for i, m := range docs(t, src) {
		if err := b.Add(m, Source{File: "x", Line: i}); err != nil {
			t.Fatal(err)
		}
	}
	admin := c.Client()
	for _, p := range b.Policies {
		if _, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		name := p.Name
		t.Cleanup(func() {
			_ = admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	for _, bd := range b.Bindings {
		if _, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, bd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		name := bd.Name
		t.Cleanup(func() {
			_ = admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"}, Data: map[string]string{"maxName": "6"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	cfg := c.Config()
	warnings := &warningCollector{}
	cfg.WarningHandler = warnings
	dyn, err := dynamic.NewForConfig(rest.CopyConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	create := func(obj map[string]any) (bool, string, []string) {
		_, err := dyn.Resource(deployments).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		w := warnings.take()
		if err == nil {
			return true, "", w
		}
		if status, ok := err.(apierrors.APIStatus); ok {
			return false, status.Status().Message, w
		}
		t.Fatal(err)
		return false, "", nil
	}
	// Wait for the server's policy informers to see the policies.
	probe := docs(t, deployment("probe", ns, 9, "team: a"))[0]
	deadline := time.Now().Add(60 * time.Second)
	for {
		allowed, msg, _ := create(probe)
		if !allowed && strings.Contains(msg, "replicas 9 > 3") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server did not apply the policies: %v %q", allowed, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}

	env := Env{Namespace: func(name string) (*corev1.Namespace, error) {
		return admin.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	}}
	for _, obj := range []string{
		deployment("web", ns, 2, "team: a"),
		deployment("web", ns, 5, "team: a"),
		deployment("web", ns, 2, ""),
		deployment("db", ns, 2, ""),
		deployment("frontend", ns, 2, "team: a"),
		deployment("frontend", ns, 2, ""),
		// Not an object two policies deny: which one the API server reports then
		// depends on its cache order (see the package doc).
	} {
		m := docs(t, obj)[0]
		allowed, msg, ws := create(m)
		req, err := s.RequestFor(m, ns, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.DryRun = true
		d, err := s.Evaluate(ctx, req, env)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != allowed || d.Message != msg || strings.Join(d.Warnings, "\n") != strings.Join(ws, "\n") {
			t.Errorf("%s:\nAPI server: %v %q %q\nPalisade:   %v %q %q", obj, allowed, msg, ws, d.Allowed, d.Message, d.Warnings)
		}
	}
}
