package all_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// The rules judge the pod the API server stores, after its defaults (internal/workload,
// defaults.go), not the pod as written. The upstream Pod Security admission fixtures
// have both cases below.

// TestSourcelessVolumeIsEmptyDir: a volume that names no source is an emptyDir once
// stored, which restricted allows; neither PAL-027 nor PAL-606 (the namespace would
// reject the pod) may fire for it.
func TestSourcelessVolumeIsEmptyDir(t *testing.T) {
	restrictedNS := namespaceYAML("shop", "    pod-security.kubernetes.io/enforce: restricted\n", "") + "---\n"
	runCases(t, []ruleCase{
		{
			name:  "volume without a source in a restricted namespace",
			rules: []string{"PAL-027", "PAL-606"},
			yaml: restrictedNS + nsDeployment("web", "  namespace: shop\n", "", restrictedPod+
				"      volumes:\n      - name: scratch\n"),
		},
		{
			name:  "the same volume with a type outside the set is still reported",
			rules: []string{"PAL-027", "PAL-606"},
			yaml: restrictedNS + nsDeployment("web", "  namespace: shop\n", "", restrictedPod+
				"      volumes:\n      - name: scratch\n        nfs: {server: nfs.example.com, path: /x}\n"),
			want: []string{"PAL-027 - spec.template.spec.volumes[0]", "PAL-606 - spec.template.spec"},
		},
	})
}

// TestHostNetworkCopiesContainerPorts: with hostNetwork: true the API server copies
// each containerPort into hostPort, so the official hostPorts check fails and PAL-025
// reports it, on the line of the containerPort it comes from.
func TestHostNetworkCopiesContainerPorts(t *testing.T) {
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: true
  initContainers:
  - name: proxy
    image: envoy:1.30
    restartPolicy: Always
    ports:
    - containerPort: 15001
  containers:
  - name: app
    image: nginx:1.27
    ports:
    - containerPort: 8080
    - containerPort: 8443
      hostPort: 9443
`
	runCases(t, []ruleCase{
		{
			name:  "hostNetwork with container ports",
			rules: []string{"PAL-025"},
			yaml:  pod,
			want: []string{
				"PAL-025 proxy spec.initContainers[0].ports[0].hostPort",
				"PAL-025 app spec.containers[0].ports[0].hostPort",
				"PAL-025 app spec.containers[0].ports[1].hostPort",
			},
			lines: map[string]string{
				"spec.initContainers[0].ports[0].hostPort": "containerPort: 15001",
				"spec.containers[0].ports[0].hostPort":     "containerPort: 8080",
				"spec.containers[0].ports[1].hostPort":     "hostPort: 9443",
			},
		},
	})

	fs := scanYAML(t, pod, "")
	for _, f := range fs {
		if f.RuleID == "PAL-025" && strings.HasSuffix(f.Path, "ports[0].hostPort") && !strings.Contains(f.Message, "hostNetwork") {
			t.Errorf("%s %s: message %q does not say the hostPort comes from hostNetwork", f.RuleID, f.Path, f.Message)
		}
	}

	// The Pod Security Standards view: the hostPorts control fails, for a pod that
	// writes no hostPort at all.
	noHostPort := strings.Replace(pod, "      hostPort: 9443\n", "", 1)
	if noHostPort == pod {
		t.Fatal("the pod must lose its hostPort")
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(noHostPort)}, Framework: "pss-baseline", FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range res.Compliance.Controls {
		if c.Control.ID == "hostPorts" {
			found = true
			if c.Status != compliance.Fail {
				t.Errorf("control hostPorts is %s, want %s", c.Status, compliance.Fail)
			}
		}
	}
	if !found {
		t.Fatal("no hostPorts control in pss-baseline")
	}
}

// TestJobPodsCarryTheirJobName: the API server labels a Job's pods job-name and
// batch.kubernetes.io/job-name, so a NetworkPolicy may select them by it.
func TestJobPodsCarryTheirJobName(t *testing.T) {
	job := `apiVersion: batch/v1
kind: Job
metadata: {name: db-migrate, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: migrate, image: "migrate:1.0"}
---
`
	policy := func(label string) string {
		return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: migrate, namespace: shop}
spec:
  podSelector: {matchLabels: {` + label + `: db-migrate}}
  policyTypes: [Ingress, Egress]
`
	}
	tmpl := "PAL-421 - spec.template.metadata"
	runCases(t, []ruleCase{
		{name: "selected by job-name", rules: []string{"PAL-421", "PAL-422"}, yaml: job + policy("job-name")},
		{name: "selected by batch.kubernetes.io/job-name", rules: []string{"PAL-421", "PAL-422"}, yaml: job + policy("batch.kubernetes.io/job-name")},
		{name: "another label selects nothing", rules: []string{"PAL-421"}, yaml: job + policy("app"), want: []string{tmpl}},
	})
}
