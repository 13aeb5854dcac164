package rbac

// ABAC policy files, as the API server reads them with --authorization-mode=ABAC and
// --authorization-policy-file, and the ABAC authorizer's decisions. The semantics are
// those of the API server's authorizer (documented at
// kubernetes.io/docs/reference/access-authn-authz/abac/), re-implemented here:
//
//   - The file holds one policy per line. Blank lines and lines whose first non-blank
//     character is '#' are skipped. A line is JSON when it starts with '{', YAML
//     otherwise (the API server's decoder accepts both).
//   - A line with apiVersion abac.authorization.kubernetes.io/v1beta1 and kind Policy
//     has its fields under "spec". A line without apiVersion (or with version v0) is
//     the legacy unversioned form, whose fields are at the top level and whose empty
//     fields are wildcards: no user and no group means every authenticated user, no
//     namespace means every namespace and every non-resource path (when resource is
//     empty too), no resource means every resource, and every API group matches.
//     Field names are case-sensitive; unknown fields are ignored.
//   - In both forms a user or group of "*" means every authenticated user (the group
//     system:authenticated), not anonymous requests.
//   - A policy matches when its subject matches (a named user must be the request's
//     user, a named group one of its groups; both, when both are named; a policy
//     naming neither matches nobody), when the request is read-only (get, list,
//     watch) or the policy is not readonly, and when either
//     - the request is a resource request and namespace, resource and apiGroup each
//       equal the request's or are "*" (so an empty namespace matches only
//       cluster-scoped and all-namespace requests, an empty apiGroup only the core
//       group; subresources and names are not looked at), or
//     - the request is a non-resource request and nonResourcePath is "*", equals the
//       path, or ends in "*" and the path starts with what precedes the "*"s.
//   - The file is an allow list: the first matching policy allows, nothing denies.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	kjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// The ABAC policy API group and its versions.
const (
	ABACGroup       = "abac.authorization.kubernetes.io"
	abacV1beta1     = ABACGroup + "/v1beta1"
	abacV0          = ABACGroup + "/v0"
	abacKind        = "Policy"
	abacMaxLineSize = bufio.MaxScanTokenSize // the API server reads the file with a default bufio.Scanner
)

func init() { RegisterABAC(loadABACFile) }

// loadABACFile reads a policy file for LoadABACFile (the CLI's --abac-policy-file).
func loadABACFile(path string) (ExtraAuthorizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ParseABAC(f, path)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ABACPolicy is a parsed ABAC policy file. It answers requests as the API server's
// ABAC authorizer does and can be given to Build as Options.Extra.
type ABACPolicy struct {
	// Name is the file name errors and reasons cite.
	Name     string
	Policies []ABACRule
}

// ABACRule is one policy line, after the API server's conversion of its version
// (so "*" users and groups have become the group system:authenticated, and a legacy
// line's empty fields their wildcards).
type ABACRule struct {
	Line            int    `json:"line"`
	User            string `json:"user,omitempty"`
	Group           string `json:"group,omitempty"`
	Readonly        bool   `json:"readonly,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	NonResourcePath string `json:"nonResourcePath,omitempty"`
}

// ABACParseError lists every line of a policy file that could not be read. The API
// server refuses to start on any of them.
type ABACParseError struct {
	Errors []finding.InputError
}

func (e *ABACParseError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, x := range e.Errors {
		msgs[i] = x.Error()
	}
	return strings.Join(msgs, "\n")
}

// v1beta1 and legacy (v0) policy lines.
type abacLineV1beta1 struct {
	Spec struct {
		User            string `json:"user,omitempty"`
		Group           string `json:"group,omitempty"`
		Readonly        bool   `json:"readonly,omitempty"`
		APIGroup        string `json:"apiGroup,omitempty"`
		Resource        string `json:"resource,omitempty"`
		Namespace       string `json:"namespace,omitempty"`
		NonResourcePath string `json:"nonResourcePath,omitempty"`
	} `json:"spec"`
}

type abacLineV0 struct {
	User      string `json:"user,omitempty"`
	Group     string `json:"group,omitempty"`
	Readonly  bool   `json:"readonly,omitempty"`
	Resource  string `json:"resource,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// ParseABAC reads an ABAC policy file. name is the file name errors cite. Every bad
// line is reported (as an *ABACParseError), not only the first.
func ParseABAC(r io.Reader, name string) (*ABACPolicy, error) {
	p := &ABACPolicy{Name: name}
	var errs []finding.InputError
	fail := func(line int, format string, args ...any) {
		errs = append(errs, finding.InputError{
			Location: finding.Location{File: name, Line: line},
			Message:  fmt.Sprintf(format, args...),
		})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), abacMaxLineSize)
	n := 0
	for sc.Scan() {
		n++
		rule, err := parseABACLine(sc.Bytes())
		if err != nil {
			fail(n, "%v", err)
			continue
		}
		if rule != nil {
			rule.Line = n
			p.Policies = append(p.Policies, *rule)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			fail(n+1, "line longer than %d bytes (the API server cannot read it either)", abacMaxLineSize)
		} else {
			fail(n+1, "reading: %v", err)
		}
	}
	if len(errs) > 0 {
		return nil, &ABACParseError{Errors: errs}
	}
	return p, nil
}

// parseABACLine reads one line; nil, nil for blank and comment lines.
func parseABACLine(b []byte) (*ABACRule, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return nil, nil
	}
	data := trimmed
	if trimmed[0] != '{' {
		j, err := yaml.YAMLToJSON(trimmed)
		if err != nil {
			return nil, fmt.Errorf("not a JSON or YAML policy: %v", err)
		}
		data = j
	}
	// The API server reads apiVersion and kind first, leniently (encoding/json), then
	// the fields, case-sensitively.
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a policy object: %v", err)
	}
	version, err := abacVersion(head.APIVersion, head.Kind)
	if err != nil {
		return nil, err
	}
	if version == abacV1beta1 {
		var l abacLineV1beta1
		if err := kjson.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("decoding %s policy: %s", abacV1beta1, fieldNames.Replace(err.Error()))
		}
		s := l.Spec
		r := &ABACRule{User: s.User, Group: s.Group, Readonly: s.Readonly, APIGroup: s.APIGroup,
			Resource: s.Resource, Namespace: s.Namespace, NonResourcePath: s.NonResourcePath}
		if s.User == "*" || s.Group == "*" {
			r.User, r.Group = "", GroupAuthenticated
		}
		return r, nil
	}
	var l abacLineV0
	if err := kjson.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("decoding unversioned policy: %s", fieldNames.Replace(err.Error()))
	}
	r := &ABACRule{User: l.User, Group: l.Group, Readonly: l.Readonly, Resource: l.Resource, Namespace: l.Namespace, APIGroup: "*"}
	if l.User == "" && l.Group == "" {
		r.Group = GroupAuthenticated
	}
	if l.User == "*" || l.Group == "*" {
		r.User, r.Group = "", GroupAuthenticated
	}
	if l.Namespace == "" {
		r.Namespace = "*"
	}
	if l.Resource == "" {
		r.Resource = "*"
	}
	if l.Namespace == "" && l.Resource == "" {
		r.NonResourcePath = "*"
	}
	return r, nil
}

