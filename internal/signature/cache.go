package signature

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Checker judges one image: a Verifier (an interface so that a Cache can be tested
// without one).
type Checker interface {
	// Generation identifies the policy and its key material: verdicts are cached
	// per generation.
	Generation() string
	// Verify judges ref (at digest, when given) with the signatures of store.
	Verify(ctx context.Context, store Store, ref, digest string) *Result
}

// judge is a Checker that tells, from the reference alone, whether its policy
// judges an image: a Verifier.
type judge interface {
	Judges(ref string) bool
}

// Judges reports whether a requirement of the policy matches ref's repository, or
// ref does not parse: only then does its verdict need the registry. An image no
// requirement matches is judged by the default alone.
func (v *Verifier) Judges(ref string) bool {
	name, ok := normaliseName(ref)
	return !ok || len(v.matching(name)) > 0
}

// CacheOptions bound a Cache. Unset (zero) fields take their defaults.
type CacheOptions struct {
	// Size is the most verdicts kept, and the most tag resolutions (4,096 each by
	// default); the least recently used go first.
	Size int
	// TTL is how long a verdict that admits an image is kept (1h by default): a
	// signature on a digest does not change, and a new policy or key is a new
	// generation, so only an eviction or the TTL ends it.
	TTL time.Duration
	// DeniedTTL is how long a verdict that refuses an image is kept (30s by
	// default), so that an image signed after it was refused is admitted soon.
	DeniedTTL time.Duration
	// TagTTL is how long a tag's resolution to a digest is believed (30s by
	// default, at most MaxTagTTL): a tag moves, a digest does not.
	TagTTL time.Duration
	// Timeout bounds one verification or resolution (30s by default). It runs on
	// after the review that started it stops waiting (its deadline passed), so that
	// a later review finds its verdict.
	Timeout time.Duration
	// Observe, if set, is told of each verification that ran (not of cache hits):
	// how long it took and its result. It must be quick and safe for concurrent use.
	Observe func(elapsed time.Duration, r *Result)
	// Now is the clock (time.Now).
	Now func() time.Time
}

// MaxTagTTL bounds CacheOptions.TagTTL: a tag moved to another digest is followed
// within it.
const MaxTagTTL = 5 * time.Minute

// Cache remembers verdicts by image digest and policy generation, so that a digest
// admitted once is not verified again for every pod that runs it, and coalesces
// concurrent verifications of one digest into one. Results that could not be
// checked (Result.Unchecked: the registry failed, the time ran out) are never
// cached. It is safe for concurrent use, and outlives policy reloads: a new policy
// is a new generation, whose verdicts are cached apart, and the old ones age out.
type Cache struct {
	o       CacheOptions
	mu      sync.Mutex
	results *lru[*Result]
	tags    *lru[resolution]
	flights map[string]*flight
	stats   struct {
		hits, verifications, coalesced, unchecked, tagHits, resolutions, resolveErrors atomic.Int64
	}
}

// resolution is a tag's resolution: the normalised repository and the digest.
type resolution struct{ name, digest string }

// flight is one verification or resolution in progress, which later callers of the
// same key wait for.
type flight struct {
	done chan struct{}
	res  *Result
	rsl  resolution
	err  error
}

// NewCache makes a Cache.
func NewCache(o CacheOptions) *Cache {
	if o.Size <= 0 {
		o.Size = 4096
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.DeniedTTL <= 0 {
		o.DeniedTTL = 30 * time.Second
	}
	if o.TagTTL <= 0 {
		o.TagTTL = 30 * time.Second
	}
	o.TagTTL = min(o.TagTTL, MaxTagTTL)
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache{o: o, results: newLRU[*Result](o.Size), tags: newLRU[resolution](o.Size), flights: map[string]*flight{}}
}

// CacheStats count what a Cache did since it was made.
type CacheStats struct {
	// Hits are verdicts served from the cache; Verifications those computed;
	// Coalesced the callers that waited for a verification another caller started;
	// Unchecked the verifications whose signatures could not be read (not cached).
	Hits, Verifications, Coalesced, Unchecked int64
	// TagHits are tag resolutions served from the cache; Resolutions those asked
	// of the store; ResolveErrors those that failed.
	TagHits, Resolutions, ResolveErrors int64
	// Entries are the verdicts held now.
	Entries int
}

// Stats returns the counts so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	n := c.results.len()
	c.mu.Unlock()
	return CacheStats{
		Hits: c.stats.hits.Load(), Verifications: c.stats.verifications.Load(), Coalesced: c.stats.coalesced.Load(),
		Unchecked: c.stats.unchecked.Load(), TagHits: c.stats.tagHits.Load(), Resolutions: c.stats.resolutions.Load(),
		ResolveErrors: c.stats.resolveErrors.Load(), Entries: n,
	}
}

// Verify judges ref with checker, from the cache when it holds a verdict for ref's
// digest under checker's generation. The tag of ref is resolved through store (or
// the cache of resolutions); a verification of the same repository, digest and
// generation already in progress is waited for rather than started again. When ctx
// ends first, the result is Unchecked (Unreachable), and the verification goes on,
// up to CacheOptions.Timeout, for the next caller. It never returns nil; the
// result's Ref is ref.
//
// An image the checker does not judge (Judges, when it has the method) is left to it
// at once, without a resolution. A tag that does not resolve is left to checker, with a store whose Resolve
// returns the error: the policy may not judge the image at all. Such results are
// not cached.
func (c *Cache) Verify(ctx context.Context, checker Checker, store Store, ref string) *Result {
	if j, ok := checker.(judge); ok && !j.Judges(ref) {
		// The policy's default decides, without the registry: nothing to cache.
		return safeVerify(ctx, checker, store, ref, "")
	}
	rsl, err := c.resolve(ctx, store, ref)
	if err != nil && ctx.Err() != nil {
		// The resolution goes on, and its digest is cached for the next caller.
		return &Result{Ref: ref, Unchecked: late(ctx)}
	}
	if err != nil {
		return safeVerify(ctx, checker, unresolved{Store: store, err: err}, ref, "")
	}
	key := checker.Generation() + "\x00" + rsl.name + "@" + rsl.digest
	now := c.o.Now()
	c.mu.Lock()
	if r, ok := c.results.get(key, now); ok {
		c.mu.Unlock()
		c.stats.hits.Add(1)
		return withRef(r, ref)
	}
	f, joined := c.flights[key]
	if !joined {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
	}
	c.mu.Unlock()
	if joined {
		c.stats.coalesced.Add(1)
	} else {
		c.stats.verifications.Add(1)
		go c.run(ctx, key, f, checker, store, ref, rsl.digest)
	}
	select {
	case <-f.done:
		return withRef(f.res, ref)
	case <-ctx.Done():
		return &Result{Ref: ref, Name: rsl.name, Digest: rsl.digest, Unchecked: late(ctx)}
	}
}

// late is the failure of a caller whose context ended before its verdict was made.
func late(ctx context.Context) *Failure {
	return &Failure{Reason: Unreachable,
		Detail: fmt.Sprintf("not verified in time (%v); the verification goes on, and a later review finds its verdict", context.Cause(ctx))}
}

// run verifies one digest for every caller waiting on f, and caches the verdict.
// It runs apart from the caller that started it: its time is the cache's Timeout,
// not the caller's deadline.
func (c *Cache) run(ctx context.Context, key string, f *flight, checker Checker, store Store, ref, digest string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Timeout)
	defer cancel()
	start := c.o.Now()
	r := safeVerify(fctx, checker, store, ref, digest)
	elapsed := c.o.Now().Sub(start)
	c.mu.Lock()
	delete(c.flights, key)
	if r.Unchecked == nil {
		ttl := c.o.TTL
		if !r.Allowed {
			ttl = c.o.DeniedTTL
		}
		c.results.put(key, r, c.o.Now().Add(ttl))
	}
	c.mu.Unlock()
	if r.Unchecked != nil {
		c.stats.unchecked.Add(1)
	}
	if c.o.Observe != nil {
		c.o.Observe(elapsed, r)
	}
	f.res = r
	close(f.done)
}

