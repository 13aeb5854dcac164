//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// overload is the hostile-load case: a slow-header connection flood, then bursts
// beyond the server's review slots.
type overload struct {
	flood, burst   int
	duration       time.Duration
	addr, base, ca string
	body           []byte
	pid            int
	serverArgs     []string
	verbose        bool
}

// webhookTimeout is the webhook's timeoutSeconds in the shipped manifests: an
// answer later than this is a timeout for the API server.
const webhookTimeout = 5 * time.Second

func (o *overload) run() error {
	ca, err := os.ReadFile(o.ca)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("bad CA")
	}
	args := "default limits"
	if len(o.serverArgs) > 0 {
		args = strings.Join(o.serverArgs, " ")
	}
	fmt.Printf("Overload: server with %s; %d slow-header connections, bursts of %d reviews.\n\n", args, o.flood, o.burst)
	if o.flood > 0 {
		if err := o.floodPhase(pool); err != nil {
			return err
		}
	}
	if o.burst > 0 {
		fmt.Println("| burst | protocol | answered | shed (503) | deadline (503) | failed | answered p50 | p99 | max | shed p50 | p99 | past 5 s | server RSS peak |")
		fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, h2 := range []bool{false, true} {
			if err := o.burstPhase(pool, h2); err != nil {
				return err
			}
		}
	}
	return nil
}

// clients: kept-alive HTTP/2 (as the API server), a kept-alive HTTP/1.1 pool of
// conns connections, or a new connection per request.
func h2Client(pool *x509.CertPool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 100}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// h2Conn is an HTTP/2 client that keeps to one connection: requests past its
// stream limit wait for a stream rather than open another.
func h2Conn(pool *x509.CertPool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true,
		HTTP2: &http.HTTP2Config{StrictMaxConcurrentRequests: true}}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func h1Client(pool *x509.CertPool, conns int) *http.Client {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxConnsPerHost: conns, MaxIdleConnsPerHost: max(conns, 2), IdleConnTimeout: 90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func freshClient(pool *x509.CertPool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}, DisableKeepAlives: true}
	return &http.Client{Transport: tr, Timeout: webhookTimeout}
}

type outcome int

const (
	answered outcome = iota // a decision
	shed                    // 503 overloaded: no room, answered at once
	late                    // 503 not decided within the review deadline
	failed                  // anything else: transport error, client timeout, other status
)

func review(c *http.Client, url string, body []byte) (outcome, error) {
	err := post(c, url, body)
	if err == nil {
		return answered, nil
	}
	if strings.Contains(err.Error(), "status 503") && strings.Contains(err.Error(), "overloaded") {
		return shed, err
	}
	if strings.Contains(err.Error(), "status 503") && strings.Contains(err.Error(), "not decided within") {
		return late, err
	}
	return failed, err
}

// tally is the outcomes of a set of requests and their latencies.
type tally struct {
	mu       sync.Mutex
	lat      [4][]time.Duration
	firstErr string
	late     int // answered after webhookTimeout
}

func (t *tally) add(o outcome, lat time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lat[o] = append(t.lat[o], lat)
	if o == failed && t.firstErr == "" && err != nil {
		t.firstErr = err.Error()
	}
	if lat > webhookTimeout {
		t.late++
	}
}

func (t *tally) n(o outcome) int { return len(t.lat[o]) }

func (t *tally) sent() int { return t.n(answered) + t.n(shed) + t.n(late) + t.n(failed) }

func (t *tally) pct(o outcome, p float64) string {
	l := t.lat[o]
	if len(l) == 0 {
		return "-"
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return ms(l[int(float64(len(l)-1)*p/100)])
}

// openLoop sends rate reviews per second for d through c, each measured from when
// it was due.
func openLoop(c *http.Client, url string, body []byte, rate int, d time.Duration) *tally {
	t := &tally{}
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := review(c, url, body)
			t.add(o, time.Since(due), err)
		}()
	}
	wg.Wait()
	return t
}

// rssPeak samples the server's resident memory until stop is closed.
func rssPeak(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		peak := rss(pid)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				out <- max(peak, rss(pid))
				return
			case <-tick.C:
				peak = max(peak, rss(pid))
			}
		}
	}()
	return out
}

