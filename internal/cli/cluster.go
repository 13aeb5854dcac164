package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func newCluster(stdout, stderr io.Writer) *cobra.Command {
	var (
		o             scan.Options
		out           outputFlags
		im            imageFlags
		configFile    string
		kubeconfig    string
		kubeContext   string
		allNamespaces bool
		src           source.Cluster
		pf            policyFlags
	)
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Scan the objects of a live cluster",
		Long: `Scan a running cluster: list the objects the rules need through the Kubernetes API
(the kinds the enabled rules read: workloads and pods, services, ingresses, network
policies, namespaces, quotas, limit ranges, runtime classes, service accounts, RBAC,
config maps, secrets, CRDs) and run every rule on them,
with the same report formats, configuration, baseline and exit codes as scan.

The connection follows the usual kubeconfig rules: --kubeconfig, else $KUBECONFIG,
else ~/.kube/config, else the in-cluster service account. Pods and ReplicaSets owned
by a controller are reported through their owner (one finding for a Deployment, not
one per replica); bare pods are reported themselves. Secret values are read only with
--include-secret-values (and never printed); otherwise Secrets are read as metadata.

A kind the API server refuses to list (RBAC) or fails to list becomes a "coverage"
entry of the report: what was not checked and why. The exit code is then 3, so an
incomplete scan never passes as a clean one.

With --nodes, each node's effective kubelet configuration is read from its /configz
through the API server (GET /api/v1/nodes/NAME/proxy/configz) and judged by the node
rules (CIS 4.2, as a node's facts file would be; the file rules are unknown: /configz
carries no file, owner or permission). This needs list on nodes and get on
nodes/proxy, a dangerous permission (nodes/proxy reaches the kubelet's whole API,
exec in any pod of the node included) that the scanner role does not grant: see
deploy/palisade-nodes-clusterrole.yaml. A node that cannot be read is a coverage
entry naming it. --profile names the distribution profile (the benchmark variant's
numbers); without it each node's profile is chosen from its labels and OS image.

With --images, the image of every container of the workloads read is also pulled and
checked inside (see palisade image and scan --images); an image that cannot be pulled
or read is a coverage entry too.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage,
configuration or connection error; 3 some kinds could not be listed; 4 internal error
(a bug to report; the report covers the rest).`,
		Example: `  palisade cluster
  palisade cluster --context prod -n payments -o json
  palisade cluster --include-secret-values --fail-on medium
  palisade cluster -n payments --images
  palisade cluster --policy policies/ --as alice
  palisade cluster --nodes --profile eks`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			cfg = im.vuln.configure(cfg)
			if allNamespaces && cmd.Flags().Changed("all-namespaces") && src.Namespace != "" {
				fmt.Fprintln(stderr, "palisade: --namespace and --all-namespaces exclude each other")
				return exitError{ExitUsage}
			}
			if err := checkNodeFlags(cmd, &src); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			rc, err := live.RESTConfig(kubeconfig, kubeContext)
			if err = withHint(err, "scan manifests with `palisade scan PATH`, or name a kubeconfig with --kubeconfig"); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			src.Config = rc
			if isTerminal(stderr) {
				src.Progress = stderr
			}
			o.Source, o.Config, o.Version = &src, cfg, Version
			pf.apply(&o)
			if o.Source, err = im.withImages(&src, cfg, stderr); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	f := c.Flags()
	out.register(c, &o, &configFile)
	registerVEX(f, &o)
	pf.register(f, false)
	registerClusterFlags(f, &kubeconfig, &kubeContext, &src.Timeout, "")
	f.StringVarP(&src.Namespace, "namespace", "n", "", "scan only this namespace (cluster roles, bindings and CRDs are still read)")
	f.BoolVarP(&allNamespaces, "all-namespaces", "A", true, "scan all namespaces (-n scans one instead)")
	im.register(f, true)
	f.BoolVar(&src.IncludeSecretValues, "include-secret-values", false, "read Secret values for the secret rules (never printed)")
	f.BoolVar(&src.Nodes, "nodes", false, "also read each node's kubelet configuration from /configz through the API server (needs get nodes/proxy)")
	f.StringVar(&src.Profile, "profile", "", "distribution profile of the nodes read with --nodes ("+strings.Join(nodeprofile.Names(), ", ")+"; default: chosen per node)")
	return c
}

// checkNodeFlags validates --profile: a known profile, and only with --nodes.
func checkNodeFlags(cmd *cobra.Command, src *source.Cluster) error {
	if !cmd.Flags().Changed("profile") {
		return nil
	}
	if !src.Nodes {
		return fmt.Errorf("--profile applies to the nodes read with --nodes")
	}
	if _, ok := nodeprofile.Get(src.Profile); !ok {
		return fmt.Errorf("--profile %q: unknown profile (known: %s)", src.Profile, strings.Join(nodeprofile.Names(), ", "))
	}
	return nil
}
