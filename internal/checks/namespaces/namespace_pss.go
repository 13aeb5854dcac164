package namespaces

// Pod Security admission, built into the API server since Kubernetes 1.25, enforces
// the Pod Security Standards per namespace, as the namespace's
// pod-security.kubernetes.io/* labels say. A namespace without an enforce label gets
// the cluster default, which is privileged (nothing enforced) unless the cluster's
// AdmissionConfiguration says otherwise: a file scan cannot see that configuration,
// so the rules judge the labels as written.
//
// The label values are parsed with the official library (api.ParseLevel,
// api.ParseVersion, api.PolicyToEvaluate). The API server rejects the creation of a
// Namespace with an invalid value; for one that already has such a label, admission
// enforces restricted at latest instead of an invalid enforce value and fails open on
// an invalid audit or warn value.
//
// PAL-606 does what no file scan usually does: it evaluates each workload's pod
// template against the enforce level and version of its own namespace, as the input
// declares them, with the official policy evaluator (policy.NewEvaluator, the code
// the API server runs), and reports the pods the API server would reject. Only
// workloads whose namespace is known count: named by metadata.namespace or given by
// the scan's --namespace option (a workload with neither lands wherever it is
// deployed); and only Namespaces of the input: one
// that exists only in the cluster is invisible. Admission exemptions (usernames,
// runtime classes, namespaces) live in the cluster's AdmissionConfiguration and are
// not seen either. The rule is deferred: it keeps only the typed pod spec and the pod
// template's annotations (which the older checks read) until the Namespaces are known.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// indexNamespacePodSecurity names the index of Pod Security policies by namespace.
var indexNamespacePodSecurity = inventory.NewIndex("pod-security-by-namespace", nil, buildNamespacePodSecurity)

// IndexNamespacePodSecurity is the index of Namespaces' Pod Security labels: the one
// cross-object index the admission webhook fills, from the request's namespace.
var IndexNamespacePodSecurity = indexNamespacePodSecurity

// psaLabel is one Pod Security label and whether it holds a level or a version.
type psaLabel struct {
	key   string
	level bool
}

// psaLabels are the labels Pod Security admission reads, in documentation order.
var psaLabels = []psaLabel{
	{api.EnforceLevelLabel, true}, {api.EnforceVersionLabel, false},
	{api.AuditLevelLabel, true}, {api.AuditVersionLabel, false},
	{api.WarnLevelLabel, true}, {api.WarnVersionLabel, false},
}

const psaPrefix = "pod-security.kubernetes.io/"

// clusterDefaultPolicy is the admission plugin's default when no AdmissionConfiguration
// changes it: privileged at latest for every mode.
var clusterDefaultPolicy = api.Policy{
	Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
}

// namespacePolicy is the enforce policy of one Namespace of the input.
type namespacePolicy struct {
	enforce api.LevelVersion
	// invalid is set when a Pod Security label does not parse: the API server would
	// reject the Namespace.
	invalid bool
}

type namespacePolicies map[string]namespacePolicy

func buildNamespacePodSecurity(inv *inventory.Inventory) namespacePolicies {
	idx := namespacePolicies{}
	for _, o := range inv.Objects {
		if o.Ref.APIVersion != "v1" || o.Ref.Kind != "Namespace" {
			continue
		}
		if _, dup := idx[o.Ref.Name]; dup {
			continue
		}
		pol, errs := api.PolicyToEvaluate(o.Labels, clusterDefaultPolicy)
		idx[o.Ref.Name] = namespacePolicy{enforce: pol.Enforce, invalid: len(errs) > 0}
	}
	return idx
}

// psaEvaluator is the official evaluator the API server's admission plugin runs.
var psaEvaluator = func() policy.Evaluator {
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic("pod security evaluator: " + err.Error())
	}
	return ev
}()

