package workload

// The pod the API server stores is not the pod a manifest writes. Before anything is
// validated or admitted, the API server fills in defaults, and a few admission steps
// change the pod further; the Pod Security admission plugin, the kubelet and every
// controller then see that pod. Palisade judges the same pod: From applies, in this
// file and nowhere else, every step of the Kubernetes release the project builds
// against (k8s.io/kubernetes v1.37, read from its source) that sets a field from the
// pod itself, in this order (the API server's, then the controllers'):
//
//  1. SetDefaults_Pod (pkg/apis/core/v1/defaults.go), which the API server applies to
//     Pods only; a controller creates its pods from the template, so every template
//     gets it too:
//     - a negative terminationGracePeriodSeconds becomes 1;
//     - each (init) container's limits become its requests where it names none;
//     - enableServiceLinks: true;
//     - with hostNetwork: true, each port of the (init) containers gets hostPort =
//     containerPort where it names none.
//  2. SetDefaults_PodSpec: serviceAccountName from the deprecated serviceAccount
//     (and serviceAccount from serviceAccountName), dnsPolicy: ClusterFirst,
//     restartPolicy: Always, securityContext: {}, terminationGracePeriodSeconds: 30,
//     schedulerName: default-scheduler.
//  3. Volumes: a volume with no source becomes an emptyDir; hostPath.type: "";
//     defaultMode 0644 on secret, configMap, downwardAPI and projected volumes;
//     expirationSeconds: 3600 on projected serviceAccountToken sources; fieldRef
//     apiVersion: v1; an image volume's pullPolicy as a container's; the plugin
//     defaults of iscsi, rbd, azureDisk, scaleIO; volumeMode: Filesystem in ephemeral
//     claim templates.
//  4. Containers (init, regular, ephemeral): imagePullPolicy Always for a :latest
//     tag or a reference with neither tag nor digest, IfNotPresent otherwise (also
//     for a reference that does not parse); terminationMessagePath and Policy; port
//     protocol TCP; env fieldRef apiVersion v1 and fileKeyRef optional: false; probe
//     timings, httpGet path "/" and scheme HTTP, grpc service ""; lifecycle httpGet
//     path and scheme; every resource quantity rounded up to a milli-unit.
//  5. The Pod registry's PrepareForCreate (pkg/registry/core/pod/strategy.go):
//     - the deprecated AppArmor annotation of a container is copied into that
//     container's securityContext.appArmorProfile when the container sets none and
//     the value is valid and differs from the pod's profile (not on Windows pods);
//     - pod-level resources (pkg/api/pod.DefaultPodLevelResources): hugepage limits
//     from the containers' limits, requests from the containers' aggregated requests
//     (CPU, memory) and from pod-level limits, limits from the containers' aggregated
//     limits where every container sets one.
//  6. The ServiceAccount admission plugin: serviceAccountName (and serviceAccount)
//     "default" when the pod names no account.
//  7. The Job registry (pkg/registry/batch/job/strategy.go): unless
//     spec.manualSelector is true, a Job's template gets the labels
//     batch.kubernetes.io/job-name and job-name (the Job's name), besides the
//     controller-uid labels, whose value (the Job's UID) no manifest can know.
//  8. The StatefulSet controller (pkg/controller/statefulset, updateStorage): each
//     volumeClaimTemplate becomes a persistentVolumeClaim volume of its name, in
//     place of a template volume of the same name (the claim named for the first
//     pod, <template>-<set>-0; the controller puts the claims first, Palisade keeps
//     the written volumes where they are and appends the others).
//
// Not applied, each for its reason:
//   - fields of features disabled by default at v1.37 (H2CContainerProbe's probe
//     protocol, ContainerStopSignals, EmptyDirVolumeMode, VolumeBindMountOptions and
//     other alpha fields) are dropped by the API server; no rule reads any of them;
//   - what depends on other objects: the ServiceAccount plugin's token volume and
//     mounts (the account's automountServiceAccountToken decides: TokenMounts in
//     token.go models it, and the service account rules settle it against the
//     input's ServiceAccounts) and its imagePullSecrets; LimitRanger's container
//     defaults (the resource rules settle them against the input's LimitRanges);
//     Priority, RuntimeClass overhead and DefaultTolerationSeconds (no rule reads
//     them);
//   - what controllers set per pod (labels pod-template-hash,
//     controller-revision-hash, statefulset.kubernetes.io/pod-name and pod-index, the
//     Job's controller-uid; a StatefulSet pod's hostname and subdomain): values that
//     differ from pod to pod or that no manifest can know; no rule reads them.
//
// Some of the fields the API server sets are recorded (Defaulted): every value copied
// from another field, with that field, so that a finding on it points at the line it
// came from (Source); and the defaults a rule tells apart from a written value
// (imagePullPolicy, the service account). The other defaults are applied unrecorded.
// TestDefaultsMatchAPIServer compares the result with what a real kube-apiserver
// stores for every workload of the corpus and the examples.

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/utils/ptr"

	"github.com/palisade-k8s/palisade/internal/apidefaults"
)

