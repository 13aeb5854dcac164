package rbac

import (
	"fmt"
	"strconv"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The decoders read the few fields the analysis needs straight from an object's body,
// which is much cheaper than a reflective conversion on tens of thousands of roles.
// A field of the wrong type is a problem; the rest of the object is still read.

type decodeErrors []string

func (d *decodeErrors) add(path, format string, args ...any) {
	*d = append(*d, path+": "+fmt.Sprintf(format, args...))
}

func strList(v any, path string, errs *decodeErrors) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		errs.add(path, "want a list of strings")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			errs.add(path+"["+strconv.Itoa(i)+"]", "want a string, got %v", x)
			continue
		}
		out = append(out, s)
	}
	return out
}

func str(m map[string]any, key, path string, errs *decodeErrors) string {
	v, ok := m[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		errs.add(path+"."+key, "want a string, got %v", v)
	}
	return s
}

func decodeRules(body map[string]any, errs *decodeErrors) []rbacv1.PolicyRule {
	v, ok := body["rules"]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		errs.add("rules", "want a list")
		return nil
	}
	out := make([]rbacv1.PolicyRule, 0, len(list))
	for i, x := range list {
		path := "rules[" + strconv.Itoa(i) + "]"
		m, ok := x.(map[string]any)
		if !ok {
			errs.add(path, "want a mapping")
			out = append(out, rbacv1.PolicyRule{}) // keep indexes aligned with the input
			continue
		}
		out = append(out, rbacv1.PolicyRule{
			Verbs:           strList(m["verbs"], path+".verbs", errs),
			APIGroups:       strList(m["apiGroups"], path+".apiGroups", errs),
			Resources:       strList(m["resources"], path+".resources", errs),
			ResourceNames:   strList(m["resourceNames"], path+".resourceNames", errs),
			NonResourceURLs: strList(m["nonResourceURLs"], path+".nonResourceURLs", errs),
		})
	}
	return out
}

// decodeAggregation returns the aggregationRule's selectors, nil when there is none.
func decodeAggregation(body map[string]any, errs *decodeErrors) *rbacv1.AggregationRule {
	v, ok := body["aggregationRule"]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		errs.add("aggregationRule", "want a mapping")
		return nil
	}
	ar := &rbacv1.AggregationRule{}
	if sel, ok := m["clusterRoleSelectors"]; ok && sel != nil {
		list, ok := sel.([]any)
		if !ok {
			errs.add("aggregationRule.clusterRoleSelectors", "want a list")
			return ar
		}
		for i, x := range list {
			var ls metav1.LabelSelector
			mm, ok := x.(map[string]any)
			if ok {
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(mm, &ls); err != nil {
					ok = false
				}
			}
			if !ok {
				errs.add("aggregationRule.clusterRoleSelectors["+strconv.Itoa(i)+"]", "not a label selector")
				// An unreadable selector selects nothing; keep the index aligned.
				ls = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "-", Operator: "Invalid"}}}
			}
			ar.ClusterRoleSelectors = append(ar.ClusterRoleSelectors, ls)
		}
	}
	return ar
}

func decodeRoleRef(body map[string]any, errs *decodeErrors) rbacv1.RoleRef {
	m, ok := body["roleRef"].(map[string]any)
	if !ok {
		errs.add("roleRef", "missing or not a mapping")
		return rbacv1.RoleRef{}
	}
	return rbacv1.RoleRef{
		APIGroup: str(m, "apiGroup", "roleRef", errs),
		Kind:     str(m, "kind", "roleRef", errs),
		Name:     str(m, "name", "roleRef", errs),
	}
}

func decodeSubjects(body map[string]any, errs *decodeErrors) []rbacv1.Subject {
	v, ok := body["subjects"]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		errs.add("subjects", "want a list")
		return nil
	}
	out := make([]rbacv1.Subject, 0, len(list))
	for i, x := range list {
		path := "subjects[" + strconv.Itoa(i) + "]"
		m, ok := x.(map[string]any)
		if !ok {
			errs.add(path, "want a mapping")
			out = append(out, rbacv1.Subject{})
			continue
		}
		out = append(out, rbacv1.Subject{
			Kind:      str(m, "kind", path, errs),
			APIGroup:  str(m, "apiGroup", path, errs),
			Name:      str(m, "name", path, errs),
			Namespace: str(m, "namespace", path, errs),
		})
	}
	return out
}

// decodeAutomount reads automountServiceAccountToken of a ServiceAccount (nil: unset).
func decodeAutomount(body map[string]any) *bool {
	if b, ok := body["automountServiceAccountToken"].(bool); ok {
		return &b
	}
	return nil
}
