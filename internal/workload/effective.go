package workload

import (
	corev1 "k8s.io/api/core/v1"
)

// Setting is an effective value and the field path it was read from. Set is false when
// neither the container nor the pod sets it; Path then names the container field where
// it belongs.
type Setting[T any] struct {
	Value T
	Set   bool
	Path  string
	// FromPod is true when the value is inherited from the pod's securityContext.
	FromPod bool
}

// Effective is a container's security settings after pod-level inheritance.
type Effective struct {
	RunAsNonRoot             Setting[bool]
	RunAsUser                Setting[int64]
	RunAsGroup               Setting[int64]
	SeccompProfile           Setting[corev1.SeccompProfile]
	AppArmorProfile          Setting[corev1.AppArmorProfile]
	SELinuxOptions           Setting[corev1.SELinuxOptions]
	HostProcess              Setting[bool]
	Privileged               Setting[bool]
	AllowPrivilegeEscalation Setting[bool]
	ReadOnlyRootFilesystem   Setting[bool]
	ProcMount                Setting[corev1.ProcMountType]
	Capabilities             corev1.Capabilities
}

// AppArmorAnnotationPrefix is the deprecated per-container AppArmor annotation, still
// honoured by the kubelet when no field is set.
const AppArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func effective(w *Workload, c *Container) Effective {
	var e Effective
	psc := w.Spec.SecurityContext
	csc := c.SecurityContext
	pp := w.SpecField("securityContext")
	cp := c.Field("securityContext")

	// Pod-level defaults first.
	if psc != nil {
		setPtr(&e.RunAsNonRoot, psc.RunAsNonRoot, pp, "runAsNonRoot", true)
		setPtr(&e.RunAsUser, psc.RunAsUser, pp, "runAsUser", true)
		setPtr(&e.RunAsGroup, psc.RunAsGroup, pp, "runAsGroup", true)
		setPtr(&e.SeccompProfile, psc.SeccompProfile, pp, "seccompProfile", true)
		setPtr(&e.AppArmorProfile, psc.AppArmorProfile, pp, "appArmorProfile", true)
		setPtr(&e.SELinuxOptions, psc.SELinuxOptions, pp, "seLinuxOptions", true)
		if psc.WindowsOptions != nil {
			setPtr(&e.HostProcess, psc.WindowsOptions.HostProcess, pp, "windowsOptions.hostProcess", true)
		}
	}
	if !e.AppArmorProfile.Set {
		if v, ok := w.Meta.Annotations[AppArmorAnnotationPrefix+c.Name]; ok {
			e.AppArmorProfile = Setting[corev1.AppArmorProfile]{
				Value: annotationAppArmor(v), Set: true, FromPod: true,
				Path: w.MetaPath + ".annotations['" + AppArmorAnnotationPrefix + c.Name + "']",
			}
		}
	}
	// Then container overrides.
	if csc != nil {
		setPtr(&e.RunAsNonRoot, csc.RunAsNonRoot, cp, "runAsNonRoot", false)
		setPtr(&e.RunAsUser, csc.RunAsUser, cp, "runAsUser", false)
		setPtr(&e.RunAsGroup, csc.RunAsGroup, cp, "runAsGroup", false)
		setPtr(&e.SeccompProfile, csc.SeccompProfile, cp, "seccompProfile", false)
		setPtr(&e.AppArmorProfile, csc.AppArmorProfile, cp, "appArmorProfile", false)
		setPtr(&e.SELinuxOptions, csc.SELinuxOptions, cp, "seLinuxOptions", false)
		if csc.WindowsOptions != nil {
			setPtr(&e.HostProcess, csc.WindowsOptions.HostProcess, cp, "windowsOptions.hostProcess", false)
		}
		setPtr(&e.Privileged, csc.Privileged, cp, "privileged", false)
		setPtr(&e.AllowPrivilegeEscalation, csc.AllowPrivilegeEscalation, cp, "allowPrivilegeEscalation", false)
		setPtr(&e.ReadOnlyRootFilesystem, csc.ReadOnlyRootFilesystem, cp, "readOnlyRootFilesystem", false)
		setPtr(&e.ProcMount, csc.ProcMount, cp, "procMount", false)
		if csc.Capabilities != nil {
			e.Capabilities = *csc.Capabilities
		}
	}
	// Unset settings point at where a container would set them.
	for _, s := range []struct {
		set  bool
		path *string
		sub  string
	}{
		{e.RunAsNonRoot.Set, &e.RunAsNonRoot.Path, "runAsNonRoot"},
		{e.RunAsUser.Set, &e.RunAsUser.Path, "runAsUser"},
		{e.RunAsGroup.Set, &e.RunAsGroup.Path, "runAsGroup"},
		{e.SeccompProfile.Set, &e.SeccompProfile.Path, "seccompProfile"},
		{e.AppArmorProfile.Set, &e.AppArmorProfile.Path, "appArmorProfile"},
		{e.SELinuxOptions.Set, &e.SELinuxOptions.Path, "seLinuxOptions"},
		{e.HostProcess.Set, &e.HostProcess.Path, "windowsOptions.hostProcess"},
		{e.Privileged.Set, &e.Privileged.Path, "privileged"},
		{e.AllowPrivilegeEscalation.Set, &e.AllowPrivilegeEscalation.Path, "allowPrivilegeEscalation"},
		{e.ReadOnlyRootFilesystem.Set, &e.ReadOnlyRootFilesystem.Path, "readOnlyRootFilesystem"},
		{e.ProcMount.Set, &e.ProcMount.Path, "procMount"},
	} {
		if !s.set {
			*s.path = cp + "." + s.sub
		}
	}
	return e
}

// setPtr records a setting from the field sub of the securityContext at base.
func setPtr[T any](s *Setting[T], v *T, base, sub string, fromPod bool) {
	if v == nil {
		return
	}
	*s = Setting[T]{Value: *v, Set: true, Path: base + "." + sub, FromPod: fromPod}
}

func annotationAppArmor(v string) corev1.AppArmorProfile {
	switch {
	case v == "unconfined":
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case v == "runtime/default":
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case len(v) > len("localhost/") && v[:len("localhost/")] == "localhost/":
		p := v[len("localhost/"):]
		return corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &p}
	}
	return corev1.AppArmorProfile{Type: corev1.AppArmorProfileType(v)}
}
