package webhook

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Connection limits. The API server keeps a few long-lived connections per replica
// (one per API server over HTTP/2, a pool over HTTP/1.1); everything else a client
// can open costs memory and a file descriptor until a timeout closes it.
//
// headerTimeout bounds the TLS handshake and then the request headers, each (the
// server uses its smallest timeout for the handshake): what a connection that never
// sends a request (a slow handshake or slow headers) holds a slot for. idleTimeout
// closes a kept-alive connection with no request in progress. Variables for tests.
var (
	headerTimeout = 5 * time.Second
	idleTimeout   = 90 * time.Second
)

const (
	// readTimeout and writeTimeout bound a whole request and its response; reviews
	// get tighter per-request deadlines from their review deadline.
	readTimeout  = 15 * time.Second
	writeTimeout = 15 * time.Second
	// maxHeaderBytes bounds a request's headers (HTTP/1.1) or header list (HTTP/2);
	// the API server sends a few hundred bytes.
	maxHeaderBytes = 32 << 10
)

// http2Config bounds what one HTTP/2 connection may hold: streams in progress (each
// a request, Go's default number, stated), the body bytes buffered ahead of the
// handler (the flow-control windows), the size of one frame, and how long a write
// may block.
func http2Config() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          250,
		MaxReadFrameSize:              16 << 10,
		MaxReceiveBufferPerConnection: 1 << 20,
		MaxReceiveBufferPerStream:     64 << 10,
		WriteByteTimeout:              10 * time.Second,
	}
}

// connLimiter is the server's listener: at most max connections are open at once,
// so a flood of connections (slow TLS handshakes, slow headers, idle keep-alives)
// costs bounded memory, file descriptors and handshakes. A connection that arrives
// at the limit waits, accepted but not served, until one closes (those behind it
// wait in the kernel's accept queue); connections already open, such as the API
// server's, go on as before. Closing open connections to make room was tried and
// measured worse: a connection without a request yet costs a TLS handshake each
// time a flooding client reconnects, and on a starved CPU is as likely a
// legitimate one whose handshake is merely slow (a burst of new connections then
// thrashed, none finishing before it was cut); an idle one, in a flood, is most
// likely the API server's, and its slot goes to the flood.
type connLimiter struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	// Hooks for metrics.
	onOpen, onClose, onLimited func()
}

func newConnLimiter(l net.Listener, max int) *connLimiter {
	return &connLimiter{
		Listener: l, slots: make(chan struct{}, max), closed: make(chan struct{}),
		onOpen: func() {}, onClose: func() {}, onLimited: func() {},
	}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.onLimited()
		select {
		case l.slots <- struct{}{}:
		case <-l.closed:
			c.Close()
			return nil, net.ErrClosed
		}
	}
	l.onOpen()
	return &limitedConn{Conn: c, l: l}, nil
}

func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn holds a slot of its connLimiter until it is closed, and counts the
// requests begun on it.
type limitedConn struct {
	net.Conn
	l         *connLimiter
	closeOnce sync.Once
	requests  atomic.Int64
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		<-c.l.slots
		c.l.onClose()
	})
	return err
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

// countRequests counts the requests begun on each connection.
func countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc, ok := r.Context().Value(connKey{}).(*limitedConn); ok {
			lc.requests.Add(1)
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
	if lc := limitedOf(c); lc != nil && lc.requests.Load() == 0 {
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
