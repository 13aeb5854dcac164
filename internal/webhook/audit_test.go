package webhook

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auditEvent is one audit.k8s.io/v1 Event; body is its requestObject ("" for none).
func auditEvent(id, stage, verb, uri, resource, sub, name, user string, code int, body string) string {
	ref := fmt.Sprintf(`{"resource":%q,"namespace":"default","name":%q,"apiVersion":"v1"`, resource, name)
	if sub != "" {
		ref += fmt.Sprintf(`,"subresource":%q`, sub)
	}
	ref += "}"
	ev := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":%q,"stage":%q,"requestURI":%q,"verb":%q,`+
		`"user":{"username":%q,"groups":["system:authenticated"]},"sourceIPs":["10.0.0.6"],"objectRef":%s,"responseStatus":{"code":%d},`+
		`"requestReceivedTimestamp":"2026-12-01T10:00:00Z","stageTimestamp":"2026-12-01T10:00:01Z","annotations":{"authorization.k8s.io/decision":"allow"}`,
		id, stage, uri, verb, user, ref, code)
	if body != "" {
		ev += `,"requestObject":` + body
	}
	return ev + "}"
}

func eventList(events ...string) string {
	return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + strings.Join(events, ",") + `]}`
}

var (
	// execEvent is an exec request as the API server writes it: at ResponseStarted
	// (the connection upgraded) and at ResponseComplete.
	execEvent = func(id, pod string) string {
		uri := "/api/v1/namespaces/default/pods/" + pod + "/exec?command=sh"
		return auditEvent(id, "ResponseStarted", "create", uri, "pods", "exec", pod, "bob", 101, "") + "," +
			auditEvent(id, "ResponseComplete", "create", uri, "pods", "exec", pod, "bob", 101, "")
	}
	privilegedPodEvent = auditEvent("p1", "ResponseComplete", "create", "/api/v1/namespaces/default/pods", "pods", "", "debug", "bob", 201,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug","namespace":"default"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`)
)

// syncAudit waits until the batches posted so far are judged.
func syncAudit(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.audit.sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAuditEndpoint: a batch is answered 200, its events run through the
// detections; each finding is one decision-log line (rule, severity, user, audit
// IDs, no body) and counted; state survives batches (an exec into the privileged
// pod created in an earlier batch is high).
func TestAuditEndpoint(t *testing.T) {
	ts := start(t, Options{Audit: AuditOptions{Enabled: true}})
	resp, _ := ts.post(t, "/audit", eventList(execEvent("e1", "web")))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, _ = ts.post(t, "/audit", eventList(privilegedPodEvent))
	resp2, _ := ts.post(t, "/audit", eventList(execEvent("e2", "debug")))
	if resp.StatusCode != http.StatusOK || resp2.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %d", resp.StatusCode, resp2.StatusCode)
	}
	syncAudit(t, ts.Server)
	var lines []string
	for _, l := range strings.Split(ts.log.String(), "\n") {
		if strings.Contains(l, `"msg":"audit finding"`) && strings.Contains(l, `"rule":"PAL-901"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("PAL-901 decision-log lines: %d\n%s", len(lines), ts.log.String())
	}
	for _, want := range []string{`"severity":"medium"`, `"user":"bob"`, `"auditIDs":["e1"]`, `"endpoint":"audit"`, `"techniques":["T1609"]`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("first finding lacks %s: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], `"severity":"high"`) || !strings.Contains(lines[1], `"auditIDs":["p1","e2"]`) {
		t.Errorf("exec into the privileged pod of an earlier batch: %s", lines[1])
	}
	if strings.Contains(ts.log.String(), "busybox") {
		t.Error("a request body reached the decision log")
	}
	_, m := ts.get(t, "/metrics")
	for _, want := range []string{
		"palisade_webhook_audit_events_total 5",
		`palisade_webhook_audit_findings_total{rule="PAL-901",severity="medium"} 1`,
		`palisade_webhook_audit_findings_total{rule="PAL-901",severity="high"} 1`,
		"palisade_webhook_audit_batch_seconds_count 3",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(m, "palisade_webhook_audit"))
		}
	}
}

// TestAuditInputErrors: a body that is not an EventList is refused (400), an
// undecodable event is counted and the rest judged, a batch past the size bound is
// refused (413), and GET is not allowed.
func TestAuditInputErrors(t *testing.T) {
	ts := start(t, Options{Audit: AuditOptions{Enabled: true, MaxBatchBytes: 4096}})
	if resp, _ := ts.post(t, "/audit", "not json"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("not an EventList: %d", resp.StatusCode)
	}
	if resp, _ := ts.post(t, "/audit", eventList(`{"kind":"Event","stage":42}`, execEvent("e1", "web"))); resp.StatusCode != http.StatusOK {
		t.Errorf("a batch with one bad event: %d", resp.StatusCode)
	}
	if resp, _ := ts.post(t, "/audit", eventList(strings.Repeat(execEvent("e1", "web")+",", 10)+execEvent("e1", "web"))); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a batch past --audit-max-batch-size: %d", resp.StatusCode)
	}
	if code, _ := ts.get(t, "/audit"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}
	syncAudit(t, ts.Server)
	_, m := ts.get(t, "/metrics")
	for _, want := range []string{
		`palisade_webhook_audit_input_errors_total{reason="decode"} 1`,
		`palisade_webhook_audit_input_errors_total{reason="event"} 1`,
		`palisade_webhook_audit_input_errors_total{reason="limit"} 1`,
		"palisade_webhook_audit_events_total 2",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(m, "palisade_webhook_audit"))
		}
	}
}

// TestAuditQueueFull: a batch that finds the queue full is dropped, answered 200
// (the API server would only retry) and counted.
func TestAuditQueueFull(t *testing.T) {
	ts := start(t, Options{Audit: AuditOptions{Enabled: true, QueueBytes: 100}})
	if resp, _ := ts.post(t, "/audit", eventList(execEvent("e1", "web"), execEvent("e2", "web"))); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	syncAudit(t, ts.Server)
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(m, "palisade_webhook_audit_dropped_events_total 4") || !strings.Contains(m, "palisade_webhook_audit_events_total 0") {
		t.Errorf("metrics:\n%s", grep(m, "palisade_webhook_audit"))
	}
}

// TestAuditOff: without --audit there is no /audit.
func TestAuditOff(t *testing.T) {
	ts := start(t, Options{})
	if resp, _ := ts.post(t, "/audit", eventList(execEvent("e1", "web"))); resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestAuditConfiguration: the engine follows the configuration in force: its
// exemptions (a finding logged as suppressed, not counted), and after a reload its
// rules (a disabled detection reports nothing), with a new engine whose state starts
// afresh.
func TestAuditConfiguration(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("exemptions:\n  - rules: [PAL-901]\n    names: [web]\n    reason: the web team's debugging\n")
	ts := start(t, Options{ConfigPath: cfgPath, Audit: AuditOptions{Enabled: true}})
	ts.post(t, "/audit", eventList(execEvent("e1", "web"), execEvent("e2", "api")))
	syncAudit(t, ts.Server)
	log := ts.log.String()
	if !strings.Contains(log, `"suppressed":"config","reason":"the web team's debugging"`) {
		t.Errorf("exempt finding not logged as suppressed:\n%s", log)
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(m, `palisade_webhook_audit_findings_total{rule="PAL-901",severity="medium"} 1`) {
		t.Errorf("metrics:\n%s", grep(m, "palisade_webhook_audit"))
	}
	write("rules:\n  PAL-901: {enabled: false}\n")
	ts.Reload()
	ts.post(t, "/audit", eventList(execEvent("e3", "api")))
	syncAudit(t, ts.Server)
	if strings.Contains(ts.log.String(), `"auditIDs":["e3"]`) {
		t.Errorf("a disabled detection reported after the reload:\n%s", ts.log.String())
	}
}

// BenchmarkAuditEndpoint: batches of 100 events through /audit (decode, queue,
// detections), in events per second.
func BenchmarkAuditEndpoint(b *testing.B) {
	s, err := New(Options{ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Audit: AuditOptions{Enabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]string, 100)
	for i := range evs {
		// Half exec requests (two events each), half reads.
		if i%2 == 0 {
			evs[i] = execEvent(fmt.Sprint("e", i), fmt.Sprint("web-", i))
		} else {
			evs[i] = auditEvent(fmt.Sprint("g", i), "ResponseComplete", "get", "/api/v1/namespaces/default/configmaps/x", "configmaps", "", "x", "alice", 200, "")
		}
	}
	body := eventList(evs...)
	h := s.Handler()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/audit", strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		if err := s.audit.sync(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*150)/time.Since(start).Seconds(), "events/s")
	s.audit.close(context.Background())
}

// FuzzAuditEndpoint: whatever is posted, /audit answers 200, 400 or 413, and the
// detections never take the endpoint down.
func FuzzAuditEndpoint(f *testing.F) {
	f.Add([]byte(eventList(execEvent("e1", "web"), privilegedPodEvent, execEvent("e2", "debug"))))
	f.Add([]byte(eventList(`{"kind":"Event","stage":42}`)))
	f.Add([]byte(`{"items":[{"objectRef":{"resource":"pods","subresource":"exec"},"stage":"ResponseComplete","requestObject":{"spec":{"containers":[{}]}}}]}`))
	f.Add([]byte("not json"))
	s, err := New(Options{ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Audit: AuditOptions{Enabled: true, MaxBatchBytes: 1 << 16}})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/audit", strings.NewReader(string(body))))
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if err := s.audit.sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, m := s.metrics.registry.Gather(); m != nil {
			t.Fatal(m)
		}
	})
}
