//go:build linux

// Command webhookload measures `palisade webhook serve` on loopback: throughput and
// latency of /validate for a realistic Deployment review at fixed request rates, and
// the server's resident memory over many reviews. It starts the server itself (one
// replica, its own process, 127.0.0.1 only), with certificates from `palisade
// webhook certs`, and stops it at the end; every phase is bounded in count and time.
//
//	go build -o bin/palisade ./cmd/palisade
//	go run ./tools/webhookload -palisade bin/palisade -rates 500,1000,2000 -duration 20s -reviews 1000000
//
// The overload case (-flood, -burst) measures the server under hostile load: a flood
// of slow-header TLS connections while reviews go on over kept-alive connections (as
// the API server's) and over new ones, then bursts of reviews beyond the server's
// review slots over HTTP/1.1 and HTTP/2:
//
//	go run ./tools/webhookload -palisade bin/palisade -rates "" -reviews 0 -flood 5000 -burst 5000
//
// The cost of custom rules and ValidatingAdmissionPolicies (-custom): each rate held
// against a server without them, then against one with 20 custom rules and 20
// policies (tools/internal/policygen), the comparison written into a section of
// docs/BENCHMARKS.md; -config and -policy give the server a configuration of one's own:
//
//	go run ./tools/webhookload -palisade bin/palisade -custom -rates 1000 -reviews 0 -doc docs/BENCHMARKS.md
//
// The signature path (-signed) puts the review's images in a registry on loopback,
// signed with a key, and gives the server an images.verify policy trusting it: every
// review verifies its images, from the server's cache after the first:
//
//	go run ./tools/webhookload -palisade bin/palisade -signed -rates 1000 -reviews 0
//
// Latency is measured from the moment a request was due, not from when a client
// goroutine got to send it, so a server that falls behind shows its queue in the
// percentiles (no coordinated omission).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

//go:embed deployment.yaml
var deploymentYAML []byte

