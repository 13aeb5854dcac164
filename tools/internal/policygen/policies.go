package policygen

import (
	"fmt"
	"math/rand/v2"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParamNamespace is the namespace of the parameter ConfigMaps.
const ParamNamespace = "palisade-policies"

// Policy is one ValidatingAdmissionPolicy with its bindings.
type Policy struct {
	Policy   *admissionregistrationv1.ValidatingAdmissionPolicy
	Bindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// Features counts what the generated policies use, for the benchmark's text.
type Features struct {
	Policies, Bindings, Params                                      int
	Variables, MessageExpressions, ParamRefs, NamespaceSelectors    int
	MatchConditions, AuditAnnotations, ObjectSelectors, WarnOrAudit int
}

var (
	allOps    = []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	fail      = admissionregistrationv1.Fail
	ignore    = admissionregistrationv1.Ignore
	equiv     = admissionregistrationv1.Equivalent
	denyParam = admissionregistrationv1.DenyAction
	allowPar  = admissionregistrationv1.AllowAction
)

func rule(group, version string, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
	return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: allOps,
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: resources},
	}}
}

var (
	workloadRules = []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "v1", "deployments", "statefulsets", "daemonsets", "replicasets"), rule("batch", "v1", "jobs")}
	appsRules     = []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "v1", "deployments", "statefulsets", "daemonsets")}
	podRules      = []admissionregistrationv1.NamedRuleWithOperations{rule("", "v1", "pods")}
	serviceRules  = []admissionregistrationv1.NamedRuleWithOperations{rule("", "v1", "services")}
)

// notSystem is the namespace selector of the policies that leave the system
// namespaces alone.
var notSystem = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
	Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "kube-public", "kube-node-lease"},
}}}

// policyMaker makes the n-th policy; params collects the ConfigMaps it needs.
type policyMaker func(r *rand.Rand, name string, params *[]*corev1.ConfigMap) Policy

func configMap(name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ParamNamespace, Labels: labels}, Data: data}
}

var configMapKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}

// build assembles a policy and one binding with actions.
func build(name string, spec admissionregistrationv1.ValidatingAdmissionPolicySpec, actions []admissionregistrationv1.ValidationAction, ref *admissionregistrationv1.ParamRef, bindingMatch *admissionregistrationv1.MatchResources) Policy {
	if spec.FailurePolicy == nil {
		spec.FailurePolicy = &fail
	}
	if spec.MatchConstraints != nil && spec.MatchConstraints.MatchPolicy == nil {
		spec.MatchConstraints.MatchPolicy = &equiv
	}
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       spec,
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name + "-binding"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: name, ValidationActions: actions, ParamRef: ref, MatchResources: bindingMatch,
		},
	}
	return Policy{Policy: p, Bindings: []*admissionregistrationv1.ValidatingAdmissionPolicyBinding{b}}
}

func deny() []admissionregistrationv1.ValidationAction {
	return []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
}

func warnAudit() []admissionregistrationv1.ValidationAction {
	return []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit}
}

func v(expr string) admissionregistrationv1.Validation {
	return admissionregistrationv1.Validation{Expression: expr}
}