func init() {
	exempt := rules.Param{Name: "exemptNamespaces", Syntax: rules.Glob,
		Description: "Namespaces (shell patterns) not checked; Kubernetes' own namespaces usually run privileged system pods.",
		Default:     defaultExemptNamespaces}
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-603", Title: "Namespace without a Pod Security enforce label", Severity: medium, Category: catNamespaces,
			Rationale: "Without a pod-security.kubernetes.io/enforce label, Pod Security admission applies the cluster default, which is privileged " +
				"(nothing enforced) unless the cluster's AdmissionConfiguration sets another. Any pod, including privileged or host-namespace pods, " +
				"is then admitted to the namespace. Audit and warn labels alone only report violations.",
			Remediation: "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline where restricted cannot be met yet), " +
				"optionally with pod-security.kubernetes.io/enforce-version pinned to the cluster's minor version.",
			References: []string{refPSA, refPSALabels, refPSAEnforceNS},
			Frameworks: namespaceFrameworks(cisPolicyControl),
			Params:     []rules.Param{exempt},
		},
		Kinds: []string{"Namespace"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if !psaNamespace(p, o) {
				return
			}
			if _, ok := o.Labels[api.EnforceLevelLabel]; ok {
				return
			}
			msg := fmt.Sprintf("namespace %q has no %s label, so the cluster default (privileged unless configured otherwise) is enforced", o.Ref.Name, api.EnforceLevelLabel)
			var modes []string
			for _, k := range []string{api.AuditLevelLabel, api.WarnLevelLabel} {
				if v, ok := o.Labels[k]; ok {
					modes = append(modes, k+"="+v)
				}
			}
			if len(modes) > 0 {
				msg += "; " + strings.Join(modes, " and ") + " only report violations"
			}
			where := "metadata"
			if len(o.Labels) > 0 {
				where = "metadata.labels"
			}
			p.Report(where, "", "%s", msg)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-604", Title: "Namespace enforces the privileged Pod Security level", Severity: medium, Category: catNamespaces,
			Rationale: "pod-security.kubernetes.io/enforce=privileged turns Pod Security admission off for the namespace: privileged containers, " +
				"host namespaces, hostPath volumes and every other baseline violation are admitted, so anyone who can create a pod there can take over its node.",
			Remediation: "Enforce restricted (or at least baseline). If a few system pods truly need privileges, give them a namespace of their own " +
				"or exempt them in the cluster's AdmissionConfiguration rather than opening the whole namespace.",
			References: []string{refPSA, refPSALabels, refPSAExemptions},
			Frameworks: namespaceFrameworks(cisPolicyControl),
			Params:     []rules.Param{exempt},
		},
		Kinds: []string{"Namespace"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if !psaNamespace(p, o) || o.Labels[api.EnforceLevelLabel] != string(api.LevelPrivileged) {
				return
			}
			p.Report(labelPath(api.EnforceLevelLabel), "", "namespace %q enforces the privileged Pod Security level: no pod is ever rejected", o.Ref.Name)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-605", Title: "Invalid Pod Security label value", Severity: medium, Category: catNamespaces,
			Rationale: "A pod-security.kubernetes.io/* level must be privileged, baseline or restricted and a version latest or v1.N. " +
				"The API server rejects a Namespace with any other value, so the deployment fails; a namespace that already carries one " +
				"gets restricted at latest instead of an invalid enforce value (pods break unexpectedly) and nothing instead of an invalid audit or warn value.",
			Remediation: "Use a valid level (privileged, baseline, restricted) and version (latest, or v1.N such as v1.30; note the leading v).",
			References:  []string{refPSALabels},
			Frameworks:  namespaceFrameworks(cisPolicyControl),
		},
		Kinds: []string{"Namespace"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Ref.APIVersion != "v1" {
				return
			}
			for _, l := range psaLabels {
				v, ok := o.Labels[l.key]
				if !ok {
					continue
				}
				if l.level {
					if _, err := api.ParseLevel(v); err != nil {
						p.Report(labelPath(l.key), "", "label %s=%q is not a Pod Security level: %v", l.key, v, err)
					}
					continue
				}
				if _, err := api.ParseVersion(v); err != nil {
					hint := ""
					if _, err2 := api.ParseVersion("v" + v); err2 == nil {
						hint = fmt.Sprintf(" (did you mean v%s?)", v)
					}
					p.Report(labelPath(l.key), "", "label %s=%q is not a Pod Security version: %v%s", l.key, v, err, hint)
				}
			}
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-606", Title: "Pods rejected by their namespace's Pod Security enforce level", Severity: high, Category: catNamespaces,
			Rationale: "The input labels the workload's namespace with a Pod Security enforce level (and version) that the workload's pod template violates, " +
				"as evaluated by the official Pod Security admission code. The API server will refuse its pods: a bare Pod fails to apply, " +
				"and a controller's pods are never created, so the rollout hangs. Either the workload or the namespace's policy is wrong.",
			Remediation: "Fix the fields the message names so that the pods meet the namespace's level; or, if the workload legitimately needs more, " +
				"move it to a namespace with a suitable level, or exempt it in the cluster's AdmissionConfiguration.",
			References: []string{refPSA, refPSS, refPSAEnforceNS},
			Frameworks: namespaceFrameworks(cisPolicyControl),
		},
		Targets:  rules.Scan | rules.Admission,
		Needs:    []inventory.AnyIndex{indexNamespacePodSecurity},
		Deferred: true,
		Workload: checkNamespaceEnforce,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-607", Title: "Pod Security setting that admission ignores", Severity: medium, Category: catNamespaces,
			Rationale: "Pod Security admission reads exactly six namespace labels. A mistyped key under pod-security.kubernetes.io/ " +
				"(enforce-level, enforced, warning) or one of the six keys written as an annotation instead of a label is silently ignored, " +
				"so the namespace runs under the cluster default while its manifest suggests a policy.",
			Remediation: "Use the label keys pod-security.kubernetes.io/enforce, enforce-version, audit, audit-version, warn and warn-version, under metadata.labels.",
			References:  []string{refPSALabels},
			Frameworks:  namespaceFrameworks(cisPolicyControl),
		},
		Kinds: []string{"Namespace"},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Ref.APIVersion != "v1" {
				return
			}
			known := map[string]bool{}
			for _, l := range psaLabels {
				known[l.key] = true
			}
			for _, k := range sortedKeys(o.Labels) {
				if strings.HasPrefix(k, psaPrefix) && !known[k] {
					p.Report(labelPath(k), "", "label %s is not a Pod Security label; admission ignores it", k)
				}
			}
			for _, k := range sortedKeys(o.Annotations) {
				if !known[k] {
					continue
				}
				if _, ok := o.Labels[k]; ok {
					continue
				}
				p.Report("metadata.annotations['"+k+"']", "", "%s is an annotation, but Pod Security admission reads only labels; it is ignored", k)
			}
		},
	})
}