func main() {
	bin := flag.String("palisade", "bin/palisade", "palisade binary")
	rates := flag.String("rates", "500,1000,2000", "request rates to hold, per second, comma-separated")
	duration := flag.Duration("duration", 20*time.Second, "how long each rate is held (at most 2m)")
	reviews := flag.Int("reviews", 1000000, "reviews of the memory phase (at most 2,000,000; 0 skips it)")
	maxTime := flag.Duration("max-time", 10*time.Minute, "bound on the memory phase")
	concurrency := flag.Int("concurrency", 8, "in-flight requests of the memory phase")
	var ov overload
	flag.IntVar(&ov.flood, "flood", 0, "slow-header TLS connections of the overload case (at most 10,000; 0 skips it)")
	flag.DurationVar(&ov.duration, "flood-duration", 10*time.Second, "how long reviews are measured during the flood (at most 1m)")
	flag.IntVar(&ov.burst, "burst", 0, "reviews sent at once in each burst of the overload case, over HTTP/1.1 then HTTP/2 (at most 10,000; 0 skips it)")
	flag.BoolVar(&ov.verbose, "v", false, "print the server's metrics after each burst (to stderr)")
	signed := flag.Bool("signed", false, "verify image signatures: the review's images signed in a loopback registry, the server's policy trusting their key (cache hits after the first review)")
	serverArgs := flag.String("server-args", "", "extra arguments of `palisade webhook serve`, space-separated (e.g. --max-reviews=8)")
	config := flag.String("config", "", "the server's configuration file (--config), e.g. one with customRules and policies")
	var policies []string
	flag.Func("policy", "a file or directory of ValidatingAdmissionPolicies for the server (--policy; repeatable)", func(s string) error {
		policies = append(policies, s)
		return nil
	})
	var cu custom
	flag.BoolVar(&cu.on, "custom", false, "hold each rate twice, against a server with no configuration and against one with the custom rules and ValidatingAdmissionPolicies of tools/internal/policygen (-custom-rules, -custom-policies), and write the comparison into -doc")
	flag.IntVar(&cu.rules, "custom-rules", 20, "custom rules of -custom")
	flag.IntVar(&cu.policies, "custom-policies", 20, "ValidatingAdmissionPolicies of -custom (one binding each)")
	flag.Uint64Var(&cu.seed, "seed", 1, "seed of the rules and policies of -custom")
	flag.StringVar(&cu.doc, "doc", "", "with -custom: document whose policybench-webhook section to rewrite (else print it)")
	flag.Parse()
	ov.flood, ov.burst, ov.duration = min(ov.flood, 10000), min(ov.burst, 10000), min(ov.duration, time.Minute)
	if *duration > 2*time.Minute {
		*duration = 2 * time.Minute
	}
	if *reviews > 2000000 {
		*reviews = 2000000
	}
	extra := strings.Fields(*serverArgs)
	if *config != "" {
		extra = append([]string{"--config", *config}, extra...)
	}
	for _, p := range policies {
		extra = append(extra, "--policy", p)
	}
	if cu.on {
		if err := cu.run(*bin, *rates, *duration, extra); err != nil {
			fmt.Fprintln(os.Stderr, "webhookload:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*bin, *rates, *duration, *reviews, *maxTime, *concurrency, extra, *signed, ov); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

func run(bin, rateList string, duration time.Duration, reviews int, maxTime time.Duration, concurrency int, serverArgs []string, signed bool, ov overload) error {
	dir, err := os.MkdirTemp("", "palisade-webhookload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var fixture *signedFixture
	if signed {
		if fixture, err = newSignedFixture(dir); err != nil {
			return err
		}
		defer fixture.close()
		serverArgs = append(fixture.serverArgs(), serverArgs...)
	}
	if err := certs(bin, dir); err != nil {
		return err
	}
	srv, base, client, err := startServer(bin, dir, serverArgs, nil)
	if err != nil {
		return err
	}
	defer srv.stop()
	addr := strings.TrimPrefix(base, "https://")
	body, size, err := reviewBody(fixture)
	if err != nil {
		return err
	}
	fmt.Printf("Measured by tools/webhookload on %s/%s, %d CPUs, %s; server and client on the same machine, one server process.\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if fixture != nil {
		fmt.Printf("Review: Deployment with an init container and two containers, CREATE, %d bytes of AdmissionReview; images.verify policy: its two images (tags) signed with a key in a loopback registry, verified at each review (from the cache after the first).\n\n", size)
		if err := post(client, base+"/validate", body); err != nil {
			return err
		}
		if m, err := metricsText(client, base); err != nil {
			return err
		} else if !strings.Contains(m, `palisade_webhook_image_verifications_total{verdict="verified"} 2`) {
			return fmt.Errorf("the signed images were not verified:\n%s", m)
		}
	} else {
		fmt.Printf("Review: Deployment with an init container and two containers, CREATE, %d bytes of AdmissionReview; default configuration (decision: warned, with audits).\n\n", size)
	}
	// Warm up: connections, caches, the server's heap.
	if _, err := fixedRate(client, base, body, 200, 3*time.Second); err != nil {
		return err
	}
	if rateList != "" {
		fmt.Println("| target rate | achieved | errors | p50 | p90 | p99 | max | server CPU per review |")
		fmt.Println("|---|---|---|---|---|---|---|---|")
	}
	for _, s := range strings.FieldsFunc(rateList, func(r rune) bool { return r == ',' }) {
		rate, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || rate <= 0 || rate > 20000 {
			return fmt.Errorf("bad rate %q (1..20000)", s)
		}
		cpu0 := procCPU(srv.Process.Pid)
		res, err := fixedRate(client, base, body, rate, duration)
		if err != nil {
			return err
		}
		cpu := procCPU(srv.Process.Pid) - cpu0
		fmt.Printf("| %d/s | %.0f/s | %d | %s | %s | %s | %s | %s |\n", rate, res.throughput, res.errors,
			ms(res.pct(50)), ms(res.pct(90)), ms(res.pct(99)), ms(res.max()), us(cpu/time.Duration(max(1, res.ok))))
	}
	if reviews > 0 {
		fmt.Println()
		if err := memoryPhase(client, base, body, srv.Process.Pid, reviews, maxTime, concurrency); err != nil {
			return err
		}
	}
	if fixture != nil {
		if err := printImageMetrics(client, base); err != nil {
			return err
		}
	}
	if ov.flood > 0 || ov.burst > 0 {
		ov.addr, ov.base, ov.body, ov.pid, ov.ca, ov.serverArgs = addr, base, body, srv.Process.Pid, filepath.Join(dir, "ca.crt"), serverArgs
		fmt.Println()
		return ov.run()
	}
	return nil
}

// certs makes the server's certificates in dir.
func certs(bin, dir string) error {
	if out, err := exec.Command(bin, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1").CombinedOutput(); err != nil {
		return fmt.Errorf("certs: %v: %s", err, out)
	}
	return nil
}

// server is a running `palisade webhook serve`.
type server struct {
	*os.Process
	exited chan struct{}
}

func (s *server) stop() {
	s.Signal(os.Interrupt)
	<-s.exited
}

// startServer starts `palisade webhook serve` on a free loopback port with the
// certificates of dir and extra arguments, and waits until it is ready; its
// output goes to stderr (nil: discarded). It returns the server, its base URL and
// a client trusting its certificate.
func startServer(bin, dir string, extra []string, stderr io.Writer) (*server, string, *http.Client, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// The decision log is written (to /dev/null): its cost is part of a review.
	args := []string{"webhook", "serve", "--listen", addr,
		"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"),
		"--shutdown-delay", "0s"}
	if !slices.Contains(extra, "--kubeconfig") {
		args = append(args, "--no-cluster")
	}
	srv := exec.Command(bin, append(args, extra...)...)
	srv.Stdout, srv.Stderr = io.Discard, stderr
	if stderr == nil {
		srv.Stderr = io.Discard
	}
	// The server never outlives the tool, even if the tool is killed.
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		return nil, "", nil, err
	}
	s := &server{Process: srv.Process, exited: make(chan struct{})}
	go func() { srv.Wait(); close(s.exited) }()
	client, err := newClient(filepath.Join(dir, "ca.crt"))
	if err != nil {
		s.stop()
		return nil, "", nil, err
	}
	base := "https://" + addr
	if err := waitReady(client, base, s.exited); err != nil {
		s.stop()
		return nil, "", nil, err
	}
	return s, base, client, nil
}

func reviewBody(fixture *signedFixture) ([]byte, int, error) {
	manifest := deploymentYAML
	if fixture != nil {
		manifest = fixture.rewrite(manifest)
	}
	obj, err := yaml.YAMLToJSON(manifest)
	if err != nil {
		return nil, 0, err
	}
	review := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",`+
		`"kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},`+
		`"requestKind":{"group":"apps","version":"v1","kind":"Deployment"},"requestResource":{"group":"apps","version":"v1","resource":"deployments"},`+
		`"name":"checkout-api","namespace":"shop","operation":"CREATE",`+
		`"userInfo":{"username":"system:serviceaccount:argocd:argocd-application-controller","uid":"e1b2","groups":["system:serviceaccounts","system:serviceaccounts:argocd","system:authenticated"]},`+
		`"object":%s,"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"argocd-controller"}}}`, obj)
	// Check the answer once.
	return []byte(review), len(review), nil
}

func newClient(caFile string) (*http.Client, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("bad CA")
	}
	// HTTP/1.1 with kept-alive connections, as the API server calls webhooks.
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// waitReady waits until the server answers /readyz, or exits.
func waitReady(c *http.Client, base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited")
		default:
		}
		resp, err := c.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server not ready after 30s")
}

type result struct {
	lat        []time.Duration
	ok, errors int
	throughput float64
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return r.lat[i]
}

func (r *result) max() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[len(r.lat)-1]
}

