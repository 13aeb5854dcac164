package nodeconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// kubeletFlagPaths maps each kubelet flag bound to a KubeletConfiguration field to
// the field's JSON path (the origin a flag records). Flags not in the map are the
// kubelet's own flags (KubeletFlags, global flags): Effective.Flags.
var kubeletFlagPaths = map[string]string{
	"enable-server": "enableServer", "fail-swap-on": "failSwapOn", "pod-manifest-path": "staticPodPath",
	"sync-frequency": "syncFrequency", "file-check-frequency": "fileCheckFrequency",
	"http-check-frequency": "httpCheckFrequency", "manifest-url": "staticPodURL",
	"manifest-url-header": "staticPodURLHeader", "address": "address", "port": "port",
	"read-only-port": "readOnlyPort", "fail-cgroupv1": "failCgroupV1",
	"container-runtime-endpoint": "containerRuntimeEndpoint", "image-service-endpoint": "imageServiceEndpoint",
	"anonymous-auth":                               "authentication.anonymous.enabled",
	"authentication-token-webhook":                 "authentication.webhook.enabled",
	"authentication-token-webhook-cache-ttl":       "authentication.webhook.cacheTTL",
	"client-ca-file":                               "authentication.x509.clientCAFile",
	"authorization-mode":                           "authorization.mode",
	"authorization-webhook-cache-authorized-ttl":   "authorization.webhook.cacheAuthorizedTTL",
	"authorization-webhook-cache-unauthorized-ttl": "authorization.webhook.cacheUnauthorizedTTL",
	"tls-cert-file":                                "tlsCertFile", "tls-private-key-file": "tlsPrivateKeyFile",
	"rotate-server-certificates": "serverTLSBootstrap", "tls-cipher-suites": "tlsCipherSuites",
	"tls-min-version": "tlsMinVersion", "rotate-certificates": "rotateCertificates",
	"registry-qps": "registryPullQPS", "registry-burst": "registryBurst", "event-qps": "eventRecordQPS",
	"event-burst": "eventBurst", "enable-debugging-handlers": "enableDebuggingHandlers",
	"contention-profiling": "enableContentionProfiling", "healthz-port": "healthzPort",
	"healthz-bind-address": "healthzBindAddress", "oom-score-adj": "oomScoreAdj",
	"cluster-domain": "clusterDomain", "volume-plugin-dir": "volumePluginDir", "cluster-dns": "clusterDNS",
	"streaming-connection-idle-timeout": "streamingConnectionIdleTimeout",
	"node-status-update-frequency":      "nodeStatusUpdateFrequency",
	"minimum-image-ttl-duration":        "imageMinimumGCAge", "image-gc-high-threshold": "imageGCHighThresholdPercent",
	"image-gc-low-threshold": "imageGCLowThresholdPercent", "volume-stats-agg-period": "volumeStatsAggPeriod",
	"feature-gates": "featureGates", "kubelet-cgroups": "kubeletCgroups", "system-cgroups": "systemCgroups",
	"provider-id": "providerID", "cgroups-per-qos": "cgroupsPerQOS", "cgroup-driver": "cgroupDriver",
	"cgroup-root": "cgroupRoot", "cpu-manager-policy": "cpuManagerPolicy",
	"cpu-manager-policy-options": "cpuManagerPolicyOptions", "cpu-manager-reconcile-period": "cpuManagerReconcilePeriod",
	"qos-reserved": "qosReserved", "topology-manager-policy": "topologyManagerPolicy",
	"runtime-request-timeout": "runtimeRequestTimeout", "hairpin-mode": "hairpinMode", "max-pods": "maxPods",
	"pod-cidr": "podCIDR", "pod-max-pids": "podPidsLimit", "resolv-conf": "resolvConf", "runonce": "runOnce",
	"cpu-cfs-quota": "cpuCFSQuota", "cpu-cfs-quota-period": "cpuCFSQuotaPeriod",
	"enable-controller-attach-detach": "enableControllerAttachDetach",
	"make-iptables-util-chains":       "makeIPTablesUtilChains", "container-log-max-size": "containerLogMaxSize",
	"container-log-max-files": "containerLogMaxFiles", "allowed-unsafe-sysctls": "allowedUnsafeSysctls",
	"node-status-max-images": "nodeStatusMaxImages", "kernel-memcg-notification": "kernelMemcgNotification",
	"local-storage-capacity-isolation": "localStorageCapacityIsolation", "max-open-files": "maxOpenFiles",
	"kube-api-content-type": "contentType", "kube-api-qps": "kubeAPIQPS", "kube-api-burst": "kubeAPIBurst",
	"serialize-image-pulls": "serializeImagePulls", "eviction-hard": "evictionHard", "eviction-soft": "evictionSoft",
	"eviction-soft-grace-period":          "evictionSoftGracePeriod",
	"eviction-pressure-transition-period": "evictionPressureTransitionPeriod",
	"eviction-max-pod-grace-period":       "evictionMaxPodGracePeriod",
	"eviction-minimum-reclaim":            "evictionMinimumReclaim", "pods-per-core": "podsPerCore",
	"protect-kernel-defaults": "protectKernelDefaults", "reserved-cpus": "reservedSystemCPUs",
	"topology-manager-scope": "topologyManagerScope", "topology-manager-policy-options": "topologyManagerPolicyOptions",
	"system-reserved": "systemReserved", "kube-reserved": "kubeReserved",
	"enforce-node-allocatable": "enforceNodeAllocatable", "system-reserved-cgroup": "systemReservedCgroup",
	"kube-reserved-cgroup": "kubeReservedCgroup", "memory-manager-policy": "memoryManagerPolicy",
	"reserved-memory": "reservedMemory", "register-node": "registerNode",
	"register-with-taints": "registerWithTaints",
	// logsapi.AddFlags
	"logging-format": "logging.format", "log-flush-frequency": "logging.flushFrequency", "v": "logging.verbosity",
	"vmodule": "logging.vmodule", "log-text-split-stream": "logging.options.text.splitStream",
	"log-text-info-buffer-size": "logging.options.text.infoBufferSize",
	"log-json-split-stream":     "logging.options.json.splitStream",
	"log-json-info-buffer-size": "logging.options.json.infoBufferSize",
}

