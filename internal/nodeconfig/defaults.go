package nodeconfig

import (
	"maps"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logsapi "k8s.io/component-base/logs/api/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// Feature gates that change a default, with their default in v1.37.
var gateDefaults = map[string]bool{
	"KubeletCrashLoopBackOffMax":      true,
	"KubeletEnsureSecretPulledImages": true,
}

// defaultEvictionHard is the kubelet's Linux hard-eviction default.
var defaultEvictionHard = map[string]string{
	"memory.available":   "100Mi",
	"nodefs.available":   "10%",
	"nodefs.inodesFree":  "5%",
	"imagefs.available":  "15%",
	"imagefs.inodesFree": "5%",
}

func ptrTo[T any](v T) *T { return &v }

func dur(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }

// setKubeletDefaults is SetDefaults_KubeletConfiguration for Linux. global are
// the feature gates the process has set (the command line's, at the time the
// kubelet defaults a file).
func setKubeletDefaults(o *kubeletv1beta1.KubeletConfiguration, global map[string]bool) {
	gate := func(name string) bool {
		if v, ok := o.FeatureGates[name]; ok {
			return v
		}
		if v, ok := global[name]; ok {
			return v
		}
		return gateDefaults[name]
	}
	var zero metav1.Duration
	if o.EnableServer == nil {
		o.EnableServer = ptrTo(true)
	}
	if o.SyncFrequency == zero {
		o.SyncFrequency = dur(time.Minute)
	}
	if o.FileCheckFrequency == zero {
		o.FileCheckFrequency = dur(20 * time.Second)
	}
	if o.HTTPCheckFrequency == zero {
		o.HTTPCheckFrequency = dur(20 * time.Second)
	}
	if o.Address == "" {
		o.Address = "0.0.0.0"
	}
	if o.Port == 0 {
		o.Port = 10250
	}
	if o.Authentication.Anonymous.Enabled == nil {
		o.Authentication.Anonymous.Enabled = ptrTo(false)
	}
	if o.Authentication.Webhook.Enabled == nil {
		o.Authentication.Webhook.Enabled = ptrTo(true)
	}
	if o.Authentication.Webhook.CacheTTL == zero {
		o.Authentication.Webhook.CacheTTL = dur(2 * time.Minute)
	}
	if o.Authorization.Mode == "" {
		o.Authorization.Mode = kubeletv1beta1.KubeletAuthorizationModeWebhook
	}
	if o.Authorization.Webhook.CacheAuthorizedTTL == zero {
		o.Authorization.Webhook.CacheAuthorizedTTL = dur(5 * time.Minute)
	}
	if o.Authorization.Webhook.CacheUnauthorizedTTL == zero {
		o.Authorization.Webhook.CacheUnauthorizedTTL = dur(30 * time.Second)
	}
	if o.RegistryPullQPS == nil {
		o.RegistryPullQPS = ptrTo[int32](5)
	}
	if o.RegistryBurst == 0 {
		o.RegistryBurst = 10
	}
	if o.EventRecordQPS == nil {
		o.EventRecordQPS = ptrTo[int32](50)
	}
	if o.EventBurst == 0 {
		o.EventBurst = 100
	}
	if o.EnableDebuggingHandlers == nil {
		o.EnableDebuggingHandlers = ptrTo(true)
	}
	if o.HealthzPort == nil {
		o.HealthzPort = ptrTo[int32](10248)
	}
	if o.HealthzBindAddress == "" {
		o.HealthzBindAddress = "127.0.0.1"
	}
	if o.OOMScoreAdj == nil {
		o.OOMScoreAdj = ptrTo[int32](-999)
	}
	if o.StreamingConnectionIdleTimeout == zero {
		o.StreamingConnectionIdleTimeout = dur(4 * time.Hour)
	}
	if o.NodeStatusReportFrequency == zero {
		if o.NodeStatusUpdateFrequency == zero {
			o.NodeStatusReportFrequency = dur(5 * time.Minute)
		} else {
			o.NodeStatusReportFrequency = o.NodeStatusUpdateFrequency
		}
	}
	if o.NodeStatusUpdateFrequency == zero {
		o.NodeStatusUpdateFrequency = dur(10 * time.Second)
	}
	if o.NodeLeaseDurationSeconds == 0 {
		o.NodeLeaseDurationSeconds = 40
	}
	if o.ImageMinimumGCAge == zero {
		o.ImageMinimumGCAge = dur(2 * time.Minute)
	}
	if o.ImageGCHighThresholdPercent == nil {
		o.ImageGCHighThresholdPercent = ptrTo[int32](85)
	}
	if o.ImageGCLowThresholdPercent == nil {
		o.ImageGCLowThresholdPercent = ptrTo[int32](80)
	}
	if o.VolumeStatsAggPeriod == zero {
		o.VolumeStatsAggPeriod = dur(time.Minute)
	}
	if o.CgroupsPerQOS == nil {
		o.CgroupsPerQOS = ptrTo(true)
	}
	if o.CgroupDriver == "" {
		o.CgroupDriver = "cgroupfs"
	}
	if o.CPUManagerPolicy == "" {
		o.CPUManagerPolicy = "none"
	}
	if o.CPUManagerReconcilePeriod == zero {
		o.CPUManagerReconcilePeriod = dur(10 * time.Second)
	}
	if o.MemoryManagerPolicy == "" {
		o.MemoryManagerPolicy = kubeletv1beta1.NoneMemoryManagerPolicy
	}
	if o.TopologyManagerPolicy == "" {
		o.TopologyManagerPolicy = kubeletv1beta1.NoneTopologyManagerPolicy
	}
	if o.TopologyManagerScope == "" {
		o.TopologyManagerScope = kubeletv1beta1.ContainerTopologyManagerScope
	}
	if o.RuntimeRequestTimeout == zero {
		o.RuntimeRequestTimeout = dur(2 * time.Minute)
	}
	if o.HairpinMode == "" {
		o.HairpinMode = kubeletv1beta1.PromiscuousBridge
	}
	if o.MaxPods == 0 {
		o.MaxPods = 110
	}
	if o.PodPidsLimit == nil || *o.PodPidsLimit < 0 {
		o.PodPidsLimit = ptrTo[int64](-1)
	}
	if o.ResolverConfig == nil {
		o.ResolverConfig = ptrTo("/etc/resolv.conf")
	}
	if o.CPUCFSQuota == nil {
		o.CPUCFSQuota = ptrTo(true)
	}
	if o.CPUCFSQuotaPeriod == nil {
		o.CPUCFSQuotaPeriod = &metav1.Duration{Duration: 100 * time.Millisecond}
	}
	if o.NodeStatusMaxImages == nil {
		o.NodeStatusMaxImages = ptrTo[int32](50)
	}
	if o.MaxOpenFiles == 0 {
		o.MaxOpenFiles = 1000000
	}
	if o.ContentType == "" {
		o.ContentType = "application/vnd.kubernetes.protobuf"
	}
	if o.KubeAPIQPS == nil {
		o.KubeAPIQPS = ptrTo[int32](50)
	}
	if o.KubeAPIBurst == 0 {
		o.KubeAPIBurst = 100
	}
	if o.SerializeImagePulls == nil {
		o.SerializeImagePulls = ptrTo(o.MaxParallelImagePulls == nil || *o.MaxParallelImagePulls < 2)
	}
	if o.EvictionPressureTransitionPeriod == zero {
		o.EvictionPressureTransitionPeriod = dur(5 * time.Minute)
	}
	if o.MergeDefaultEvictionSettings == nil {
		o.MergeDefaultEvictionSettings = ptrTo(false)
	}
	if o.EnableControllerAttachDetach == nil {
		o.EnableControllerAttachDetach = ptrTo(true)
	}
	if o.MakeIPTablesUtilChains == nil {
		o.MakeIPTablesUtilChains = ptrTo(true)
	}
	if o.IPTablesMasqueradeBit == nil {
		o.IPTablesMasqueradeBit = ptrTo[int32](14)
	}
	if o.IPTablesDropBit == nil {
		o.IPTablesDropBit = ptrTo[int32](15)
	}
	if o.FailSwapOn == nil {
		o.FailSwapOn = ptrTo(true)
	}
	if o.ContainerLogMaxSize == "" {
		o.ContainerLogMaxSize = "10Mi"
	}
	if o.ContainerLogMaxFiles == nil {
		o.ContainerLogMaxFiles = ptrTo[int32](5)
	}
	if o.ContainerLogMaxWorkers == nil {
		o.ContainerLogMaxWorkers = ptrTo[int32](1)
	}
	if o.ContainerLogMonitorInterval == nil {
		o.ContainerLogMonitorInterval = &metav1.Duration{Duration: 10 * time.Second}
	}
	if o.ConfigMapAndSecretChangeDetectionStrategy == "" {
		o.ConfigMapAndSecretChangeDetectionStrategy = kubeletv1beta1.WatchChangeDetectionStrategy
	}
	if o.EnforceNodeAllocatable == nil {
		o.EnforceNodeAllocatable = []string{"pods"}
	}
	if o.VolumePluginDir == "" {
		o.VolumePluginDir = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec/"
	}
	logsapi.SetRecommendedLoggingConfiguration(&o.Logging)
	if o.EnableSystemLogHandler == nil {
		o.EnableSystemLogHandler = ptrTo(true)
	}
	if o.EnableProfilingHandler == nil {
		o.EnableProfilingHandler = ptrTo(true)
	}
	if o.EnableDebugFlagsHandler == nil {
		o.EnableDebugFlagsHandler = ptrTo(true)
	}
	if o.SeccompDefault == nil {
		o.SeccompDefault = ptrTo(false)
	}
	if o.FailCgroupV1 == nil {
		o.FailCgroupV1 = ptrTo(true)
	}
	if o.MemoryReservationPolicy == "" {
		o.MemoryReservationPolicy = kubeletv1beta1.NoneMemoryReservationPolicy
	}
	if o.RegisterNode == nil {
		o.RegisterNode = ptrTo(true)
	}
	if o.LocalStorageCapacityIsolation == nil {
		o.LocalStorageCapacityIsolation = ptrTo(true)
	}
	if o.ContainerRuntimeEndpoint == "" {
		o.ContainerRuntimeEndpoint = "unix:///run/containerd/containerd.sock"
	}
	if o.PodLogsDir == "" {
		o.PodLogsDir = "/var/log/pods"
	}
	if gate("KubeletCrashLoopBackOffMax") && o.CrashLoopBackOff.MaxContainerRestartPeriod == nil {
		o.CrashLoopBackOff.MaxContainerRestartPeriod = &metav1.Duration{Duration: 300 * time.Second}
	}
	if gate("KubeletEnsureSecretPulledImages") && o.ImagePullCredentialsVerificationPolicy == "" {
		o.ImagePullCredentialsVerificationPolicy = kubeletv1beta1.NeverVerifyPreloadedImages
	}
}

// roundTrip is what a trip through the internal type does to the v1beta1 object:
// the pointers of fields the internal type holds as plain values are always set.
func roundTrip(o *kubeletv1beta1.KubeletConfiguration) {
	for _, p := range []**bool{&o.Authentication.Anonymous.Enabled, &o.Authentication.Webhook.Enabled,
		&o.EnableServer, &o.EnableDebuggingHandlers, &o.CgroupsPerQOS, &o.CPUCFSQuota, &o.SerializeImagePulls,
		&o.MergeDefaultEvictionSettings, &o.EnableControllerAttachDetach, &o.MakeIPTablesUtilChains,
		&o.FailSwapOn, &o.EnableSystemLogHandler, &o.EnableSystemLogQuery, &o.EnableProfilingHandler,
		&o.EnableDebugFlagsHandler, &o.SeccompDefault, &o.RegisterNode, &o.LocalStorageCapacityIsolation,
		&o.FailCgroupV1} {
		if *p == nil {
			*p = new(bool)
		}
	}
	for _, p := range []**int32{&o.RegistryPullQPS, &o.EventRecordQPS, &o.HealthzPort, &o.OOMScoreAdj,
		&o.ImageGCHighThresholdPercent, &o.ImageGCLowThresholdPercent, &o.NodeStatusMaxImages, &o.KubeAPIQPS,
		&o.IPTablesMasqueradeBit, &o.IPTablesDropBit, &o.ContainerLogMaxFiles, &o.ContainerLogMaxWorkers} {
		if *p == nil {
			*p = new(int32)
		}
	}
	if o.PodPidsLimit == nil {
		o.PodPidsLimit = new(int64)
	}
	if o.ResolverConfig == nil {
		o.ResolverConfig = new(string)
	}
	if o.CPUCFSQuotaPeriod == nil {
		o.CPUCFSQuotaPeriod = &metav1.Duration{}
	}
	if o.ContainerLogMonitorInterval == nil {
		o.ContainerLogMonitorInterval = &metav1.Duration{}
	}
}

// applyLegacyDefaults: a kubelet's flags-only baseline.
func applyLegacyDefaults(o *kubeletv1beta1.KubeletConfiguration) {
	o.Authentication.Anonymous.Enabled = ptrTo(true)
	o.Authentication.Webhook.Enabled = ptrTo(false)
	o.Authorization.Mode = kubeletv1beta1.KubeletAuthorizationModeAlwaysAllow
	o.ReadOnlyPort = 10255
}

var legacyPaths = []string{"authentication.anonymous.enabled", "authentication.webhook.enabled", "authorization.mode", "readOnlyPort"}

// resolveRelativePaths: the config file's path fields, relative to its directory.
func resolveRelativePaths(o *kubeletv1beta1.KubeletConfiguration, dir string) {
	for _, p := range []*string{&o.StaticPodPath, &o.Authentication.X509.ClientCAFile, &o.TLSCertFile,
		&o.TLSPrivateKeyFile, o.ResolverConfig, &o.VolumePluginDir, &o.PodLogsDir} {
		if p != nil && *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// applyEvictionHard is loadConfigFile's EvictionHard handling.
func applyEvictionHard(o *kubeletv1beta1.KubeletConfiguration) {
	if o.EvictionHard == nil {
		o.EvictionHard = maps.Clone(defaultEvictionHard)
	} else if o.MergeDefaultEvictionSettings != nil && *o.MergeDefaultEvictionSettings {
		for k, v := range defaultEvictionHard {
			if _, ok := o.EvictionHard[k]; !ok {
				o.EvictionHard[k] = v
			}
		}
	}
}
