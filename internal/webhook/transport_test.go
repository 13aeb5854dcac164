package webhook

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// heldCluster holds every namespace read until release is closed (whatever the
// review's deadline) and says on entered each time one begins.
type heldCluster struct {
	entered chan struct{}
	release chan struct{}
}

func newHeldCluster() *heldCluster {
	return &heldCluster{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (h *heldCluster) NamespaceLabels(context.Context, string) (map[string]string, bool, error) {
	h.entered <- struct{}{}
	<-h.release
	return nil, true, nil
}

func (h *heldCluster) Pod(context.Context, string, string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x")
}

// eventually waits (up to a minute) until cond holds: the tests assert states, not
// how long reaching them takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

func value(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

// newClient is an HTTP/1.1 client of its own (its own connections).
func (ts *testServer) newClient(t *testing.T) *http.Client {
	return clientFor(t, ts.dir)
}

type answer struct {
	code int
	body string
	err  error
}

func postAsync(c *http.Client, url, body string) <-chan answer {
	res := make(chan answer, 1)
	go func() {
		resp, err := c.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			res <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- answer{code: resp.StatusCode, body: string(b)}
	}()
	return res
}

// shortTimes makes idle connections, slow handshakes and slow headers time out
// sooner.
func shortTimes(t *testing.T) {
	i, h := idleTimeout, headerTimeout
	idleTimeout, headerTimeout = 300*time.Millisecond, 300*time.Millisecond
	t.Cleanup(func() { idleTimeout, headerTimeout = i, h })
}

// TestConnectionLimit: with --max-connections reached by connections in use, a new
// one is not served until one of them closes (here: idle past the idle timeout),
// and it is counted as limited.
func TestConnectionLimit(t *testing.T) {
	shortTimes(t)
	hc := newHeldCluster()
	ts := start(t, Options{Cluster: hc, MaxConnections: 2, Deadline: time.Minute})
	var reviews []<-chan answer
	for i := 0; i < 2; i++ {
		reviews = append(reviews, postAsync(ts.newClient(t), ts.base+"/validate", privilegedReview))
		<-hc.entered
	}
	if n := value(ts.metrics.connections); n != 2 {
		t.Fatalf("open connections %v, want 2", n)
	}
	third := make(chan error, 1)
	var conn *tls.Conn
	go func() {
		c, err := tls.Dial("tcp", ts.Addr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		conn = c
		third <- err
	}()
	eventually(t, "the third connection waits", func() bool { return value(ts.metrics.connsLimited) == 1 })
	select {
	case err := <-third:
		t.Fatalf("third connection served while two reviews hold both slots: %v", err)
	default:
	}
	if n := value(ts.metrics.connections); n != 2 {
		t.Errorf("open connections %v at the limit of 2", n)
	}
	close(hc.release)
	for _, r := range reviews {
		if a := <-r; a.err != nil || a.code != 200 {
			t.Errorf("held review: %+v", a)
		}
	}
	// Both connections are idle now, and closed at the idle timeout.
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("third connection: %v %v", resp, err)
	}
	if n := value(ts.metrics.connections); n > 2 {
		t.Errorf("open connections %v over the limit of 2", n)
	}
}

// TestSlowHeaderFlood: connections that never finish a handshake or a request's
// headers hold their slot until headerTimeout, not longer: past the limit, a new
// connection waits for them and is then served; the server counts them as TLS
// handshake errors and connections closed without a request.
func TestSlowHeaderFlood(t *testing.T) {
	shortTimes(t)
	ts := start(t, Options{MaxConnections: 3})
	var flood []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i == 0 {
			// A TLS handshake, then the first bytes of a request and no more.
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			io.WriteString(tc, "POST /validate HTTP/1.1\r\nHost: x\r\n")
			c = tc
		}
		flood = append(flood, c)
	}
	eventually(t, "three connections open", func() bool { return value(ts.metrics.connections) == 3 })
	if code, body := ts.get(t, "/healthz"); code != 200 {
		t.Fatalf("healthz through a full listener: %d %s", code, body)
	}
	if n := value(ts.metrics.connsLimited); n < 1 {
		t.Errorf("the fourth connection did not wait (%v)", n)
	}
	for i, c := range flood {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("slow connection %d still open", i)
		}
	}
	eventually(t, "the slow connections counted", func() bool {
		return value(ts.metrics.transportErrors.WithLabelValues("tls_handshake")) == 2 &&
			value(ts.metrics.transportErrors.WithLabelValues("no_request")) == 1
	})
}

// TestReviewLimit: past --max-reviews reviews in progress and --max-queued-reviews
// waiting, a review is answered at once with 503 (while the others still run), and
// counted as an overload error; the held and queued reviews are answered.
func TestReviewLimit(t *testing.T) {
	hc := newHeldCluster()
	ts := start(t, Options{Cluster: hc, MaxReviews: 1, MaxQueuedReviews: 1, Deadline: time.Minute})
	first := postAsync(ts.newClient(t), ts.base+"/validate", privilegedReview)
	<-hc.entered
	second := postAsync(ts.newClient(t), ts.base+"/validate", privilegedReview)
	eventually(t, "the second review is queued", func() bool { return value(ts.metrics.queuedReviews) == 1 })
	resp, body := ts.post(t, "/validate", privilegedReview)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "overloaded") || resp.Header.Get("Retry-After") != "" {
		t.Errorf("third review: %d %q (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if n := value(ts.metrics.errors.WithLabelValues("validate", "overload")); n != 1 {
		t.Errorf("overload errors %v, want 1", n)
	}
	// /healthz and /metrics take no review slot.
	if code, _ := ts.get(t, "/healthz"); code != 200 {
		t.Errorf("healthz under overload: %d", code)
	}
	close(hc.release)
	for i, r := range []<-chan answer{first, second} {
		if a := <-r; a.err != nil || a.code != 200 || !strings.Contains(a.body, `"allowed":false`) {
			t.Errorf("review %d: %+v", i+1, a)
		}
	}
	if !strings.Contains(ts.log.String(), `"reason":"overload"`) {
		t.Errorf("overload not logged: %s", ts.log.String())
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, "palisade_webhook_queue_wait_seconds_count 3") {
		t.Errorf("queue waits of three reviews not observed:\n%s", grep(m, "queue_wait"))
	}
}

// TestReviewQueueWait: a queued review waits at most half the review deadline, then
// gets the 503; with no queue it gets it at once.
func TestReviewQueueWait(t *testing.T) {
	ts := start(t, Options{MaxReviews: 1, Deadline: 200 * time.Millisecond})
	ts.gate.slots <- struct{}{} // every slot taken
	resp, body := ts.post(t, "/validate", privilegedReview)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "no slot within 100ms") {
		t.Errorf("queued past half the deadline: %d %s", resp.StatusCode, body)
	}
	ts.gate.maxQueue = 0
	resp, body = ts.post(t, "/imagepolicy", `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"nginx"}]}}`)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "queue full") {
		t.Errorf("no queue: %d %s", resp.StatusCode, body)
	}
	<-ts.gate.slots
}