var policyMakers = []policyMaker{
	// A replica ceiling: the Kubernetes documentation's first example.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		n := 10 + 10*r.IntN(3)
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "v1", "deployments")}},
			Validations:      []admissionregistrationv1.Validation{v(fmt.Sprintf("!has(object.spec.replicas) || object.spec.replicas <= %d", n))},
		}, deny(), nil, nil)
	},
	// Registry allow-list from a parameter ConfigMap, with variables.
	func(r *rand.Rand, name string, params *[]*corev1.ConfigMap) Policy {
		cm := name + "-registries"
		*params = append(*params, configMap(cm, nil, map[string]string{"registries": two(r, registries, "/,") + "/,docker.io/library/"}))
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind:        configMapKind,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			Variables: []admissionregistrationv1.Variable{
				{Name: "allowed", Expression: "params.data.registries.split(',')"},
				{Name: "images", Expression: "object.spec.template.spec.containers.map(c, c.image)"},
				{Name: "foreign", Expression: "variables.images.filter(i, !variables.allowed.exists(p, i.startsWith(p)))"},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "size(variables.foreign) == 0",
				MessageExpression: "'images from registries not allowed: ' + variables.foreign.join(', ')",
				Reason:            ptr(metav1.StatusReasonForbidden),
			}},
		}, deny(), &admissionregistrationv1.ParamRef{Name: cm, Namespace: ParamNamespace, ParameterNotFoundAction: &denyParam}, nil)
	},
	// Labels required, except in system namespaces.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		l := pick(r, teamLabels)
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: append(append([]admissionregistrationv1.NamedRuleWithOperations{}, appsRules...), serviceRules...), NamespaceSelector: notSystem},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        fmt.Sprintf("has(object.metadata.labels) && '%s' in object.metadata.labels", l),
				MessageExpression: fmt.Sprintf("object.kind + ' ' + object.metadata.name + ' lacks the label %s'", l),
			}},
		}, warnAudit(), nil, nil)
	},
	// No LoadBalancer outside the edge namespaces (binding scoped by namespace).
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		ns := pick(r, lbSpaces)
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: serviceRules},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "!has(object.spec.type) || object.spec.type != 'LoadBalancer'",
				Message:    "LoadBalancer Services are reserved to namespace " + ns,
				Reason:     ptr(metav1.StatusReasonInvalid),
			}},
		}, deny(), nil, &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{ns},
		}}}})
	},
	// Resource limits, with a matchCondition leaving Helm test hooks alone.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "not-helm-hook",
				Expression: "!has(object.metadata.annotations) || !('helm.sh/hook' in object.metadata.annotations)",
			}},
			Variables: []admissionregistrationv1.Variable{{Name: "containers", Expression: "object.spec.template.spec.containers"}},
			Validations: []admissionregistrationv1.Validation{
				{Expression: "variables.containers.all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits)", MessageExpression: "'containers without a memory limit: ' + variables.containers.filter(c, !has(c.resources) || !has(c.resources.limits) || !('memory' in c.resources.limits)).map(c, c.name).join(', ')"},
				{Expression: "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests)", Message: "every container requests CPU"},
			},
		}, warnAudit(), nil, nil)
	},
	// Probes, with an audit annotation.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: appsRules},
			Validations:      []admissionregistrationv1.Validation{{Expression: "object.spec.template.spec.containers.all(c, has(c.readinessProbe))", Message: "every container has a readinessProbe"}},
			AuditAnnotations: []admissionregistrationv1.AuditAnnotation{{Key: "probes", ValueExpression: "string(object.spec.template.spec.containers.filter(c, has(c.livenessProbe)).size()) + ' of ' + string(object.spec.template.spec.containers.size()) + ' containers have a liveness probe'"}},
		}, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit}, nil, nil)
	},
	// Pod security: privileged and host namespaces, for bare Pods.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: podRules, NamespaceSelector: notSystem},
			Validations: []admissionregistrationv1.Validation{
				v("!has(object.spec.hostNetwork) || !object.spec.hostNetwork"),
				v("!has(object.spec.hostPID) || !object.spec.hostPID"),
				{Expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)", Message: "privileged containers are not allowed"},
			},
		}, deny(), nil, nil)
	},
	// Minimum replicas from parameters selected by label (one evaluation per
	// ConfigMap), for objects opting in with a label.
	func(r *rand.Rand, name string, params *[]*corev1.ConfigMap) Policy {
		sel := map[string]string{"acme.io/policy": name}
		*params = append(*params,
			configMap(name+"-prod", sel, map[string]string{"minReplicas": "2", "tier": "prod"}),
			configMap(name+"-default", sel, map[string]string{"minReplicas": "1", "tier": "default"}))
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind:        configMapKind,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "v1", "deployments", "statefulsets")}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "!has(object.spec.replicas) || object.spec.replicas >= int(params.data.minReplicas)",
				MessageExpression: "'tier ' + params.data.tier + ' needs at least ' + params.data.minReplicas + ' replicas'",
			}},
		}, warnAudit(), &admissionregistrationv1.ParamRef{Namespace: ParamNamespace, Selector: &metav1.LabelSelector{MatchLabels: sel}, ParameterNotFoundAction: &allowPar}, nil)
	},
	// Ingress hosts under the allowed domains from a ConfigMap.
	func(r *rand.Rand, name string, params *[]*corev1.ConfigMap) Policy {
		cm := name + "-domains"
		*params = append(*params, configMap(cm, nil, map[string]string{"domains": two(r, domains, ",")}))
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind:        configMapKind,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("networking.k8s.io", "v1", "ingresses")}},
			Variables:        []admissionregistrationv1.Variable{{Name: "domains", Expression: "params.data.domains.split(',')"}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "!has(object.spec.rules) || object.spec.rules.all(rule, !has(rule.host) || variables.domains.exists(d, rule.host == d || rule.host.endsWith('.' + d)))",
				MessageExpression: "'hosts must be under ' + variables.domains.join(' or ')",
			}},
		}, deny(), &admissionregistrationv1.ParamRef{Name: cm, Namespace: ParamNamespace, ParameterNotFoundAction: &denyParam}, nil)
	},
	// No :latest images, ignoring evaluation errors.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &ignore,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest') && (c.image.contains('@') || c.image.split('/')[size(c.image.split('/')) - 1].contains(':')))",
				MessageExpression: "'unpinned images: ' + object.spec.template.spec.containers.filter(c, c.image.endsWith(':latest') || !c.image.contains(':')).map(c, c.image).join(', ')",
			}},
		}, deny(), nil, nil)
	},
	// Services: no NodePort, no externalIPs.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: serviceRules, NamespaceSelector: notSystem},
			Validations: []admissionregistrationv1.Validation{
				{Expression: "!has(object.spec.type) || object.spec.type != 'NodePort'", Message: "NodePort Services are not allowed"},
				{Expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0", Message: "externalIPs are not allowed (CVE-2020-8554)"},
			},
		}, warnAudit(), nil, nil)
	},
	// Objects opting in by label (objectSelector) must name an owner.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules:  append(append([]admissionregistrationv1.NamedRuleWithOperations{}, appsRules...), rule("", "v1", "services", "configmaps")),
				ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app.kubernetes.io/managed-by", Operator: metav1.LabelSelectorOpExists}}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "has(object.metadata.labels) && 'app.kubernetes.io/name' in object.metadata.labels",
				MessageExpression: "'managed by ' + object.metadata.labels['app.kubernetes.io/managed-by'] + ' but without app.kubernetes.io/name'",
			}},
		}, warnAudit(), nil, nil)
	},
	// Non-root pods, in namespaces labelled for the restricted profile or not.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			Variables: []admissionregistrationv1.Variable{
				{Name: "pod", Expression: "object.spec.template.spec"},
				{Name: "podNonRoot", Expression: "has(variables.pod.securityContext) && has(variables.pod.securityContext.runAsNonRoot) && variables.pod.securityContext.runAsNonRoot"},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "variables.pod.containers.all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot : variables.podNonRoot)",
				Message:    "containers must run as non-root",
				Reason:     ptr(metav1.StatusReasonForbidden),
			}},
		}, deny(), nil, &admissionregistrationv1.MatchResources{NamespaceSelector: notSystem})
	},
	// ConfigMap size.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		n := 64 + 64*r.IntN(3)
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("", "v1", "configmaps")}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        fmt.Sprintf("!has(object.data) || object.data.all(k, size(object.data[k]) <= %d * 1024)", n),
				MessageExpression: fmt.Sprintf("'a value of ConfigMap ' + object.metadata.name + ' is larger than %d KiB'", n),
			}},
		}, deny(), nil, nil)
	},
	// Host paths, with a matchCondition on the kind's namespace.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name: "not-monitoring", Expression: "!has(object.metadata.namespace) || object.metadata.namespace != 'monitoring'",
			}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "!has(object.spec.template.spec.volumes) || object.spec.template.spec.volumes.all(vol, !has(vol.hostPath))",
				MessageExpression: "'hostPath volumes: ' + object.spec.template.spec.volumes.filter(vol, has(vol.hostPath)).map(vol, vol.name).join(', ')",
			}},
		}, deny(), nil, nil)
	},
	// Allowed capabilities from a parameter ConfigMap.
	func(r *rand.Rand, name string, params *[]*corev1.ConfigMap) Policy {
		cm := name + "-capabilities"
		*params = append(*params, configMap(cm, nil, map[string]string{"allowed": "NET_BIND_SERVICE," + pick(r, []string{"CHOWN", "SETUID", "NET_RAW"})}))
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind:        configMapKind,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: workloadRules},
			Variables: []admissionregistrationv1.Variable{
				{Name: "allowed", Expression: "params.data.allowed.split(',')"},
				{Name: "added", Expression: "object.spec.template.spec.containers.filter(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.add)).map(c, c.securityContext.capabilities.add).flatten()"},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "variables.added.all(cap, cap in variables.allowed)",
				MessageExpression: "'capabilities not allowed: ' + variables.added.filter(cap, !(cap in variables.allowed)).join(', ')",
			}},
		}, deny(), &admissionregistrationv1.ParamRef{Name: cm, Namespace: ParamNamespace, ParameterNotFoundAction: &denyParam}, nil)
	},
	// Service accounts: no token automount.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("", "v1", "serviceaccounts")}, NamespaceSelector: notSystem},
			Validations:      []admissionregistrationv1.Validation{{Expression: "has(object.automountServiceAccountToken) && !object.automountServiceAccountToken", Message: "set automountServiceAccountToken: false"}},
		}, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}, nil, nil)
	},
	// StatefulSet storage, with an audit annotation of the requested size.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "v1", "statefulsets")}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "!has(object.spec.volumeClaimTemplates) || object.spec.volumeClaimTemplates.all(t, has(t.spec.storageClassName))",
				Message:    "volume claim templates must name a storage class",
			}},
			AuditAnnotations: []admissionregistrationv1.AuditAnnotation{{Key: "claims", ValueExpression: "string(has(object.spec.volumeClaimTemplates) ? size(object.spec.volumeClaimTemplates) : 0) + ' volume claim templates'"}},
		}, warnAudit(), nil, nil)
	},
	// Jobs and CronJobs bounded.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("batch", "v1", "jobs", "cronjobs")}},
			Variables:        []admissionregistrationv1.Variable{{Name: "job", Expression: "object.kind == 'CronJob' ? object.spec.jobTemplate.spec : object.spec"}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "has(variables.job.activeDeadlineSeconds) || has(variables.job.ttlSecondsAfterFinished)",
				MessageExpression: "object.kind + ' ' + object.metadata.name + ' sets neither activeDeadlineSeconds nor ttlSecondsAfterFinished'",
			}},
		}, warnAudit(), nil, nil)
	},
	// Bare Pods must belong to a controller, except in namespaces labelled as sandboxes.
	func(r *rand.Rand, name string, _ *[]*corev1.ConfigMap) Policy {
		return build(name, admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: podRules, NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "acme.io/sandbox", Operator: metav1.LabelSelectorOpDoesNotExist,
			}}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, o.controller == true)",
				Message:    "bare Pods are not allowed outside sandboxes",
			}},
		}, warnAudit(), nil, nil)
	},
}