// mapFlags replace the whole field on their first use (cliflag map types); the
// origins recorded under the field are dropped. feature-gates is per gate.
var mapFlags = map[string]bool{
	"manifest-url-header": true, "cpu-manager-policy-options": true, "qos-reserved": true,
	"eviction-hard": true, "eviction-soft": true, "eviction-soft-grace-period": true,
	"eviction-minimum-reclaim": true, "topology-manager-policy-options": true,
	"system-reserved": true, "kube-reserved": true, "reserved-memory": true, "register-with-taints": true,
	"tls-cipher-suites": true, "cluster-dns": true, "allowed-unsafe-sysctls": true,
	"enforce-node-allocatable": true, "vmodule": true,
}

const deprecatedConfigFlag = "This parameter should be set via the config file specified by the Kubelet's --config flag. See https://kubernetes.io/docs/tasks/administer-cluster/kubelet-config-file/ for more information."

// kubeletFlagSet is the kubelet's command line (KubeletFlags, the
// KubeletConfiguration flags bound to c, the global flags) as pflag parses it.
// With c nil the configuration flags parse into a throwaway object.
func kubeletFlagSet(c *kubeletv1beta1.KubeletConfiguration) *pflag.FlagSet {
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.SetOutput(discard{})
	fs.Usage = func() {}

	// KubeletFlags (values kept only as text: Effective.Flags).
	fs.String("runtime-cgroups", "", "")
	fs.String("image-credential-provider-config", "", "")
	fs.String("image-credential-provider-bin-dir", "", "")
	for _, name := range []string{"config", "config-dir", "kubeconfig", "bootstrap-kubeconfig",
		"hostname-override", "node-ip", "cert-dir", "cloud-provider", "root-dir", "lock-file"} {
		fs.String(name, "", "")
	}
	fs.Lookup("cert-dir").DefValue = "/var/lib/kubelet/pki"
	fs.Bool("seccomp-default", false, "")
	fs.Var(cliflag.NewMapStringString(new(map[string]string)), "node-labels", "")
	fs.Bool("exit-on-lock-contention", false, "")
	fs.Duration("minimum-container-ttl-duration", 0, "")
	fs.Int32("maximum-dead-containers-per-container", 1, "")
	fs.Int32("maximum-dead-containers", -1, "")
	fs.String("experimental-mounter-path", "", "")
	fs.Bool("experimental-allocatable-ignore-eviction", false, "")
	for name, msg := range map[string]string{
		"minimum-container-ttl-duration":           "Use --eviction-hard or --eviction-soft instead. Will be removed in a future version.",
		"maximum-dead-containers-per-container":    "Use --eviction-hard or --eviction-soft instead. Will be removed in a future version.",
		"maximum-dead-containers":                  "Use --eviction-hard or --eviction-soft instead. Will be removed in a future version.",
		"experimental-mounter-path":                "will be removed in 1.25 or later. in favor of using CSI.",
		"experimental-allocatable-ignore-eviction": "will be removed in 1.25 or later.",
	} {
		fs.Lookup(name).Deprecated = msg
	}

	// Global flags: --version, --help, cAdvisor's --housekeeping-interval.
	fs.Var(versionValue{}, "version", "")
	fs.Lookup("version").NoOptDefVal = "true"
	fs.BoolP("help", "h", false, "")
	fs.Duration("housekeeping-interval", 10*time.Second, "")

	if c == nil {
		c = &kubeletv1beta1.KubeletConfiguration{}
		setKubeletDefaults(c, nil)
	}
	addKubeletConfigFlags(fs, c)
	return fs
}

