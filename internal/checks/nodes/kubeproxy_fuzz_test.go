package nodes

import (
	"net/netip"
	"testing"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

// FuzzKubeProxyMetricsBind: kube-proxy's command line and configuration file come
// from a node; reading them never panics, and an address it returns has a port.
func FuzzKubeProxyMetricsBind(f *testing.F) {
	f.Add("--metrics-bind-address=0.0.0.0:10249", "", "")
	f.Add("--config", "/var/lib/kube-proxy/config.conf", "metricsBindAddress: 0.0.0.0\nbindAddress: '::'")
	f.Add("--metrics-port=0", "--metrics-bind-address", "[::]")
	f.Add("--config=x", "", "{{{")
	f.Fuzz(func(t *testing.T, a, b, content string) {
		c := &nodefacts.Component{Name: nodefacts.KubeProxy, Found: true, Args: []string{a, b},
			Config: &nodefacts.ConfigFile{Path: "/var/lib/kube-proxy/config.conf", Content: content}}
		m, err := kubeProxyMetricsBind(c)
		if err != nil || m.disabled {
			return
		}
		if _, err := netip.ParseAddrPort(m.address); err != nil {
			t.Errorf("address %q is not an IP address and port: %v", m.address, err)
		}
		_ = m.loopback()
	})
}