func ptr[T any](x T) *T { return &x }

// two joins two different elements of xs with sep.
func two(r *rand.Rand, xs []string, sep string) string {
	p := r.Perm(len(xs))
	return xs[p[0]] + sep + xs[p[1]]
}

// Policies returns n policies with their bindings, named acme-NN-..., and the
// parameter ConfigMaps their bindings select, from seed.
func Policies(seed uint64, n int) ([]Policy, []*corev1.ConfigMap) {
	r := rand.New(rand.NewPCG(seed, 2))
	var params []*corev1.ConfigMap
	out := make([]Policy, n)
	for i := range n {
		out[i] = policyMakers[i%len(policyMakers)](r, fmt.Sprintf("acme-%02d", i+1), &params)
	}
	return out, params
}

// Count says which features the policies use.
func Count(ps []Policy, params []*corev1.ConfigMap) Features {
	f := Features{Policies: len(ps), Params: len(params)}
	for _, p := range ps {
		s := p.Policy.Spec
		f.Bindings += len(p.Bindings)
		if len(s.Variables) > 0 {
			f.Variables++
		}
		for _, val := range s.Validations {
			if val.MessageExpression != "" {
				f.MessageExpressions++
				break
			}
		}
		if s.ParamKind != nil {
			f.ParamRefs++
		}
		if s.MatchConstraints.NamespaceSelector != nil || p.Bindings[0].Spec.MatchResources != nil {
			f.NamespaceSelectors++
		}
		if s.MatchConstraints.ObjectSelector != nil {
			f.ObjectSelectors++
		}
		if len(s.MatchConditions) > 0 {
			f.MatchConditions++
		}
		if len(s.AuditAnnotations) > 0 {
			f.AuditAnnotations++
		}
		for _, a := range p.Bindings[0].Spec.ValidationActions {
			if a != admissionregistrationv1.Deny {
				f.WarnOrAudit++
				break
			}
		}
	}
	return f
}
