package webhook

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-k8s/palisade/internal/admission"
)

// stubbornCluster answers namespace reads only once release is closed, whatever
// the request's context says: a review's work that outlives its deadline.
type stubbornCluster struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStubbornCluster() *stubbornCluster {
	return &stubbornCluster{entered: make(chan struct{}), release: make(chan struct{})}
}

func (b *stubbornCluster) NamespaceLabels(context.Context, string) (map[string]string, bool, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return nil, true, nil
}

func (b *stubbornCluster) Pod(context.Context, string, string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x")
}

// handlerServer is a server whose handler tests call directly, without TLS.
func handlerServer(t *testing.T, opts Options) (*Server, http.Handler) {
	t.Helper()
	opts.ParseConfig = parseConfig
	opts.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Handler()
}

func serve(h http.Handler, path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader(body)))
	return w
}

// objectReview is an AdmissionReview of operation op on an object of the given
// group, version and kind, with the object's other top-level fields.
func objectReview(group, version, kind, op, fields string) string {
	apiVersion := version
	if group != "" {
		apiVersion = group + "/" + version
	}
	return fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":%q,"version":%q,"kind":%q},"operation":%q,"namespace":"team","name":"x","userInfo":{"username":"alice"},"object":{"apiVersion":%q,"kind":%q,"metadata":{"name":"x","namespace":"team"},%s}}}`,
		group, version, kind, op, apiVersion, kind, fields)
}