// psaNamespace reports whether o is a core Namespace that the rule's exemptions leave in.
func psaNamespace(p *rules.Pass, o *inventory.Object) bool {
	return o.Ref.APIVersion == "v1" && !matchAny(p.Strings("exemptNamespaces"), o.Ref.Name)
}

func labelPath(key string) string { return "metadata.labels['" + key + "']" }

// checkNamespaceEnforce is PAL-606. It runs during the parse and keeps only what the
// official evaluator reads (the pod spec and the pod template's annotations) until the
// index of Namespace labels settles the finding.
func checkNamespaceEnforce(p *rules.Pass, w *workload.Workload) {
	o := w.Object
	// A PodTemplate creates no pod; a workload with no namespace of its own, and no
	// --namespace for the scan, lands wherever it is deployed.
	if !o.NamespaceKnown() || (o.Ref.APIVersion == "v1" && o.Ref.Kind == "PodTemplate") {
		return
	}
	ns := o.Ref.Namespace
	var meta *metav1.ObjectMeta
	if w.Meta != nil && len(w.Meta.Annotations) > 0 {
		meta = &metav1.ObjectMeta{Annotations: w.Meta.Annotations}
	} else {
		meta = &metav1.ObjectMeta{}
	}
	spec := pssView(w.Spec)
	subject := "its pods"
	if o.Ref.APIVersion == "v1" && o.Ref.Kind == "Pod" {
		subject = "the pod"
	}
	p.ReportUnless(func(inv *inventory.Inventory) (bool, string) {
		pol, ok := inventory.Get(inv, indexNamespacePodSecurity)[ns]
		// A Namespace with an invalid label is itself rejected (PAL-605).
		if !ok || pol.invalid || pol.enforce.Level == api.LevelPrivileged {
			return true, ""
		}
		res := policy.AggregateCheckResults(psaEvaluator.EvaluatePod(pol.enforce, meta, spec))
		if res.Allowed {
			return true, ""
		}
		return false, fmt.Sprintf(": violates PodSecurity %q: %s", pol.enforce.String(), res.ForbiddenDetail())
	}, w.SpecPath, "", "namespace %q enforces Pod Security, and the API server would reject %s", ns, subject)
}

// pssView copies the parts of a pod spec that the Pod Security checks read: the
// security contexts, host namespaces and users, OS, volumes, and per container the
// name, security context, ports, probes and lifecycle handlers. Deferred findings keep
// this view rather than the whole spec (environment, resources, commands...), which
// keeps memory well below the input size on large inputs.
func pssView(s *corev1.PodSpec) *corev1.PodSpec {
	v := &corev1.PodSpec{
		SecurityContext: s.SecurityContext, HostNetwork: s.HostNetwork, HostPID: s.HostPID,
		HostIPC: s.HostIPC, HostUsers: s.HostUsers, OS: s.OS, Volumes: s.Volumes,
	}
	view := func(c *corev1.Container) corev1.Container {
		var ports []corev1.ContainerPort
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				ports = append(ports, p)
			}
		}
		return corev1.Container{
			Name: c.Name, SecurityContext: c.SecurityContext, Ports: ports,
			LivenessProbe: c.LivenessProbe, ReadinessProbe: c.ReadinessProbe,
			StartupProbe: c.StartupProbe, Lifecycle: c.Lifecycle,
		}
	}
	for i := range s.InitContainers {
		v.InitContainers = append(v.InitContainers, view(&s.InitContainers[i]))
	}
	for i := range s.Containers {
		v.Containers = append(v.Containers, view(&s.Containers[i]))
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		v.EphemeralContainers = append(v.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon(view(&c)),
		})
	}
	return v
}
