package nodes_test

// Missing evidence is never a failure: these tests run node facts through the scan
// pipeline (as `palisade scan FACTS --framework cis-1.12` does) and check that a
// check whose input is missing is a coverage gap naming the rule, the node and the
// paths tried, with no finding, and that its CIS control is unknown, not pass.

import (
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// scanFacts scans one facts document with the node rules and the CIS view.
func scanFacts(t *testing.T, doc string) *scan.Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "facts.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{path}}, Include: []string{"PAL-7[3-8]?"},
		FailOn: "none", Workers: 1, Framework: "cis-1.12"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s", e.Message)
	}
	for _, e := range res.Report.Internal {
		t.Errorf("internal error: %v", e)
	}
	return res
}

func gapOf(res *scan.Result, rule string) *finding.CoverageGap {
	for i := range res.Report.Coverage {
		if g := &res.Report.Coverage[i]; g.Rule == rule {
			return g
		}
	}
	return nil
}

func findingsOf(res *scan.Result, rule string) int {
	n := 0
	for _, f := range res.Report.Findings {
		if f.RuleID == rule {
			n++
		}
	}
	return n
}

func control(t *testing.T, res *scan.Result, id string) compliance.ControlResult {
	t.Helper()
	for _, c := range res.Compliance.Controls {
		if c.Control.ID == id {
			return c
		}
	}
	t.Fatalf("no CIS control %s", id)
	return compliance.ControlResult{}
}

const header = `apiVersion: palisade.dev/v1
kind: NodeFacts
metadata:
  name: worker-1
schemaVersion: 1
profile: kubeadm
`

const kubelet = `components:
- name: kubelet
  found: true
  how: process
  args: [--config=/var/lib/kubelet/config.yaml, --kubeconfig=/etc/kubernetes/kubelet.conf]
  cwd: /
  config:
    path: /var/lib/kubelet/config.yaml
    content: |
      apiVersion: kubelet.config.k8s.io/v1beta1
      kind: KubeletConfiguration
- name: kube-proxy
  found: false
  tried: [/proc/*/cmdline kube-proxy]
`

// A file the collector looked for and did not find, and a role it did not look
// for at all, are unknown with the paths tried; "if present" files absent pass;
// the control-plane checks do not apply to a worker.
func TestMissingFilesAreUnknown(t *testing.T) {
	res := scanFacts(t, header+"source: host\n"+kubelet+`files:
- path: /etc/kubernetes/kubelet.conf
  role: kubelet-kubeconfig
  exists: false
  uid: 0
  gid: 0
- path: /var/lib/kube-proxy/kubeconfig.conf
  role: kube-proxy-kubeconfig
  exists: false
  uid: 0
  gid: 0
- path: /etc/kubernetes/pki/ca.crt
  role: client-ca
  exists: true
  error: "permission denied"
  uid: 0
  gid: 0
`)
	for _, tc := range []struct {
		rule, control string
		tried         []string
		reason        string
	}{
		{"PAL-754", "4.1.5", []string{"/etc/kubernetes/kubelet.conf"}, "no kubelet kubeconfig"},
		{"PAL-755", "4.1.6", []string{"/etc/kubernetes/kubelet.conf"}, "no kubelet kubeconfig"},
		// Not examined at all: the profile's locations are what would have been tried.
		{"PAL-750", "4.1.1", kubeadmService(t), "no kubelet service file"},
		// Found but not readable: unknown with the reason.
		{"PAL-756", "4.1.7", []string{"/etc/kubernetes/pki/ca.crt"}, "permission denied"},
		// kube-proxy was not found: the places its search looked.
		{"PAL-744", "4.3.1", []string{"/proc/*/cmdline kube-proxy"}, "no kube-proxy"},
	} {
		g := gapOf(res, tc.rule)
		if g == nil {
			t.Errorf("%s: no coverage gap; coverage %+v", tc.rule, res.Report.Coverage)
			continue
		}
		if g.Name != "worker-1" || g.Kind != "NodeFacts" || g.Namespace != "" || !slices.Equal(g.Tried, tc.tried) || !strings.Contains(g.Reason, tc.reason) {
			t.Errorf("%s: gap %+v, want node worker-1 (no namespace), tried %q, reason with %q", tc.rule, *g, tc.tried, tc.reason)
		}
		if n := findingsOf(res, tc.rule); n != 0 {
			t.Errorf("%s: %d findings for missing evidence", tc.rule, n)
		}
		if c := control(t, res, tc.control); c.Status != compliance.Unknown || len(c.Unknown) == 0 {
			t.Errorf("CIS %s: status %s (%s), want unknown", tc.control, c.Status, c.Reason)
		}
	}
	// 4.1.3 asks only if the kube-proxy kubeconfig is present: absent, it passes.
	for _, rule := range []string{"PAL-752", "PAL-753"} {
		if g := gapOf(res, rule); g != nil || findingsOf(res, rule) != 0 {
			t.Errorf("%s: an absent \"if present\" file gave %+v, %d findings", rule, g, findingsOf(res, rule))
		}
	}
	if c := control(t, res, "4.1.3"); c.Status != compliance.Pass {
		t.Errorf("CIS 4.1.3: status %s, want pass (the file is absent)", c.Status)
	}
	// A worker: the control-plane checks are not applicable, not unknown.
	for _, rule := range []string{"PAL-760", "PAL-770", "PAL-780"} {
		if g := gapOf(res, rule); g != nil || findingsOf(res, rule) != 0 {
			t.Errorf("%s on a worker: %+v, %d findings", rule, g, findingsOf(res, rule))
		}
	}
	if c := control(t, res, "1.1.1"); c.Status != compliance.NotApplicable || c.Reason != compliance.NoObjects {
		t.Errorf("CIS 1.1.1 on a worker: %s (%s), want not-applicable, no objects", c.Status, c.Reason)
	}
}

