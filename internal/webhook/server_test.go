package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-k8s/palisade/internal/config"
)

const privilegedReview = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
 "uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "namespace":"team","name":"web","operation":"CREATE","userInfo":{"username":"alice","groups":["devs"]},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"team"},
  "spec":{"containers":[{"name":"app","image":"nginx:1.27","securityContext":{"privileged":true}}]}}}}`

// blockingCluster answers namespace reads once release is closed.
type blockingCluster struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingCluster) NamespaceLabels(ctx context.Context, _ string) (map[string]string, bool, error) {
	b.once.Do(func() { close(b.entered) })
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil, true, nil
}

func (b *blockingCluster) Pod(context.Context, string, string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x")
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type testServer struct {
	*Server
	dir    string
	client *http.Client
	base   string
	log    *logBuffer
	cancel context.CancelFunc
	done   chan error
}

var parseConfig = config.ParseFile

// start runs a server on loopback with fresh certificates.
func start(t *testing.T, opts Options) *testServer {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateCerts(dir, CertOptions{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour}); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	opts.Addr = "127.0.0.1:0"
	opts.CertFile, opts.KeyFile = filepath.Join(dir, CertFiles.Cert), filepath.Join(dir, CertFiles.Key)
	opts.ParseConfig = parseConfig
	opts.Log = slog.New(slog.NewJSONHandler(logs, nil))
	if opts.ReloadInterval == 0 {
		opts.ReloadInterval = time.Hour // tests call Reload themselves
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: s, dir: dir, log: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-ts.done:
		t.Fatal(err)
	}
	ts.base = "https://" + s.Addr()
	ts.client = clientFor(t, dir)
	t.Cleanup(func() {
		cancel()
		<-ts.done
	})
	return ts
}

func clientFor(t *testing.T, dir string) *http.Client {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(dir, CertFiles.CA))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func (ts *testServer) post(t *testing.T, path, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := ts.client.Post(ts.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func (ts *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := ts.client.Get(ts.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestValidate: a privileged pod is denied over HTTPS; the decision is counted and
// logged as one JSON line with the request's UID, user, object, decision and rules.
func TestValidate(t *testing.T) {
	ts := start(t, Options{})
	resp, body := ts.post(t, "/validate", privilegedReview)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var rev admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &rev); err != nil {
		t.Fatal(err)
	}
	if rev.Kind != "AdmissionReview" || rev.Response == nil || rev.Response.UID != "u-1" || rev.Response.Allowed ||
		!strings.Contains(rev.Response.Result.Message, "PAL-001") {
		t.Fatalf("response %s", body)
	}
	if code, m := ts.get(t, "/metrics"); code != 200 ||
		!strings.Contains(m, `palisade_webhook_reviews_total{decision="denied",dry_run="false",endpoint="validate",kind="Pod",operation="CREATE"} 1`) ||
		!strings.Contains(m, `palisade_webhook_rule_hits_total{action="deny",rule="PAL-001"} 1`) ||
		!strings.Contains(m, `palisade_webhook_review_duration_seconds_count{endpoint="validate"} 1`) {
		t.Errorf("metrics:\n%s", grep(m, "palisade_"))
	}
	var line map[string]any
	for _, l := range strings.Split(ts.log.String(), "\n") {
		if strings.Contains(l, `"msg":"review"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["uid"] != "u-1" || line["user"] != "alice" || line["object"] != "Pod/team/web" || line["decision"] != "denied" ||
		line["enforced"] != true || !strings.Contains(toJSON(line["rules"]), "PAL-001:deny") {
		t.Errorf("decision log line %v", line)
	}
	for _, bad := range []string{"{", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`} {
		if resp, _ := ts.post(t, "/validate", bad); resp.StatusCode != 400 {
			t.Errorf("bad review %q: status %d", bad, resp.StatusCode)
		}
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `palisade_webhook_errors_total{endpoint="validate",reason="decode"} 2`) {
		t.Errorf("decode errors not counted:\n%s", grep(m, "errors_total"))
	}
}

// TestDryRunMetrics: a dry run is counted as such.
func TestDryRunMetrics(t *testing.T) {
	ts := start(t, Options{})
	ts.post(t, "/validate", strings.Replace(privilegedReview, `"operation":"CREATE"`, `"operation":"CREATE","dryRun":true`, 1))
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `decision="denied",dry_run="true"`) {
		t.Errorf("dry run not counted:\n%s", grep(m, "reviews_total"))
	}
	if !strings.Contains(ts.log.String(), `"dryRun":true,"enforced":false`) {
		t.Errorf("dry run not logged as unenforced: %s", ts.log.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	synced := false
	var mu sync.Mutex
	ts := start(t, Options{Synced: func() bool { mu.Lock(); defer mu.Unlock(); return synced }})
	if code, _ := ts.get(t, "/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := ts.get(t, "/readyz"); code != 503 || !strings.Contains(body, "caches") {
		t.Errorf("readyz before sync: %d %s", code, body)
	}
	mu.Lock()
	synced = true
	mu.Unlock()
	if code, _ := ts.get(t, "/readyz"); code != 200 {
		t.Errorf("readyz after sync: %d", code)
	}
}

// TestConfigReload: a changed valid configuration is applied; an invalid one is
// rejected, logged and counted, and the one in force stays.
func TestConfigReload(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("webhook: {actions: {rules: {PAL-001: warn}}}\n")
	ts := start(t, Options{ConfigPath: cfgPath})
	allowed := func() bool {
		_, body := ts.post(t, "/validate", privilegedReview)
		var rev admissionv1.AdmissionReview
		json.Unmarshal(body, &rev)
		return rev.Response != nil && rev.Response.Allowed
	}
	// PAL-002 (high) denies as well; warn it too.
	write("webhook: {actions: {rules: {PAL-001: warn, PAL-002: warn}}}\n")
	ts.Reload()
	if !allowed() {
		t.Fatal("PAL-001 and PAL-002 at warn: privileged pod denied")
	}
	before := ts.Evaluator()
	write("webhook: {actions: {rules: {PAL-001: block}}}\n")
	ts.Reload()
	if ts.Evaluator() != before || !allowed() {
		t.Error("a bad configuration replaced the one in force")
	}
	if !strings.Contains(ts.log.String(), `configuration rejected`) || !strings.Contains(ts.log.String(), `line 1: webhook.actions.rules.PAL-001: unknown action`) {
		t.Errorf("rejection not logged with its line: %s", ts.log.String())
	}
	write("rules: {}\n")
	ts.Reload()
	if allowed() {
		t.Error("the default configuration, reloaded, admits a privileged pod")
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `palisade_webhook_reloads_total{result="rejected",what="config"} 1`) ||
		!strings.Contains(m, `palisade_webhook_reloads_total{result="applied",what="config"} 2`) {
		t.Errorf("reloads:\n%s", grep(m, "reloads"))
	}
}

// TestCertificateRotation: new files are served after a reload, without a restart;
// a broken pair is rejected and the old certificate kept.
func TestCertificateRotation(t *testing.T) {
	ts := start(t, Options{})
	serial := func() string {
		conn, err := tls.Dial("tcp", ts.Addr(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	if err := GenerateCerts(ts.dir, CertOptions{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour, Force: true}); err != nil {
		t.Fatal(err)
	}
	ts.Reload()
	second := serial()
	if second == first {
		t.Fatal("certificate not reloaded")
	}
	os.WriteFile(filepath.Join(ts.dir, CertFiles.Key), []byte("garbage"), 0o600)
	ts.Reload()
	if serial() != second {
		t.Error("a broken key pair replaced the certificate")
	}
	// The regenerated CA signs the served certificate.
	if code, _ := (&testServer{Server: ts.Server, client: clientFor(t, ts.dir), base: ts.base}).get(t, "/healthz"); code != 200 {
		t.Errorf("healthz with the new CA: %d", code)
	}
}

// TestGracefulShutdown: a review in flight when shutdown begins is answered, and
// readiness fails from the start of the shutdown.
func TestGracefulShutdown(t *testing.T) {
	bc := &blockingCluster{entered: make(chan struct{}), release: make(chan struct{})}
	ts := start(t, Options{Cluster: bc, ShutdownDelay: 0})
	type result struct {
		code int
		body []byte
	}
	res := make(chan result, 1)
	go func() {
		resp, err := ts.client.Post(ts.base+"/validate", "application/json", strings.NewReader(privilegedReview))
		if err != nil {
			res <- result{-1, []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, b}
	}()
	<-bc.entered
	ts.cancel()
	// Shutdown waits for the review; the server refuses new connections meanwhile.
	for !ts.stopping.Load() {
		time.Sleep(time.Millisecond)
	}
	if ts.notReady() == "" {
		t.Error("ready while shutting down")
	}
	close(bc.release)
	r := <-res
	if r.code != 200 || !strings.Contains(string(r.body), `"allowed":false`) {
		t.Errorf("in-flight review: %d %s", r.code, r.body)
	}
	if err := <-ts.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	ts.done <- nil // for the cleanup
}

// TestDeadline: a review that outlives the internal deadline is answered with an
// error (so the API server applies failurePolicy) and counted.
func TestDeadline(t *testing.T) {
	bc := &blockingCluster{entered: make(chan struct{}), release: make(chan struct{})}
	defer close(bc.release)
	ts := start(t, Options{Cluster: bc, Deadline: 50 * time.Millisecond})
	resp, body := ts.post(t, "/validate", privilegedReview)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "not decided within") {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `palisade_webhook_errors_total{endpoint="validate",reason="deadline"} 1`) {
		t.Errorf("deadline not counted:\n%s", grep(m, "errors"))
	}
}

func TestImagePolicy(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgPath, []byte("rules: {PAL-105: {params: {allowedRegistries: [registry.example.com]}}}\nwebhook: {actions: {rules: {PAL-105: deny}}}\n"), 0o644)
	ts := start(t, Options{ConfigPath: cfgPath})
	for img, want := range map[string]bool{"registry.example.com/a:1": true, "evil.io/miner:1": false} {
		_, body := ts.post(t, "/imagepolicy", `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"`+img+`"}],"namespace":"team"}}`)
		var rev imagepolicyv1alpha1.ImageReview
		if err := json.Unmarshal(body, &rev); err != nil {
			t.Fatal(err)
		}
		if rev.Status.Allowed != want || rev.Kind != "ImageReview" || (!want && !strings.Contains(rev.Status.Reason, "PAL-105")) {
			t.Errorf("%s: %s", img, body)
		}
	}
}

// TestHTTPSOnly: Run refuses to serve without a certificate.
func TestHTTPSOnly(t *testing.T) {
	s, err := New(Options{Addr: "127.0.0.1:0", ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTPS only") {
		t.Errorf("Run without a certificate: %v", err)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