// slowConn holds one slow-header connection open after another until ctx ends: a
// TLS handshake and the start of a request's headers, never their end.
func slowConn(ctx context.Context, addr string, cfg *tls.Config, open, cycles *atomic.Int64) {
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		d := net.Dialer{Timeout: 30 * time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		tc := tls.Client(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err == nil {
			open.Add(1)
			if _, err = io.WriteString(tc, "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"); err == nil {
				stop := context.AfterFunc(ctx, func() { c.Close() })
				tc.Read(buf) // until the server (or ctx) closes it
				stop()
			}
			open.Add(-1)
		}
		cycles.Add(1)
		c.Close()
	}
}

// measure sends reviews for d over a kept-alive HTTP/2 connection, a kept-alive
// HTTP/1.1 pool and new connections at once.
func (o *overload) measure(h2, h1, fresh *http.Client, d time.Duration) (h2t, h1t, newt *tally) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); h2t = openLoop(h2, o.base+"/validate", o.body, 100, d) }()
	go func() { defer wg.Done(); h1t = openLoop(h1, o.base+"/validate", o.body, 100, d) }()
	go func() { defer wg.Done(); newt = openLoop(fresh, o.base+"/validate", o.body, 5, d) }()
	wg.Wait()
	return h2t, h1t, newt
}

const h1PoolSize = 32

// floodPhase measures reviews over a kept-alive HTTP/2 connection, a kept-alive
// HTTP/1.1 pool and new connections, first alone, then during a slow-header flood.
func (o *overload) floodPhase(pool *x509.CertPool) error {
	h2, h1, fresh := h2Client(pool), h1Client(pool, h1PoolSize), freshClient(pool)
	// Warm the kept-alive connections, as the API server's are.
	var wg sync.WaitGroup
	errc := make(chan error, h1PoolSize+1)
	for i := 0; i < h1PoolSize; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- post(h1, o.base+"/validate", o.body) }()
	}
	wg.Wait()
	errc <- post(h2, o.base+"/validate", o.body)
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	bh2, bh1, bnew := o.measure(h2, h1, fresh, o.duration)
	before := scrape(h2, o.base)
	rss0 := rss(o.pid)
	stop := make(chan struct{})
	peak := rssPeak(o.pid, stop)
	ctx, cancel := context.WithCancel(context.Background())
	var open, cycles atomic.Int64
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}
	for i := 0; i < o.flood; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); slowConn(ctx, o.addr, cfg, &open, &cycles) }()
	}
	time.Sleep(3 * time.Second) // the flood builds up
	h2t, h1t, newt := o.measure(h2, h1, fresh, o.duration)
	heldOpen := open.Load()
	after := scrape(h2, o.base)
	cancel()
	wg.Wait()
	close(stop)
	p := <-peak
	fmt.Printf("Slow-header flood: %d client connections, each a TLS handshake and the start of a request's headers, never their end (reconnecting when closed); %d held open by the server at the end, %d connections in all over %s; reviews measured for %s from 3 s into the flood. Server RSS %.1f MiB before, peak %.1f MiB.\n\n",
		o.flood, heldOpen, cycles.Load(), (3*time.Second + o.duration).Round(time.Second), o.duration, mib(rss0), mib(p))
	fmt.Println("| reviews | flood | sent | answered | shed (503) | deadline (503) | failed | p50 | p99 | max | past 5 s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	pool1 := fmt.Sprintf("kept-alive HTTP/1.1 pool of %d, 100/s", h1PoolSize)
	for _, r := range []struct {
		name, flood string
		t           *tally
	}{
		{"kept-alive HTTP/2 connection, 100/s", "none", bh2}, {"kept-alive HTTP/2 connection, 100/s", strconv.Itoa(o.flood), h2t},
		{pool1, "none", bh1}, {pool1, strconv.Itoa(o.flood), h1t},
		{"a new connection each, 5/s", "none", bnew}, {"a new connection each, 5/s", strconv.Itoa(o.flood), newt},
	} {
		t := r.t
		fmt.Printf("| %s | %s | %d | %d | %d | %d | %d | %s | %s | %s | %d |\n", r.name, r.flood, t.sent(), t.n(answered), t.n(shed), t.n(late), t.n(failed),
			t.pct(answered, 50), t.pct(answered, 99), t.pct(answered, 100), t.late)
		if t.firstErr != "" {
			fmt.Fprintf(os.Stderr, "webhookload: flood, %s: first failure: %s\n", r.name, t.firstErr)
		}
	}
	fmt.Println()
	printMetrics(os.Stdout, before, after)
	// Let the server drop the flood's connections before what follows.
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if m := scrape(h2, o.base); m["palisade_webhook_connections"] <= 4 {
			break
		}
	}
	return nil
}

