package nodeconfig

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	sigsjson "sigs.k8s.io/json"
)

const (
	proxyAPIVersion = "kubeproxy.config.k8s.io/v1alpha1"
	proxyKind       = "KubeProxyConfiguration"
)

// kubeProxyFlagPaths maps kube-proxy's configuration flags to their v1alpha1
// JSON path. Flags not in the map are not configuration (Effective.Flags).
var kubeProxyFlagPaths = map[string]string{
	"feature-gates": "featureGates", "kubeconfig": "clientConnection.kubeconfig",
	"kube-api-content-type": "clientConnection.contentType", "kube-api-burst": "clientConnection.burst",
	"kube-api-qps": "clientConnection.qps", "hostname-override": "hostnameOverride",
	"bind-address": "bindAddress", "healthz-bind-address": "healthzBindAddress",
	"metrics-bind-address": "metricsBindAddress", "bind-address-hard-fail": "bindAddressHardFail",
	"profiling": "enableProfiling", "show-hidden-metrics-for-version": "showHiddenMetricsForVersion",
	"proxy-mode": "mode", "iptables-masquerade-bit": "iptables.masqueradeBit",
	"masquerade-all": "iptables.masqueradeAll", "iptables-localhost-nodeports": "iptables.localhostNodePorts",
	"iptables-sync-period": "iptables.syncPeriod", "iptables-min-sync-period": "iptables.minSyncPeriod",
	"ipvs-sync-period": "ipvs.syncPeriod", "ipvs-min-sync-period": "ipvs.minSyncPeriod",
	"ipvs-scheduler": "ipvs.scheduler", "ipvs-exclude-cidrs": "ipvs.excludeCIDRs", "ipvs-strict-arp": "ipvs.strictARP",
	"ipvs-tcp-timeout": "ipvs.tcpTimeout", "ipvs-tcpfin-timeout": "ipvs.tcpFinTimeout", "ipvs-udp-timeout": "ipvs.udpTimeout",
	"detect-local-mode": "detectLocalMode", "pod-bridge-interface": "detectLocal.bridgeInterface",
	"pod-interface-name-prefix": "detectLocal.interfaceNamePrefix", "cluster-cidr": "clusterCIDR",
	"nodeport-addresses": "nodePortAddresses", "oom-score-adj": "oomScoreAdj",
	"conntrack-max-per-core": "conntrack.maxPerCore", "conntrack-min": "conntrack.min",
	"conntrack-tcp-timeout-established": "conntrack.tcpEstablishedTimeout",
	"conntrack-tcp-timeout-close-wait":  "conntrack.tcpCloseWaitTimeout", "conntrack-tcp-be-liberal": "conntrack.tcpBeLiberal",
	"conntrack-udp-timeout": "conntrack.udpTimeout", "conntrack-udp-timeout-stream": "conntrack.udpStreamTimeout",
	"config-sync-period": "configSyncPeriod", "healthz-port": "healthzBindAddress", "metrics-port": "metricsBindAddress",
	"logging-format": "logging.format", "log-flush-frequency": "logging.flushFrequency", "v": "logging.verbosity",
	"vmodule": "logging.vmodule", "log-text-split-stream": "logging.options.text.splitStream",
	"log-text-info-buffer-size": "logging.options.text.infoBufferSize",
	"log-json-split-stream":     "logging.options.json.splitStream",
	"log-json-info-buffer-size": "logging.options.json.infoBufferSize",
}

// proxyFlags holds what kube-proxy's flags set outside the v1alpha1 object
// (fields of its internal type, deprecated ports).
type proxyFlags struct {
	masqueradeAll                              bool
	iptSync, iptMinSync, ipvsSync, ipvsMinSync time.Duration
	clusterCIDRs                               string
	healthzPort, metricsPort                   int32
	hostnameOverride                           string
}

