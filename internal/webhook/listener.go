package webhook

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Connection limits. The API server keeps a few long-lived connections per replica
// (one per API server over HTTP/2, a pool over HTTP/1.1); everything else a client can
// open costs memory and a file descriptor until a timeout closes it.
// headerTimeout bounds the TLS handshake and then the request headers, each (the
// server uses its smallest timeout for the handshake): what a connection that never
// sends a request (a slow handshake or slow headers) holds a slot for. A variable
// for tests.
var headerTimeout = 5 * time.Second

const (
	// readTimeout and writeTimeout bound a whole request and its response; reviews
	// get tighter per-request deadlines from their review deadline.
	readTimeout  = 15 * time.Second
	writeTimeout = 15 * time.Second
	// idleTimeout closes a kept-alive connection with no request in progress.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes bounds a request's headers (HTTP/1.1) or header list (HTTP/2);
	// the API server sends a few hundred bytes.
	maxHeaderBytes = 32 << 10
)

// idleAge is how long a kept-alive connection must have had no request in progress
// to be closed to make room at the connection limit. A variable for tests.
var idleAge = 10 * time.Second

// http2Config bounds what one HTTP/2 connection may hold: streams in progress (each
// a request), the body bytes buffered ahead of the handler (the flow-control
// windows) and the size of one frame.
func http2Config() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          100,
		MaxReadFrameSize:              16 << 10,
		MaxReceiveBufferPerConnection: 1 << 20,
		MaxReceiveBufferPerStream:     64 << 10,
		WriteByteTimeout:              10 * time.Second,
	}
}

// connLimiter is the server's listener: at most max connections are open at once,
// so a flood of connections (slow TLS handshakes, slow headers, idle keep-alives)
// costs bounded memory and file descriptors. When a connection arrives at the limit,
// the limiter makes room by closing the connection idle longest, if one has been
// idle idleAge (a kept-alive connection nobody uses); otherwise the new connection
// waits (accepted, not yet served) until one closes or turns idle long enough, and
// those behind it wait in the kernel's accept queue. Connections that have not sent
// a request are left to headerTimeout: closing them sooner costs a TLS handshake
// each time a flooding client reconnects, and, on a starved CPU, cuts legitimate
// connections whose handshakes are merely slow (measured: a burst of new
// connections then thrashes, none finishing before it is cut).
type connLimiter struct {
	net.Listener
	max       int
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	conns     map[*limitedConn]struct{}
	// Hooks for metrics.
	onOpen, onClose func()
	onLimited       func()
	onEvict         func()
}

func newConnLimiter(l net.Listener, max int) *connLimiter {
	return &connLimiter{
		Listener: l, max: max, slots: make(chan struct{}, max), closed: make(chan struct{}),
		conns:  make(map[*limitedConn]struct{}),
		onOpen: func() {}, onClose: func() {}, onLimited: func() {}, onEvict: func() {},
	}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if !l.acquire() {
		c.Close()
		return nil, net.ErrClosed
	}
	lc := &limitedConn{Conn: c, l: l, opened: time.Now()}
	l.mu.Lock()
	l.conns[lc] = struct{}{}
	l.mu.Unlock()
	l.onOpen()
	return lc, nil
}

// acquire takes a connection slot, making room or waiting for one; false if the
// listener closed meanwhile.
func (l *connLimiter) acquire() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	l.onLimited()
	for {
		var wake *time.Timer
		if victim, retry := l.victim(time.Now()); victim != nil {
			l.onEvict()
			victim.Close()
		} else {
			wake = time.NewTimer(retry)
		}
		ok, done := l.wait(wake)
		if done {
			return ok
		}
	}
}

// wait waits for a slot, the listener's close or wake (if not nil).
func (l *connLimiter) wait(wake *time.Timer) (ok, done bool) {
	var c <-chan time.Time
	if wake != nil {
		defer wake.Stop()
		c = wake.C
	}
	select {
	case l.slots <- struct{}{}:
		return true, true
	case <-l.closed:
		return false, true
	case <-c:
		return false, false
	}
}

