// Package policygen generates, from a seed, the custom CEL rules (.palisade.yaml
// customRules) and the ValidatingAdmissionPolicies (with their bindings and
// parameter ConfigMaps) that the benchmarks run beside the built-in rules: the
// kind a platform team writes (images from the company registry, labels required,
// no LoadBalancer outside one namespace, resource limits, probes, ...), with
// parameters drawn from the seed so that the same seed gives the same files.
package policygen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Rule is one custom rule as written in .palisade.yaml (customRules).
type Rule struct {
	ID                string              `yaml:"id"`
	Title             string              `yaml:"title"`
	Severity          string              `yaml:"severity"`
	Match             Match               `yaml:"match"`
	Expression        string              `yaml:"expression"`
	MessageExpression string              `yaml:"messageExpression,omitempty"`
	Message           string              `yaml:"message,omitempty"`
	Frameworks        map[string][]string `yaml:"frameworks,omitempty"`
	Rationale         string              `yaml:"rationale"`
	Remediation       string              `yaml:"remediation"`
}

// Match is a custom rule's match.
type Match struct {
	Kinds     []string `yaml:"kinds,omitempty"`
	Workloads bool     `yaml:"workloads,omitempty"`
}

// The pod specs of the kinds the rules match, by the path CEL reaches them at.
var (
	templated = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
	tmplSpec  = "object.spec.template.spec"
)

var (
	registries = []string{"registry.acme.io", "ghcr.io/acme", "acme.azurecr.io", "gcr.io/acme-prod"}
	teamLabels = []string{"team", "acme.io/team", "owner", "app.kubernetes.io/part-of"}
	lbSpaces   = []string{"ingress", "edge", "gateway-system", "ingress-nginx"}
	domains    = []string{"acme.io", "shop.acme.io", "example.com"}
)

