package kubetest

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// AdminUser is the identity of Cluster.Config: a member of system:masters, which the
// API server lets do anything without consulting RBAC.
const AdminUser = "palisade-kubetest-admin"

// StartTimeout bounds Start: etcd and kube-apiserver up and /readyz answering ok.
// A few seconds on an idle machine; generous for a busy 2-core one.
const StartTimeout = 2 * time.Minute

// Cluster is a running etcd and kube-apiserver on loopback ports, with everything
// else (certificates, keys, data, logs) in one temporary directory. There is no
// controller manager, scheduler or kubelet: objects are stored and admitted, never
// acted on. That is why Namespace creates each namespace's `default` service
// account itself, which the ServiceAccount admission plugin needs before it admits
// a pod.
//
// The API server runs with Node and RBAC authorization, the PodSecurity,
// ValidatingAdmissionWebhook and NodeRestriction admission plugins (with the
// defaults), --allow-privileged=true, and a service-account signing key.
type Cluster struct {
	dir       string
	host      string
	ca        *authority
	admin     *rest.Config
	client    *kubernetes.Clientset
	etcd      *exec.Cmd
	apiserver *exec.Cmd
	exited    map[*exec.Cmd]chan struct{}

	mu     sync.Mutex
	nsSeq  int
	stopMu sync.Mutex
	stop   bool
}

// Start runs etcd and kube-apiserver from bins and waits until the API server is
// ready. On failure it stops whatever it started and the error carries the tail of
// the failing program's log. Callers must Stop the Cluster; tests normally use
// Shared instead.
func Start(ctx context.Context, bins Binaries) (*Cluster, error) {
	return StartWith(ctx, bins, Options{})
}

// Options change how StartWith runs the API server.
type Options struct {
	// APIServerArgs are appended to kube-apiserver's command line, after the
	// harness's own flags. A list flag given again extends the list: with
	// "--authorization-mode=ABAC" the modes are Node,RBAC,ABAC.
	APIServerArgs []string
}

// StartWith is Start with options: a test that needs a server configured otherwise
// (an ABAC policy file, say) starts its own and Stops it; Shared stays the plain one.
func StartWith(ctx context.Context, bins Binaries, opts Options) (*Cluster, error) {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	var err error
	// A port picked free can be taken before the program binds it; a second try
	// with fresh ports covers that.
	for attempt := 0; attempt < 3; attempt++ {
		var c *Cluster
		c, err = start(ctx, bins, opts)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, err
}

func start(ctx context.Context, bins Binaries, opts Options) (_ *Cluster, err error) {
	dir, err := os.MkdirTemp("", "palisade-kubetest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, exited: map[*exec.Cmd]chan struct{}{}}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.host = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	if err := c.writeCredentials(); err != nil {
		return nil, fmt.Errorf("kubetest: credentials: %w", err)
	}

	c.etcd, err = c.run(bins.Etcd, "etcd",
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--unsafe-no-fsync=true", // the data dies with the test
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, c.etcd, "etcd", func(ctx context.Context) error {
		return getOK(ctx, http.DefaultClient, etcdURL+"/health")
	}); err != nil {
		return nil, err
	}

	p := func(name string) string { return filepath.Join(dir, name) }
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--cert-dir=" + p("certs"),
		"--tls-cert-file=" + p("serving.crt"),
		"--tls-private-key-file=" + p("serving.key"),
		"--client-ca-file=" + p("ca.crt"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=PodSecurity,ValidatingAdmissionWebhook,NodeRestriction",
		"--allow-privileged=true",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p("sa.pub"),
		"--service-account-signing-key-file=" + p("sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24",
		// The endpoint reconciler refuses a loopback address, and nothing here needs
		// the kubernetes service's endpoints.
		"--endpoint-reconciler-type=none",
	}
	c.apiserver, err = c.run(bins.APIServer, "kube-apiserver", append(args, opts.APIServerArgs...)...)
	if err != nil {
		return nil, err
	}

	if err := c.waitFor(ctx, c.apiserver, "kube-apiserver", c.ready); err != nil {
		return nil, err
	}
	// The namespace the API server creates for itself gets its service account here
	// too, like any other.
	if err := c.EnsureDefaultServiceAccount(ctx, metav1.NamespaceDefault); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	return c, nil
}

// writeCredentials makes the CA, the serving certificate, the admin client
// certificate and the service-account key pair.
func (c *Cluster) writeCredentials() error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	c.ca = ca
	servingCert, servingKey, err := ca.issue("kube-apiserver", nil, x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1)})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"ca.crt": ca.certPEM, "serving.crt": servingCert, "serving.key": servingKey} {
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	if err := serviceAccountKeys(filepath.Join(c.dir, "sa.key"), filepath.Join(c.dir, "sa.pub")); err != nil {
		return err
	}
	c.admin, err = c.UserConfig(AdminUser, "system:masters")
	if err != nil {
		return err
	}
	c.client, err = kubernetes.NewForConfig(c.admin)
	return err
}