func addKubeletConfigFlags(main *pflag.FlagSet, c *kubeletv1beta1.KubeletConfiguration) {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.Var(boolPtr{&c.EnableServer}, "enable-server", "")
	fs.Var(boolPtr{&c.FailSwapOn}, "fail-swap-on", "")
	fs.StringVar(&c.StaticPodPath, "pod-manifest-path", c.StaticPodPath, "")
	fs.DurationVar(&c.SyncFrequency.Duration, "sync-frequency", c.SyncFrequency.Duration, "")
	fs.DurationVar(&c.FileCheckFrequency.Duration, "file-check-frequency", c.FileCheckFrequency.Duration, "")
	fs.DurationVar(&c.HTTPCheckFrequency.Duration, "http-check-frequency", c.HTTPCheckFrequency.Duration, "")
	fs.StringVar(&c.StaticPodURL, "manifest-url", c.StaticPodURL, "")
	fs.Var(cliflag.NewColonSeparatedMultimapStringString(&c.StaticPodURLHeader), "manifest-url-header", "")
	fs.Var(&ipValue{&c.Address}, "address", "")
	fs.Int32Var(&c.Port, "port", c.Port, "")
	fs.Int32Var(&c.ReadOnlyPort, "read-only-port", c.ReadOnlyPort, "")
	fs.Var(boolPtr{&c.FailCgroupV1}, "fail-cgroupv1", "")
	fs.StringVar(&c.ContainerRuntimeEndpoint, "container-runtime-endpoint", c.ContainerRuntimeEndpoint, "")
	fs.StringVar(&c.ImageServiceEndpoint, "image-service-endpoint", c.ImageServiceEndpoint, "")
	fs.Var(boolPtr{&c.Authentication.Anonymous.Enabled}, "anonymous-auth", "")
	fs.Var(boolPtr{&c.Authentication.Webhook.Enabled}, "authentication-token-webhook", "")
	fs.DurationVar(&c.Authentication.Webhook.CacheTTL.Duration, "authentication-token-webhook-cache-ttl", c.Authentication.Webhook.CacheTTL.Duration, "")
	fs.StringVar(&c.Authentication.X509.ClientCAFile, "client-ca-file", c.Authentication.X509.ClientCAFile, "")
	fs.StringVar((*string)(&c.Authorization.Mode), "authorization-mode", string(c.Authorization.Mode), "")
	fs.DurationVar(&c.Authorization.Webhook.CacheAuthorizedTTL.Duration, "authorization-webhook-cache-authorized-ttl", c.Authorization.Webhook.CacheAuthorizedTTL.Duration, "")
	fs.DurationVar(&c.Authorization.Webhook.CacheUnauthorizedTTL.Duration, "authorization-webhook-cache-unauthorized-ttl", c.Authorization.Webhook.CacheUnauthorizedTTL.Duration, "")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", c.TLSCertFile, "")
	fs.StringVar(&c.TLSPrivateKeyFile, "tls-private-key-file", c.TLSPrivateKeyFile, "")
	fs.BoolVar(&c.ServerTLSBootstrap, "rotate-server-certificates", c.ServerTLSBootstrap, "")
	fs.StringSliceVar(&c.TLSCipherSuites, "tls-cipher-suites", c.TLSCipherSuites, "")
	fs.StringVar(&c.TLSMinVersion, "tls-min-version", c.TLSMinVersion, "")
	fs.BoolVar(&c.RotateCertificates, "rotate-certificates", c.RotateCertificates, "")
	fs.Var(int32Ptr{&c.RegistryPullQPS}, "registry-qps", "")
	fs.Int32Var(&c.RegistryBurst, "registry-burst", c.RegistryBurst, "")
	fs.Var(int32Ptr{&c.EventRecordQPS}, "event-qps", "")
	fs.Int32Var(&c.EventBurst, "event-burst", c.EventBurst, "")
	fs.Var(boolPtr{&c.EnableDebuggingHandlers}, "enable-debugging-handlers", "")
	fs.BoolVar(&c.EnableContentionProfiling, "contention-profiling", c.EnableContentionProfiling, "")
	fs.Var(int32Ptr{&c.HealthzPort}, "healthz-port", "")
	fs.Var(&ipValue{&c.HealthzBindAddress}, "healthz-bind-address", "")
	fs.Var(int32Ptr{&c.OOMScoreAdj}, "oom-score-adj", "")
	fs.StringVar(&c.ClusterDomain, "cluster-domain", c.ClusterDomain, "")
	fs.StringVar(&c.VolumePluginDir, "volume-plugin-dir", c.VolumePluginDir, "")
	fs.StringSliceVar(&c.ClusterDNS, "cluster-dns", c.ClusterDNS, "")
	fs.DurationVar(&c.StreamingConnectionIdleTimeout.Duration, "streaming-connection-idle-timeout", c.StreamingConnectionIdleTimeout.Duration, "")
	fs.DurationVar(&c.NodeStatusUpdateFrequency.Duration, "node-status-update-frequency", c.NodeStatusUpdateFrequency.Duration, "")
	fs.DurationVar(&c.ImageMinimumGCAge.Duration, "minimum-image-ttl-duration", c.ImageMinimumGCAge.Duration, "")
	fs.Var(int32Ptr{&c.ImageGCHighThresholdPercent}, "image-gc-high-threshold", "")
	fs.Var(int32Ptr{&c.ImageGCLowThresholdPercent}, "image-gc-low-threshold", "")
	fs.DurationVar(&c.VolumeStatsAggPeriod.Duration, "volume-stats-agg-period", c.VolumeStatsAggPeriod.Duration, "")
	fs.Var(cliflag.NewMapStringBool(&c.FeatureGates), "feature-gates", "")
	fs.StringVar(&c.KubeletCgroups, "kubelet-cgroups", c.KubeletCgroups, "")
	fs.StringVar(&c.SystemCgroups, "system-cgroups", c.SystemCgroups, "")
	fs.StringVar(&c.ProviderID, "provider-id", c.ProviderID, "")
	fs.Var(boolPtr{&c.CgroupsPerQOS}, "cgroups-per-qos", "")
	fs.StringVar(&c.CgroupDriver, "cgroup-driver", c.CgroupDriver, "")
	fs.StringVar(&c.CgroupRoot, "cgroup-root", c.CgroupRoot, "")
	fs.StringVar(&c.CPUManagerPolicy, "cpu-manager-policy", c.CPUManagerPolicy, "")
	fs.Var(cliflag.NewMapStringStringNoSplit(&c.CPUManagerPolicyOptions), "cpu-manager-policy-options", "")
	fs.DurationVar(&c.CPUManagerReconcilePeriod.Duration, "cpu-manager-reconcile-period", c.CPUManagerReconcilePeriod.Duration, "")
	fs.Var(cliflag.NewMapStringString(&c.QOSReserved), "qos-reserved", "")
	fs.StringVar(&c.TopologyManagerPolicy, "topology-manager-policy", c.TopologyManagerPolicy, "")
	fs.DurationVar(&c.RuntimeRequestTimeout.Duration, "runtime-request-timeout", c.RuntimeRequestTimeout.Duration, "")
	fs.StringVar(&c.HairpinMode, "hairpin-mode", c.HairpinMode, "")
	fs.Int32Var(&c.MaxPods, "max-pods", c.MaxPods, "")
	fs.StringVar(&c.PodCIDR, "pod-cidr", c.PodCIDR, "")
	fs.Var(int64Ptr{&c.PodPidsLimit}, "pod-max-pids", "")
	fs.Var(stringPtr{&c.ResolverConfig}, "resolv-conf", "")
	fs.BoolVar(&c.RunOnce, "runonce", c.RunOnce, "")
	fs.Var(boolPtr{&c.CPUCFSQuota}, "cpu-cfs-quota", "")
	fs.Var(durationPtr{&c.CPUCFSQuotaPeriod}, "cpu-cfs-quota-period", "")
	fs.Var(boolPtr{&c.EnableControllerAttachDetach}, "enable-controller-attach-detach", "")
	fs.Var(boolPtr{&c.MakeIPTablesUtilChains}, "make-iptables-util-chains", "")
	fs.StringVar(&c.ContainerLogMaxSize, "container-log-max-size", c.ContainerLogMaxSize, "")
	fs.Var(int32Ptr{&c.ContainerLogMaxFiles}, "container-log-max-files", "")
	fs.StringSliceVar(&c.AllowedUnsafeSysctls, "allowed-unsafe-sysctls", c.AllowedUnsafeSysctls, "")
	fs.Var(int32Ptr{&c.NodeStatusMaxImages}, "node-status-max-images", "")
	fs.BoolVar(&c.KernelMemcgNotification, "kernel-memcg-notification", c.KernelMemcgNotification, "")
	fs.Var(boolPtr{&c.LocalStorageCapacityIsolation}, "local-storage-capacity-isolation", "")
	fs.Int64Var(&c.MaxOpenFiles, "max-open-files", c.MaxOpenFiles, "")
	fs.StringVar(&c.ContentType, "kube-api-content-type", c.ContentType, "")
	fs.Var(int32Ptr{&c.KubeAPIQPS}, "kube-api-qps", "")
	fs.Int32Var(&c.KubeAPIBurst, "kube-api-burst", c.KubeAPIBurst, "")
	fs.Var(boolPtr{&c.SerializeImagePulls}, "serialize-image-pulls", "")
	fs.Var(cliflag.NewLangleSeparatedMapStringString(&c.EvictionHard), "eviction-hard", "")
	fs.Var(cliflag.NewLangleSeparatedMapStringString(&c.EvictionSoft), "eviction-soft", "")
	fs.Var(cliflag.NewMapStringString(&c.EvictionSoftGracePeriod), "eviction-soft-grace-period", "")
	fs.DurationVar(&c.EvictionPressureTransitionPeriod.Duration, "eviction-pressure-transition-period", c.EvictionPressureTransitionPeriod.Duration, "")
	fs.Int32Var(&c.EvictionMaxPodGracePeriod, "eviction-max-pod-grace-period", c.EvictionMaxPodGracePeriod, "")
	fs.Var(cliflag.NewMapStringString(&c.EvictionMinimumReclaim), "eviction-minimum-reclaim", "")
	fs.Int32Var(&c.PodsPerCore, "pods-per-core", c.PodsPerCore, "")
	fs.BoolVar(&c.ProtectKernelDefaults, "protect-kernel-defaults", c.ProtectKernelDefaults, "")
	fs.StringVar(&c.ReservedSystemCPUs, "reserved-cpus", c.ReservedSystemCPUs, "")
	fs.StringVar(&c.TopologyManagerScope, "topology-manager-scope", c.TopologyManagerScope, "")
	fs.Var(cliflag.NewMapStringString(&c.TopologyManagerPolicyOptions), "topology-manager-policy-options", "")
	fs.Var(cliflag.NewMapStringString(&c.SystemReserved), "system-reserved", "")
	fs.Var(cliflag.NewMapStringString(&c.KubeReserved), "kube-reserved", "")
	fs.StringSliceVar(&c.EnforceNodeAllocatable, "enforce-node-allocatable", c.EnforceNodeAllocatable, "")
	fs.StringVar(&c.SystemReservedCgroup, "system-reserved-cgroup", c.SystemReservedCgroup, "")
	fs.StringVar(&c.KubeReservedCgroup, "kube-reserved-cgroup", c.KubeReservedCgroup, "")
	addLoggingFlags(&c.Logging, fs)
	fs.StringVar(&c.MemoryManagerPolicy, "memory-manager-policy", c.MemoryManagerPolicy, "")
	fs.Var(&reservedMemoryValue{v: &c.ReservedMemory}, "reserved-memory", "")
	fs.Var(boolPtr{&c.RegisterNode}, "register-node", "")
	fs.Var(&taintsValue{v: &c.RegisterWithTaints}, "register-with-taints", "")
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Value.(boolPtr); ok {
			f.NoOptDefVal = "true"
		}
	})
	notDeprecated := map[string]bool{"v": true, "vmodule": true, "log-flush-frequency": true, "provider-id": true, "fail-cgroupv1": true}
	fs.VisitAll(func(f *pflag.Flag) {
		if !notDeprecated[f.Name] {
			f.Deprecated = deprecatedConfigFlag
		}
	})
	main.AddFlagSet(fs)
}

