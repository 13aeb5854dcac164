// Package attackpath chains what the other analyzers prove into attack paths: from an
// entry point (the internet, a pod in another namespace, a compromised namespace,
// workload or identity) to a target (cluster-admin, a node, the secrets of a
// namespace, a named workload), each hop justified by the analyzer that proves it,
// and the one change that cuts the path.
//
// # The graph
//
// Nodes are typed (Kind) and named by stable IDs, which are also the syntax of
// `palisade paths --from/--to`:
//
//	internet                    entry: addresses outside the cluster network
//	pod                         entry: a pod in another namespace (a foothold anywhere in the cluster)
//	namespace:NS                entry: every workload of NS is compromised
//	identity:user:NAME, identity:group:NAME, identity:sa:NS:NAME
//	                            entry: the subject's credentials (rbac.ParseSubject syntax)
//	workload:NS/KIND/NAME       the pods of a workload (an object that runs pods)
//	serviceaccount:NS/NAME      a service account's token
//	capability:CLASS@NS         an RBAC capability held in a namespace
//	capability:CLASS@cluster    ... or cluster-wide
//	secrets:NS, secrets:*       target: the Secrets of a namespace, or of every namespace
//	node                        target: root on a node (the kubelet's credentials, every pod on it)
//	cluster-admin               target: every permission cluster-wide
//
// Edges (EdgeKind) and the analyzer that justifies each (Edge.Analyzer,
// Edge.Evidence):
//
//	internet -> workload   exposed      exposure: a NodePort/LoadBalancer Service or externalIPs
//	                                    selecting the pods, an Ingress routing to such a Service,
//	                                    a hostPort, hostNetwork; and netpol: the pods' ingress
//	                                    admits addresses outside the cluster on a port the route
//	                                    targets (Matrix.FromOutside, the rule that allows it)
//	pod -> workload        network      netpol: the pods admit pods of another namespace
//	                                    (exposure's "cluster" level and its reasons)
//	workload -> workload   network      netpol: the source's egress and the destination's ingress
//	                                    allow some port (Model.Reach: the rules on each side)
//	namespace:NS -> workload, identity -> capability
//	                       member       the start's own workloads / the subject's grants
//	workload -> serviceaccount token    rbac: the pods mount the account's token (WorkloadRef.Token)
//	serviceaccount -> capability grant  rbac: binding -> role -> rule (Risk.Grants)
//	capability -> serviceaccount run-as   create pods (or controllers) in NS: a pod can run as any
//	                                    account of NS (those of the input); tokens: create
//	                                    serviceaccounts/token; impersonate serviceaccounts
//	capability -> workload exec         exec/attach/ephemeral containers in NS
//	capability -> secrets  read-secrets get/list/watch secrets in NS (cluster: secrets:*)
//	secrets -> serviceaccount secret-token  a legacy token Secret of the account in NS (input)
//	capability -> node     create-pod   create pods in NS where Pod Security admission does not
//	                                    enforce baseline (namespace label; pss), nodes/proxy
//	capability -> cluster-admin escalate  every permission, escalate, bind, impersonate users or
//	                                    groups, client certificates: cluster-wide
//	workload -> node       host         workload: privileged, hostPID, node-level capabilities,
//	                                    hostPath of a sensitive node directory
//
// Further, as built:
//
//   - An Ingress route counts when the pods admit the Ingress controller's pods (pods
//     of another namespace), not outside addresses; a hostNetwork workload is exposed
//     whatever the policies say (most plugins do not apply them to host-network
//     pods). The `pod` entry is admitted by pod peers only (an ipBlock is not a pod).
//   - Creating pods in NS also reads its Secrets (a pod mounts any Secret of its
//     namespace); escalate or bind held in NS lead to NS's other capabilities.
//   - Impersonation is two classes: users or groups cluster-wide (-> cluster-admin),
//     and service accounts of NS (run-as).
//   - cluster-admin leads to secrets:* and to the node, with no fix; secrets:* leads to
//     every legacy-token account as secrets:NS does to those of NS.
//   - A `pod-security.kubernetes.io/enforce` value that does not parse counts as
//     restricted, as the admission plugin does; a namespace absent from the input
//     counts as privileged (a note says so).
//   - A fix that needs several changes (all the host settings of one pod, several
//     binding subjects) costs their number; a namespace entry's virtual first hop is
//     a `member` edge and counts toward the depth bound.
//
// # Paths and findings
//
// A query (Query) names entries, targets and a depth bound. For each entry, one
// breadth-first search over the graph gives the shortest path to every node; a
// path is reported per (entry, target, pivot), the pivot being the path's last
// workload (whose token or host access it uses): the finding is on the pivot, so
// that its owner sees it, suppresses it with an annotation, or fixes it. Others
// counts the alternative simple paths through the same pivot up to the bound.
//
// Each edge knows how it is cut (Edge.Fix, with a cost: 1 a field or a binding
// subject, 2 a NetworkPolicy, 3 the Service or Ingress; a fix of several changes
// costs their number). A path's fix is the cheapest edge whose removal leaves no
// path from the entry to the target through the pivot within the depth bound
// (CutsAll); when none does alone, the cheapest edge of the path. Counting
// alternatives and the cut search have work budgets (query.go): past them a count is
// a lower bound and CutsAll stays false.
//
// Network edges between workloads are not stored: Graph asks the NetworkPolicy
// matrix for a class's row when a search first leaves it (Lateral), so that an
// open cluster of thousands of pods costs one matrix row per class reached, not a
// stored edge per pair.
package attackpath