// Job labels the Job registry adds to the template (batch.JobNameLabel and
// batch.LegacyJobNameLabel in k8s.io/kubernetes).
const (
	JobNameLabel       = "batch.kubernetes.io/job-name"
	LegacyJobNameLabel = "job-name"
)

// defaulter applies the defaults to one workload and records them.
type defaulter struct {
	w *Workload
}

func (d defaulter) set(path, from string) {
	w := d.w
	if w.defaulted == nil {
		w.defaulted = make(map[string]string, 4)
	}
	w.defaulted[path] = from
	if from != "" {
		w.derived = true
	}
}

// Defaulted reports whether the API server, not the manifest, set the field at path
// (a full field path, "spec.template.spec.containers[0].imagePullPolicy"), and the
// written field whose value it copied ("" for a constant default). It knows the
// values copied from another field (hostPort, requests from limits, the service
// account from its alias, AppArmor profiles from annotations, Job labels, StatefulSet
// claim volumes) and the constant defaults of imagePullPolicy and the service
// account; it answers false for the other defaults.
func (w *Workload) Defaulted(path string) (from string, ok bool) {
	from, ok = w.defaulted[path]
	return from, ok
}

// SpecDefaulted is Defaulted for a field of the PodSpec ("serviceAccountName").
func (w *Workload) SpecDefaulted(sub string) (from string, ok bool) {
	if len(w.defaulted) == 0 {
		return "", false
	}
	return w.Defaulted(w.SpecField(sub))
}

// Defaulted is Workload.Defaulted for a field of the container ("imagePullPolicy").
func (c *Container) Defaulted(sub string) (from string, ok bool) {
	if c.w == nil || len(c.w.defaulted) == 0 {
		return "", false
	}
	return c.w.Defaulted(c.Field(sub))
}

// Source returns the field path whose line locates a finding on path: for a value
// the API server copied from another field (or a field under one), the field it was
// copied from; else path itself.
func (w *Workload) Source(path string) string {
	if !w.derived {
		return path
	}
	for p := path; p != ""; p = parentField(p) {
		if from := w.defaulted[p]; from != "" {
			return from
		}
	}
	return path
}

