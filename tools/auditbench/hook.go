package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
)

// hookResult is the /audit endpoint's measurement, or why there is none.
type hookResult struct {
	skip          string
	events, posts int
	batch         int
	dropped       int
	wall, cpu     time.Duration
	rssKB         int64
}

func (h *hookResult) markdown() string {
	if h == nil {
		return ""
	}
	if h.skip != "" {
		return "**`/audit` endpoint: not measured**: " + h.skip + "\n"
	}
	return fmt.Sprintf("`/audit` endpoint of `palisade webhook serve --audit` (GOMAXPROCS=1, loopback, TLS, one kept-alive connection posting EventList batches of %d events, as the API server's batching webhook backend does; timed until `palisade_webhook_audit_events_total` says every event ran through the detections): %s events in %d posts in %s, **%s events/s** (%s events/s of the server's CPU time; %d events dropped by the full queue; peak RSS %d MiB).\n",
		h.batch, thousands(float64(h.events)), h.posts, benchrun.Duration(h.wall), thousands(rate(int64(h.events), h.wall)),
		thousands(rate(int64(h.events), h.cpu)), h.dropped, benchrun.MiB(h.rssKB))
}

// auditCounters reads palisade_webhook_audit_events_total and
// palisade_webhook_audit_dropped_events_total from /metrics.
func auditCounters(c *http.Client, base string) (done, dropped int, err error) {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, perr := strconv.ParseFloat(f[1], 64)
		if perr != nil {
			continue
		}
		switch f[0] {
		case "palisade_webhook_audit_events_total":
			done = int(v)
		case "palisade_webhook_audit_dropped_events_total":
			dropped = int(v)
		}
	}
	return done, dropped, sc.Err()
}

// hookArgs are the flags that give `palisade webhook serve` its /audit endpoint.
var hookArgs = []string{"--audit"}

// measureHook posts the first events of a log (maxHookEvents, opened by open) to
// /audit of a `palisade webhook serve` on loopback, in EventList batches, one
// after the other, as they are read.
func measureHook(o options, open func() (io.ReadCloser, error)) (*hookResult, error) {
	h := &hookResult{batch: o.batch}
	dir, err := os.MkdirTemp("", "auditbench-hook-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command(o.palisade, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1").CombinedOutput(); err != nil {
		h.skip = fmt.Sprintf("`palisade webhook certs`: %v: %s", err, firstLine(out))
		return h, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	args := append([]string{"webhook", "serve", "--listen", addr, "--no-cluster", "--shutdown-delay", "0s",
		"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key")}, hookArgs...)
	srv := exec.Command(o.palisade, args...)
	srv.Env = append(os.Environ(), "GOMAXPROCS=1")
	var stderr bytes.Buffer
	srv.Stdout, srv.Stderr = io.Discard, &stderr
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	defer func() {
		srv.Process.Signal(os.Interrupt)
		<-exited
		if ru, ok := srv.ProcessState.SysUsage().(*syscall.Rusage); ok {
			h.rssKB = ru.Maxrss
		}
	}()
	client, err := tlsClient(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	base := "https://" + addr
	if err := ready(client, base, exited); err != nil {
		h.skip = fmt.Sprintf("`palisade webhook serve %s` did not start: %s", strings.Join(hookArgs, " "), firstLine(stderr.Bytes()))
		return h, nil
	}
	src, err := open()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	next := eventLists(src, o.batch, maxHookEvents(o))
	first, err := next()
	if err != nil {
		return nil, err
	}
	// One post first: a binary without /audit answers 404.
	if code, err := post(client, base, first.body); err != nil || code != http.StatusOK {
		h.skip = fmt.Sprintf("POST /audit answered %d (%v): this binary has no /audit endpoint", code, err)
		return h, nil
	}
	progress("/audit: posting %d events in batches of %d ...", maxHookEvents(o), o.batch)
	cpu0 := processCPU(srv.Process.Pid)
	start := time.Now()
	for {
		b, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		code, err := post(client, base, b.body)
		if err != nil || code != http.StatusOK {
			return nil, fmt.Errorf("POST /audit: %d %v", code, err)
		}
		h.events += b.events
		h.posts++
	}
	// /audit answers before the detections run (a bounded queue): the time that
	// counts is until the server has run every event, or dropped it.
	for {
		done, dropped, err := auditCounters(client, base)
		if err != nil {
			return nil, err
		}
		// The first batch, posted before the clock started, is counted too.
		if done+dropped >= h.events+first.events {
			h.dropped = dropped
			break
		}
		if time.Since(start) > 10*time.Minute {
			return nil, fmt.Errorf("/audit: %d of %d events run after 10 minutes", done+dropped, h.events+first.events)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.wall = time.Since(start)
	h.cpu = processCPU(srv.Process.Pid) - cpu0
	return h, nil
}

func maxHookEvents(o options) int {
	if o.quick {
		return 5_000
	}
	return 300_000
}

type eventList struct {
	body   []byte
	events int
}

// eventLists cuts the first max events of r into EventList documents of n
// events, one per call; io.EOF after the last.
func eventLists(r io.Reader, n, max int) func() (eventList, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	total := 0
	var cur bytes.Buffer
	return func() (eventList, error) {
		cur.Reset()
		k := 0
		for total < max && k < n && sc.Scan() {
			if k == 0 {
				cur.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
			} else {
				cur.WriteByte(',')
			}
			cur.Write(sc.Bytes())
			k++
			total++
		}
		if err := sc.Err(); err != nil {
			return eventList{}, err
		}
		if k == 0 {
			return eventList{}, io.EOF
		}
		cur.WriteString("]}")
		return eventList{body: cur.Bytes(), events: k}, nil
	}
}

func post(c *http.Client, base string, body []byte) (int, error) {
	resp, err := c.Post(base+"/audit", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func tlsClient(caFile string) (*http.Client, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("bad CA")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 4}
	return &http.Client{Transport: tr, Timeout: time.Minute}, nil
}

func ready(c *http.Client, base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited")
		default:
		}
		if resp, err := c.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("not ready after 30s")
}

// processCPU is the user+system CPU time of a running process (Linux /proc).
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
