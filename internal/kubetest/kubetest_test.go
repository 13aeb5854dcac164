package kubetest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { Main(m) }

// TestVersionMatchesModule keeps Version, under which hack/k8s-bins.sh caches the
// binaries, equal to the release test/k8sbins builds, and that module's staging
// replacements on the matching v0.X.Y.
func TestVersionMatchesModule(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "test", "k8sbins", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	staging := "v0" + strings.TrimPrefix(Version, "v1")
	var kube string
	replaces := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "k8s.io/kubernetes":
			kube = fields[1]
		case len(fields) == 4 && fields[1] == "=>" && strings.HasPrefix(fields[0], "k8s.io/"):
			replaces++
			if fields[0] != fields[2] || fields[3] != staging {
				t.Errorf("test/k8sbins/go.mod: %q, want %s => %s %s", sc.Text(), fields[0], fields[0], staging)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if kube != Version {
		t.Errorf("test/k8sbins/go.mod requires k8s.io/kubernetes %q; kubetest.Version is %q", kube, Version)
	}
	if replaces == 0 {
		t.Error("test/k8sbins/go.mod replaces no k8s.io staging module")
	}
}

func TestFindBinaries(t *testing.T) {
	full := t.TempDir()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(full, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	half := t.TempDir()
	if err := os.WriteFile(filepath.Join(half, "etcd"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if err := os.Symlink(full, filepath.Join(cache, Version)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name                 string
		bins, assets, cache  string
		want                 string
		noBinaries, anyError bool
	}{
		{name: "bins env", bins: full, assets: half, want: full},
		{name: "assets env", assets: full, want: full},
		{name: "bins env lacks one", bins: half, cache: cache, anyError: true},
		{name: "cache", cache: cache, want: filepath.Join(cache, Version)},
		{name: "nothing", cache: t.TempDir(), noBinaries: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(BinsEnv, tc.bins)
			t.Setenv(AssetsEnv, tc.assets)
			t.Setenv(CacheEnv, tc.cache)
			b, err := FindBinaries()
			switch {
			case tc.noBinaries:
				if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "hack/k8s-bins.sh") {
					t.Fatalf("err = %v, want ErrNoBinaries naming hack/k8s-bins.sh", err)
				}
			case tc.anyError:
				if err == nil || errors.Is(err, ErrNoBinaries) {
					t.Fatalf("err = %v, want an error other than ErrNoBinaries", err)
				}
			case err != nil:
				t.Fatal(err)
			case b.APIServer != filepath.Join(tc.want, "kube-apiserver") || b.Etcd != filepath.Join(tc.want, "etcd"):
				t.Fatalf("got %+v, want both in %s", b, tc.want)
			}
		})
	}
}

func TestDNSLabel(t *testing.T) {
	for in, want := range map[string]string{
		"TestPodSecurity/restricted_namespace": "testpodsecurity-restricted-namespace",
		"__":                                   "test",
		"Test--A":                              "test-a",
	} {
		if got := dnsLabel(in, 50); got != want {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dnsLabel(strings.Repeat("a-", 40), 50); len(got) > 50 || strings.HasSuffix(got, "-") {
		t.Errorf("long label %q", got)
	}
}

// The integration tests below all run on the one shared server.

func TestPodSecurityRestricted(t *testing.T) {
	c := Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	pods := c.Client().CoreV1().Pods(ns)

	_, err := pods.Create(ctx, privilegedPod(), dryRun)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Fatalf("privileged pod in a restricted namespace: err = %v, want a PodSecurity rejection", err)
	}
	for _, want := range []string{"privileged", "allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("rejection does not mention %s: %v", want, err)
		}
	}

	if _, err := pods.Create(ctx, restrictedPod(), dryRun); err != nil {
		t.Fatalf("restricted-compliant pod: %v", err)
	}
	// Dry run: nothing was stored.
	if list, err := pods.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 0 {
		t.Fatalf("after dry runs: %d pods, err %v", len(list.Items), err)
	}
}

// TestPrivilegedAllowed: with no Pod Security label the cluster default (privileged)
// applies, and --allow-privileged=true lets a privileged container in.
func TestPrivilegedAllowed(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t, nil)
	if _, err := c.Client().CoreV1().Pods(ns).Create(context.Background(), privilegedPod(), metav1.CreateOptions{}); err != nil {
		t.Fatalf("privileged pod in an unlabelled namespace: %v", err)
	}
}

func TestRBAC(t *testing.T) {
	c := Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	admin := c.Client()

	alice := clientFor(t, c, "alice", "developers")
	if who := whoAmI(t, alice); who.Username != "alice" || !contains(who.Groups, "developers") || !contains(who.Groups, "system:authenticated") {
		t.Fatalf("client certificate identity = %+v", who)
	}
	if _, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("alice without bindings listing secrets: err = %v, want Forbidden", err)
	}
	if allowed(t, admin, "alice", []string{"developers"}, ns) {
		t.Fatal("SubjectAccessReview allows alice before any binding")
	}

	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "developers-read-secrets"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "developers"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The RBAC authorizer reads bindings from an informer: allow it a moment.
	deadline := time.Now().Add(30 * time.Second)
	for !allowed(t, admin, "alice", []string{"developers"}, ns) {
		if time.Now().After(deadline) {
			t.Fatal("SubjectAccessReview still denies alice after the RoleBinding")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("alice listing secrets after the RoleBinding: %v", err)
	}
	if allowed(t, admin, "bob", nil, ns) {
		t.Fatal("the binding to the group developers allows bob, who is not in it")
	}
}

func TestServiceAccountToken(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t, nil)
	cfg, err := c.ServiceAccountConfig(context.Background(), ns, "default")
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	who := whoAmI(t, client)
	if want := "system:serviceaccount:" + ns + ":default"; who.Username != want || !contains(who.Groups, "system:serviceaccounts:"+ns) {
		t.Fatalf("token identity = %+v, want %s", who, want)
	}
	if _, err := client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("default service account listing secrets: err = %v, want Forbidden", err)
	}
}

