package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Subject kinds, as written in bindings.
const (
	KindUser           = rbacv1.UserKind
	KindGroup          = rbacv1.GroupKind
	KindServiceAccount = rbacv1.ServiceAccountKind
)

// Well-known users and groups the authenticator hands out.
const (
	GroupMasters          = "system:masters"
	GroupAuthenticated    = "system:authenticated"
	GroupUnauthenticated  = "system:unauthenticated"
	GroupServiceAccounts  = "system:serviceaccounts"
	UserAnonymous         = "system:anonymous"
	serviceAccountPrefix  = "system:serviceaccount:"
	serviceAccountsPrefix = "system:serviceaccounts:"
)

// Subject is a user, a group or a service account.
type Subject struct {
	// Kind is "User", "Group" or "ServiceAccount".
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Namespace is the service account's namespace (empty for users and groups).
	Namespace string `json:"namespace,omitempty"`
}

// ParseSubject reads "sa:NS:NAME" (or "serviceaccount:NS:NAME", or the username
// "system:serviceaccount:NS:NAME"), "user:NAME" and "group:NAME".
func ParseSubject(s string) (Subject, error) {
	if rest, ok := strings.CutPrefix(s, serviceAccountPrefix); ok {
		return parseSA(s, rest)
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Subject{}, fmt.Errorf("subject %q: want sa:NAMESPACE:NAME, user:NAME or group:NAME", s)
	}
	switch strings.ToLower(kind) {
	case "sa", "serviceaccount":
		return parseSA(s, rest)
	case "user", "u":
		if sa, ok := ServiceAccountOf(rest); ok {
			return sa, nil
		}
		return Subject{Kind: KindUser, Name: rest}, nil
	case "group", "g":
		return Subject{Kind: KindGroup, Name: rest}, nil
	}
	return Subject{}, fmt.Errorf("subject %q: unknown kind %q (want sa, user or group)", s, kind)
}

func parseSA(s, rest string) (Subject, error) {
	ns, name, ok := strings.Cut(rest, ":")
	if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
		return Subject{}, fmt.Errorf("subject %q: a service account is sa:NAMESPACE:NAME", s)
	}
	return Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}, nil
}

// ServiceAccountOf returns the service account a username names
// (system:serviceaccount:NS:NAME), as the API server's service account matching does.
func ServiceAccountOf(username string) (Subject, bool) {
	rest, ok := strings.CutPrefix(username, serviceAccountPrefix)
	if !ok {
		return Subject{}, false
	}
	ns, name, ok := strings.Cut(rest, ":")
	if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
		return Subject{}, false
	}
	return Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}, true
}

// String writes the subject in the form ParseSubject reads.
func (s Subject) String() string {
	switch s.Kind {
	case KindServiceAccount:
		return "sa:" + s.Namespace + ":" + s.Name
	case KindUser:
		return "user:" + s.Name
	case KindGroup:
		return "group:" + s.Name
	}
	return s.Kind + ":" + s.Name
}

// Username is the name the authenticator gives the subject (a service account's
// system:serviceaccount:NS:NAME); empty for groups.
func (s Subject) Username() string {
	switch s.Kind {
	case KindServiceAccount:
		return serviceAccountPrefix + s.Namespace + ":" + s.Name
	case KindUser:
		return s.Name
	}
	return ""
}

// UserInfo is what the authenticator hands the authorizer.
type UserInfo struct {
	Name   string   `json:"name,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// UserInfoFor is the user an authenticated request of the subject carries: a
// ServiceAccount becomes the user system:serviceaccount:NS:NAME with the groups
// system:serviceaccounts, system:serviceaccounts:NS and system:authenticated; a User gets
// extraGroups plus system:authenticated (system:anonymous gets system:unauthenticated
// instead); a Group is a user with no name in that group and the groups every member
// of it is in: system:authenticated (unless it is system:unauthenticated), and
// system:serviceaccounts for system:serviceaccounts:NS.
func UserInfoFor(s Subject, extraGroups []string) UserInfo {
	u := UserInfo{Groups: append([]string(nil), extraGroups...)}
	switch s.Kind {
	case KindServiceAccount:
		u.Name = s.Username()
		u.Groups = append(u.Groups, GroupServiceAccounts, serviceAccountsPrefix+s.Namespace, GroupAuthenticated)
		return dedupGroups(u)
	case KindUser:
		u.Name = s.Name
		if sa, ok := ServiceAccountOf(s.Name); ok {
			return UserInfoFor(sa, extraGroups)
		}
	case KindGroup:
		u.Groups = append(u.Groups, s.Name)
		if strings.HasPrefix(s.Name, serviceAccountsPrefix) {
			// Its members are service accounts, so they are in system:serviceaccounts too.
			u.Groups = append(u.Groups, GroupServiceAccounts)
		}
	}
	if u.Name == UserAnonymous {
		u.Groups = append(u.Groups, GroupUnauthenticated)
	} else if !has(u.Groups, GroupUnauthenticated) {
		u.Groups = append(u.Groups, GroupAuthenticated)
	}
	return dedupGroups(u)
}

func dedupGroups(u UserInfo) UserInfo {
	seen := map[string]bool{}
	out := u.Groups[:0]
	for _, g := range u.Groups {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	u.Groups = out
	return u
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