// TestMetricLabelsBounded: however many kinds and operations requests name, every
// label of every metric takes its values from a bounded set; what is not known
// is "other".
func TestMetricLabelsBounded(t *testing.T) {
	s, h := handlerServer(t, Options{})
	for i := 0; i < 200; i++ {
		serve(h, "/validate", objectReview("unique.example.com", "v1", fmt.Sprintf("UniqueKind%d", i), "CREATE", `"spec":{}`))
		serve(h, "/validate", objectReview("", "v1", "Pod", fmt.Sprintf("UNIQUEOP%d", i), `"spec":{}`))
		serve(h, "/validate-exec", objectReview("", "v1", fmt.Sprintf("UniqueExec%d", i), "CONNECT", `"spec":{}`))
		serve(h, "/validate", strings.Replace(privilegedReview, `"u-1"`, fmt.Sprintf(`"unique-uid-%d"`, i), 1))
	}
	serve(h, "/imagepolicy", `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"unique.io/a:1"}],"namespace":"unique-ns"}}`)
	families, err := s.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, mf := range families {
		if !strings.HasPrefix(mf.GetName(), "palisade_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			series[mf.GetName()]++
			for _, lp := range m.GetLabel() {
				if strings.Contains(strings.ToLower(lp.GetValue()), "unique") {
					t.Errorf("%s{%s=%q}: a label value from a request", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
	if n := series["palisade_webhook_reviews_total"]; n == 0 || n > 8 {
		t.Errorf("%d review series, want a handful", n)
	}
	if m := metricValue(t, s, "palisade_webhook_reviews_total", "endpoint", "validate", "kind", "other", "operation", "CREATE", "decision", "allowed"); m != 200 {
		t.Errorf("reviews of unknown kinds counted as other: %v, want 200", m)
	}
	if m := metricValue(t, s, "palisade_webhook_reviews_total", "endpoint", "validate", "kind", "Pod", "operation", "other", "decision", "allowed"); m != 200 {
		t.Errorf("reviews of unknown operations counted as other: %v, want 200", m)
	}
}

// TestInFlightUntilEvaluationStops: a review answered with an error at its
// deadline is still counted in flight, with its review memory, until its work
// stops; then the gauges return to zero.
func TestInFlightUntilEvaluationStops(t *testing.T) {
	c := newStubbornCluster()
	s, h := handlerServer(t, Options{Cluster: c, Deadline: 50 * time.Millisecond})
	w := serve(h, "/validate", privilegedReview)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "not decided within") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if n := metricValue(t, s, "palisade_webhook_in_flight_reviews"); n != 1 {
		t.Errorf("in flight %v while the review's work goes on, want 1", n)
	}
	if m := metricValue(t, s, "palisade_webhook_review_memory_bytes"); m <= 0 {
		t.Errorf("review memory %v while the review's work goes on", m)
	}
	close(c.release)
	waitFor(t, func() bool { return metricValue(t, s, "palisade_webhook_in_flight_reviews") == 0 }, "in flight back to 0 once the work stops")
	if m := metricValue(t, s, "palisade_webhook_review_memory_bytes"); m != 0 {
		t.Errorf("review memory %v after the work stopped", m)
	}
	if n := metricValue(t, s, "palisade_webhook_errors_total", "endpoint", "validate", "reason", "deadline"); n != 1 {
		t.Errorf("deadline errors %v, want 1", n)
	}
}

// metricValue is the value of the series of a metric with the given label values
// (name, value pairs; others any), summed.
func metricValue(t *testing.T, s *Server, name string, labels ...string) float64 {
	t.Helper()
	families, err := s.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// waitFor polls cond until it holds (failing after a minute: a hang, not a slow
// machine).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

// TestReviewMemoryBudget: the reviews in flight hold at most the review memory: a
// review (at any endpoint) that finds no room within its deadline is answered with
// an "overload" error, while the review holding it works on past its own deadline;
// once that one stops, reviews are answered again. A review too large for the
// whole budget is refused at once.
func TestReviewMemoryBudget(t *testing.T) {
	limits := admission.Limits{MaxReviewBytes: 4096}
	l, err := admission.NewWithLimits(nil, limits)
	if err != nil {
		t.Fatal(err)
	}
	// Room for the largest review, not for two small ones.
	budget := l.Limits().CostOf(4096)
	if 2*l.Limits().Cost(len(privilegedReview), admission.CountValues([]byte(privilegedReview))) <= budget {
		t.Fatal("the budget holds two reviews")
	}
	c := newStubbornCluster()
	s, h := handlerServer(t, Options{Cluster: c, Deadline: 50 * time.Millisecond, Limits: limits, ReviewMemory: budget})
	first := make(chan int)
	go func() { first <- serve(h, "/validate", privilegedReview).Code }()
	<-c.entered
	clusterRole := objectReview("rbac.authorization.k8s.io", "v1", "ClusterRole", "CREATE", `"rules":[{"verbs":["*"],"resources":["*"],"apiGroups":["*"]}]`)
	images := `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"a:1"}],"namespace":"team"}}`
	for path, body := range map[string]string{"/validate": clusterRole, "/imagepolicy": images} {
		if w := serve(h, path, body); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "review memory") {
			t.Errorf("%s while the budget is held: %d %s", path, w.Code, w.Body)
		}
	}
	if code := <-first; code != http.StatusServiceUnavailable {
		t.Errorf("first review: %d, want its deadline", code)
	}
	if n := metricValue(t, s, "palisade_webhook_errors_total", "endpoint", "validate", "reason", "overload") + metricValue(t, s, "palisade_webhook_errors_total", "endpoint", "imagepolicy", "reason", "overload"); n != 2 {
		t.Errorf("overload errors %v, want 2", n)
	}
	close(c.release)
	waitFor(t, func() bool { return metricValue(t, s, "palisade_webhook_in_flight_reviews") == 0 }, "the first review's work stops")
	if w := serve(h, "/validate", clusterRole); w.Code != 200 {
		t.Errorf("after the work stopped: %d %s", w.Code, w.Body)
	}
	if w := serve(h, "/imagepolicy", images); w.Code != 200 {
		t.Errorf("image review after the work stopped: %d %s", w.Code, w.Body)
	}
	// A server whose review memory cannot hold its largest review does not start.
	if _, err := New(Options{ParseConfig: parseConfig, Limits: limits, ReviewMemory: budget - 1}); err == nil || !strings.Contains(err.Error(), "review memory") {
		t.Errorf("New with too little review memory: %v", err)
	}
}

// TestReviewLimits: bodies past the size limit, known or not from their length,
// pods past the container limit and image reviews past the image limit are
// answered with an error (413) and counted as "limit", at every endpoint.
func TestReviewLimits(t *testing.T) {
	s, h := handlerServer(t, Options{Limits: admission.Limits{MaxReviewBytes: 8192, MaxContainers: 5}})
	big := objectReview("", "v1", "ConfigMap", "CREATE", `"data":{"a":"`+strings.Repeat("x", 9000)+`"}`)
	for _, tc := range []struct {
		path, body string
		chunked    bool
		want       string
	}{
		{"/validate", big, false, "AdmissionReview bytes"},
		{"/validate", big, true, "bytes or more in the body"},
		{"/validate-exec", big, false, "AdmissionReview bytes"},
		{"/imagepolicy", `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"` + strings.Repeat("a", 9000) + `"}]}}`, false, "ImageReview bytes"},
		{"/validate", objectReview("", "v1", "Pod", "CREATE", `"spec":{"containers":[`+strings.Repeat(`{"name":"a"},`, 5)+`{"name":"b"}]}`), false, "6 containers in the pod template of Pod/team/x: a review takes at most 5 (webhook serve --max-containers)"},
		{"/imagepolicy", `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[` + strings.Repeat(`{"image":"a"},`, 5) + `{"image":"b"}]}}`, false, "6 images in the ImageReview"},
	} {
		req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
		if tc.chunked {
			req.ContentLength = -1
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s %.60s: %d %s", tc.path, tc.body, w.Code, w.Body)
		}
	}
	n := 0.0
	for _, ep := range []string{"validate", "validate-exec", "imagepolicy"} {
		n += metricValue(t, s, "palisade_webhook_errors_total", "endpoint", ep, "reason", "limit")
	}
	if n != 6 {
		t.Errorf("%v limit errors, want 6", n)
	}
}

// TestInvalidObjectIsAnError: an object the API server never sends (a field of the
// wrong type, a kind other than the request's) is answered with an error, to which
// the API server applies failurePolicy, never admitted.
func TestInvalidObjectIsAnError(t *testing.T) {
	s, h := handlerServer(t, Options{})
	for _, body := range []string{
		objectReview("", "v1", "Pod", "CREATE", `"spec":"notamap"`),
		strings.Replace(privilegedReview, `"apiVersion":"v1","kind":"Pod"`, `"apiVersion":"v1","kind":"ConfigMap"`, 1),
	} {
		if w := serve(h, "/validate", body); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid object") {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	}
	if n := metricValue(t, s, "palisade_webhook_errors_total", "endpoint", "validate", "reason", "decode"); n != 2 {
		t.Errorf("%v decode errors, want 2", n)
	}
}

// TestSlowBodyHoldsLittle: a client that announces a large body and sends it
// slowly holds review memory only for what it sent, so reviews go on meanwhile,
// and its read ends at the review's deadline.
func TestSlowBodyHoldsLittle(t *testing.T) {
	limits := admission.Limits{MaxReviewBytes: 1 << 20}
	ev, err := admission.NewWithLimits(nil, limits)
	if err != nil {
		t.Fatal(err)
	}
	// Room for one review of the largest size, and no more.
	ts := start(t, Options{Limits: limits, ReviewMemory: ev.Limits().CostOf(1 << 20), Deadline: 3 * time.Second})
	conn, err := tls.Dial("tcp", ts.Addr(), &tls.Config{RootCAs: ts.client.Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"apiVersion\":", 1<<20)
	waitFor(t, func() bool { return metricValue(t, ts.Server, "palisade_webhook_in_flight_reviews") == 1 }, "the slow review is read")
	if m := metricValue(t, ts.Server, "palisade_webhook_review_memory_bytes"); m > float64(ev.Limits().Cost(256<<10, 0)) {
		t.Errorf("a slow body of a few bytes holds %v bytes of review memory", m)
	}
	if resp, body := ts.post(t, "/validate", privilegedReview); resp.StatusCode != 200 {
		t.Errorf("review beside a slow body: %d %s", resp.StatusCode, body)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "not read within") {
		t.Errorf("slow body: %d %s", resp.StatusCode, b)
	}
	waitFor(t, func() bool { return metricValue(t, ts.Server, "palisade_webhook_in_flight_reviews") == 0 }, "the slow review ends")
}

// TestErrorsBounded: an error that quotes the request is answered in at most
// about a kilobyte.
func TestErrorsBounded(t *testing.T) {
	_, h := handlerServer(t, Options{})
	kind := strings.Repeat("K", 100000)
	for path, body := range map[string]string{
		"/imagepolicy": `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"` + kind + `","spec":{}}`,
		"/validate":    strings.Replace(privilegedReview, `"kind":"AdmissionReview"`, `"kind":"`+kind+`"`, 1),
	} {
		if w := serve(h, path, body); w.Code != http.StatusBadRequest || w.Body.Len() > 2048 || !strings.Contains(w.Body.String(), "KKK") {
			t.Errorf("%s: %d, %d bytes: %.200s", path, w.Code, w.Body.Len(), w.Body)
		}
	}
}
