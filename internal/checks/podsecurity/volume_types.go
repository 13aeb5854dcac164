package podsecurity

// PSS restricted allows only volume types that do not reach outside the pod's own
// storage: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim,
// projected, secret and image. hostPath is reported by PAL-021..023, so it is not
// reported again here.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-027", Title: "Volume type outside the restricted set", Severity: low, Category: catVolumes,
			Rationale:   "Volume types such as nfs, iscsi, rbd or gitRepo connect the node to external systems with the kubelet's credentials, outside the control of PersistentVolume provisioning.",
			Remediation: "Use a PersistentVolumeClaim (backed by a CSI driver), a CSI ephemeral volume, or emptyDir/configMap/secret/projected volumes.",
			References:  []string{refPSS},
			Frameworks:  restricted("restrictedVolumes"),
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for i := range w.Spec.Volumes {
				v := &w.Spec.Volumes[i]
				if t := volumeType(v); t != "" {
					p.Report(w.SpecField("volumes")+indexSuffix(i), "", "volume %q has type %s, which the restricted profile does not allow", v.Name, t)
				}
			}
		},
	})
}

// volumeType names a volume's type if it is outside the restricted allow-list (and is
// not hostPath), else "".
func volumeType(v *corev1.Volume) string {
	s := v.VolumeSource
	switch {
	case s.HostPath != nil, s.ConfigMap != nil, s.CSI != nil, s.DownwardAPI != nil, s.EmptyDir != nil,
		s.Ephemeral != nil, s.PersistentVolumeClaim != nil, s.Projected != nil, s.Secret != nil, s.Image != nil:
		return ""
	case s.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case s.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case s.GitRepo != nil:
		return "gitRepo"
	case s.NFS != nil:
		return "nfs"
	case s.ISCSI != nil:
		return "iscsi"
	case s.Glusterfs != nil:
		return "glusterfs"
	case s.RBD != nil:
		return "rbd"
	case s.FlexVolume != nil:
		return "flexVolume"
	case s.Cinder != nil:
		return "cinder"
	case s.CephFS != nil:
		return "cephfs"
	case s.Flocker != nil:
		return "flocker"
	case s.FC != nil:
		return "fc"
	case s.AzureFile != nil:
		return "azureFile"
	case s.VsphereVolume != nil:
		return "vsphereVolume"
	case s.Quobyte != nil:
		return "quobyte"
	case s.AzureDisk != nil:
		return "azureDisk"
	case s.PhotonPersistentDisk != nil:
		return "photonPersistentDisk"
	case s.PortworxVolume != nil:
		return "portworxVolume"
	case s.ScaleIO != nil:
		return "scaleIO"
	case s.StorageOS != nil:
		return "storageos"
	}
	return "unknown"
}
