package audittest

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// The identities of the scenario.
const (
	// Admin is the harness's administrator: a client certificate in system:masters.
	Admin = kubetest.AdminUser
	// Attacker is a contractor's account that an administrator made cluster-admin.
	Attacker = "mallory"
	// Scanner is an authenticated user with no grants, probing.
	Scanner = "scanner"
	// Impersonated is the user the attacker impersonates (in system:masters).
	Impersonated = "bob"
	// Namespace is where the application lives.
	Namespace = "shop"
	// AppSA is the application's service account (namespace/name).
	AppSA = Namespace + "/app"
	// AppUser is that service account's user name.
	AppUser = "system:serviceaccount:" + Namespace + ":app"
	// Anonymous is the user name of an unauthenticated request.
	Anonymous = "system:anonymous"
)

// Env is what steps act with: one clientset per identity.
type Env struct {
	Server *Server
	// Admin is system:masters; Attacker is mallory (cluster-admin once the grant step
	// ran); Scanner has no grants; Anonymous sends no credentials.
	Admin, Attacker, Scanner, Anonymous *kubernetes.Clientset
	// AttackerConfig is mallory's configuration (for impersonation).
	AttackerConfig *rest.Config
	app            *kubernetes.Clientset
}

func newEnv(ctx context.Context, s *Server) (*Env, error) {
	e := &Env{Server: s, Admin: s.Client()}
	var err error
	if e.AttackerConfig, err = s.UserConfig(Attacker, "contractors"); err != nil {
		return nil, err
	}
	if e.Attacker, err = kubernetes.NewForConfig(e.AttackerConfig); err != nil {
		return nil, err
	}
	cfg, err := s.UserConfig(Scanner)
	if err != nil {
		return nil, err
	}
	if e.Scanner, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	anon := rest.AnonymousClientConfig(s.Config())
	if e.Anonymous, err = kubernetes.NewForConfig(anon); err != nil {
		return nil, err
	}
	return e, nil
}

// App is the application's service account's clientset (a bound token the admin
// requested); the service account must exist.
func (e *Env) App(ctx context.Context) (*kubernetes.Clientset, error) {
	if e.app != nil {
		return e.app, nil
	}
	cfg, err := e.Server.ServiceAccountConfig(ctx, Namespace, "app")
	if err != nil {
		return nil, err
	}
	e.app, err = kubernetes.NewForConfig(cfg)
	return e.app, err
}

// Impersonating is the attacker's clientset impersonating user in groups.
func (e *Env) Impersonating(user string, groups ...string) (*kubernetes.Clientset, error) {
	cfg := rest.CopyConfig(e.AttackerConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return kubernetes.NewForConfig(cfg)
}

var (
	getOpts    = metav1.GetOptions{}
	createOpts = metav1.CreateOptions{}
	updateOpts = metav1.UpdateOptions{}
	deleteOpts = metav1.DeleteOptions{}
	listOpts   = metav1.ListOptions{}
)

// reached is nil when a request got past authentication and authorization (what
// an audit event records as allowed), whatever happened next: an exec into a pod
// no kubelet runs fails after the API server authorized and logged it.
func reached(what string, err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return fmt.Errorf("%s: refused: %w", what, err)
	}
	return nil
}

// refused is nil when the request was forbidden.
func refused(what string, err error) error {
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s: want forbidden, got %v", what, err)
	}
	return nil
}
