package checktest

// Manifest builders shared by the namespace rules' tests and the registry tests.

// NSDeployment is a Deployment named name; nsLine ("  namespace: x\n" or "") and
// extraMeta are inserted in its metadata, podSpec is its pod template's spec.
func NSDeployment(name, nsLine, extraMeta, podSpec string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n" + nsLine + extraMeta +
		"spec:\n  template:\n    spec:\n" + podSpec
}

// NamespaceYAML is a Namespace with the labels and annotations (indented lines).
func NamespaceYAML(name, labels, annotations string) string {
	s := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n"
	if labels != "" {
		s += "  labels:\n" + labels
	}
	if annotations != "" {
		s += "  annotations:\n" + annotations
	}
	return s
}

// RestrictedPod is a pod template spec that passes the restricted Pod Security
// Standards.
const RestrictedPod = `      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          allowPrivilegeEscalation: false
          capabilities:
            drop: ["ALL"]
`