// parentField drops the last element of a field path (".name", "[0]" or "['key']").
func parentField(p string) string {
	if strings.HasSuffix(p, "']") {
		if i := strings.LastIndex(p, "['"); i >= 0 {
			return p[:i]
		}
	}
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// applyDefaults turns the written pod into the one the API server stores, in the
// order of the steps listed at the top of this file.
func (w *Workload) applyDefaults() {
	d := defaulter{w}
	s := w.Spec
	sp := w.SpecPath + "."

	// 1. SetDefaults_Pod.
	if s.TerminationGracePeriodSeconds != nil && *s.TerminationGracePeriodSeconds < 0 {
		s.TerminationGracePeriodSeconds = ptr.To[int64](1)
	}
	for _, list := range [...]struct {
		kind ContainerKind
		cs   []corev1.Container
	}{{Regular, s.Containers}, {Init, s.InitContainers}} {
		for i := range list.cs {
			r := &list.cs[i].Resources
			if r.Limits == nil {
				continue
			}
			if r.Requests == nil {
				r.Requests = make(corev1.ResourceList, len(r.Limits))
			}
			cp := containerPath(w.SpecPath, list.kind, i)
			for k, v := range r.Limits {
				if _, ok := r.Requests[k]; !ok {
					r.Requests[k] = v.DeepCopy()
					d.set(cp+".resources.requests."+string(k), cp+".resources.limits."+string(k))
				}
			}
		}
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
	}
	if s.HostNetwork {
		d.hostNetworkPorts(Regular, s.Containers)
		d.hostNetworkPorts(Init, s.InitContainers)
	}

	// 2. SetDefaults_PodSpec.
	//nolint:staticcheck // the deprecated alias is what the API server keeps in sync
	w.DeprecatedServiceAccount = s.DeprecatedServiceAccount
	if s.ServiceAccountName == "" && s.DeprecatedServiceAccount != "" {
		s.ServiceAccountName = s.DeprecatedServiceAccount
		d.set(sp+"serviceAccountName", sp+"serviceAccount")
	}
	//nolint:staticcheck // as above
	if s.DeprecatedServiceAccount != s.ServiceAccountName {
		if s.DeprecatedServiceAccount == "" {
			d.set(sp+"serviceAccount", sp+"serviceAccountName")
		}
		// A written alias that differs is overwritten (DeprecatedServiceAccount keeps
		// it); its finding still points at its own line.
		s.DeprecatedServiceAccount = s.ServiceAccountName
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = corev1.DNSClusterFirst
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To[int64](corev1.DefaultTerminationGracePeriodSeconds)
	}
	if s.SchedulerName == "" {
		s.SchedulerName = corev1.DefaultSchedulerName
	}

	// 3. Volumes.
	for i := range s.Volumes {
		d.volume(&s.Volumes[i], sp+"volumes["+strconv.Itoa(i)+"]")
	}

	// 4. Containers.
	for i := range s.InitContainers {
		d.container(&s.InitContainers[i], containerPath(w.SpecPath, Init, i))
	}
	for i := range s.Containers {
		d.container(&s.Containers[i], containerPath(w.SpecPath, Regular, i))
	}
	for i := range s.EphemeralContainers {
		d.container((*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon), containerPath(w.SpecPath, Ephemeral, i))
	}
	apidefaults.RoundUp(s.Overhead)
	if s.Resources != nil {
		apidefaults.RoundUp(s.Resources.Limits)
		apidefaults.RoundUp(s.Resources.Requests)
	}

	// 5. PrepareForCreate.
	d.appArmorAnnotations()
	d.podLevelResources()

	// 6. The ServiceAccount admission plugin.
	if s.ServiceAccountName == "" {
		s.ServiceAccountName = "default"
		s.DeprecatedServiceAccount = "default" //nolint:staticcheck // kept in sync, as the plugin does
		d.set(sp+"serviceAccountName", "")
		d.set(sp+"serviceAccount", "")
	}

	// 7. The Job registry.
	if name, ok := jobNameLabelValue(w.Object.Ref.APIVersion, w.Object.Ref.Kind, w.Object.Ref.Name, w.Object.Body); ok {
		if w.Meta.Labels == nil {
			w.Meta.Labels = map[string]string{}
		}
		for _, k := range [...]string{LegacyJobNameLabel, JobNameLabel} {
			if _, ok := w.Meta.Labels[k]; !ok {
				w.Meta.Labels[k] = name
				d.set(w.MetaPath+".labels['"+k+"']", "metadata.name")
			}
		}
	}

	// 8. The StatefulSet controller.
	if w.Object.Ref.Kind == "StatefulSet" {
		d.claimVolumes()
	}
}

// claimVolumes adds a StatefulSet's volumeClaimTemplates to its pod as
// persistentVolumeClaim volumes.
func (d defaulter) claimVolumes() {
	w := d.w
	spec, _ := w.Object.Body["spec"].(map[string]any)
	tmpls, _ := spec["volumeClaimTemplates"].([]any)
	for k, t := range tmpls {
		tm, _ := t.(map[string]any)
		meta, _ := tm["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		if name == "" {
			continue
		}
		v := corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: name + "-" + w.Object.Ref.Name + "-0",
		}}}
		from := "spec.volumeClaimTemplates[" + strconv.Itoa(k) + "]"
		i := 0
		for i < len(w.Spec.Volumes) && w.Spec.Volumes[i].Name != name {
			i++
		}
		if i == len(w.Spec.Volumes) {
			w.Spec.Volumes = append(w.Spec.Volumes, v)
		} else {
			w.Spec.Volumes[i] = v
		}
		d.set(w.SpecPath+".volumes["+strconv.Itoa(i)+"]", from)
	}
}