// pick returns one of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// ruleMakers are the rule templates, in order; the n-th rule is made by
// ruleMakers[n % len] with parameters from the seed.
var ruleMakers = []func(r *rand.Rand, id string) Rule{
	func(r *rand.Rand, id string) Rule {
		reg := pick(r, registries)
		return Rule{ID: id, Title: "Images come from the " + reg + " registry", Severity: "high",
			Match:             Match{Kinds: templated},
			Expression:        fmt.Sprintf("%s.containers.all(c, c.image.startsWith('%s/'))", tmplSpec, reg),
			MessageExpression: fmt.Sprintf("'image from outside %s: ' + %s.containers.filter(c, !c.image.startsWith('%s/')).map(c, c.image).join(', ')", reg, tmplSpec, reg),
			Frameworks:        map[string][]string{"cis-1.12": {"5.5.1"}},
			Rationale:         "Only images built and scanned by the company pipeline may run.",
			Remediation:       "Mirror the image into " + reg + " and reference it from there."}
	},
	func(r *rand.Rand, id string) Rule {
		reg := pick(r, registries)
		return Rule{ID: id, Title: "Pods pull from " + reg, Severity: "high",
			Match:       Match{Kinds: []string{"Pod"}},
			Expression:  fmt.Sprintf("object.spec.containers.all(c, c.image.startsWith('%s/')) && (!has(object.spec.initContainers) || object.spec.initContainers.all(c, c.image.startsWith('%s/')))", reg, reg),
			Message:     "a container image comes from outside " + reg,
			Rationale:   "Bare pods bypass the deployment pipeline; their images still must come from the registry.",
			Remediation: "Use images from " + reg + "."}
	},
	func(r *rand.Rand, id string) Rule {
		l := pick(r, teamLabels)
		return Rule{ID: id, Title: "Workloads carry the " + l + " label", Severity: "medium",
			Match:             Match{Kinds: append([]string{"CronJob"}, templated...)},
			Expression:        fmt.Sprintf("has(object.metadata.labels) && '%s' in object.metadata.labels && object.metadata.labels['%s'] != ''", l, l),
			MessageExpression: fmt.Sprintf("object.kind + ' ' + object.metadata.name + ' has no %s label'", l),
			Rationale:         "Every workload has an owning team to page.",
			Remediation:       "Add the " + l + " label."}
	},
	func(r *rand.Rand, id string) Rule {
		ns := pick(r, lbSpaces)
		return Rule{ID: id, Title: "No LoadBalancer Service outside namespace " + ns, Severity: "high",
			Match:             Match{Kinds: []string{"Service"}},
			Expression:        fmt.Sprintf("!has(object.spec.type) || object.spec.type != 'LoadBalancer' || (has(object.metadata.namespace) && object.metadata.namespace == '%s')", ns),
			MessageExpression: fmt.Sprintf("'LoadBalancer Service ' + object.metadata.name + ' outside namespace %s'", ns),
			Rationale:         "Public load balancers are created only by the edge team, in " + ns + ".",
			Remediation:       "Use a ClusterIP Service behind the shared ingress."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Containers set memory and CPU limits", Severity: "medium",
			Match:       Match{Kinds: templated},
			Expression:  tmplSpec + ".containers.all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits && 'cpu' in c.resources.limits)",
			Message:     "a container has no memory or CPU limit",
			Rationale:   "Unbounded containers starve their neighbours.",
			Remediation: "Set resources.limits.memory and resources.limits.cpu."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Long-running containers have readiness and liveness probes", Severity: "low",
			Match:             Match{Kinds: []string{"Deployment", "StatefulSet", "DaemonSet"}},
			Expression:        tmplSpec + ".containers.all(c, has(c.readinessProbe) && has(c.livenessProbe))",
			MessageExpression: "'containers without probes: ' + " + tmplSpec + ".containers.filter(c, !has(c.readinessProbe) || !has(c.livenessProbe)).map(c, c.name).join(', ')",
			Rationale:         "Without probes, traffic reaches containers that are not ready and hung ones are never restarted.",
			Remediation:       "Add readinessProbe and livenessProbe."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Images are pinned, never :latest", Severity: "medium",
			Match:       Match{Kinds: templated},
			Expression:  tmplSpec + ".containers.all(c, c.image.contains('@sha256:') || (c.image.matches(':[A-Za-z0-9_.-]+$') && !c.image.endsWith(':latest')))",
			Message:     "an image is not pinned to a tag or digest",
			Rationale:   "A moving tag makes rollouts unreproducible.",
			Remediation: "Pin the image to a version tag or a digest."}
	},
	func(r *rand.Rand, id string) Rule {
		n := 2 + r.IntN(2)
		return Rule{ID: id, Title: fmt.Sprintf("Deployments run at least %d replicas", n), Severity: "low",
			Match:             Match{Kinds: []string{"Deployment"}},
			Expression:        fmt.Sprintf("has(object.spec.replicas) && object.spec.replicas >= %d", n),
			MessageExpression: fmt.Sprintf("'replicas below %d'", n),
			Rationale:         "One replica is one node drain away from an outage.",
			Remediation:       "Raise spec.replicas or use a HorizontalPodAutoscaler."}
	},
	func(r *rand.Rand, id string) Rule {
		n := 20 + 10*r.IntN(4)
		return Rule{ID: id, Title: fmt.Sprintf("ConfigMaps hold at most %d keys", n), Severity: "low",
			Match:       Match{Kinds: []string{"ConfigMap"}},
			Expression:  fmt.Sprintf("!has(object.data) || object.data.size() <= %d", n),
			Message:     "too many keys in one ConfigMap",
			Rationale:   "Huge ConfigMaps slow every watch of the namespace.",
			Remediation: "Split the ConfigMap."}
	},
	func(r *rand.Rand, id string) Rule {
		d := pick(r, domains)
		return Rule{ID: id, Title: "Ingresses serve TLS for hosts under " + d, Severity: "high",
			Match:       Match{Kinds: []string{"Ingress"}},
			Expression:  fmt.Sprintf("has(object.spec.tls) && object.spec.tls.size() > 0 && (!has(object.spec.rules) || object.spec.rules.all(rule, !has(rule.host) || rule.host.endsWith('.%s')))", d),
			Message:     "Ingress without TLS or with a host outside " + d,
			Rationale:   "Plain HTTP leaks session cookies; foreign hosts are not ours to serve.",
			Remediation: "Add spec.tls and use hosts under " + d + "."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Workloads name their owner", Severity: "info",
			Match:       Match{Kinds: []string{"Deployment", "StatefulSet", "DaemonSet", "CronJob"}},
			Expression:  "has(object.metadata.annotations) && 'acme.io/owner' in object.metadata.annotations",
			Message:     "no acme.io/owner annotation",
			Rationale:   "Incidents need an owner to call.",
			Remediation: "Add the acme.io/owner annotation."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Pods run as non-root", Severity: "high",
			Match:       Match{Kinds: templated},
			Expression:  "has(" + tmplSpec + ".securityContext) && has(" + tmplSpec + ".securityContext.runAsNonRoot) && " + tmplSpec + ".securityContext.runAsNonRoot",
			Message:     "spec.template.spec.securityContext.runAsNonRoot is not true",
			Rationale:   "A root process that escapes the container is root on the node.",
			Remediation: "Set securityContext.runAsNonRoot: true at pod level."}
	},
	func(r *rand.Rand, id string) Rule {
		cpu := pick(r, []string{"2", "4", "8"})
		return Rule{ID: id, Title: "CPU requests at most " + cpu + " cores", Severity: "low",
			Match:       Match{Kinds: templated},
			Expression:  tmplSpec + ".containers.all(c, !has(c.resources) || !has(c.resources.requests) || !('cpu' in c.resources.requests) || quantity(string(c.resources.requests['cpu'])).compareTo(quantity('" + cpu + "')) <= 0)",
			Message:     "a container requests more than " + cpu + " CPUs",
			Rationale:   "Oversized requests strand node capacity.",
			Remediation: "Lower the CPU request or ask for a dedicated node pool."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "No hostPath volumes", Severity: "high",
			Match:       Match{Kinds: templated},
			Expression:  "!has(" + tmplSpec + ".volumes) || " + tmplSpec + ".volumes.all(v, !has(v.hostPath))",
			Message:     "a hostPath volume is mounted",
			Rationale:   "hostPath gives the pod the node's files.",
			Remediation: "Use a PersistentVolumeClaim, emptyDir or a CSI volume."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Service ports are named", Severity: "info",
			Match:       Match{Kinds: []string{"Service"}},
			Expression:  "!has(object.spec.ports) || object.spec.ports.all(p, has(p.name) && p.name != '')",
			Message:     "a Service port has no name",
			Rationale:   "The mesh picks the protocol from the port name.",
			Remediation: "Name every port (http-, grpc-, tcp-)."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Volume claim templates name a storage class", Severity: "low",
			Match:       Match{Kinds: []string{"StatefulSet"}},
			Expression:  "!has(object.spec.volumeClaimTemplates) || object.spec.volumeClaimTemplates.all(t, has(t.spec.storageClassName))",
			Message:     "a volume claim template relies on the default storage class",
			Rationale:   "The default class differs between clusters.",
			Remediation: "Set spec.storageClassName on each volume claim template."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Service accounts do not mount API tokens by default", Severity: "medium",
			Match:       Match{Kinds: []string{"ServiceAccount"}},
			Expression:  "has(object.automountServiceAccountToken) && !object.automountServiceAccountToken",
			Message:     "automountServiceAccountToken is not false",
			Rationale:   "Most pods never call the API server.",
			Remediation: "Set automountServiceAccountToken: false and mount a token only where needed."}
	},
	func(r *rand.Rand, id string) Rule {
		n := 30 + 10*r.IntN(3)
		return Rule{ID: id, Title: fmt.Sprintf("Names follow the convention (at most %d characters)", n), Severity: "info",
			Match:             Match{Kinds: []string{"Deployment", "Service", "ConfigMap", "StatefulSet"}},
			Expression:        fmt.Sprintf("object.metadata.name.matches('^[a-z][a-z0-9-]{0,%d}$')", n-1),
			MessageExpression: fmt.Sprintf("'name ' + object.metadata.name + ' does not match ^[a-z][a-z0-9-]{0,%d}$'", n-1),
			Rationale:         "Names end up in DNS labels and dashboards.",
			Remediation:       "Rename the object."}
	},
	func(r *rand.Rand, id string) Rule {
		return Rule{ID: id, Title: "Jobs clean up after themselves", Severity: "low",
			Match:       Match{Kinds: []string{"Job"}},
			Expression:  "has(object.spec.ttlSecondsAfterFinished) && has(object.spec.backoffLimit) && object.spec.backoffLimit <= 6",
			Message:     "no ttlSecondsAfterFinished or a backoffLimit above 6",
			Rationale:   "Finished Jobs pile up in etcd.",
			Remediation: "Set ttlSecondsAfterFinished and a backoffLimit of at most 6."}
	},
	func(r *rand.Rand, id string) Rule {
		word := pick(r, []string{"PASSWORD", "SECRET", "TOKEN"})
		return Rule{ID: id, Title: "No literal " + strings.ToLower(word) + " in environment variables", Severity: "critical",
			Match:       Match{Kinds: templated},
			Expression:  fmt.Sprintf("%s.containers.all(c, !has(c.env) || c.env.all(e, !(e.name.upperAscii().contains('%s') && has(e.value) && e.value != '')))", tmplSpec, word),
			Message:     "an environment variable named like a " + strings.ToLower(word) + " has a literal value",
			Rationale:   "Literal credentials end up in Git and in every describe output.",
			Remediation: "Read the value from a Secret (valueFrom.secretKeyRef)."}
	},
}

// Rules returns n custom rules, ACME-001 to ACME-n, from seed.
func Rules(seed uint64, n int) []Rule {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Rule, n)
	for i := range n {
		out[i] = ruleMakers[i%len(ruleMakers)](r, fmt.Sprintf("ACME-%03d", i+1))
	}
	return out
}