// Facts read from /configz hold the effective configuration only: the kubelet
// settings are judged, the file checks and the flags-only settings are unknown.
func TestConfigzFacts(t *testing.T) {
	res := scanFacts(t, header+`source: configz
node:
  labels:
    node-role.kubernetes.io/control-plane: ""
components: []
files: []
configz:
  kubeletconfig:
    authentication:
      anonymous:
        enabled: false
    authorization:
      mode: AlwaysAllow
`)
	if n := findingsOf(res, "PAL-731"); n != 1 {
		t.Errorf("PAL-731 on /configz with AlwaysAllow: %d findings, want 1", n)
	}
	for _, rule := range []string{"PAL-750", "PAL-754", "PAL-760", "PAL-780"} {
		g := gapOf(res, rule)
		if g == nil || !strings.Contains(g.Reason, "/configz carries no file metadata") {
			t.Errorf("%s on /configz facts: gap %+v, want unknown for lack of file metadata", rule, g)
		}
	}
	if g := gapOf(res, "PAL-736"); g == nil || !strings.Contains(g.Reason, "--hostname-override") {
		t.Errorf("PAL-736 on /configz facts: gap %+v, want unknown (a flag /configz does not show)", g)
	}
}

// A node without a kubelet: every kubelet check is unknown with the places the
// collector looked, none fails.
func TestNoKubelet(t *testing.T) {
	res := scanFacts(t, header+`source: host
components:
- name: kubelet
  found: false
  tried: [/proc/*/cmdline kubelet, /etc/systemd/system/kubelet.service]
files: []
`)
	for _, rule := range []string{"PAL-730", "PAL-731", "PAL-736", "PAL-743"} {
		g := gapOf(res, rule)
		if g == nil || !slices.Equal(g.Tried, []string{"/proc/*/cmdline kubelet", "/etc/systemd/system/kubelet.service"}) {
			t.Errorf("%s without a kubelet: gap %+v", rule, g)
		}
		if n := findingsOf(res, rule); n != 0 {
			t.Errorf("%s without a kubelet: %d findings", rule, n)
		}
	}
	if c := control(t, res, "4.2.1"); c.Status != compliance.Unknown {
		t.Errorf("CIS 4.2.1 without a kubelet: %s, want unknown", c.Status)
	}
}

// A configuration file the kubelet loads but the collector could not read (or did
// not keep) leaves every kubelet check unknown: judged without it, the kubelet
// would look like one started with flags only (AlwaysAllow, anonymous requests).
func TestUnreadableConfigIsUnknown(t *testing.T) {
	for name, comp := range map[string]string{
		"unreadable": `  config:
    path: /var/lib/kubelet/config.yaml
    error: permission denied
`,
		"not kept": "",
	} {
		res := scanFacts(t, header+`source: host
components:
- name: kubelet
  found: true
  how: process
  args: [--config=/var/lib/kubelet/config.yaml]
  cwd: /
`+comp+"files: []\n")
		for _, rule := range []string{"PAL-730", "PAL-731", "PAL-733"} {
			if n := findingsOf(res, rule); n != 0 {
				t.Errorf("%s: %s: %d findings from a configuration the facts do not hold", name, rule, n)
			}
			if g := gapOf(res, rule); g == nil || !strings.Contains(g.Reason, "configuration") {
				t.Errorf("%s: %s: gap %+v, want unknown", name, rule, g)
			}
		}
	}
}

// kubeadmService are the places the kubeadm profile keeps the kubelet's unit.
func kubeadmService(t *testing.T) []string {
	p, ok := nodeprofile.Get("kubeadm")
	if !ok {
		t.Fatal("no kubeadm profile")
	}
	return p.Kubelet.Service
}
