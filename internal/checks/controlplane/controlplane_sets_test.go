package controlplane_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// TestControlPlaneManifestSets scans the static pod directories under testdata as
// "palisade scan /etc/kubernetes/manifests" would and compares the control-plane
// findings, as "RULE file:line", with what each set must give.
func TestControlPlaneManifestSets(t *testing.T) {
	sets := map[string][]string{
		"hardened": nil,
		"kubeadm": {
			"PAL-701 kube-apiserver.yaml:15", "PAL-705 kube-apiserver.yaml:15", "PAL-709 kube-apiserver.yaml:20",
			"PAL-710 kube-apiserver.yaml:15", "PAL-711 kube-apiserver.yaml:15", "PAL-711 kube-apiserver.yaml:15",
			"PAL-714 kube-apiserver.yaml:15", "PAL-717 kube-apiserver.yaml:15", "PAL-718 kube-apiserver.yaml:15",
			"PAL-710 kube-controller-manager.yaml:13", "PAL-722 kube-controller-manager.yaml:13",
			"PAL-710 kube-scheduler.yaml:13",
		},
		"insecure": {
			"PAL-713 audit-policy.yaml:4",
			"PAL-719 encryption-config.yaml:14", "PAL-720 encryption-config.yaml:8",
			"PAL-725 etcd.yaml:15", "PAL-725 etcd.yaml:15", "PAL-725 etcd.yaml:15", "PAL-725 etcd.yaml:18",
			"PAL-725 etcd.yaml:22", "PAL-725 etcd.yaml:25",
			"PAL-726 etcd.yaml:15", "PAL-726 etcd.yaml:15", "PAL-726 etcd.yaml:15", "PAL-726 etcd.yaml:20", "PAL-726 etcd.yaml:27",
			"PAL-701 kube-apiserver.yaml:20", "PAL-702 kube-apiserver.yaml:21", "PAL-703 kube-apiserver.yaml:21",
			"PAL-704 kube-apiserver.yaml:22", "PAL-705 kube-apiserver.yaml:26", "PAL-706 kube-apiserver.yaml:39",
			"PAL-707 kube-apiserver.yaml:24", "PAL-708 kube-apiserver.yaml:23", "PAL-708 kube-apiserver.yaml:24",
			"PAL-710 kube-apiserver.yaml:29", "PAL-712 kube-apiserver.yaml:32",
			"PAL-714 kube-apiserver.yaml:17", "PAL-714 kube-apiserver.yaml:17", "PAL-714 kube-apiserver.yaml:17",
			"PAL-715 kube-apiserver.yaml:17", "PAL-715 kube-apiserver.yaml:17", "PAL-715 kube-apiserver.yaml:17", "PAL-715 kube-apiserver.yaml:25",
			"PAL-716 kube-apiserver.yaml:17", "PAL-717 kube-apiserver.yaml:36", "PAL-717 kube-apiserver.yaml:37",
			"PAL-710 kube-controller-manager.yaml:19", "PAL-721 kube-controller-manager.yaml:17", "PAL-722 kube-controller-manager.yaml:20",
			"PAL-723 kube-controller-manager.yaml:17", "PAL-723 kube-controller-manager.yaml:17", "PAL-723 kube-controller-manager.yaml:21",
			"PAL-724 kube-controller-manager.yaml:18",
			"PAL-710 kube-scheduler.yaml:19", "PAL-724 kube-scheduler.yaml:15",
		},
	}
	for set, want := range sets {
		t.Run(set, func(t *testing.T) {
			res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{filepath.Join("testdata", "controlplane", set)}}, FailOn: "none"})
			if err != nil {
				t.Fatal(err)
			}
			checkInputErrors(t, res.Report.Errors, "")
			var got []string
			for _, f := range res.Report.Findings {
				if strings.HasPrefix(f.RuleID, "PAL-7") {
					got = append(got, fmt.Sprintf("%s %s:%d", f.RuleID, filepath.Base(f.Location.File), f.Location.Line))
					checkControlPlaneMessage(t, &f)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("control-plane findings of %s:\n got  %q\n want %q", set, got, want)
			}
		})
	}
}

// checkControlPlaneMessage checks that a finding names a CIS recommendation of its rule.
func checkControlPlaneMessage(t *testing.T, f *finding.Finding) {
	t.Helper()
	for _, tag := range f.Frameworks {
		if id, ok := strings.CutPrefix(tag, "cis:"); ok && strings.Contains(f.Message, "CIS "+id) {
			return
		}
	}
	t.Errorf("%s: message %q names none of the rule's CIS recommendations %v", f.RuleID, f.Message, f.Frameworks)
}