// safeVerify is checker.Verify, with a panic (a bug) turned into an unchecked result
// rather than a crash of the process that serves admission.
func safeVerify(ctx context.Context, checker Checker, store Store, ref, digest string) (r *Result) {
	defer func() {
		if v := recover(); v != nil {
			r = &Result{Ref: ref, Digest: digest, Unchecked: &Failure{Reason: Unreachable, Detail: fmt.Sprintf("internal error: %v", v)}}
		}
	}()
	r = checker.Verify(ctx, store, ref, digest)
	if r == nil {
		r = &Result{Ref: ref, Digest: digest, Unchecked: &Failure{Reason: Unreachable, Detail: "internal error: no result"}}
	}
	return r
}

// resolve returns the repository and digest ref names, from the cache of
// resolutions or the store (one resolution of a tag at a time).
func (c *Cache) resolve(ctx context.Context, store Store, ref string) (resolution, error) {
	key := "\x00tag\x00" + ref
	now := c.o.Now()
	c.mu.Lock()
	if r, ok := c.tags.get(key, now); ok {
		c.mu.Unlock()
		c.stats.tagHits.Add(1)
		return r, nil
	}
	f, joined := c.flights[key]
	if !joined {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
		c.stats.resolutions.Add(1)
		go func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Timeout)
			defer cancel()
			name, digest, err := safeResolve(fctx, store, ref)
			c.mu.Lock()
			delete(c.flights, key)
			if err == nil {
				c.tags.put(key, resolution{name, digest}, c.o.Now().Add(c.o.TagTTL))
			}
			c.mu.Unlock()
			if err != nil {
				c.stats.resolveErrors.Add(1)
			}
			f.rsl, f.err = resolution{name, digest}, err
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.rsl, f.err
	case <-ctx.Done():
		return resolution{}, fmt.Errorf("resolve %s: %w", ref, context.Cause(ctx))
	}
}