// addLoggingFlags is logsapi.AddFlags with the JSON format registered (the
// kubelet and kube-proxy import it): its two flags, defaults false and 0 as
// logsapi writes them at registration.
func addLoggingFlags(c *logsapi.LoggingConfiguration, fs *pflag.FlagSet) {
	logsapi.AddFlags(c, fs)
	if fs.Lookup("log-json-split-stream") == nil {
		fs.BoolVar(&c.Options.JSON.SplitStream, "log-json-split-stream", false, "")
		fs.Var(&c.Options.JSON.InfoBufferSize, "log-json-info-buffer-size", "")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// versionValue is verflag's --version (true, false, raw).
type versionValue struct{}

func (versionValue) String() string { return "false" }
func (versionValue) Type() string   { return "version" }
func (versionValue) Set(s string) error {
	if s == "raw" {
		return nil
	}
	_, err := strconv.ParseBool(s)
	return err
}
func (versionValue) IsBoolFlag() bool { return true }

// Pointer-field values: the kubelet binds its flags to the internal type's plain
// fields; the v1beta1 field is a pointer that the conversion always sets.
type boolPtr struct{ p **bool }

func (v boolPtr) String() string {
	if *v.p == nil {
		return "false"
	}
	return strconv.FormatBool(**v.p)
}
func (v boolPtr) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.p = &b
	return nil
}
func (boolPtr) Type() string     { return "bool" }
func (boolPtr) IsBoolFlag() bool { return true }

type int32Ptr struct{ p **int32 }

func (v int32Ptr) String() string {
	if *v.p == nil {
		return "0"
	}
	return strconv.FormatInt(int64(**v.p), 10)
}
func (v int32Ptr) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return err
	}
	m := int32(n)
	*v.p = &m
	return nil
}
func (int32Ptr) Type() string { return "int32" }