func setKubeProxyDefaults(o *proxyv1alpha1.KubeProxyConfiguration) {
	if o.BindAddress == "" {
		o.BindAddress = "0.0.0.0"
	}
	healthz, metrics := "0.0.0.0", "127.0.0.1"
	if ip := parseIPSloppy(o.BindAddress); ip != nil && ip.To4() == nil {
		healthz, metrics = "[::]", "[::1]"
	}
	if o.HealthzBindAddress == "" {
		o.HealthzBindAddress = healthz + ":10256"
	} else {
		o.HealthzBindAddress = appendPortIfNeeded(o.HealthzBindAddress, 10256)
	}
	if o.MetricsBindAddress == "" {
		o.MetricsBindAddress = metrics + ":10249"
	} else {
		o.MetricsBindAddress = appendPortIfNeeded(o.MetricsBindAddress, 10249)
	}
	if o.OOMScoreAdj == nil {
		o.OOMScoreAdj = ptrTo[int32](-999)
	}
	if o.IPTables.SyncPeriod.Duration == 0 {
		o.IPTables.SyncPeriod = dur(30 * time.Second)
	}
	if o.IPTables.MinSyncPeriod.Duration == 0 {
		o.IPTables.MinSyncPeriod = dur(time.Second)
	}
	if o.IPTables.LocalhostNodePorts == nil {
		o.IPTables.LocalhostNodePorts = ptrTo(true)
	}
	if o.IPVS.SyncPeriod.Duration == 0 {
		o.IPVS.SyncPeriod = dur(30 * time.Second)
	}
	if o.NFTables.SyncPeriod.Duration == 0 {
		o.NFTables.SyncPeriod = dur(30 * time.Second)
	}
	if o.NFTables.MinSyncPeriod.Duration == 0 {
		o.NFTables.MinSyncPeriod = dur(time.Second)
	}
	if o.Conntrack.MaxPerCore == nil {
		o.Conntrack.MaxPerCore = ptrTo[int32](32 * 1024)
	}
	if o.Conntrack.Min == nil {
		o.Conntrack.Min = ptrTo[int32](128 * 1024)
	}
	if o.IPTables.MasqueradeBit == nil {
		o.IPTables.MasqueradeBit = ptrTo[int32](14)
	}
	if o.NFTables.MasqueradeBit == nil {
		o.NFTables.MasqueradeBit = ptrTo[int32](14)
	}
	if o.Conntrack.TCPEstablishedTimeout == nil {
		o.Conntrack.TCPEstablishedTimeout = &metav1.Duration{Duration: 24 * time.Hour}
	}
	if o.Conntrack.TCPCloseWaitTimeout == nil {
		o.Conntrack.TCPCloseWaitTimeout = &metav1.Duration{Duration: time.Hour}
	}
	if o.ConfigSyncPeriod.Duration == 0 {
		o.ConfigSyncPeriod.Duration = 15 * time.Minute
	}
	if o.ClientConnection.ContentType == "" {
		o.ClientConnection.ContentType = "application/vnd.kubernetes.protobuf"
	}
	if o.ClientConnection.QPS == 0 {
		o.ClientConnection.QPS = 5
	}
	if o.ClientConnection.Burst == 0 {
		o.ClientConnection.Burst = 10
	}
	if o.FeatureGates == nil {
		o.FeatureGates = map[string]bool{}
	}
	logsapi.SetRecommendedLoggingConfiguration(&o.Logging)
}

func parseIPSloppy(s string) net.IP {
	if ip := net.ParseIP(s); ip != nil {
		return ip
	}
	if sloppyIPv4(s) {
		parts := strings.Split(s, ".")
		b := make(net.IP, 4)
		for i, p := range parts {
			n, _ := strconv.Atoi(p)
			b[i] = byte(n)
		}
		return net.IPv4(b[0], b[1], b[2], b[3])
	}
	return nil
}

