package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/palisade-k8s/palisade/internal/admission"
)

// reservation is the review memory (Options.ReviewMemory) one review holds: it
// grows as the review's body arrives and once its values are counted (to
// admission.Limits.Cost), waiting for room until the review's deadline, and is
// released when the review's work stops. A client that sends its body slowly holds
// only what it has sent.
type reservation struct {
	s    *Server
	ctx  context.Context
	held int64
	once sync.Once
}

// errNoRoom: the review memory had no room for a review within its deadline.
var errNoRoom = errors.New("no room in the review memory")

// fit grows or shrinks the reservation to n bytes.
func (r *reservation) fit(n int64) error {
	switch {
	case n > r.s.opts.ReviewMemory:
		return fmt.Errorf("a review that may take %d bytes of memory, more than the review memory of %d (webhook serve --review-memory)", n, r.s.opts.ReviewMemory)
	case n > r.held:
		if err := r.s.budget.Acquire(r.ctx, n-r.held); err != nil {
			return errNoRoom
		}
	case n < r.held:
		r.s.budget.Release(r.held - n)
	default:
		return nil
	}
	r.s.metrics.reviewMemory.Add(float64(n - r.held))
	r.held = n
	return nil
}

// release returns all the reservation holds; only its first call does.
func (r *reservation) release() {
	r.once.Do(func() { r.fit(0) })
}

// readChunk is the least a body buffer grows by.
const readChunk = 64 << 10

// read reads a review's body of at most limit bytes (of size bytes if size is not
// negative), reserving Cost of each buffer before it is allocated.
func (r *reservation) read(body io.Reader, l admission.Limits, size, limit int) ([]byte, error) {
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, &admission.LimitError{What: "bytes or more in the body", Got: len(buf), Max: limit, Flag: "max-review-bytes"}
			}
			// One byte past the limit (or the announced size) tells a longer body.
			next := min(2*cap(buf)+readChunk, limit+1)
			if size >= 0 {
				next = min(next, size+1)
			}
			next = max(next, len(buf)+1)
			if err := r.fit(l.Cost(next, 0)); err != nil {
				return nil, err
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
	if len(buf) > limit {
		return nil, &admission.LimitError{What: "bytes or more in the body", Got: len(buf), Max: limit, Flag: "max-review-bytes"}
	}
	return buf, nil
}