// TestReviewDeadlineFromArrival: the review's deadline runs from its arrival, so a
// review that waited for a slot has less than the whole deadline left when it runs.
func TestReviewDeadlineFromArrival(t *testing.T) {
	s, err := New(Options{ParseConfig: parseConfig, MaxReviews: 1, Deadline: time.Minute, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var deadline time.Time
	h := s.admit("validate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, _ = r.Context().Deadline()
	}))
	s.gate.slots <- struct{}{}
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/validate", strings.NewReader("{}")))
		close(done)
	}()
	eventually(t, "the review is queued", func() bool { return s.gate.queued.Load() == 1 })
	queuedBy := time.Now()
	time.Sleep(time.Millisecond)
	<-s.gate.slots
	<-done
	if deadline.IsZero() || deadline.After(queuedBy.Add(time.Minute)) {
		t.Errorf("deadline %v counts from after the wait (queued by %v)", deadline, queuedBy)
	}
}

// TestTransportErrors: TLS handshake errors and connections closed without a
// request are counted (and logged, once per kind per interval).
func TestTransportErrors(t *testing.T) {
	ts := start(t, Options{})
	for _, junk := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\x16\x03\x01\x00\x05hello"} {
		c, err := net.Dial("tcp", ts.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, junk)
		io.Copy(io.Discard, c) // until the server closes it
		c.Close()
	}
	eventually(t, "two handshake errors counted", func() bool {
		return value(ts.metrics.transportErrors.WithLabelValues("tls_handshake")) == 2
	})
	tc, err := tls.Dial("tcp", ts.Addr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	tc.Close()
	eventually(t, "a connection without a request counted", func() bool {
		return value(ts.metrics.transportErrors.WithLabelValues("no_request")) == 1
	})
	if n := strings.Count(ts.log.String(), `"msg":"transport error","kind":"tls_handshake"`); n != 1 {
		t.Errorf("%d log lines for two handshake errors in a second, want 1:\n%s", n, ts.log.String())
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `palisade_webhook_transport_errors_total{kind="tls_handshake"} 2`) {
		t.Errorf("metrics:\n%s", grep(m, "transport"))
	}
}

// TestRequestLimits: request headers are bounded, and the HTTP/2 settings the server
// announces bound streams, frames and buffered body bytes per connection.
func TestRequestLimits(t *testing.T) {
	ts := start(t, Options{})
	req, _ := http.NewRequest("GET", ts.base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers: status %d", resp.StatusCode)
	}

	c, err := tls.Dial("tcp", ts.Addr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("protocol %q", p)
	}
	// Client preface and an empty SETTINGS frame; the server's first frame is its
	// SETTINGS.
	io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatal(err)
	}
	if hdr[3] != 0x4 {
		t.Fatalf("first frame of type %d, not SETTINGS", hdr[3])
	}
	payload := make([]byte, int(hdr[0])<<16|int(hdr[1])<<8|int(hdr[2]))
	if _, err := io.ReadFull(c, payload); err != nil {
		t.Fatal(err)
	}
	settings := map[uint16]uint32{}
	for i := 0; i+6 <= len(payload); i += 6 {
		settings[binary.BigEndian.Uint16(payload[i:])] = binary.BigEndian.Uint32(payload[i+2:])
	}
	const maxConcurrentStreams, initialWindowSize, maxFrameSize, maxHeaderListSize = 0x3, 0x4, 0x5, 0x6
	if settings[maxConcurrentStreams] != 250 || settings[initialWindowSize] != 64<<10 || settings[maxFrameSize] != 16<<10 ||
		settings[maxHeaderListSize] == 0 || settings[maxHeaderListSize] > 64<<10 {
		t.Errorf("HTTP/2 settings %v", settings)
	}
}