// TestKubeconfig: a kubeconfig file written for an identity, read back the way a
// command reads --kubeconfig, authenticates as that identity.
func TestKubeconfig(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t, nil)
	user, err := c.UserConfig("carol", "auditors")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := c.ServiceAccountConfig(context.Background(), ns, "default")
	if err != nil {
		t.Fatal(err)
	}
	for want, cfg := range map[string]*rest.Config{
		AdminUser: c.Config(),
		"carol":   user,
		"system:serviceaccount:" + ns + ":default": sa,
	} {
		data, err := Kubeconfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "kubeconfig")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		loaded, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			t.Fatal(err)
		}
		if who := whoAmI(t, newClient(t, loaded)); who.Username != want {
			t.Errorf("kubeconfig for %s authenticates as %q", want, who.Username)
		}
	}
}

// TestSharedServerStartsOnce: every test of the package, in parallel or not, gets
// the one server.
func TestSharedServerStartsOnce(t *testing.T) {
	first := Shared(t)
	var mu sync.Mutex
	got := map[*Cluster]bool{}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			t.Run("parallel", func(t *testing.T) {
				t.Parallel()
				c := Shared(t)
				c.Namespace(t, nil)
				mu.Lock()
				got[c] = true
				mu.Unlock()
			})
		}
	})
	if len(got) != 1 || !got[first] {
		t.Fatalf("parallel tests got %d servers, want the first one", len(got))
	}
	if shared.starts != 1 {
		t.Fatalf("the server was started %d times", shared.starts)
	}
	if first.apiserver.ProcessState != nil {
		t.Fatal("the shared kube-apiserver has exited")
	}
}

func clientFor(t *testing.T, c *Cluster, user string, groups ...string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := c.UserConfig(user, groups...)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, cfg)
}

func newClient(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func whoAmI(t *testing.T, client kubernetes.Interface) authenticationv1.UserInfo {
	t.Helper()
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.UserInfo
}

// allowed asks the API server whether user in groups may list secrets in ns.
func allowed(t *testing.T, admin kubernetes.Interface, user string, groups []string, ns string) bool {
	t.Helper()
	r, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               user,
			Groups:             groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "secrets"},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func privilegedPod() *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "privileged"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:            "app",
			Image:           "registry.example/app:1",
			SecurityContext: &corev1.SecurityContext{Privileged: &yes},
		}}},
	}
}

func restrictedPod() *corev1.Pod {
	yes, no := true, false
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "restricted"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   &yes,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.example/app:1",
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: &no,
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// TestOwnWithArgs starts a server of its own with extra kube-apiserver flags: an ABAC
// policy file appended to the authorization modes, which then allows what RBAC does
// not, while the shared server stays untouched.
func TestOwnWithArgs(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "abac.jsonl")
	line := `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"abac-user","namespace":"*","resource":"secrets","apiGroup":""}}`
	if err := os.WriteFile(policy, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Own(t, Options{APIServerArgs: []string{"--authorization-mode=ABAC", "--authorization-policy-file=" + policy}})
	if c == shared.c {
		t.Fatal("Own returned the shared server")
	}
	review := func(c *Cluster) bool {
		t.Helper()
		r, err := c.Client().AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "abac-user", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: "default", Verb: "delete", Resource: "secrets", Name: "x"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	if !review(c) {
		t.Error("the server with the ABAC policy does not allow what the policy allows")
	}
	if review(Shared(t)) {
		t.Error("the shared server allows what only the ABAC policy allows")
	}
}

func TestFindKubelet(t *testing.T) {
	withKubelet := t.TempDir()
	if err := os.WriteFile(filepath.Join(withKubelet, "kubelet"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExecutable := t.TempDir()
	if err := os.WriteFile(filepath.Join(notExecutable, "kubelet"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if err := os.Symlink(withKubelet, filepath.Join(cache, Version)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                string
		bins, assets, cache string
		want                string
		noKubelet, anyError bool
	}{
		{name: "bins env", bins: withKubelet, cache: t.TempDir(), want: withKubelet},
		{name: "bins env of an older build", bins: t.TempDir(), cache: cache, noKubelet: true},
		{name: "not executable", bins: notExecutable, anyError: true},
		{name: "cache", cache: cache, want: filepath.Join(cache, Version)},
		{name: "assets env is not consulted", assets: withKubelet, cache: t.TempDir(), noKubelet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(BinsEnv, tc.bins)
			t.Setenv(AssetsEnv, tc.assets)
			t.Setenv(CacheEnv, tc.cache)
			p, err := FindKubelet()
			switch {
			case tc.noKubelet:
				if !errors.Is(err, ErrNoKubelet) || !strings.Contains(err.Error(), "hack/k8s-bins.sh") {
					t.Fatalf("err = %v, want ErrNoKubelet naming hack/k8s-bins.sh", err)
				}
			case tc.anyError:
				if err == nil || errors.Is(err, ErrNoKubelet) {
					t.Fatalf("err = %v, want an error other than ErrNoKubelet", err)
				}
			case err != nil:
				t.Fatal(err)
			case p != filepath.Join(tc.want, "kubelet"):
				t.Fatalf("got %s, want %s", p, filepath.Join(tc.want, "kubelet"))
			}
		})
	}
}