// burstPhase sends o.burst reviews at once from a client without connections yet.
func (o *overload) burstPhase(pool *x509.CertPool, useH2 bool) error {
	// HTTP/1.1 from no connection: a new connection per request. HTTP/2 over
	// connections already open, as the API server keeps them, 100 streams each
	// (within the server's limit), so that every request is at the server at once.
	clients, proto := []*http.Client{h1Client(pool, 0)}, "HTTP/1.1"
	if useH2 {
		clients, proto = nil, "HTTP/2"
		for i := 0; i < (o.burst+99)/100; i++ {
			c := h2Conn(pool)
			if err := post(c, o.base+"/validate", o.body); err != nil {
				return err
			}
			clients = append(clients, c)
		}
	}
	t := &tally{}
	before := scrape(h2Client(pool), o.base)
	stop := make(chan struct{})
	peak := rssPeak(o.pid, stop)
	var ready, wg sync.WaitGroup
	fire := make(chan struct{})
	var start time.Time
	for i := 0; i < o.burst; i++ {
		ready.Add(1)
		wg.Add(1)
		c := clients[i%len(clients)]
		go func() {
			defer wg.Done()
			ready.Done()
			<-fire
			o2, err := review(c, o.base+"/validate", o.body)
			t.add(o2, time.Since(start), err)
		}()
	}
	ready.Wait()
	start = time.Now()
	close(fire)
	wg.Wait()
	close(stop)
	p := <-peak
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	if useH2 {
		proto = fmt.Sprintf("HTTP/2, %d connections", len(clients))
	}
	fmt.Printf("| %d at once | %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %d | %.1f MiB |\n", o.burst, proto, t.n(answered), t.n(shed), t.n(late), t.n(failed),
		t.pct(answered, 50), t.pct(answered, 99), t.pct(answered, 100), t.pct(shed, 50), t.pct(shed, 99), t.late, mib(p))
	if t.firstErr != "" {
		fmt.Fprintf(os.Stderr, "webhookload: burst over %s: first failure: %s\n", proto, t.firstErr)
	}
	if o.verbose {
		fmt.Fprintf(os.Stderr, "webhookload: burst over %s: server metrics:\n", proto)
		printMetrics(os.Stderr, before, scrape(h2Client(pool), o.base))
	}
	time.Sleep(2 * time.Second)
	return nil
}

// scrape reads the server's palisade_webhook_* series (labels included in the key).
func scrape(c *http.Client, base string) map[string]float64 {
	m := map[string]float64{}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "palisade_webhook_") {
			continue
		}
		if i := strings.LastIndexByte(l, ' '); i > 0 {
			if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
				m[l[:i]] = v
			}
		}
	}
	return m
}

// printMetrics shows how the server's transport and overload counters moved.
func printMetrics(w io.Writer, before, after map[string]float64) {
	var keys []string
	for k := range after {
		if strings.Contains(k, "connections") || strings.Contains(k, "transport_errors") || strings.Contains(k, `reason="overload"`) ||
			strings.Contains(k, `reason="deadline"`) || strings.HasPrefix(k, "palisade_webhook_queue_wait_seconds_count") ||
			strings.Contains(k, `queue_wait_seconds_bucket{le="1"}`) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return
	}
	fmt.Fprintln(w, "Server metrics (counters: increase; gauges: at the end):")
	fmt.Fprintln(w)
	for _, k := range keys {
		v := after[k]
		if name := strings.SplitN(k, "{", 2)[0]; strings.HasSuffix(name, "_total") || strings.HasSuffix(name, "_count") || strings.HasSuffix(name, "_bucket") {
			v -= before[k]
		}
		fmt.Fprintf(w, "    %s %.0f\n", k, v)
	}
	fmt.Fprintln(w)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
