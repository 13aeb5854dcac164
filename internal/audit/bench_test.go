package audit

import (
	"fmt"
	"testing"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// cheap is a detector that does what most detections do with an event: check its
// verb and subresource and return.
type cheap struct{ n *int }

func (d cheap) Event(c *Context) {
	ev := c.Event()
	if ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Subresource == "" {
		*d.n++
	}
}

// benchRules registers ~35 detections with the Needs shapes of the real ones: a
// resource or subresource each, a few of every event.
func benchRules() []*rules.Rule {
	needs := [][]string{
		{"pods/exec"}, {"pods/attach"}, {"pods/portforward"}, {"pods/ephemeralcontainers"}, {"pods"}, {"pods", "deployments", "daemonsets"},
		{"pods", "deployments", "statefulsets", "jobs", "cronjobs"}, {"pods"}, {"serviceaccounts"}, {"services"}, {"configmaps"},
		{"ingresses"}, {"cronjobs"}, {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, {"events"}, {"deployments", "namespaces"},
		{"secrets"}, {"nodes"}, {"pods"}, {"clusterrolebindings", "rolebindings"}, {"clusterroles", "roles"}, {"clusterroles", "roles"},
		{"clusterroles", "clusterrolebindings"}, {"*"}, {"*"}, {"*"}, {"serviceaccounts/token"}, {"certificatesigningrequests"},
		{"certificatesigningrequests/approval"}, {"secrets"}, {"*"}, {"selfsubjectrulesreviews", "selfsubjectaccessreviews"},
		{"secrets", "clusterrolebindings", "rolebindings"}, {"*"}, {"*"},
	}
	var out []*rules.Rule
	var n int
	for i, rs := range needs {
		id := fmt.Sprintf("BENCH-%03d", i)
		if d, ok := Detection(id); ok {
			out = append(out, d.Rule)
			continue
		}
		r := &rules.Rule{Meta: rules.Meta{ID: id, Title: id, Severity: 1, Category: "audit", Rationale: "b", Remediation: "b",
			Frameworks: rules.Frameworks{MITRE: []string{"T1609"}, Layer: "cluster"}}, Targets: rules.Audit}
		Register(r, []Need{{Resources: rs}}, func(*Setup) Detector { return cheap{&n} })
		out = append(out, r)
	}
	return out
}

// benchEvents is a mix like a real control plane's log: mostly lease renewals,
// watches and lists, events, status patches; a few pod creations and execs.
func benchEvents(b *testing.B) []*auditlog.Event {
	var out []*auditlog.Event
	add := func(n int, line string) {
		for i := 0; i < n; i++ {
			out = append(out, event(b, line))
		}
	}
	add(30, evLine("update", "leases", "kube-system", "kube-controller-manager", "system:kube-controller-manager", ""))
	add(20, evLine("get", "configmaps", "kube-system", "x", "system:kube-scheduler", ""))
	add(15, evLine("watch", "pods", "", "", "system:node:n1", ""))
	add(10, evLine("create", "events", "default", "e", "system:node:n1", ""))
	add(10, evLine("patch", "pods/status", "default", "web", "system:node:n1", `,"requestObject":{"status":{"podIP":"10.1.0.7"}}`))
	add(5, evLine("get", "", "", "", "system:anonymous", ""))
	add(5, evLine("list", "secrets", "default", "", "alice", ""))
	add(3, evLine("create", "pods", "default", "web", "alice", `,"requestObject":`+privilegedPod))
	add(2, evLine("create", "pods/exec", "default", "web", "alice", ""))
	return out
}

// BenchmarkEngine is the engine's own cost per event with ~35 detections (the
// events already decoded: the reader's cost is auditlog's benchmark).
func BenchmarkEngine(b *testing.B) {
	rs := benchRules()
	evs := benchEvents(b)
	e, err := New(Options{Rules: rs})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Process(evs[i%len(evs)])
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
}

func FuzzEngine(f *testing.F) {
	f.Add([]byte(evLine("create", "pods", "default", "web", "alice", `,"requestObject":`+privilegedPod)))
	f.Add([]byte(evLine("patch", "pods/status", "default", "web", "n", `,"requestObject":{"status":{"podIPs":[{"ip":"1"},{"ip":2}]}}`)))
	f.Add([]byte(evLine("create", "pods/binding", "default", "web", "n", `,"requestObject":{"target":{"name":["x"]}}`)))
	f.Add([]byte(evLine("create", "clusterrolebindings", "", "b", "n", `,"responseObject":{"roleRef":"x","subjects":[1,{"kind":"User"}]}`)))
	f.Add([]byte(evLine("update", "pods/ephemeralcontainers", "default", "web", "n", `,"requestObject":{"spec":{"hostPID":"yes","containers":7}}`)))
	rs := benchRules()
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := auditlog.Decode(line, auditlog.Location{File: "fuzz", Line: 1})
		if err != nil {
			return
		}
		e, err := New(Options{Rules: rs, Limits: Limits{MaxObjects: 4, MaxIdentities: 4}})
		if err != nil {
			t.Fatal(err)
		}
		e.Process(ev)
		e.Process(ev)
		e.Close()
	})
}
