package rbac

// Synthetic writes a generated cluster as manifests (see synthetic), for the tests
// and benchmarks of package rbac_test, which need the risk classes of internal/checks/identity.
func Synthetic(namespaces, roles, bindings, workloads int, seed uint64, risky bool) string {
	return synthetic{namespaces: namespaces, roles: roles, bindings: bindings, workloads: workloads, seed: seed, risky: risky}.yaml()
}