func appendPortIfNeeded(addr string, port int32) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	if parseIPSloppy(addr) == nil {
		return addr
	}
	return net.JoinHostPort(addr, strconv.Itoa(int(port)))
}

// ipPortValue is kube-proxy's IPPortVar: an IP or IP:port; empty leaves the field.
type ipPortValue struct{ p *string }

func (v *ipPortValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v *ipPortValue) Set(s string) error {
	if s == "" {
		v.p = nil
		return nil
	}
	if v.p == nil {
		return fmt.Errorf("the flag was given an empty value before (kube-proxy crashes)")
	}
	if validIP(s) {
		*v.p = s
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not in a valid format (ip or ip:port): %v", s, err)
	}
	if !validIP(host) {
		return fmt.Errorf("%q is not a valid IP address", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.HasPrefix(port, "+") {
		return fmt.Errorf("%q is not a valid number", port)
	}
	*v.p = s
	return nil
}
func (*ipPortValue) Type() string { return "ipport" }

type stringValue struct{ p *string }

func (v stringValue) String() string     { return *v.p }
func (v stringValue) Set(s string) error { *v.p = s; return nil }
func (stringValue) Type() string         { return "string" }

func kubeProxyFlagSet(v *proxyv1alpha1.KubeProxyConfiguration, pf *proxyFlags) *pflag.FlagSet {
	fs := pflag.NewFlagSet("kube-proxy", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.SetOutput(discard{})
	fs.Usage = func() {}
	fs.String("config", "", "")
	fs.String("write-config-to", "", "")
	fs.Bool("cleanup", false, "")
	fs.Var(cliflag.NewMapStringBool(&v.FeatureGates), "feature-gates", "")
	fs.StringVar(&v.ClientConnection.Kubeconfig, "kubeconfig", v.ClientConnection.Kubeconfig, "")
	fs.String("master", "", "")
	fs.StringVar(&v.ClientConnection.ContentType, "kube-api-content-type", v.ClientConnection.ContentType, "")
	fs.Int32Var(&v.ClientConnection.Burst, "kube-api-burst", v.ClientConnection.Burst, "")
	fs.Float32Var(&v.ClientConnection.QPS, "kube-api-qps", v.ClientConnection.QPS, "")
	fs.StringVar(&pf.hostnameOverride, "hostname-override", "", "")
	fs.Var(&ipValue{&v.BindAddress}, "bind-address", "")
	fs.Var(&ipPortValue{&v.HealthzBindAddress}, "healthz-bind-address", "")
	fs.Var(&ipPortValue{&v.MetricsBindAddress}, "metrics-bind-address", "")
	fs.BoolVar(&v.BindAddressHardFail, "bind-address-hard-fail", v.BindAddressHardFail, "")
	fs.BoolVar(&v.EnableProfiling, "profiling", v.EnableProfiling, "")
	fs.StringVar(&v.ShowHiddenMetricsForVersion, "show-hidden-metrics-for-version", v.ShowHiddenMetricsForVersion, "")
	fs.Bool("init-only", false, "")
	fs.Var(stringValue{(*string)(&v.Mode)}, "proxy-mode", "")
	fs.Var(int32Ptr{&v.IPTables.MasqueradeBit}, "iptables-masquerade-bit", "")
	fs.BoolVar(&pf.masqueradeAll, "masquerade-all", pf.masqueradeAll, "")
	fs.Var(boolPtr{&v.IPTables.LocalhostNodePorts}, "iptables-localhost-nodeports", "")
	fs.DurationVar(&pf.iptSync, "iptables-sync-period", pf.iptSync, "")
	fs.DurationVar(&pf.iptMinSync, "iptables-min-sync-period", pf.iptMinSync, "")
	fs.DurationVar(&pf.ipvsSync, "ipvs-sync-period", pf.ipvsSync, "")
	fs.DurationVar(&pf.ipvsMinSync, "ipvs-min-sync-period", pf.ipvsMinSync, "")
	fs.StringVar(&v.IPVS.Scheduler, "ipvs-scheduler", v.IPVS.Scheduler, "")
	fs.StringSliceVar(&v.IPVS.ExcludeCIDRs, "ipvs-exclude-cidrs", v.IPVS.ExcludeCIDRs, "")
	fs.BoolVar(&v.IPVS.StrictARP, "ipvs-strict-arp", v.IPVS.StrictARP, "")
	fs.DurationVar(&v.IPVS.TCPTimeout.Duration, "ipvs-tcp-timeout", v.IPVS.TCPTimeout.Duration, "")
	fs.DurationVar(&v.IPVS.TCPFinTimeout.Duration, "ipvs-tcpfin-timeout", v.IPVS.TCPFinTimeout.Duration, "")
	fs.DurationVar(&v.IPVS.UDPTimeout.Duration, "ipvs-udp-timeout", v.IPVS.UDPTimeout.Duration, "")
	fs.Var(stringValue{(*string)(&v.DetectLocalMode)}, "detect-local-mode", "")
	fs.StringVar(&v.DetectLocal.BridgeInterface, "pod-bridge-interface", v.DetectLocal.BridgeInterface, "")
	fs.StringVar(&v.DetectLocal.InterfaceNamePrefix, "pod-interface-name-prefix", v.DetectLocal.InterfaceNamePrefix, "")
	fs.StringVar(&pf.clusterCIDRs, "cluster-cidr", pf.clusterCIDRs, "")
	fs.StringSliceVar(&v.NodePortAddresses, "nodeport-addresses", v.NodePortAddresses, "")
	fs.Var(int32Ptr{&v.OOMScoreAdj}, "oom-score-adj", "")
	fs.Var(int32Ptr{&v.Conntrack.MaxPerCore}, "conntrack-max-per-core", "")
	fs.Var(int32Ptr{&v.Conntrack.Min}, "conntrack-min", "")
	fs.Var(durationPtr{&v.Conntrack.TCPEstablishedTimeout}, "conntrack-tcp-timeout-established", "")
	fs.Var(durationPtr{&v.Conntrack.TCPCloseWaitTimeout}, "conntrack-tcp-timeout-close-wait", "")
	fs.BoolVar(&v.Conntrack.TCPBeLiberal, "conntrack-tcp-be-liberal", v.Conntrack.TCPBeLiberal, "")
	fs.DurationVar(&v.Conntrack.UDPTimeout.Duration, "conntrack-udp-timeout", v.Conntrack.UDPTimeout.Duration, "")
	fs.DurationVar(&v.Conntrack.UDPStreamTimeout.Duration, "conntrack-udp-timeout-stream", v.Conntrack.UDPStreamTimeout.Duration, "")
	fs.DurationVar(&v.ConfigSyncPeriod.Duration, "config-sync-period", v.ConfigSyncPeriod.Duration, "")
	fs.Int32Var(&pf.healthzPort, "healthz-port", pf.healthzPort, "")
	fs.Lookup("healthz-port").Deprecated = "This flag is deprecated and will be removed in a future release. Please use --healthz-bind-address instead."
	fs.Int32Var(&pf.metricsPort, "metrics-port", pf.metricsPort, "")
	fs.Lookup("metrics-port").Deprecated = "This flag is deprecated and will be removed in a future release. Please use --metrics-bind-address instead."
	addLoggingFlags(&v.Logging, fs)
	// cobra's --help, component-base's --version, cAdvisor's Go flags.
	fs.BoolP("help", "h", false, "")
	fs.Var(versionValue{}, "version", "")
	fs.Lookup("version").NoOptDefVal = "true"
	fs.String("boot-id-file", "/proc/sys/kernel/random/boot_id", "")
	fs.String("machine-id-file", "/etc/machine-id,/var/lib/dbus/machine-id", "")
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Value.(boolPtr); ok {
			f.NoOptDefVal = "true"
		}
	})
	return fs
}

// KubeProxy builds kube-proxy's effective configuration the way kube-proxy
// v1.37 does (cmd/kube-proxy/app): without --config, the v1alpha1 defaults and
// the flags (the deprecated --healthz-port and --metrics-port rewrite the bind
// addresses' ports; the sync-period flags apply to the proxy mode's own
// settings); with --config, the file alone (decoded strictly, leniently with a
// warning when only strictness fails, defaulted) and of the flags only the
// logging ones and --hostname-override. The object is the v1alpha1 view of the
// result (sync periods and masqueradeAll under the active proxy mode only).
func KubeProxy(in Input) (*Effective, error) {
	e := &Effective{Flags: map[string]string{}, FlagArgs: map[string]int{}, origins: map[string]Origin{}, base: Origin{Kind: FromDefault}}
	if in.Configz != nil {
		return configz(e, in.Configz, "kubeproxy.config.k8s.io")
	}
	if err := checkArgs(in.Args); err != nil {
		return nil, err
	}
	v := &proxyv1alpha1.KubeProxyConfiguration{}
	setKubeProxyDefaults(v)
	pf := &proxyFlags{iptSync: v.IPTables.SyncPeriod.Duration, iptMinSync: v.IPTables.MinSyncPeriod.Duration,
		ipvsSync: v.IPTables.SyncPeriod.Duration, ipvsMinSync: v.IPTables.MinSyncPeriod.Duration, healthzPort: 10256, metricsPort: 10249}
	// The internal type's single sync period, from the mode-less defaults.
	syncPeriod, minSyncPeriod := v.IPTables.SyncPeriod, v.IPTables.MinSyncPeriod
	var masqueradeAll bool
	fs := kubeProxyFlagSet(v, pf)
	if err := fs.Parse(in.Args); err != nil {
		return nil, proxyArgError(in.Args, err)
	}
	for i, a := range fs.Args() {
		if a != "" {
			return nil, fmt.Errorf("kube-proxy does not take any arguments, got %q (argument %d or later)", a, i)
		}
	}
	configFlag, _ := fs.GetString("config")
	writeTo, _ := fs.GetString("write-config-to")
	occs := scanArgs(fs, in.Args)
	if writeTo != "" && configFlag == "" {
		e.Warnings = append(e.Warnings, "--write-config-to: kube-proxy writes its default configuration and exits")
	}
	useFlags := true
	if configFlag != "" || in.Config != nil {
		if in.Config == nil {
			return nil, fmt.Errorf("--config %s: the file's content is not in the input", configFlag)
		}
		fileV, warnings, err := loadKubeProxyFile(in.Config)
		if err != nil {
			return nil, err
		}
		e.Warnings = append(e.Warnings, warnings...)
		// Logging flags the command line set take precedence over the file.
		var clone pflag.FlagSet
		vmodule := fileV.Logging.VModule
		fileV.Logging.VModule = nil
		addLoggingFlags(&fileV.Logging, &clone)
		clone.VisitAll(func(f *pflag.Flag) {
			if from := fs.Lookup(f.Name); from != nil && from.Changed {
				_ = f.Value.Set(from.Value.String())
			}
		})
		fileV.Logging.VModule = append(fileV.Logging.VModule, vmodule...)
		v = fileV
		syncPeriod, minSyncPeriod, masqueradeAll = modePeriods(v)
		if err := recordFileOrigins(e.origins, in.Config, FromFile); err != nil {
			return nil, err
		}
		useFlags = false
	} else {
		masqueradeAll = pf.masqueradeAll
		if writeTo == "" {
			v.HealthzBindAddress = addressFromDeprecatedFlags(v.HealthzBindAddress, pf.healthzPort)
			v.MetricsBindAddress = addressFromDeprecatedFlags(v.MetricsBindAddress, pf.metricsPort)
		}
		ipvs := v.Mode == modeIPVS
		if fs.Changed("iptables-sync-period") && !ipvs {
			syncPeriod.Duration = pf.iptSync
		}
		if fs.Changed("iptables-min-sync-period") && !ipvs {
			minSyncPeriod.Duration = pf.iptMinSync
		}
		if fs.Changed("ipvs-sync-period") && ipvs {
			syncPeriod.Duration = pf.ipvsSync
		}
		if fs.Changed("ipvs-min-sync-period") && ipvs {
			minSyncPeriod.Duration = pf.ipvsMinSync
		}
		if fs.Changed("cluster-cidr") {
			v.ClusterCIDR = pf.clusterCIDRs
		}
	}
	// platformApplyDefaults (Linux).
	if v.Mode == "" {
		v.Mode = modeIPTables
	}
	if v.Mode == modeNFTables && len(v.NodePortAddresses) == 0 {
		v.NodePortAddresses = []string{"primary"}
	}
	if v.DetectLocalMode == "" {
		v.DetectLocalMode = localModeClusterCIDR
	}
	if pf.hostnameOverride != "" {
		h := strings.TrimSpace(pf.hostnameOverride)
		if h == "" {
			return nil, fmt.Errorf("--hostname-override: empty hostname-override is invalid")
		}
		v.HostnameOverride = strings.ToLower(h)
	}
	placeModePeriods(v, syncPeriod, minSyncPeriod, masqueradeAll)

	for _, o := range occs {
		path, isConfig := kubeProxyFlagPaths[o.name]
		f := fs.Lookup(o.name)
		if f != nil && f.Deprecated != "" {
			e.Warnings = append(e.Warnings, fmt.Sprintf("flag --%s (argument %d) has been deprecated, %s", o.name, o.index, f.Deprecated))
		}
		if !isConfig || (o.name == "kubeconfig" && !useFlags) {
			val := o.value
			if f != nil && !isConfig {
				val = f.Value.String()
			}
			e.Flags[o.name], e.FlagArgs[o.name] = val, o.index
			if !isConfig {
				continue
			}
		}
		applies := useFlags || o.name == "hostname-override" || strings.HasPrefix(path, "logging.")
		if !applies {
			e.Warnings = append(e.Warnings, fmt.Sprintf("flag --%s (argument %d) is ignored: --config is given", o.name, o.index))
			continue
		}
		origin := Origin{Kind: FromFlag, Flag: o.text, Arg: o.index}
		switch o.name {
		case "masquerade-all":
			path = "iptables.masqueradeAll"
			if v.Mode == modeNFTables {
				path = "nftables.masqueradeAll"
			}
		case "iptables-sync-period", "iptables-min-sync-period", "ipvs-sync-period", "ipvs-min-sync-period":
			if strings.HasPrefix(o.name, "ipvs") != (v.Mode == modeIPVS) {
				continue
			}
		case "healthz-port", "metrics-port":
			if writeTo != "" {
				continue
			}
		case "feature-gates":
			for _, kv := range strings.Split(o.value, ",") {
				if k, _, _ := strings.Cut(kv, "="); strings.TrimSpace(k) != "" {
					e.origins["featureGates."+strings.TrimSpace(k)] = origin
				}
			}
			continue
		}
		deletePrefix(e.origins, path)
		e.origins[path] = origin
	}

	v.APIVersion, v.Kind = proxyAPIVersion, proxyKind
	obj, err := marshalObject(v)
	if err != nil {
		return nil, err
	}
	e.Object = obj
	defaultedZeros(e)
	e.usesFiles = !useFlags
	return e, nil
}

func proxyArgError(args []string, err error) error {
	if len(args) == 0 {
		return fmt.Errorf("arguments: %w", err)
	}
	fails := func(k int) bool {
		perr := kubeProxyFlagSet(&proxyv1alpha1.KubeProxyConfiguration{}, &proxyFlags{}).Parse(args[:k])
		return perr != nil && !(k < len(args) && strings.Contains(perr.Error(), "needs an argument"))
	}
	lo, hi := 1, len(args)
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo < 1 || lo > len(args) || !fails(lo) {
		return fmt.Errorf("arguments: %w", err)
	}
	return fmt.Errorf("argument %d (%q): %w", lo-1, args[lo-1], err)
}

func addressFromDeprecatedFlags(addr string, port int32) string {
	if port == 0 {
		return ""
	}
	return appendPortIfNeeded(addr, port)
}

// modePeriods is the v1alpha1 → internal conversion of the mode-specific fields.
func modePeriods(v *proxyv1alpha1.KubeProxyConfiguration) (sync, minSync metav1.Duration, masqAll bool) {
	switch v.Mode {
	case modeIPVS:
		return v.IPVS.SyncPeriod, v.IPVS.MinSyncPeriod, v.IPTables.MasqueradeAll
	case modeNFTables:
		return v.NFTables.SyncPeriod, v.NFTables.MinSyncPeriod, v.NFTables.MasqueradeAll
	}
	return v.IPTables.SyncPeriod, v.IPTables.MinSyncPeriod, v.IPTables.MasqueradeAll
}

// placeModePeriods is the internal → v1alpha1 conversion of them.
func placeModePeriods(v *proxyv1alpha1.KubeProxyConfiguration, sync, minSync metav1.Duration, masqAll bool) {
	v.IPTables.SyncPeriod, v.IPTables.MinSyncPeriod = metav1.Duration{}, metav1.Duration{}
	v.IPVS.SyncPeriod, v.IPVS.MinSyncPeriod = metav1.Duration{}, metav1.Duration{}
	v.NFTables.SyncPeriod, v.NFTables.MinSyncPeriod = metav1.Duration{}, metav1.Duration{}
	v.IPTables.MasqueradeAll, v.NFTables.MasqueradeAll = false, false
	switch v.Mode {
	case modeIPVS:
		v.IPVS.SyncPeriod, v.IPVS.MinSyncPeriod = sync, minSync
	case modeNFTables:
		v.NFTables.SyncPeriod, v.NFTables.MinSyncPeriod = sync, minSync
	default:
		v.IPTables.SyncPeriod, v.IPTables.MinSyncPeriod = sync, minSync
	}
	if v.Mode == modeNFTables {
		v.NFTables.MasqueradeAll = masqAll
	} else {
		v.IPTables.MasqueradeAll = masqAll
	}
}

func loadKubeProxyFile(f *File) (*proxyv1alpha1.KubeProxyConfiguration, []string, error) {
	if len(f.Content) > maxDocument {
		return nil, nil, fmt.Errorf("%s: %d bytes, over the %d-byte bound", f.Path, len(f.Content), maxDocument)
	}
	j, warnings, err := documentJSON(f)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGVK(f, j, proxyAPIVersion, proxyKind); err != nil {
		return nil, nil, err
	}
	if strictErrs, err := sigsjson.UnmarshalStrict(j, &proxyv1alpha1.KubeProxyConfiguration{}); err == nil {
		for _, se := range strictErrs {
			warnings = append(warnings, fmt.Sprintf("%s: lenient decoding: %v", f.Path, se))
		}
	}
	v := &proxyv1alpha1.KubeProxyConfiguration{}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, v); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", f.Path, decodeErr(f, err))
	}
	setKubeProxyDefaults(v)
	return v, warnings, nil
}

// Proxy modes and local-traffic detection modes (v1alpha1 defines no constants).
const (
	modeIPTables         = proxyv1alpha1.ProxyMode("iptables")
	modeIPVS             = proxyv1alpha1.ProxyMode("ipvs")
	modeNFTables         = proxyv1alpha1.ProxyMode("nftables")
	localModeClusterCIDR = proxyv1alpha1.LocalMode("ClusterCIDR")
)
