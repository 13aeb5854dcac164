// Package kubetest runs a real kube-apiserver, backed by a real etcd, for
// integration tests: one per test package, started by the first test that asks for
// it and shared by the rest.
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		c := kubetest.Shared(t) // skips if the binaries are missing (fails under make test)
//		ns := c.Namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
//		admin := c.Client()                         // system:masters
//		cfg, err := c.UserConfig("alice", "devs")   // any user and groups, by client certificate
//		sa, err := c.ServiceAccountConfig(ctx, ns, "default") // a service account's token
//		...
//	}
//
// A test that needs a server configured otherwise (extra kube-apiserver flags, such as
// an ABAC policy file) starts one of its own, stopped when the test ends:
//
//	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{"--authorization-mode=ABAC", ...}})
//
// The binaries come from hack/k8s-bins.sh (see FindBinaries), which builds them from
// Go modules; `make test` runs it first. It builds the kubelet of the same release
// too: Kubelet(t) returns its path (skipping and failing like Shared), for tests that
// run it only as far as logging its effective configuration.
package kubetest