type int64Ptr struct{ p **int64 }

func (v int64Ptr) String() string {
	if *v.p == nil {
		return "0"
	}
	return strconv.FormatInt(**v.p, 10)
}
func (v int64Ptr) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return err
	}
	*v.p = &n
	return nil
}
func (int64Ptr) Type() string { return "int64" }

type stringPtr struct{ p **string }

func (v stringPtr) String() string {
	if *v.p == nil {
		return ""
	}
	return **v.p
}
func (v stringPtr) Set(s string) error { *v.p = &s; return nil }
func (stringPtr) Type() string         { return "string" }

type durationPtr struct{ p **metav1.Duration }

func (v durationPtr) String() string {
	if *v.p == nil {
		return "0s"
	}
	return (*v.p).Duration.String()
}
func (v durationPtr) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*v.p = &metav1.Duration{Duration: d}
	return nil
}
func (durationPtr) Type() string { return "duration" }

// ipValue is the kubelet's IPVar: an IP address (sloppy: leading zeros
// allowed). An empty value leaves the field as it is (and detaches the flag: a
// later use would crash the kubelet, an error here).
type ipValue struct{ p *string }

func (v *ipValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v *ipValue) Set(s string) error {
	if s == "" {
		v.p = nil
		return nil
	}
	if !validIP(s) {
		return fmt.Errorf("%q is not a valid IP address", s)
	}
	if v.p == nil {
		return fmt.Errorf("the flag was given an empty value before (the kubelet crashes)")
	}
	*v.p = s
	return nil
}
func (*ipValue) Type() string { return "ip" }