func safeResolve(ctx context.Context, store Store, ref string) (name, digest string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error resolving %s: %v", ref, v)
		}
	}()
	name, digest, err = store.Resolve(ctx, ref)
	if err == nil && digest == "" {
		err = errors.New("resolve " + ref + ": no digest")
	}
	return name, digest, err
}

// withRef is a shallow copy of r naming ref: one verdict serves every reference to
// its digest.
func withRef(r *Result, ref string) *Result {
	out := *r
	out.Ref = ref
	return &out
}

// unresolved is a store whose references do not resolve (the error the cache saw).
type unresolved struct {
	Store
	err error
}

func (u unresolved) Resolve(context.Context, string) (string, string, error) { return "", "", u.err }

// lru is a map bounded to n entries, the least recently used evicted first, each
// entry valid until its expiry. Its caller locks it.
type lru[T any] struct {
	n     int
	order *list.List // of *lruEntry[T], most recent first
	byKey map[string]*list.Element
}

type lruEntry[T any] struct {
	key     string
	value   T
	expires time.Time
}

func newLRU[T any](n int) *lru[T] {
	return &lru[T]{n: n, order: list.New(), byKey: map[string]*list.Element{}}
}

func (l *lru[T]) len() int { return l.order.Len() }

func (l *lru[T]) get(key string, now time.Time) (T, bool) {
	var zero T
	el, ok := l.byKey[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*lruEntry[T])
	if !now.Before(e.expires) {
		l.order.Remove(el)
		delete(l.byKey, key)
		return zero, false
	}
	l.order.MoveToFront(el)
	return e.value, true
}

func (l *lru[T]) put(key string, v T, expires time.Time) {
	if el, ok := l.byKey[key]; ok {
		e := el.Value.(*lruEntry[T])
		e.value, e.expires = v, expires
		l.order.MoveToFront(el)
		return
	}
	l.byKey[key] = l.order.PushFront(&lruEntry[T]{key: key, value: v, expires: expires})
	for l.order.Len() > l.n {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.byKey, last.Value.(*lruEntry[T]).key)
	}
}