// jobNameLabelValue returns the value of the job-name labels the Job registry adds
// to a batch Job's template: the Job's name, unless spec.manualSelector is true.
func jobNameLabelValue(apiVersion, kind, name string, body map[string]any) (string, bool) {
	if kind != "Job" || !strings.HasPrefix(apiVersion, "batch/") || name == "" {
		return "", false
	}
	if spec, _ := body["spec"].(map[string]any); spec != nil {
		if manual, _ := spec["manualSelector"].(bool); manual {
			return "", false
		}
	}
	return name, true
}

func containerPath(specPath string, kind ContainerKind, i int) string {
	return specPath + "." + string(kind) + "[" + strconv.Itoa(i) + "]"
}

// hostNetworkPorts copies each containerPort into an unset hostPort.
func (d defaulter) hostNetworkPorts(kind ContainerKind, cs []corev1.Container) {
	for i := range cs {
		for j := range cs[i].Ports {
			p := &cs[i].Ports[j]
			if p.HostPort == 0 {
				p.HostPort = p.ContainerPort
				pp := containerPath(d.w.SpecPath, kind, i) + ".ports[" + strconv.Itoa(j) + "]"
				d.set(pp+".hostPort", pp+".containerPort")
			}
		}
	}
}

func (d defaulter) volume(v *corev1.Volume, vp string) {
	if ptr.AllPtrFieldsNil(&v.VolumeSource) {
		v.VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	}
	if img := v.Image; img != nil && img.PullPolicy == "" {
		img.PullPolicy = apidefaults.PullPolicy(img.Reference)
	}
	if hp := v.HostPath; hp != nil && hp.Type == nil {
		hp.Type = ptr.To(corev1.HostPathUnset)
	}
	if sv := v.Secret; sv != nil && sv.DefaultMode == nil {
		sv.DefaultMode = ptr.To[int32](corev1.SecretVolumeSourceDefaultMode)
	}
	if is := v.ISCSI; is != nil && is.ISCSIInterface == "" {
		is.ISCSIInterface = "default"
	}
	if rbd := v.RBD; rbd != nil {
		if rbd.RBDPool == "" {
			rbd.RBDPool = "rbd"
		}
		if rbd.RadosUser == "" {
			rbd.RadosUser = "admin"
		}
		if rbd.Keyring == "" {
			rbd.Keyring = "/etc/ceph/keyring"
		}
	}
	if da := v.DownwardAPI; da != nil {
		if da.DefaultMode == nil {
			da.DefaultMode = ptr.To[int32](corev1.DownwardAPIVolumeSourceDefaultMode)
		}
		fieldRefs(da.Items)
	}
	if cm := v.ConfigMap; cm != nil && cm.DefaultMode == nil {
		cm.DefaultMode = ptr.To[int32](corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if ad := v.AzureDisk; ad != nil {
		if ad.CachingMode == nil {
			ad.CachingMode = ptr.To(corev1.AzureDataDiskCachingReadWrite)
		}
		if ad.FSType == nil {
			ad.FSType = ptr.To("ext4")
		}
		if ad.ReadOnly == nil {
			ad.ReadOnly = ptr.To(false)
		}
		if ad.Kind == nil {
			ad.Kind = ptr.To(corev1.AzureSharedBlobDisk)
		}
	}
	if pr := v.Projected; pr != nil {
		if pr.DefaultMode == nil {
			pr.DefaultMode = ptr.To[int32](corev1.ProjectedVolumeSourceDefaultMode)
		}
		for j := range pr.Sources {
			src := &pr.Sources[j]
			if src.DownwardAPI != nil {
				fieldRefs(src.DownwardAPI.Items)
			}
			if t := src.ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
				t.ExpirationSeconds = ptr.To[int64](3600)
			}
		}
	}
	if sio := v.ScaleIO; sio != nil {
		if sio.StorageMode == "" {
			sio.StorageMode = "ThinProvisioned"
		}
		if sio.FSType == "" {
			sio.FSType = "xfs"
		}
	}
	if e := v.Ephemeral; e != nil && e.VolumeClaimTemplate != nil {
		cs := &e.VolumeClaimTemplate.Spec
		if cs.VolumeMode == nil {
			cs.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
		apidefaults.RoundUp(cs.Resources.Limits)
		apidefaults.RoundUp(cs.Resources.Requests)
	}
}

func fieldRefs(items []corev1.DownwardAPIVolumeFile) {
	for i := range items {
		if f := items[i].FieldRef; f != nil && f.APIVersion == "" {
			f.APIVersion = "v1"
		}
	}
}

func (d defaulter) container(c *corev1.Container, cp string) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = apidefaults.PullPolicy(c.Image)
		d.set(cp+".imagePullPolicy", "")
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for j := range c.Ports {
		if c.Ports[j].Protocol == "" {
			c.Ports[j].Protocol = corev1.ProtocolTCP
		}
	}
	for j := range c.Env {
		vf := c.Env[j].ValueFrom
		if vf == nil {
			continue
		}
		if vf.FieldRef != nil && vf.FieldRef.APIVersion == "" {
			vf.FieldRef.APIVersion = "v1"
		}
		if vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
			vf.FileKeyRef.Optional = ptr.To(false)
		}
	}
	apidefaults.RoundUp(c.Resources.Limits)
	apidefaults.RoundUp(c.Resources.Requests)
	apidefaults.Probes(c)
}

