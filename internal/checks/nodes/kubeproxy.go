package nodes

// kube-proxy serves Prometheus metrics on metricsBindAddress: CIS 4.3.1.

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/nodeconfig"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	refKubeProxyConfig = "https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/"
	refKubeProxyFlags  = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-744", Title: "kube-proxy serves metrics beyond localhost", Severity: medium, Category: catNode,
			Rationale: "kube-proxy's metrics endpoint (port 10249) answers without authentication: bound to a node address or 0.0.0.0 it tells anyone on the network the Services, endpoints and proxy rules of the cluster, and /configz there serves kube-proxy's whole configuration. " +
				"Its default is 127.0.0.1:10249 ([::1]:10249 when bindAddress is IPv6); deployments that scrape it from Prometheus often widen it to 0.0.0.0. With --config, kube-proxy reads metricsBindAddress from the file and ignores the flag.",
			Remediation: "Set metricsBindAddress: 127.0.0.1:10249 in kube-proxy's configuration file (kubeadm: the kube-proxy ConfigMap in kube-system), or --metrics-bind-address=127.0.0.1:10249 when it runs without one; scrape metrics through a local agent or an authenticating proxy.",
			References:  []string{refKubeProxyConfig, refKubeProxyFlags},
			Frameworks:  nodeFrameworks("4.3.1"),
		},
		Kinds:   []string{inventory.NodeFactsKind},
		Targets: rules.Scan,
		Scoped:  true,
		Object:  checkKubeProxyMetrics,
	})
}

func checkKubeProxyMetrics(p *rules.Pass, o *inventory.Object) {
	a, ev, ok := applies(p, o, "4.3.1")
	if !ok {
		return
	}
	if a.facts.Source == nodefacts.SourceConfigz {
		p.ReportUnknown("the facts hold the kubelet's /configz only, not kube-proxy's command line or configuration")
		return
	}
	idx := -1
	for i := range a.facts.Components {
		if c := &a.facts.Components[i]; c.Name == nodefacts.KubeProxy && c.Found {
			idx = i
			break
		}
	}
	if idx < 0 {
		var tried []string
		if c := a.facts.Component(nodefacts.KubeProxy); c != nil {
			tried = c.Tried
		}
		p.ReportUnknown("no kube-proxy found on the node", tried...)
		return
	}
	c := &a.facts.Components[idx]
	m, err := kubeProxyMetricsBind(c)
	if err != nil {
		p.ReportUnknown("kube-proxy's metrics address could not be read: " + err.Error())
		return
	}
	if m.disabled || m.loopback() {
		return
	}
	path := fmt.Sprintf("components[%d]", idx)
	switch m.origin.Kind {
	case nodeconfig.FromFlag:
		path = fmt.Sprintf("%s.args[%d]", path, m.origin.Arg)
	case nodeconfig.FromFile:
		path += ".config.content"
	}
	ev.Component, ev.Setting, ev.Flag = nodefacts.KubeProxy, "metricsBindAddress", "--metrics-bind-address"
	ev.Value, ev.Expected = m.address, "127.0.0.1:10249 or [::1]:10249"
	ev.Origin = &finding.NodeOrigin{Kind: m.origin.Kind, File: m.origin.File, Flag: m.origin.Flag}
	p.ReportNode(ev, path, "kube-proxy metricsBindAddress is %s (from %s): its unauthenticated metrics are reachable beyond the node (%s)",
		m.address, m.origin, recommendation(ev))
}

// metricsBind is kube-proxy's effective metrics address.
type metricsBind struct {
	address  string
	disabled bool
	origin   nodeconfig.Origin
}

// loopback reports whether the address listens on a loopback address only.
func (m metricsBind) loopback() bool {
	ap, err := netip.ParseAddrPort(m.address)
	return err == nil && ap.Addr().IsLoopback()
}

// valid returns m, or an error when its address is not the IP:port kube-proxy
// accepts (it would refuse to start).
func (m metricsBind) valid() (metricsBind, error) {
	if _, err := netip.ParseAddrPort(m.address); err != nil {
		return metricsBind{}, fmt.Errorf("metricsBindAddress %q is not an IP address and port", m.address)
	}
	return m, nil
}

// kubeProxyMetricsBind reads kube-proxy's effective metricsBindAddress, built as
// kube-proxy builds it (nodeconfig.KubeProxy: with --config the file decides and
// most flags are ignored; without, --metrics-bind-address, the deprecated
// --metrics-port, 0 turning metrics off; the default 127.0.0.1:10249, [::1]:10249
// when bindAddress is IPv6).
func kubeProxyMetricsBind(c *nodefacts.Component) (metricsBind, error) {
	in := nodeconfig.Input{Args: c.Args, Cwd: c.Cwd, Running: c.How == nodefacts.HowProcess || c.How == nodefacts.HowSystemd}
	for _, a := range c.Args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "config" && (c.Config == nil || c.Config.Error != "") {
			why := "not in the facts"
			if c.Config != nil {
				why = c.Config.Error
			}
			return metricsBind{}, fmt.Errorf("its configuration file: %s", why)
		}
	}
	if c.Config != nil && c.Config.Error == "" {
		in.Config = &nodeconfig.File{Path: c.Config.Path, Content: []byte(c.Config.Content)}
	}
	e, err := nodeconfig.KubeProxy(in)
	if err != nil {
		return metricsBind{}, err
	}
	v, _ := e.Value("metricsBindAddress")
	addr, _ := v.(string)
	m := metricsBind{address: addr, origin: e.Origin("metricsBindAddress")}
	if addr == "" {
		m.disabled = true
		return m, nil
	}
	return m.valid()
}