func validIP(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return !strings.Contains(s, "%")
	}
	return sloppyIPv4(s)
}

func sloppyIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 || p[0] == '+' || p[0] == '-' {
			return false
		}
	}
	return true
}

// reservedMemoryValue is the kubelet's ReservedMemoryVar
// ("0:memory=1Gi,hugepages-1M=2Gi"; repeated: appended; first use replaces).
type reservedMemoryValue struct {
	v   *[]kubeletv1beta1.MemoryReservation
	set bool
}

func (r *reservedMemoryValue) String() string { return fmt.Sprint(*r.v) }
func (r *reservedMemoryValue) Type() string   { return "reserved-memory" }
func (r *reservedMemoryValue) Set(s string) error {
	if s == "" {
		*r.v = nil
		return nil
	}
	if !r.set {
		*r.v = nil
		r.set = true
	}
	for _, reservation := range strings.Split(s, ";") {
		numa, limits, ok := strings.Cut(reservation, ":")
		if !ok {
			return fmt.Errorf("the reserved memory has incorrect format, expected numaNodeID:type=quantity[,type=quantity...], got %s", reservation)
		}
		id, err := strconv.ParseInt(numa, 10, 32)
		if err != nil {
			return fmt.Errorf("failed to convert the NUMA node ID, exptected integer, got %s", numa)
		}
		mr := kubeletv1beta1.MemoryReservation{NumaNode: int32(id), Limits: corev1.ResourceList{}}
		for _, kv := range strings.Split(limits, ",") {
			k, q, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("the reserved limit has incorrect value, expected type=quantatity, got %s", kv)
			}
			qty, err := resource.ParseQuantity(q)
			if err != nil {
				return fmt.Errorf("failed to parse the type value, expected quantity, got %s", q)
			}
			mr.Limits[corev1.ResourceName(k)] = qty
		}
		*r.v = append(*r.v, mr)
	}
	return nil
}

// taintsValue is the kubelet's RegisterWithTaintsVar ("key=value:Effect,...";
// each use replaces).
type taintsValue struct{ v *[]corev1.Taint }

func (t *taintsValue) String() string { return fmt.Sprint(*t.v) }
func (t *taintsValue) Type() string   { return "[]v1.Taint" }
func (t *taintsValue) Set(s string) error {
	if s == "" {
		*t.v = nil
		return nil
	}
	var taints []corev1.Taint
	for _, spec := range strings.Split(s, ",") {
		kv, effect, ok := strings.Cut(spec, ":")
		if !ok || strings.Contains(effect, ":") {
			return fmt.Errorf("invalid taint spec: %v", spec)
		}
		switch corev1.TaintEffect(effect) {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			return fmt.Errorf("invalid taint effect: %v, unsupported taint effect", effect)
		}
		key, value, _ := strings.Cut(kv, "=")
		taints = append(taints, corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffect(effect)})
	}
	*t.v = taints
	return nil
}
