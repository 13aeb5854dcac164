// Package audittest is test support for the audit detections: a real kube-apiserver
// (internal/kubetest) writing its audit log with a test audit Policy and the log
// backend, and a Scenario of attackers and users acting on it through client-go.
// Each step says which detections (rule ID, object, actor) it must produce, so a
// test runs the scenario, reads the log the server wrote and checks `palisade
// audit` against the steps.
//
//	s := audittest.Start(t)           // its own server, stopped when the test ends
//	res := s.Run(t, audittest.Scenario())
//	... read res.Log, compare with res.Steps[i].Want
package audittest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// Policy is the test audit Policy: full bodies (RequestResponse) where the
// detections read them (pods and their subresources that change the spec,
// workloads, services, ingresses, configmaps, service accounts, nodes, events, RBAC,
// CSRs, admission configuration, access reviews), Metadata for secrets, token
// requests (the response is a token) and everything else; no RequestReceived stage
// (every request is written once, at ResponseComplete, or twice for a long-running
// one: ResponseStarted too). The API server's own writes (bootstrap roles,
// priority levels) are Metadata and its reads, like health probes, are not logged
// (as in the kube-up audit policy): they would be most of a small log.
const Policy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: None
  users: ["system:apiserver"]
  verbs: ["get", "list", "watch"]
- level: Metadata
  users: ["system:apiserver"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "serviceaccounts/token"]
  - group: "authentication.k8s.io"
- level: RequestResponse
  resources:
  - group: ""
    resources: ["pods", "pods/ephemeralcontainers", "pods/binding", "services", "configmaps", "serviceaccounts", "nodes", "events"]
  - group: "apps"
  - group: "batch"
  - group: "networking.k8s.io"
  - group: "rbac.authorization.k8s.io"
  - group: "certificates.k8s.io"
  - group: "admissionregistration.k8s.io"
  - group: "authorization.k8s.io"
- level: Metadata
`

// Server is a kube-apiserver of the test's own writing its audit log to Log.
type Server struct {
	*kubetest.Cluster
	// Log is the audit log's path (in the test's temporary directory: it outlives
	// the server until the test ends).
	Log string
}

// Start starts a server for t alone with the test Policy, the log backend
// (blocking mode: each event is written before the request's handler returns),
// anonymous requests enabled (RBAC still decides what they may do) and the API
// server's defaults otherwise. It skips or fails like kubetest.Own, and the server
// stops when the test ends (or at Run's end, which flushes the log).
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(Policy), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "audit.log")
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + log,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--audit-log-maxsize=0", // never rotate: one file
		"--anonymous-auth=true",
	}})
	return &Server{Cluster: c, Log: log}
}

// Want is a detection a step must produce.
type Want struct {
	// Rule is the rule ID ("PAL-901").
	Rule string `json:"rule"`
	// Object is the finding's object as "Kind namespace/name" or "Kind name" for a
	// cluster-scoped one; "" accepts any.
	Object string `json:"object,omitempty"`
	// Actor is the user acting (or impersonating) in the finding; "" accepts any.
	Actor string `json:"actor,omitempty"`
	// Severity, when set, is the finding's severity ("high"): where state or RBAC
	// context raises it.
	Severity string `json:"severity,omitempty"`
	// MinChain, when set, is the fewest events the finding's chain must hold: a
	// finding built from several events.
	MinChain int `json:"minChain,omitempty"`
}

func (w Want) String() string {
	s := w.Rule
	if w.Object != "" {
		s += " on " + w.Object
	}
	if w.Actor != "" {
		s += " by " + w.Actor
	}
	if w.Severity != "" {
		s += " (" + w.Severity + ")"
	}
	if w.MinChain > 0 {
		s += " with a chain of at least " + strconv.Itoa(w.MinChain) + " events"
	}
	return s
}

// Step is one thing an attacker or a user does.
type Step struct {
	Name string
	// Want are the detections the step must produce.
	Want []Want
	// Do acts on the server; an error fails the run (a request the step expects to
	// be refused is not an error: Do checks that itself).
	Do func(ctx context.Context, e *Env) error
}

// Result is a finished run: the log the server wrote, complete (the server is
// stopped), and the steps that ran.
type Result struct {
	Log   string
	Steps []Step
	// Events is the number of lines in Log.
	Events int
}

// Run runs the steps in order, then makes a last request, waits until the log
// holds it and stops the server, which flushes and closes the log. A failing step
// fails the test.
func (s *Server) Run(t testing.TB, steps []Step) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := newEnv(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.Do(ctx, e); err != nil {
			t.Fatalf("audittest: step %s: %v", st.Name, err)
		}
	}
	if err := s.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("audittest: stopping the API server: %v", err)
	}
	n, err := countLines(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	return Result{Log: s.Log, Steps: steps, Events: n}
}

// endMarker is the name of the object the last request asks for.
const endMarker = "audittest-end-of-scenario"

// flush makes a marker request and waits until its event is in the log. The log
// backend in blocking mode writes an event as the request's handler finishes,
// which can be just after the client has its response.
func (s *Server) flush(ctx context.Context) error {
	_, _ = s.Client().CoreV1().Namespaces().Get(ctx, endMarker, getOpts)
	for {
		data, err := os.ReadFile(s.Log)
		if err != nil {
			return fmt.Errorf("audittest: reading the audit log: %w", err)
		}
		if bytes.Contains(data, []byte("/api/v1/namespaces/"+endMarker)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("audittest: the audit log %s never got the last request's event", s.Log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			return n, fmt.Errorf("audittest: %s:%d: not a JSON line", path, n+1)
		}
		n++
	}
	return n, sc.Err()
}

// WantsJSON is the steps' names and expectations as JSON (want.json beside a
// recorded log).
func WantsJSON(steps []Step) ([]byte, error) {
	type step struct {
		Name string `json:"name"`
		Want []Want `json:"want"`
	}
	var out []step
	for _, s := range steps {
		out = append(out, step{s.Name, s.Want})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	return append(data, '\n'), err
}