// appArmorAnnotations copies valid per-container AppArmor annotations into the
// containers' fields (applyAppArmorVersionSkew).
func (d defaulter) appArmorAnnotations() {
	w := d.w
	s := w.Spec
	if len(w.Meta.Annotations) == 0 || (s.OS != nil && s.OS.Name == corev1.Windows) {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if s.SecurityContext != nil {
		podProfile = s.SecurityContext.AppArmorProfile
	}
	visit := func(kind ContainerKind, i int, c *corev1.Container) {
		key := AppArmorAnnotationPrefix + c.Name
		v, ok := w.Meta.Annotations[key]
		if !ok || (c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil) {
			return
		}
		prof := appArmorField(v)
		if prof == nil || sameAppArmor(prof, podProfile) {
			return
		}
		if c.SecurityContext == nil {
			c.SecurityContext = &corev1.SecurityContext{}
		}
		c.SecurityContext.AppArmorProfile = prof
		d.set(containerPath(w.SpecPath, kind, i)+".securityContext.appArmorProfile", w.MetaPath+".annotations['"+key+"']")
	}
	for i := range s.InitContainers {
		visit(Init, i, &s.InitContainers[i])
	}
	for i := range s.Containers {
		visit(Regular, i, &s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		visit(Ephemeral, i, (*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon))
	}
}

// appArmorField is the profile an annotation value stands for, nil when the value is
// not one the API server would copy (podutil.ApparmorFieldForAnnotation, then
// ValidateAppArmorProfileField).
func appArmorField(v string) *corev1.AppArmorProfile {
	switch {
	case v == "unconfined":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case v == "runtime/default":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case strings.HasPrefix(v, "localhost/"):
		p := strings.TrimPrefix(v, "localhost/")
		if p == "" || strings.TrimSpace(p) != p || len(p) > 4095 {
			return nil
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &p}
	}
	return nil
}

func sameAppArmor(a, b *corev1.AppArmorProfile) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && ptr.Equal(a.LocalhostProfile, b.LocalhostProfile)
}

// podLevelResources defaults pod-level requests and limits from the containers'
// (pkg/api/pod.DefaultPodLevelResources with PodLevelResourcesFixDefaulting).
func (d defaulter) podLevelResources() {
	s := d.w.Spec
	pr := s.Resources
	if pr == nil || (len(pr.Requests) == 0 && len(pr.Limits) == 0) {
		return
	}
	sp := d.w.SpecPath + ".resources."
	// Ephemeral containers cannot set resources and do not count.
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: s.Containers, InitContainers: s.InitContainers}}

	// Hugepage limits from the containers' limits, unless a request is set.
	lims := pr.Limits
	if lims == nil {
		lims = corev1.ResourceList{}
	}
	for k, v := range resourcehelper.AggregateContainerLimits(pod, resourcehelper.PodResourcesOptions{}) {
		if !resourcehelper.IsSupportedPodLevelResource(k) || !isHugePages(k) {
			continue
		}
		if _, ok := pr.Requests[k]; ok {
			continue
		}
		if _, ok := lims[k]; !ok {
			lims[k] = v
		}
	}
	if len(lims) > 0 {
		pr.Limits = lims
	}

	// Requests from the containers' requests (overcommittable resources), then from
	// pod-level limits.
	reqs := pr.Requests
	if reqs == nil {
		reqs = corev1.ResourceList{}
	}
	for k, v := range resourcehelper.AggregateContainerRequests(pod, resourcehelper.PodResourcesOptions{}) {
		if _, ok := reqs[k]; !ok && resourcehelper.IsSupportedPodLevelResource(k) && overcommitAllowed(k) {
			reqs[k] = v
		}
	}
	for k, v := range pr.Limits {
		if _, ok := reqs[k]; !ok && resourcehelper.IsSupportedPodLevelResource(k) {
			reqs[k] = v.DeepCopy()
			d.set(sp+"requests."+string(k), sp+"limits."+string(k))
		}
	}
	if len(reqs) > 0 {
		pr.Requests = reqs
	}

	// Limits: max(pod-level request, the containers' aggregated limits) where every
	// container (ephemeral ones included) sets a limit.
	var candidates []corev1.ResourceName
	for k := range pr.Requests {
		if _, ok := pr.Limits[k]; !ok && resourcehelper.IsSupportedPodLevelResource(k) {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		return
	}
	all := func(k corev1.ResourceName) bool {
		for i := range s.InitContainers {
			if _, ok := s.InitContainers[i].Resources.Limits[k]; !ok {
				return false
			}
		}
		for i := range s.Containers {
			if _, ok := s.Containers[i].Resources.Limits[k]; !ok {
				return false
			}
		}
		for i := range s.EphemeralContainers {
			if _, ok := s.EphemeralContainers[i].Resources.Limits[k]; !ok {
				return false
			}
		}
		return true
	}
	var agg corev1.ResourceList
	for _, k := range candidates {
		if !all(k) {
			continue
		}
		if agg == nil {
			agg = resourcehelper.AggregateContainerLimits(pod, resourcehelper.PodResourcesOptions{})
		}
		v, ok := agg[k]
		if !ok {
			continue
		}
		if req := pr.Requests[k]; req.Cmp(v) > 0 {
			v = req
		}
		if pr.Limits == nil {
			pr.Limits = corev1.ResourceList{}
		}
		pr.Limits[k] = v
	}
}

func isHugePages(k corev1.ResourceName) bool {
	return strings.HasPrefix(string(k), corev1.ResourceHugePagesPrefix)
}

// overcommitAllowed is helper.IsOvercommitAllowed of k8s.io/kubernetes: a native
// resource other than hugepages.
func overcommitAllowed(k corev1.ResourceName) bool {
	native := !strings.Contains(string(k), "/") || strings.Contains(string(k), corev1.ResourceDefaultNamespacePrefix)
	return native && !isHugePages(k)
}
