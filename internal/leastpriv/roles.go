package leastpriv

// Minimal roles: the Roles, ClusterRoles and bindings that grant exactly what a
// subject used. A use in a namespace goes into a Role of that namespace (bound by a
// RoleBinding there); a use without namespace (cluster-scoped resources, requests
// across all namespaces) and non-resource URLs go into one ClusterRole (bound by a
// ClusterRoleBinding). Verbs are merged per resource, and resources of one API
// group used with the same verbs share a rule. resourceNames are written only when
// asked for, and never for verbs whose requests carry no name (create, list, watch,
// deletecollection): the authorizer would never match them.
//
// Names are deterministic (palisade-leastpriv-<subject>), so applying the output of
// a later run updates the same objects.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// NamePrefix starts the name of every generated object.
const NamePrefix = "palisade-leastpriv-"

// RoleOptions say how the minimal roles are written.
type RoleOptions struct {
	// ResourceNames restricts get, update, patch, delete (and other verbs whose
	// requests name an object) to the names used.
	ResourceNames bool
}

// Roles are the minimal RBAC objects of one subject.
type Roles struct {
	Subject rbac.Subject
	// ClusterRules go into the ClusterRole (nil: none needed); Namespaced into a
	// Role per namespace.
	ClusterRules []rbacv1.PolicyRule
	Namespaced   map[string][]rbacv1.PolicyRule
}

// Name is the name of the subject's generated objects.
func Name(s rbac.Subject) string {
	var base string
	switch s.Kind {
	case rbac.KindServiceAccount:
		base = "sa-" + s.Namespace + "-" + s.Name
	case rbac.KindGroup:
		base = "group-" + s.Name
	default:
		base = "user-" + s.Name
	}
	var sb strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	name := sb.String()
	if name != base || len(name) > 200 {
		// Another subject could map to the same name: a digest of the subject keeps
		// them apart.
		if len(name) > 180 {
			name = name[:180]
		}
		sum := sha256.Sum256([]byte(s.String()))
		name += "-" + hex.EncodeToString(sum[:4])
	}
	return NamePrefix + name
}

// Minimal computes the rules that grant exactly the permissions used.
func Minimal(s rbac.Subject, perms []Perm, opts RoleOptions) Roles {
	r := Roles{Subject: s, Namespaced: map[string][]rbacv1.PolicyRule{}}
	byScope := map[string][]Perm{}
	for _, p := range perms {
		ns := p.Namespace
		if p.NonResource() {
			ns = ""
		}
		byScope[ns] = append(byScope[ns], p)
	}
	for ns, ps := range byScope {
		rules := rulesFor(ps, opts)
		if ns == "" {
			r.ClusterRules = rules
		} else {
			r.Namespaced[ns] = rules
		}
	}
	return r
}

type set map[string]bool

func (s set) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func key(l []string) string { return strings.Join(l, "\x00") }

// rulesFor merges the permissions of one scope into rules.
func rulesFor(perms []Perm, opts RoleOptions) []rbacv1.PolicyRule {
	type resKey struct{ group, entry string }
	free := map[resKey]set{}             // verbs without a name restriction
	named := map[resKey]map[string]set{} // verb -> names
	urls := map[string]set{}             // path -> verbs
	for _, p := range perms {
		if p.NonResource() {
			if urls[p.Path] == nil {
				urls[p.Path] = set{}
			}
			urls[p.Path][p.Verb] = true
			continue
		}
		k := resKey{p.APIGroup, p.Resource}
		if p.Subresource != "" {
			k.entry += "/" + p.Subresource
		}
		if free[k] == nil {
			free[k] = set{}
		}
		if !opts.ResourceNames || p.Name == "" || namelessVerbs[p.Verb] {
			free[k][p.Verb] = true
			continue
		}
		if named[k] == nil {
			named[k] = map[string]set{}
		}
		if named[k][p.Verb] == nil {
			named[k][p.Verb] = set{}
		}
		named[k][p.Verb][p.Name] = true
	}
	var rules []rbacv1.PolicyRule
	// Resources of a group with the same verbs share a rule.
	type shared struct {
		group string
		verbs []string
		res   set
	}
	merged := map[string]*shared{}
	for k, verbs := range free {
		if len(verbs) == 0 {
			continue
		}
		vs := verbs.sorted()
		mk := k.group + "\x01" + key(vs)
		if merged[mk] == nil {
			merged[mk] = &shared{group: k.group, verbs: vs, res: set{}}
		}
		merged[mk].res[k.entry] = true
	}
	for _, m := range merged {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{m.group}, Resources: m.res.sorted(), Verbs: m.verbs})
	}
	for k, byVerb := range named {
		// Verbs used with the same names share a rule; a verb also used without a
		// name is already free.
		byNames := map[string]*shared{}
		for verb, names := range byVerb {
			if free[k][verb] {
				continue
			}
			ns := names.sorted()
			nk := key(ns)
			if byNames[nk] == nil {
				byNames[nk] = &shared{res: set{}}
				for _, n := range ns {
					byNames[nk].res[n] = true
				}
			}
			byNames[nk].verbs = append(byNames[nk].verbs, verb)
		}
		for _, b := range byNames {
			sort.Strings(b.verbs)
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.entry}, ResourceNames: b.res.sorted(), Verbs: b.verbs})
		}
	}
	byVerbs := map[string]*shared{}
	for path, verbs := range urls {
		vs := verbs.sorted()
		vk := key(vs)
		if byVerbs[vk] == nil {
			byVerbs[vk] = &shared{verbs: vs, res: set{}}
		}
		byVerbs[vk].res[path] = true
	}
	for _, b := range byVerbs {
		rules = append(rules, rbacv1.PolicyRule{NonResourceURLs: b.res.sorted(), Verbs: b.verbs})
	}
	sort.Slice(rules, func(i, j int) bool { return ruleOrder(rules[i]) < ruleOrder(rules[j]) })
	return rules
}