// run starts one program with its output in <dir>/<name>.log.
func (c *Cluster) run(bin, name string, args ...string) (*exec.Cmd, error) {
	log, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = c.dir
	isolate(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("kubetest: starting %s: %w", name, err)
	}
	done := make(chan struct{})
	c.exited[cmd] = done
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(done)
	}()
	return cmd, nil
}

// waitFor polls check until it succeeds, the program exits or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, cmd *exec.Cmd, name string, check func(context.Context) error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(attempt)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-c.exited[cmd]:
			return fmt.Errorf("kubetest: %s exited during start-up (%v); its log ends:\n%s",
				name, cmd.ProcessState, c.logTail(name))
		case <-ctx.Done():
			return fmt.Errorf("kubetest: %s not ready after %v: %v; its log ends:\n%s",
				name, StartTimeout, last, c.logTail(name))
		case <-tick.C:
		}
	}
}

// ready asks /readyz, which turns ok once storage, RBAC's bootstrap roles and the
// other post-start hooks are done.
func (c *Cluster) ready(ctx context.Context) error {
	body, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(body))
	}
	return nil
}

func (c *Cluster) logTail(name string) string {
	data, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// Stop ends kube-apiserver, then etcd (each whole process group: SIGTERM, then
// SIGKILL after a few seconds), and removes the temporary directory. It is safe to
// call more than once.
func (c *Cluster) Stop() error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stop {
		return nil
	}
	c.stop = true
	var errs []error
	for _, cmd := range []*exec.Cmd{c.apiserver, c.etcd} {
		if cmd == nil {
			continue
		}
		done := c.exited[cmd]
		_ = signalGroup(cmd, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = signalGroup(cmd, syscall.SIGKILL)
			<-done
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Host is the API server's URL.
func (c *Cluster) Host() string { return c.host }

// Config is a fresh copy of the admin's configuration (system:masters).
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.admin) }

// Client is a clientset for the admin.
func (c *Cluster) Client() *kubernetes.Clientset { return c.client }

// UserConfig is a configuration that authenticates as user in groups, with a client
// certificate signed by the cluster's CA. The API server adds system:authenticated;
// what the user may do is whatever RBAC grants those names.
func (c *Cluster) UserConfig(user string, groups ...string) (*rest.Config, error) {
	certPEM, keyPEM, err := c.ca.issue(user, groups, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("kubetest: client certificate for %s: %w", user, err)
	}
	return &rest.Config{
		Host: c.host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   c.ca.certPEM,
			CertData: certPEM,
			KeyData:  keyPEM,
		},
		QPS:     100,
		Burst:   200,
		Timeout: 30 * time.Second,
	}, nil
}

// ServiceAccountConfig is a configuration that authenticates as the service account
// namespace/name with a bound token from the TokenRequest API, valid for an hour.
// The service account must exist.
func (c *Cluster) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	expiry := int64(3600)
	tr, err := c.client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}},
		metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: token for service account %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{
		Host:            c.host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.certPEM},
		BearerToken:     tr.Status.Token,
		QPS:             100,
		Burst:           200,
		Timeout:         30 * time.Second,
	}, nil
}

// EnsureDefaultServiceAccount creates the `default` service account in namespace
// unless it exists: the job the controller manager does in a real cluster.
func (c *Cluster) EnsureDefaultServiceAccount(ctx context.Context, namespace string) error {
	_, err := c.client.CoreV1().ServiceAccounts(namespace).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service account %s/default: %w", namespace, err)
	}
	return nil
}

// CreateNamespace creates a namespace with the given labels and its `default`
// service account.
func (c *Cluster) CreateNamespace(ctx context.Context, name string, labels map[string]string) (*corev1.Namespace, error) {
	ns, err := c.client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: creating namespace %s: %w", name, err)
	}
	if err := c.EnsureDefaultServiceAccount(ctx, name); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	return ns, nil
}

// Namespace creates a namespace with a name unique in this cluster, derived from the
// test's name, with the given labels and its `default` service account, and returns
// its name. Tests sharing one API server each work in their own namespaces. Without
// a controller manager a deleted namespace never finishes terminating, so nothing is
// deleted: the whole server goes at the end of the package's tests.
func (c *Cluster) Namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	c.mu.Lock()
	c.nsSeq++
	name := fmt.Sprintf("%s-%d", dnsLabel(t.Name(), 50), c.nsSeq)
	c.mu.Unlock()
	if _, err := c.CreateNamespace(context.Background(), name, labels); err != nil {
		t.Fatal(err)
	}
	return name
}

// dnsLabel turns s into a DNS label of at most max characters: lower case letters,
// digits and inner dashes.
func dnsLabel(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= max {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "test"
	}
	return out
}

// freePorts finds n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
