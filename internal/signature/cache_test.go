package signature

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore resolves "repo:tag" and "repo@digest" from a table, counting its calls.
type fakeStore struct {
	mu       sync.Mutex
	tags     map[string]string // ref -> digest
	err      error
	resolves atomic.Int64
	block    chan struct{} // if set, Resolve waits for it
}

func (s *fakeStore) Resolve(ctx context.Context, ref string) (string, string, error) {
	s.resolves.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return "", "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", "", s.err
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], ref[i+1:], nil
	}
	d, ok := s.tags[ref]
	if !ok {
		return "", "", fmt.Errorf("%s: not found", ref)
	}
	return ref[:strings.LastIndex(ref, ":")], d, nil
}

func (s *fakeStore) Signatures(context.Context, string, string) ([]Candidate, error) { return nil, nil }

// fakeChecker allows digests in allowed, counting its verifications; it may block
// until released.
type fakeChecker struct {
	gen     string
	allowed map[string]bool
	calls   atomic.Int64
	block   chan struct{}
	// unchecked makes every result Unchecked.
	unchecked bool
}

func (c *fakeChecker) Generation() string { return c.gen }

func (c *fakeChecker) Verify(ctx context.Context, store Store, ref, digest string) *Result {
	c.calls.Add(1)
	if c.block != nil {
		select {
		case <-c.block:
		case <-ctx.Done():
			return &Result{Ref: ref, Digest: digest, Unchecked: &Failure{Reason: Unreachable, Detail: ctx.Err().Error()}}
		}
	}
	if digest == "" {
		name, d, err := store.Resolve(ctx, ref)
		if err != nil {
			return &Result{Ref: ref, Unchecked: &Failure{Reason: Unreachable, Detail: err.Error()}}
		}
		ref, digest = name, d
	}
	if c.unchecked {
		return &Result{Ref: ref, Digest: digest, Unchecked: &Failure{Reason: Unreachable, Detail: "registry down"}}
	}
	r := &Result{Ref: ref, Digest: digest, Allowed: c.allowed[digest]}
	if !r.Allowed {
		r.Requirements = []RequirementResult{{Failures: []Failure{{Reason: NoSignature}}}}
	}
	return r
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newFakes() (*fakeStore, *fakeChecker) {
	return &fakeStore{tags: map[string]string{"r.example/a:v1": "sha256:aa", "r.example/b:v1": "sha256:bb"}},
		&fakeChecker{gen: "g1", allowed: map[string]bool{"sha256:aa": true}}
}

func TestCacheHit(t *testing.T) {
	store, chk := newFakes()
	c := NewCache(CacheOptions{})
	ctx := context.Background()
	r1 := c.Verify(ctx, chk, store, "r.example/a:v1")
	r2 := c.Verify(ctx, chk, store, "r.example/a@sha256:aa")
	if !r1.Allowed || !r2.Allowed {
		t.Fatalf("results %+v %+v", r1, r2)
	}
	if r1.Ref != "r.example/a:v1" || r2.Ref != "r.example/a@sha256:aa" {
		t.Errorf("refs %q %q: a cached verdict names each caller's reference", r1.Ref, r2.Ref)
	}
	if n := chk.calls.Load(); n != 1 {
		t.Errorf("%d verifications of one digest, want 1", n)
	}
	st := c.Stats()
	if st.Hits != 1 || st.Verifications != 1 || st.Entries != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestCacheKeyedByGenerationAndRepository(t *testing.T) {
	store, chk := newFakes()
	c := NewCache(CacheOptions{})
	ctx := context.Background()
	c.Verify(ctx, chk, store, "r.example/a@sha256:aa")
	// The same digest in another repository is another question: policies match
	// repositories.
	c.Verify(ctx, chk, store, "other.example/a@sha256:aa")
	chk2 := &fakeChecker{gen: "g2", allowed: map[string]bool{}}
	if r := c.Verify(ctx, chk2, store, "r.example/a@sha256:aa"); r.Allowed {
		t.Errorf("a verdict of generation g1 served under g2: %+v", r)
	}
	if chk.calls.Load() != 2 || chk2.calls.Load() != 1 {
		t.Errorf("verifications g1 %d (want 2), g2 %d (want 1)", chk.calls.Load(), chk2.calls.Load())
	}
}

func TestCacheCoalesces(t *testing.T) {
	store, chk := newFakes()
	chk.block = make(chan struct{})
	c := NewCache(CacheOptions{})
	const n = 20
	var wg sync.WaitGroup
	results := make([]*Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Verify(context.Background(), chk, store, "r.example/a:v1")
		}()
	}
	for c.Stats().Coalesced+c.Stats().Verifications < n {
		runtime.Gosched()
	}
	close(chk.block)
	wg.Wait()
	for i, r := range results {
		if !r.Allowed {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if got := chk.calls.Load(); got != 1 {
		t.Errorf("%d verifications for %d concurrent reviews of one digest, want 1", got, n)
	}
	if st := c.Stats(); st.Coalesced != n-1 {
		t.Errorf("coalesced %d, want %d", st.Coalesced, n-1)
	}
	if got := store.resolves.Load(); got != 1 {
		t.Errorf("%d resolutions of one tag, want 1 (coalesced too)", got)
	}
}

func TestCacheDeadline(t *testing.T) {
	store, chk := newFakes()
	chk.block = make(chan struct{})
	c := NewCache(CacheOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result)
	go func() { done <- c.Verify(ctx, chk, store, "r.example/a:v1") }()
	for chk.calls.Load() == 0 {
		runtime.Gosched()
	}
	cancel()
	r := <-done
	if r.Allowed || r.Unchecked == nil || r.Unchecked.Reason != Unreachable || r.Digest != "sha256:aa" {
		t.Fatalf("a review past its deadline: %+v, want Unchecked (unreachable)", r)
	}
	if !strings.Contains(r.Unchecked.Detail, "not verified in time") {
		t.Errorf("detail %q", r.Unchecked.Detail)
	}
	// The verification goes on and fills the cache for the next review.
	close(chk.block)
	for c.Stats().Entries == 0 {
		runtime.Gosched()
	}
	if r := c.Verify(context.Background(), chk, store, "r.example/a:v1"); !r.Allowed || chk.calls.Load() != 1 {
		t.Errorf("after the background verification: %+v, %d verifications", r, chk.calls.Load())
	}
}

func TestCacheUncheckedNotCached(t *testing.T) {
	store, chk := newFakes()
	chk.unchecked = true
	c := NewCache(CacheOptions{})
	for range 2 {
		if r := c.Verify(context.Background(), chk, store, "r.example/a:v1"); r.Unchecked == nil {
			t.Fatalf("%+v", r)
		}
	}
	if chk.calls.Load() != 2 || c.Stats().Entries != 0 || c.Stats().Unchecked != 2 {
		t.Errorf("an unchecked result was cached: %d calls, %+v", chk.calls.Load(), c.Stats())
	}
}

func TestCacheResolveError(t *testing.T) {
	store, chk := newFakes()
	store.err = errors.New("registry down")
	c := NewCache(CacheOptions{})
	r := c.Verify(context.Background(), chk, store, "r.example/a:v1")
	if r.Unchecked == nil || !strings.Contains(r.Unchecked.Detail, "registry down") {
		t.Fatalf("%+v: the checker sees the resolution's error", r)
	}
	store.mu.Lock()
	store.err = nil
	store.mu.Unlock()
	if r := c.Verify(context.Background(), chk, store, "r.example/a:v1"); !r.Allowed {
		t.Errorf("a failed resolution was cached: %+v", r)
	}
	if st := c.Stats(); st.ResolveErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestCacheTTLs(t *testing.T) {
	store, chk := newFakes()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	c := NewCache(CacheOptions{Now: clock.Now, TTL: time.Hour, DeniedTTL: 30 * time.Second, TagTTL: 10 * time.Second})
	ctx := context.Background()
	c.Verify(ctx, chk, store, "r.example/a:v1")
	c.Verify(ctx, chk, store, "r.example/b:v1") // denied
	clock.Add(5 * time.Second)
	c.Verify(ctx, chk, store, "r.example/a:v1")
	if store.resolves.Load() != 2 {
		t.Errorf("%d resolutions within the tag TTL, want 2", store.resolves.Load())
	}
	clock.Add(10 * time.Second)
	c.Verify(ctx, chk, store, "r.example/a:v1")
	if store.resolves.Load() != 3 {
		t.Errorf("%d resolutions after the tag TTL, want 3", store.resolves.Load())
	}
	if chk.calls.Load() != 2 {
		t.Errorf("%d verifications, want 2 (the admitted verdict is cached)", chk.calls.Load())
	}
	// An image refused, then signed: the refusal is forgotten after DeniedTTL.
	chk.allowed["sha256:bb"] = true
	clock.Add(20 * time.Second)
	if r := c.Verify(ctx, chk, store, "r.example/b@sha256:bb"); !r.Allowed {
		t.Errorf("a refusal outlived DeniedTTL: %+v", r)
	}
	clock.Add(2 * time.Hour)
	c.Verify(ctx, chk, store, "r.example/a@sha256:aa")
	if chk.calls.Load() != 4 {
		t.Errorf("%d verifications, want 4 (TTL passed)", chk.calls.Load())
	}
}

func TestCacheBounded(t *testing.T) {
	store, chk := newFakes()
	c := NewCache(CacheOptions{Size: 2})
	ctx := context.Background()
	for _, d := range []string{"sha256:01", "sha256:02", "sha256:03", "sha256:01"} {
		c.Verify(ctx, chk, store, "r.example/a@"+d)
	}
	if chk.calls.Load() != 4 || c.Stats().Entries != 2 {
		t.Errorf("%d verifications (want 4: the first was evicted), %d entries (want 2)", chk.calls.Load(), c.Stats().Entries)
	}
}

type panicChecker struct{}

func (panicChecker) Generation() string { return "p" }
func (panicChecker) Verify(context.Context, Store, string, string) *Result {
	panic("boom")
}

func TestCachePanic(t *testing.T) {
	store, _ := newFakes()
	c := NewCache(CacheOptions{})
	r := c.Verify(context.Background(), panicChecker{}, store, "r.example/a:v1")
	if r.Allowed || r.Unchecked == nil || !strings.Contains(r.Unchecked.Detail, "boom") {
		t.Errorf("%+v", r)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	store, chk := newFakes()
	c := NewCache(CacheOptions{})
	ctx := context.Background()
	c.Verify(ctx, chk, store, "r.example/a:v1")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := c.Verify(ctx, chk, store, "r.example/a:v1"); !r.Allowed {
				b.Fatal(r)
			}
		}
	})
}
