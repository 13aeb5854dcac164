package auditrules

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/finding"
)

func TestCommandOf(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/api/v1/namespaces/a/pods/b/exec?command=id&container=c", ": id"},
		{"/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=id%20-u", ": sh -c 'id -u'"},
		{"/api/v1/namespaces/a/pods/b/exec?command=%2Fbin%2Fbash", ": /bin/bash"},
		{"/api/v1/namespaces/a/pods/b/exec?command=echo&command=it%27s", `: echo "it's"`},
		{"/api/v1/namespaces/a/pods/b/exec?command=printf&command=%1b%5b2J", `: printf "\x1b[2J"`},
		{"/api/v1/namespaces/a/pods/b/exec?command=", ": ''"},
		{"/api/v1/namespaces/a/pods/b/exec?container=c", ""},
		{"/api/v1/namespaces/a/pods/b/exec", ""},
		{"%zz?command=%zz", ""},
	} {
		if got := commandOf(tc.uri); got != tc.want {
			t.Errorf("commandOf(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
	long := "/x?command=sh"
	for i := 0; i < 100; i++ {
		long += "&command=abcdefgh"
	}
	if got := commandOf(long); len(got) > 210 || got[len(got)-3:] != "..." {
		t.Errorf("a long command is not cut: %d bytes %q", len(got), got[len(got)-10:])
	}
}

func TestIsDryRun(t *testing.T) {
	for uri, want := range map[string]bool{
		"/api/v1/namespaces/a/pods?dryRun=All":                            true,
		"/api/v1/namespaces/a/pods?fieldManager=kubectl&dryRun=All":       true,
		"/api/v1/namespaces/a/pods":                                       false,
		"/api/v1/namespaces/a/pods?fieldManager=dryRun":                   false,
		"/api/v1/namespaces/dryRun/pods":                                  false,
		"/api/v1/namespaces/a/pods?dryRun=All&fieldManager=%zz-malformed": false, // unparsable query: judged as a change
	} {
		if got := isDryRun(&auditlog.Event{RequestURI: uri}); got != want {
			t.Errorf("isDryRun(%q) = %v, want %v", uri, got, want)
		}
	}
}

// PAL-906 judges host paths with the lists of the scan rules PAL-022 and PAL-023
// (the catalog's), as they compare them.
func TestHostPathClass(t *testing.T) {
	d, ok := audit.Detection("PAL-906")
	if !ok {
		t.Fatal("PAL-906 not registered")
	}
	for _, p := range d.Rule.Params {
		var want []string
		switch p.Name {
		case "paths":
			want = catalog.SensitiveHostPaths
		case "sockets":
			want = catalog.RuntimeSockets
		}
		if got, _ := p.Default.([]string); len(got) != len(want) || &got[0] != &want[0] {
			t.Errorf("PAL-906 %s default is not the catalog's list", p.Name)
		}
	}
	paths, sockets := cleanAll(catalog.SensitiveHostPaths), cleanAll(catalog.RuntimeSockets)
	for p, want := range map[string]int{
		"/": 1, "/etc": 1, "/etc/kubernetes/pki": 1, "/var/lib/kubelet/pki/": 1, "/var": 1, // an ancestor of a sensitive path
		"/var/run/docker.sock": 2, "/run/containerd/containerd.sock": 2, "/opt/docker.sock": 2, "//run//crio//": 2,
		"/data/app": 0, "/opt": 0, "/mnt/disks/ssd0": 0, "": 0,
	} {
		if got := hostPathClass(p, paths, sockets); got != want {
			t.Errorf("hostPathClass(%q) = %d, want %d", p, got, want)
		}
	}
}

func TestRegistryAllows(t *testing.T) {
	d := &registryDetector{allowed: []string{"ghcr.io/acme", "docker.io/library", "*.dkr.ecr.eu-west-1.amazonaws.com"}, verdicts: audit.NewLRU[string, bool](8)}
	for image, want := range map[string]bool{
		"ghcr.io/acme/api:1.0":     true,
		"GHCR.io/acme/api:1.0":     true, // host names compare without case
		"ghcr.io/acmecorp/api:1.0": false,
		"nginx:1.27":               true,
		"xmrig/xmrig":              false,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + sixtyFour: true,
		"not a reference": false,
	} {
		if got := d.allows(image); got != want {
			t.Errorf("allows(%q) = %v, want %v", image, got, want)
		}
		if got := d.allows(image); got != want {
			t.Errorf("allows(%q) cached = %v, want %v", image, got, want)
		}
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The detectors' state stays within the engine's limits however many objects
// and sessions a log has.
func TestStateBounded(t *testing.T) {
	setup := &audit.Setup{Limits: audit.Limits{MaxObjects: 10, MaxIdentities: 10}}
	m := newMemo(setup)
	s := newSession(setup, "exec", "exec into")
	for i := 0; i < 1000; i++ {
		n := itoa(i)
		m.fresh(finding.ObjectRef{Kind: "Pod", Namespace: "ns", Name: n}, "create", "privileged")
		s.started.Put(digest(n), struct{}{})
	}
	if m.seen.Len() != 10 || s.started.Len() != 10 {
		t.Errorf("state holds %d objects and %d sessions, want 10 and 10", m.seen.Len(), s.started.Len())
	}
	ref := finding.ObjectRef{Kind: "Pod", Namespace: "ns", Name: "999"}
	if m.fresh(ref, "update", "privileged") {
		t.Error("an update repeating what was reported is fresh")
	}
	if !m.fresh(ref, "update", "privileged,hostPID") || !m.fresh(ref, "create", "privileged,hostPID") {
		t.Error("an update adding a property, or a create, is not fresh")
	}
}