// fieldNames turns the decoder's Go type names into the policy's field names.
var fieldNames = strings.NewReplacer("Go struct field abacLineV1beta1.", "field ", "Go struct field abacLineV0.", "field ", "Go struct field .", "field ")

// abacVersion decides, as the API server's decoder does, which form a line is in:
// v1beta1 needs both apiVersion and kind; a line missing either is decoded as the
// legacy form (v0), which fails when what it does name is something else.
func abacVersion(apiVersion, kind string) (string, error) {
	switch {
	case apiVersion == abacV1beta1 && kind == abacKind, apiVersion == abacV0 && kind == abacKind:
		return apiVersion, nil
	case apiVersion == "" && (kind == "" || kind == abacKind), apiVersion == abacV0 && kind == "":
		return abacV0, nil
	case apiVersion == abacV1beta1 && kind == "":
		return "", fmt.Errorf("apiVersion %s without kind %s", abacV1beta1, abacKind)
	}
	return "", fmt.Errorf("unknown policy apiVersion %q kind %q: want apiVersion %s, kind %s (or the unversioned form)",
		apiVersion, kind, abacV1beta1, abacKind)
}

// readOnly is the API server's notion of a read-only request.
func readOnly(verb string) bool { return verb == "get" || verb == "list" || verb == "watch" }

// subjectMatches: a policy naming neither user nor group matches nobody.
func (r *ABACRule) subjectMatches(u UserInfo) bool {
	matched := false
	if r.User != "" {
		if r.User != "*" && r.User != u.Name {
			return false
		}
		matched = true
	}
	if r.Group != "" {
		if r.Group != "*" && !has(u.Groups, r.Group) {
			return false
		}
		matched = true
	}
	return matched
}

// requestMatches is everything but the subject.
func (r *ABACRule) requestMatches(a Attributes) bool {
	if r.Readonly && !readOnly(a.Verb) {
		return false
	}
	if a.ResourceRequest {
		return (r.Namespace == "*" || r.Namespace == a.Namespace) &&
			(r.Resource == "*" || r.Resource == a.Resource) &&
			(r.APIGroup == "*" || r.APIGroup == a.APIGroup)
	}
	p := r.NonResourcePath
	return p == "*" || p == a.Path ||
		strings.HasSuffix(p, "*") && strings.HasPrefix(a.Path, strings.TrimRight(p, "*"))
}

// Matches reports whether the policy line allows the request.
func (r *ABACRule) Matches(a Attributes) bool {
	return r.subjectMatches(a.User) && r.requestMatches(a)
}

// Authorize answers as the ABAC authorizer: allowed by the first matching line.
func (p *ABACPolicy) Authorize(a Attributes) (bool, string) {
	for i := range p.Policies {
		if p.Policies[i].Matches(a) {
			return true, fmt.Sprintf("allowed by ABAC policy %s:%d", p.Name, p.Policies[i].Line)
		}
	}
	return false, "no ABAC policy matched"
}

// WhoCan lists the subjects some policy line allows the request (a.User is ignored):
// the user or group the line names. A line naming both a user and a group allows that
// user only while in that group, which the answer's Reason says.
func (p *ABACPolicy) WhoCan(a Attributes) []Answer {
	var out []Answer
	index := map[Subject]int{}
	for i := range p.Policies {
		r := &p.Policies[i]
		if (r.User == "" && r.Group == "") || !r.requestMatches(a) {
			continue
		}
		var s Subject
		switch {
		case r.User != "":
			s = Subject{Kind: KindUser, Name: r.User}
			if sa, ok := ServiceAccountOf(r.User); ok {
				s = sa
			}
		default:
			s = Subject{Kind: KindGroup, Name: r.Group}
		}
		reason := fmt.Sprintf("ABAC policy %s:%d", p.Name, r.Line)
		if r.User != "" && r.Group != "" {
			reason += " (only as a member of group " + r.Group + ")"
		}
		if j, ok := index[s]; ok {
			out[j].Reason += "; " + reason
			continue
		}
		index[s] = len(out)
		out = append(out, Answer{Subject: s, Reason: reason})
	}
	return out
}

var _ ExtraAuthorizer = (*ABACPolicy)(nil)
