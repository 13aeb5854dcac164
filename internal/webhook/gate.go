package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reviewGate bounds the reviews evaluated at once (slots) and those waiting for a
// slot (queue), so that an overload is answered quickly with an error instead of
// piling up goroutines, memory and latency past the API server's timeout.
type reviewGate struct {
	slots    chan struct{}
	maxQueue int64
	queued   atomic.Int64
	// onQueue is told how many reviews wait.
	onQueue func(n int64)
}

func newReviewGate(slots, queue int) *reviewGate {
	return &reviewGate{slots: make(chan struct{}, slots), maxQueue: int64(queue), onQueue: func(int64) {}}
}

var errQueueFull = errors.New("queue full")

// acquire takes a slot, waiting in the queue until maxWait or ctx ends.
func (g *reviewGate) acquire(ctx context.Context, maxWait time.Duration) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	n := g.queued.Add(1)
	if n > g.maxQueue {
		g.queued.Add(-1)
		return errQueueFull
	}
	g.onQueue(n)
	defer func() { g.onQueue(g.queued.Add(-1)) }()
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return fmt.Errorf("no slot within %v", maxWait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *reviewGate) release() { <-g.slots }

// admit runs a review endpoint under the server's review limits. The review's
// deadline starts when its request arrives, so time spent waiting for a slot counts
// against it: a review waits at most half its deadline, and one that finds the
// queue full or waits that long is answered at once with 503 Service Unavailable,
// without Retry-After. The API server then applies the webhook's failurePolicy at
// once: its admission webhook client retries only answers with Retry-After, and
// the ImagePolicyWebhook plugin retries 429, 500 and 504 (with backoff) but not 503.
// Reading the request body and writing the answer are bounded by the same deadline
// (plus a second for the answer), so a client that trickles its request cannot
// hold a slot longer.
func (s *Server) admit(endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		deadline := arrived.Add(s.opts.Deadline)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		rc := http.NewResponseController(w)
		// Not every ResponseWriter supports deadlines (httptest's does not).
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline.Add(time.Second))
		err := s.gate.acquire(ctx, s.opts.Deadline/2)
		s.metrics.queueWait.Observe(time.Since(arrived).Seconds())
		if err != nil {
			s.shed(w, endpoint, err)
			return
		}
		defer s.gate.release()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// shed answers a review the server has no room for: counted as an error of reason
// overload, logged at most once per logEvery.
func (s *Server) shed(w http.ResponseWriter, endpoint string, why error) {
	s.metrics.errors.WithLabelValues(endpoint, "overload").Inc()
	msg := fmt.Sprintf("overloaded: %d reviews in progress, %d waiting (%v)", s.opts.MaxReviews, s.gate.queued.Load(), why)
	if ok, held := s.logLimit.allow("overload/" + endpoint); ok {
		s.log.Warn("review not answered", "endpoint", endpoint, "reason", "overload", "error", msg, "suppressedSinceLast", held)
	}
	writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "palisade: "+msg)
}

// writeStatus answers with a Kubernetes Status, which the API server's clients
// decode: its message, not a generic one, reaches whoever made the request.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	body, _ := json.Marshal(&metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code),
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(body)
}