// victim is the connection to close to make room: the one idle longest, if idle
// idleAge; without one, retry is when to look again.
func (l *connLimiter) victim(now time.Time) (victim *limitedConn, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	retry = idleAge
	for c := range l.conns {
		if c.closing || c.active > 0 || c.requests == 0 {
			continue
		}
		if d := c.lastDone.Add(idleAge).Sub(now); d > 0 {
			retry = min(retry, d)
			continue
		}
		if victim == nil || c.lastDone.Before(victim.lastDone) {
			victim = c
		}
	}
	if victim != nil {
		victim.closing = true
	}
	return victim, retry
}

func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn holds a slot of its connLimiter until it is closed, and the state the
// limiter chooses a connection to close by (guarded by the limiter's mu).
type limitedConn struct {
	net.Conn
	l         *connLimiter
	closeOnce sync.Once
	opened    time.Time
	// requests begun, requests in progress, when the last one ended, and whether
	// the limiter is closing the connection.
	requests, active int
	lastDone         time.Time
	closing          bool
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		<-c.l.slots
		c.l.onClose()
	})
	return err
}

// begin and end bracket a request on the connection.
func (c *limitedConn) begin() {
	c.l.mu.Lock()
	c.requests++
	c.active++
	c.l.mu.Unlock()
}

func (c *limitedConn) end() {
	c.l.mu.Lock()
	c.active--
	c.lastDone = time.Now()
	c.l.mu.Unlock()
}

// served reports whether a request was begun on the connection.
func (c *limitedConn) served() bool {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	return c.requests > 0
}

type connKey struct{}

// connContext is the server's ConnContext: it makes the connection's limiter state
// reachable from its requests (HTTP/1.1 and HTTP/2 alike).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc := limitedOf(c); lc != nil {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

func limitedOf(c net.Conn) *limitedConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	lc, _ := c.(*limitedConn)
	return lc
}

// trackRequests marks each request's connection busy while it runs.
func trackRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc, ok := r.Context().Value(connKey{}).(*limitedConn); ok {
			lc.begin()
			defer lc.end()
		}
		next.ServeHTTP(w, r)
	})
}

// transportErrorKind classifies a line of the HTTP server's error log: what it says
// went wrong below the handlers (the bounded label of
// palisade_webhook_transport_errors_total).
func transportErrorKind(line string) string {
	switch {
	case strings.HasPrefix(line, "http: TLS handshake error"):
		return "tls_handshake"
	case strings.HasPrefix(line, "http: Accept error"):
		return "accept"
	case strings.Contains(line, "panic serving"):
		return "panic"
	case strings.HasPrefix(line, "http2:"), strings.HasPrefix(line, "timeout waiting for"):
		return "http2"
	}
	return "other"
}

// errorLog receives the HTTP server's error log (http.Server.ErrorLog): every line
// is counted by kind and logged, at most one line per kind per logEvery.
type errorLog struct{ s *Server }

func (e errorLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	kind := transportErrorKind(line)
	e.s.metrics.transportErrors.WithLabelValues(kind).Inc()
	if ok, held := e.s.logLimit.allow("transport/" + kind); ok {
		e.s.log.Warn("transport error", "kind", kind, "error", line, "suppressedSinceLast", held)
	}
	return len(p), nil
}

// connState counts, as transport errors of kind no_request, connections closed after
// their TLS handshake without having begun a request: headers too slow, malformed or
// never sent (the server closes those without a log line).
func (s *Server) connState(c net.Conn, st http.ConnState) {
	if st != http.StateClosed {
		return
	}
	tc, ok := c.(*tls.Conn)
	if !ok || !tc.ConnectionState().HandshakeComplete {
		return
	}
	if lc := limitedOf(c); lc != nil && !lc.served() {
		s.metrics.transportErrors.WithLabelValues("no_request").Inc()
	}
}

// logLimiter lets through at most one log line per key per interval and counts
// those it held back.
type logLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
	held  map[string]int
}

func newLogLimiter(every time.Duration) *logLimiter {
	return &logLimiter{every: every, last: map[string]time.Time{}, held: map[string]int{}}
}

// allow reports whether a line for key may be logged now, and how many were held
// back since the last one.
func (l *logLimiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		l.held[key]++
		return false, 0
	}
	held := l.held[key]
	l.last[key], l.held[key] = now, 0
	return true, held
}
