package workload

// The ServiceAccount admission plugin mounts a token of the pod's service account into
// the pod, the one pod change that depends on another object: the account's own
// automountServiceAccountToken. So it is not applied in From but modelled here, once,
// for the rules that settle it against the input's ServiceAccounts
// (plugin/pkg/admission/serviceaccount in k8s.io/kubernetes):
//   - the pod's automountServiceAccountToken wins; when unset, the account's; when
//     both are unset, the token is mounted;
//   - the plugin adds a projected volume (kube-api-access-<random>: a token, the
//     cluster's CA bundle and the namespace) and mounts it read-only at TokenMountPath
//     into every init and regular container that mounts nothing there already;
//     ephemeral containers never get it; when no container needs it, no volume is
//     added.

// TokenMountPath is where the ServiceAccount admission plugin mounts the token.
const TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// TokenVolumePrefix starts the name of the volume the plugin adds.
const TokenVolumePrefix = "kube-api-access-"

// TokenTargets returns the containers the plugin mounts the token into when it
// mounts one: the init and regular containers with no mount at TokenMountPath.
func (w *Workload) TokenTargets() []*Container {
	var out []*Container
	for _, c := range w.Containers {
		if tokenTarget(c) {
			out = append(out, c)
		}
	}
	return out
}

// TokenPathTaken reports whether the plugin mounts the token into no container
// whatever the settings: every init and regular container mounts something at
// TokenMountPath.
func (w *Workload) TokenPathTaken() bool {
	for _, c := range w.Containers {
		if tokenTarget(c) {
			return false
		}
	}
	return true
}

func tokenTarget(c *Container) bool {
	if c.Kind == Ephemeral {
		return false
	}
	for _, m := range c.VolumeMounts {
		if m.MountPath == TokenMountPath {
			return false
		}
	}
	return true
}

// AutomountsToken reports whether the plugin mounts a token, given the
// automountServiceAccountToken of the pod's ServiceAccount (nil when unset or when
// the account is not known, which is the Kubernetes default: mount).
func (w *Workload) AutomountsToken(account *bool) bool {
	if v := w.Spec.AutomountServiceAccountToken; v != nil {
		return *v
	}
	if account != nil {
		return *account
	}
	return true
}

// TokenMounts returns the containers the plugin mounts the token into, given the
// account's automountServiceAccountToken (see AutomountsToken).
func (w *Workload) TokenMounts(account *bool) []*Container {
	if !w.AutomountsToken(account) {
		return nil
	}
	return w.TokenTargets()
}