// post sends one review and checks the answer is a decision.
func post(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, data)
	}
	var r struct {
		Response *struct {
			Allowed bool `json:"allowed"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Response == nil {
		return fmt.Errorf("not an AdmissionReview answer: %s", data)
	}
	return nil
}

// fixedRate sends rate requests per second for d (open loop) and measures each from
// the time it was due.
func fixedRate(c *http.Client, base string, body []byte, rate int, d time.Duration) (*result, error) {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	due := make(chan time.Time, n)
	lats := make([]time.Duration, n)
	var next atomic.Int64
	var errs atomic.Int64
	var errOnce sync.Once
	var firstErr error
	workers := min(1024, max(64, rate/4))
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range due {
				err := post(c, base+"/validate", body)
				i := next.Add(1) - 1
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { firstErr = err })
					lats[i] = -1
					continue
				}
				lats[i] = time.Since(t)
			}
		}()
	}
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(i) * interval)
		if wait := time.Until(t); wait > 0 {
			time.Sleep(wait)
		}
		due <- t
	}
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	res := &result{errors: int(errs.Load())}
	for _, l := range lats {
		if l >= 0 {
			res.lat = append(res.lat, l)
		}
	}
	res.ok = len(res.lat)
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	res.throughput = float64(res.ok) / elapsed.Seconds()
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "webhookload: %d/s: %d of %d requests failed, first: %v\n", rate, res.errors, n, firstErr)
		if res.errors > n/100 {
			return res, fmt.Errorf("%d of %d requests failed, first: %v", res.errors, n, firstErr)
		}
	}
	return res, nil
}

// memoryPhase sends reviews as fast as concurrency allows and samples the server's
// resident memory as it goes.
func memoryPhase(c *http.Client, base string, body []byte, pid, reviews int, maxTime time.Duration, concurrency int) error {
	var sent atomic.Int64
	var errs atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), maxTime)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= int64(reviews) {
				if err := post(c, base+"/validate", body); err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	type sample struct {
		reviews int64
		rss     int64
	}
	var samples []sample
	step := int64(max(1, reviews/10))
	nextAt := step
	samples = append(samples, sample{0, rss(pid)})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			if n := sent.Load(); n >= nextAt {
				samples = append(samples, sample{min(n, int64(reviews)), rss(pid)})
				nextAt += step
			}
		}
	}
	total := min(sent.Load(), int64(reviews))
	samples = append(samples, sample{total, rss(pid)})
	elapsed := time.Since(start)
	fmt.Printf("Memory: %d reviews in %s (%.0f/s at %d in flight, %d errors); server resident memory (MiB) by reviews answered:\n\n",
		total, elapsed.Round(time.Second), float64(total)/elapsed.Seconds(), concurrency, errs.Load())
	fmt.Println("| reviews | RSS |")
	fmt.Println("|---|---|")
	for _, s := range samples {
		fmt.Printf("| %d | %.1f |\n", s.reviews, float64(s.rss)/(1<<20))
	}
	if ctx.Err() != nil {
		fmt.Printf("\n(stopped by -max-time %s)\n", maxTime)
	}
	return nil
}

func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// procCPU is the process's user+system CPU time so far (Linux).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
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
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

// printImageMetrics prints the server's counts of image verifications and cache
// hits.
func printImageMetrics(c *http.Client, base string) error {
	m, err := metricsText(c, base)
	if err != nil {
		return err
	}
	fmt.Println()
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, "palisade_webhook_image_") && !strings.Contains(l, "_bucket") {
			fmt.Println("    " + l)
		}
	}
	return nil
}

func metricsText(c *http.Client, base string) (string, error) {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return string(data), err
}