func ruleOrder(r rbacv1.PolicyRule) string {
	nr := "0"
	if len(r.NonResourceURLs) > 0 {
		nr = "1"
	}
	return nr + "\x01" + key(r.APIGroups) + "\x01" + key(r.Resources) + "\x01" + key(r.NonResourceURLs) + "\x01" + key(r.ResourceNames) + "\x01" + key(r.Verbs)
}

const rbacAPIVersion = rbacv1.GroupName + "/v1"

// Objects are the generated objects as Kubernetes manifests (maps ready to
// marshal), in the order to apply them: the ClusterRole and its binding, then per
// namespace (sorted) the Role and its RoleBinding.
func (r Roles) Objects() []map[string]any {
	name := Name(r.Subject)
	labels := map[string]any{"app.kubernetes.io/managed-by": "palisade"}
	subject := map[string]any{"kind": r.Subject.Kind, "name": r.Subject.Name}
	switch r.Subject.Kind {
	case rbac.KindServiceAccount:
		subject["namespace"] = r.Subject.Namespace
	default:
		subject["apiGroup"] = rbacv1.GroupName
	}
	meta := func(ns string) map[string]any {
		m := map[string]any{"name": name, "labels": labels}
		if ns != "" {
			m["namespace"] = ns
		}
		return m
	}
	var out []map[string]any
	if len(r.ClusterRules) > 0 {
		out = append(out,
			map[string]any{"apiVersion": rbacAPIVersion, "kind": "ClusterRole", "metadata": meta(""), "rules": r.ClusterRules},
			map[string]any{"apiVersion": rbacAPIVersion, "kind": "ClusterRoleBinding", "metadata": meta(""),
				"roleRef":  map[string]any{"apiGroup": rbacv1.GroupName, "kind": "ClusterRole", "name": name},
				"subjects": []any{subject}})
	}
	nss := make([]string, 0, len(r.Namespaced))
	for ns := range r.Namespaced {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		out = append(out,
			map[string]any{"apiVersion": rbacAPIVersion, "kind": "Role", "metadata": meta(ns), "rules": r.Namespaced[ns]},
			map[string]any{"apiVersion": rbacAPIVersion, "kind": "RoleBinding", "metadata": meta(ns),
				"roleRef":  map[string]any{"apiGroup": rbacv1.GroupName, "kind": "Role", "name": name},
				"subjects": []any{subject}})
	}
	return out
}

// Inventory returns the generated objects as inventory objects (for rbac.Build:
// what the roles alone would grant).
func (r Roles) Inventory() ([]*inventory.Object, error) {
	var out []*inventory.Object
	for i, o := range r.Objects() {
		// Through JSON, so that bodies hold the plain types rbac's decoder reads.
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			return nil, err
		}
		md, _ := body["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		out = append(out, &inventory.Object{
			Ref:  finding.ObjectRef{APIVersion: rbacAPIVersion, Kind: body["kind"].(string), Namespace: ns, Name: Name(r.Subject)},
			Body: body, Origin: finding.Location{File: "leastpriv", Document: i},
		})
	}
	return out, nil
}

// WriteYAML writes the roles of every subject as one YAML stream, each subject's
// objects after a comment naming it.
func WriteYAML(w io.Writer, all []Roles) error {
	for _, r := range all {
		objs := r.Objects()
		if len(objs) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "# %s\n", commentSafe(r.Subject.String())); err != nil {
			return err
		}
		for _, o := range objs {
			b, err := yaml.Marshal(o)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
				return err
			}
		}
	}
	return nil
}

// commentSafe keeps a name from the log on one comment line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85 {
			return '?'
		}
		return r
	}, s)
}
