package finding

// PathEvidence is the evidence of an attack-path finding (PAL-470..PAL-476): a chain
// of hops from an entry point (the internet, a pod in another namespace, a
// namespace, a workload or an identity) to a target (cluster-admin, a node, the
// secrets of a namespace, a workload), each hop justified by the analyzer that
// proves it, and the one change that cuts it.
type PathEvidence struct {
	// Entry and Target are graph node IDs (internal/attackpath: "internet", "pod",
	// "namespace:NS", "workload:NS/KIND/NAME", "identity:user:NAME",
	// "cluster-admin", "node", "secrets:NS", "secrets:*").
	Entry  string `json:"entry"`
	Target string `json:"target"`
	// Pivot is the last workload of the path: the one whose token or host access
	// the path uses (the finding's object); empty for a path from an identity that
	// crosses no workload.
	Pivot string `json:"pivot,omitempty"`
	// Hops is the shortest path, entry first.
	Hops []PathHop `json:"hops"`
	// Fix is the cheapest change that cuts this path (nil when no hop can be cut
	// by a change to the input).
	Fix *PathFix `json:"fix,omitempty"`
	// Alternatives counts the other simple paths from the entry to the target
	// through the same pivot, up to the query's depth bound (0: none, or not
	// counted); Others lists them when the query asked for every path.
	Alternatives int         `json:"alternatives,omitempty"`
	Others       [][]PathHop `json:"others,omitempty"`
}

// PathNode is one node of an attack graph.
type PathNode struct {
	ID string `json:"id"`
	// Kind is the node's type: internet, pod, namespace, identity, workload,
	// serviceaccount, capability, secrets, node, cluster-admin.
	Kind  string `json:"kind"`
	Label string `json:"label"`
	// Namespace is set on namespaced nodes (workloads, service accounts,
	// namespaced capabilities and secrets).
	Namespace string `json:"namespace,omitempty"`
	// Object is the Kubernetes object the node stands for, when there is one.
	Object   *ObjectRef `json:"object,omitempty"`
	Location *Location  `json:"location,omitempty"`
}

// PathHop is one edge of a path.
type PathHop struct {
	From PathNode `json:"from"`
	To   PathNode `json:"to"`
	// Kind is the edge's type (internal/attackpath EdgeKind: exposed, network,
	// token, grant, exec, create-pod, run-as, read-secrets, secret-token, host,
	// escalate, impersonate, nodes-proxy, csr, member).
	Kind string `json:"kind"`
	// Analyzer names what proves the hop: exposure, netpol, rbac, workload, pss.
	Analyzer string `json:"analyzer"`
	// Evidence are the facts that justify the hop, one per line: the Service or
	// Ingress, the NetworkPolicy rule that allows the traffic, the binding -> role
	// -> rule that grants the verb, the securityContext field.
	Evidence []string `json:"evidence"`
	// Fix is how this hop is cut (nil when it is inherent to Kubernetes: a
	// cluster-admin equivalent holds every secret).
	Fix *PathFix `json:"fix,omitempty"`
}

// PathFix is a change to the input that removes one hop.
type PathFix struct {
	// Hop is the index of the hop it removes in PathEvidence.Hops (in a hop's own
	// Fix, that hop's index too).
	Hop int `json:"hop"`
	// Change says what to change, in the input's terms ("set
	// automountServiceAccountToken: false", "remove subject 0 of ClusterRoleBinding
	// ops", "add a NetworkPolicy that isolates shop/web for ingress").
	Change string `json:"change"`
	// Object, Location and Path name the object and field to change, when there
	// is one (a NetworkPolicy to add has none).
	Object   *ObjectRef `json:"object,omitempty"`
	Location *Location  `json:"location,omitempty"`
	Path     string     `json:"path,omitempty"`
	// Cost orders fixes: 1 a field or binding subject, 2 a NetworkPolicy, 3 the
	// way a Service or Ingress exposes the workload; a fix of several changes costs
	// their number.
	Cost int `json:"cost"`
	// CutsAll is set when the change leaves no path at all from the entry to the
	// target through the pivot (not only this one).
	CutsAll bool `json:"cutsAll"`
}
