package audittest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Scenario is the attack and misuse story the proof runs, in order: an
// administrator sets up an application and makes a contractor cluster-admin; the
// contractor execs, attaches, port-forwards, debugs with an ephemeral container,
// runs privileged and host pods, plants a service account and a pod in
// kube-system, creates wildcard roles and cluster-admin bindings, impersonates,
// mints tokens and a system:masters client certificate, plants and removes an
// admission webhook, deletes events, exposes services and persists with a CronJob;
// the application's service account reads secrets and then grants itself more; a
// user with no grants enumerates; an anonymous request is allowed.
func Scenario() []Step {
	return []Step{
		{
			Name: "admin sets up the application (system:masters certificate)",
			Want: []Want{
				{Rule: "PAL-925", Actor: Admin},
				{Rule: "PAL-922", Object: "Role shop/secret-binder", Actor: Admin},
			},
			Do: setup,
		},
		{
			Name: "admin grants the contractor cluster-admin",
			Want: []Want{{Rule: "PAL-920", Object: "ClusterRoleBinding contractor-admin", Actor: Admin}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "contractor-admin"},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: Attacker}},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker execs into the application's pod",
			Want: []Want{{Rule: "PAL-901", Object: "Pod shop/web", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				return connect(ctx, e.Attacker, "web", "exec", "command", "id", "container", "app", "stdout", "true")
			},
		},
		{
			Name: "attacker attaches to the application's pod",
			Want: []Want{{Rule: "PAL-902", Object: "Pod shop/web", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				return connect(ctx, e.Attacker, "web", "attach", "container", "app", "stdin", "true", "stdout", "true")
			},
		},
		{
			Name: "attacker port-forwards to the application's pod",
			Want: []Want{{Rule: "PAL-903", Object: "Pod shop/web", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				return connect(ctx, e.Attacker, "web", "portforward", "ports", "8080")
			},
		},
		{
			Name: "attacker adds an ephemeral container",
			Want: []Want{{Rule: "PAL-904", Object: "Pod shop/web", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				pod, err := e.Attacker.CoreV1().Pods(Namespace).Get(ctx, "web", getOpts)
				if err != nil {
					return err
				}
				pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
					TargetContainerName: "app",
					EphemeralContainerCommon: corev1.EphemeralContainerCommon{
						Name: "debugger", Image: "busybox:1.36", Stdin: true, TTY: true,
						ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					},
				})
				_, err = e.Attacker.CoreV1().Pods(Namespace).UpdateEphemeralContainers(ctx, "web", pod, updateOpts)
				return err
			},
		},
		{
			Name: "attacker runs a privileged pod and execs into it",
			Want: []Want{
				{Rule: "PAL-905", Object: "Pod shop/priv", Actor: Attacker},
				// The exec is into a pod the log created privileged: high.
				{Rule: "PAL-901", Object: "Pod shop/priv", Actor: Attacker, Severity: "high", MinChain: 2},
			},
			Do: func(ctx context.Context, e *Env) error {
				yes := true
				p := pod("priv")
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &yes}
				if _, err := e.Attacker.CoreV1().Pods(Namespace).Create(ctx, p, createOpts); err != nil {
					return err
				}
				return connect(ctx, e.Attacker, "priv", "exec", "command", "sh", "container", "app", "stdin", "true", "stdout", "true", "tty", "true")
			},
		},
		{
			Name: "attacker mounts the node's root file system",
			Want: []Want{{Rule: "PAL-906", Object: "Pod shop/hostpath", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				p := pod("hostpath")
				p.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
				p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "root", MountPath: "/host"}}
				_, err := e.Attacker.CoreV1().Pods(Namespace).Create(ctx, p, createOpts)
				return err
			},
		},
		{
			Name: "attacker runs a pod in the node's network and PID namespaces",
			Want: []Want{{Rule: "PAL-907", Object: "Pod shop/hostnet", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				p := pod("hostnet")
				p.Spec.HostNetwork, p.Spec.HostPID = true, true
				_, err := e.Attacker.CoreV1().Pods(Namespace).Create(ctx, p, createOpts)
				return err
			},
		},
		{
			Name: "attacker creates a Deployment with a privileged template",
			Want: []Want{{Rule: "PAL-905", Object: "Deployment shop/miner", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				yes := true
				p := pod("miner")
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &yes}
				one := int32(1)
				labels := map[string]string{"app": "miner"}
				_, err := e.Attacker.AppsV1().Deployments(Namespace).Create(ctx, &appsv1.Deployment{
					ObjectMeta: metav1.ObjectMeta{Name: "miner"},
					Spec: appsv1.DeploymentSpec{
						Replicas: &one,
						Selector: &metav1.LabelSelector{MatchLabels: labels},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: p.Spec},
					},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker plants a service account and a pod in kube-system",
			Want: []Want{
				{Rule: "PAL-909", Object: "ServiceAccount kube-system/helper", Actor: Attacker},
				{Rule: "PAL-908", Object: "Pod kube-system/helper", Actor: Attacker},
			},
			Do: func(ctx context.Context, e *Env) error {
				if _, err := e.Attacker.CoreV1().ServiceAccounts("kube-system").Create(ctx,
					&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "helper"}}, createOpts); err != nil {
					return err
				}
				p := pod("helper")
				p.Spec.ServiceAccountName = "helper"
				_, err := e.Attacker.CoreV1().Pods("kube-system").Create(ctx, p, createOpts)
				return err
			},
		},
		{
			Name: "attacker creates a wildcard ClusterRole",
			Want: []Want{{Rule: "PAL-921", Object: "ClusterRole everything", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Attacker.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
					ObjectMeta: metav1.ObjectMeta{Name: "everything"},
					Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker binds a second account to cluster-admin",
			Want: []Want{{Rule: "PAL-920", Object: "ClusterRoleBinding backdoor", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Attacker.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "backdoor"},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
					Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory-alt"}},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker opens the bootstrap basic-user binding to unauthenticated requests",
			Want: []Want{{Rule: "PAL-923", Object: "ClusterRoleBinding system:basic-user", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				b, err := e.Attacker.RbacV1().ClusterRoleBindings().Get(ctx, "system:basic-user", getOpts)
				if err != nil {
					return err
				}
				b.Subjects = append(b.Subjects, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:unauthenticated"})
				_, err = e.Attacker.RbacV1().ClusterRoleBindings().Update(ctx, b, updateOpts)
				return err
			},
		},
		{
			Name: "attacker impersonates a system:masters user and reads kube-system's secrets",
			Want: []Want{
				{Rule: "PAL-926", Actor: Attacker},
				{Rule: "PAL-925", Actor: Impersonated},
			},
			Do: func(ctx context.Context, e *Env) error {
				c, err := e.Impersonating(Impersonated, "system:masters")
				if err != nil {
					return err
				}
				_, err = c.CoreV1().Secrets("kube-system").List(ctx, listOpts)
				return err
			},
		},
		{
			Name: "attacker requests a token for the application's service account",
			Want: []Want{{Rule: "PAL-927", Object: "ServiceAccount shop/app", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Attacker.CoreV1().ServiceAccounts(Namespace).CreateToken(ctx, "app", tokenRequest(), createOpts)
				return err
			},
		},
		{
			Name: "attacker tries a client certificate for system:masters (refused), then creates and approves one for a node",
			Want: []Want{
				{Rule: "PAL-928", Object: "CertificateSigningRequest rogue-node-client", Actor: Attacker},
				{Rule: "PAL-929", Object: "CertificateSigningRequest rogue-node-client", Actor: Attacker},
			},
			Do: csr,
		},
		{
			Name: "the application's service account reads secrets, then grants itself edit",
			Want: []Want{
				{Rule: "PAL-930", Actor: AppUser},
				{Rule: "PAL-933", Object: "RoleBinding shop/app-edit", Actor: AppUser, MinChain: 2},
			},
			Do: appEscalates,
		},
		{
			Name: "attacker plants an admission webhook, then removes it",
			Want: []Want{{Rule: "PAL-914", Object: "ValidatingWebhookConfiguration audit-hook", Actor: Attacker}},
			Do:   webhook,
		},
		{
			Name: "attacker deletes the namespace's events",
			Want: []Want{{Rule: "PAL-915", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				if err := e.Attacker.CoreV1().Events(Namespace).Delete(ctx, "web.trace", deleteOpts); err != nil {
					return err
				}
				return e.Attacker.CoreV1().Events(Namespace).DeleteCollection(ctx, deleteOpts, listOpts)
			},
		},
		{
			Name: "attacker exposes the application on a NodePort, without TLS on an Ingress",
			Want: []Want{
				{Rule: "PAL-910", Object: "Service shop/exposed", Actor: Attacker},
				{Rule: "PAL-912", Object: "Ingress shop/open", Actor: Attacker},
			},
			Do: expose,
		},
		{
			Name: "attacker persists with a CronJob",
			Want: []Want{{Rule: "PAL-913", Object: "CronJob shop/persist", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				p := pod("persist")
				p.Spec.RestartPolicy = corev1.RestartPolicyNever
				_, err := e.Attacker.BatchV1().CronJobs(Namespace).Create(ctx, &batchv1.CronJob{
					ObjectMeta: metav1.ObjectMeta{Name: "persist"},
					Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{
						Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: p.Spec}},
					}},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker stores credentials in a ConfigMap",
			Want: []Want{{Rule: "PAL-911", Object: "ConfigMap shop/app-config", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Attacker.CoreV1().ConfigMaps(Namespace).Create(ctx, &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: "app-config"},
					// A fake credential (no service accepts it), shaped like a real one.
					Data: map[string]string{"DATABASE_URL": "postgres://app:Xq7pLm2vRt9sKw4z@db.shop.svc:5432/orders"},
				}, createOpts)
				return err
			},
		},
		{
			Name: "attacker modifies and deletes the application's secret",
			Want: []Want{{Rule: "PAL-917", Object: "Secret shop/db-credentials", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				s, err := e.Attacker.CoreV1().Secrets(Namespace).Get(ctx, "db-credentials", getOpts)
				if err != nil {
					return err
				}
				s.Labels = map[string]string{"rotated": "no"}
				if _, err := e.Attacker.CoreV1().Secrets(Namespace).Update(ctx, s, updateOpts); err != nil {
					return err
				}
				return e.Attacker.CoreV1().Secrets(Namespace).Delete(ctx, "db-credentials", deleteOpts)
			},
		},
		{
			Name: "attacker deletes the privileged Deployment",
			Want: []Want{{Rule: "PAL-916", Object: "Deployment shop/miner", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				return e.Attacker.AppsV1().Deployments(Namespace).Delete(ctx, "miner", deleteOpts)
			},
		},
		{
			Name: "attacker registers a Node",
			Want: []Want{{Rule: "PAL-918", Object: "Node rogue-node", Actor: Attacker}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Attacker.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "rogue-node"}}, createOpts)
				return err
			},
		},
		{
			Name: "a user with no grants enumerates (forbidden burst)",
			Want: []Want{{Rule: "PAL-931", Actor: Scanner}},
			Do:   enumerate,
		},
		{
			Name: "the same user discovers its permissions namespace by namespace",
			Want: []Want{{Rule: "PAL-932", Actor: Scanner}},
			Do: func(ctx context.Context, e *Env) error {
				for i := range 20 {
					_, err := e.Scanner.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
						Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: fmt.Sprintf("team-%02d", i)},
					}, createOpts)
					if err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Name: "an anonymous request lists the application's pods",
			Want: []Want{{Rule: "PAL-924", Actor: Anonymous}},
			Do: func(ctx context.Context, e *Env) error {
				_, err := e.Anonymous.CoreV1().Pods(Namespace).List(ctx, listOpts)
				return err
			},
		},
	}
}

// pod is a plain pod of the scenario (never scheduled: there is no scheduler or
// kubelet).
func pod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/shop/" + name + ":1.0",
		}}},
	}
}

// setup is the administrator's part: the namespace, the application (service
// account, secret, pod, an event), the application's role (secrets read, and
// binding edit in its namespace) and an anonymous grant.
func setup(ctx context.Context, e *Env) error {
	if _, err := e.Server.CreateNamespace(ctx, Namespace, nil); err != nil {
		return err
	}
	a := e.Admin.CoreV1()
	if _, err := a.ServiceAccounts(Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, createOpts); err != nil {
		return err
	}
	if _, err := a.Secrets(Namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
		StringData: map[string]string{"password": "fake-password-for-the-audit-test"},
	}, createOpts); err != nil {
		return err
	}
	web := pod("web")
	web.Spec.ServiceAccountName = "app"
	if _, err := a.Pods(Namespace).Create(ctx, web, createOpts); err != nil {
		return err
	}
	if _, err := a.Events(Namespace).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.trace"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: Namespace, Name: "web", APIVersion: "v1"},
		Reason:         "Started", Message: "started container app", Type: corev1.EventTypeNormal,
	}, createOpts); err != nil {
		return err
	}
	r := e.Admin.RbacV1()
	if _, err := r.Roles(Namespace).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "secret-binder"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"rolebindings"}, Verbs: []string{"create"}},
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"edit"}},
		},
	}, createOpts); err != nil {
		return err
	}
	if _, err := r.RoleBindings(Namespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "app-secret-binder"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-binder"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: "app"}},
	}, createOpts); err != nil {
		return err
	}
	if _, err := r.Roles(Namespace).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-lister"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}},
	}, createOpts); err != nil {
		return err
	}
	_, err := r.RoleBindings(Namespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "anonymous-pod-lister"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-lister"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: Anonymous}},
	}, createOpts)
	return err
}

// connect makes a connect request (exec, attach, portforward) on a pod of the
// application's namespace, with query parameters as name, value pairs. No kubelet
// runs the pod: the API server authorizes the request, writes its event and then
// answers that the pod has no node; only a refusal is an error.
func connect(ctx context.Context, c *kubernetes.Clientset, pod, sub string, params ...string) error {
	req := c.CoreV1().RESTClient().Post().Namespace(Namespace).Resource("pods").Name(pod).SubResource(sub)
	for i := 0; i+1 < len(params); i += 2 {
		req = req.Param(params[i], params[i+1])
	}
	return reached(sub+" "+pod, req.Do(ctx).Error())
}

func tokenRequest() *authenticationv1.TokenRequest {
	expiry := int64(600)
	return &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
}

// csr tries a client-certificate request whose subject is in system:masters (the
// API server's CertificateSubjectRestriction admission refuses it for the
// kube-apiserver-client signer: the refusal is in the log), then creates one for a
// node's identity (system:nodes) and approves it. No signer runs, so no
// certificate is ever issued.
func csr(ctx context.Context, e *Env) error {
	c := e.Attacker.CertificatesV1().CertificateSigningRequests()
	masters, err := csrFor("breakglass", "mallory-breakglass", "system:masters")
	if err != nil {
		return err
	}
	if _, err := c.Create(ctx, masters, createOpts); err != nil {
		if err := refused("a system:masters CSR", err); err != nil {
			return err
		}
	} else {
		return errors.New("the API server accepted a kube-apiserver-client CSR for system:masters")
	}
	node, err := csrFor("rogue-node-client", "system:node:rogue-node", "system:nodes")
	if err != nil {
		return err
	}
	req, err := c.Create(ctx, node, createOpts)
	if err != nil {
		return err
	}
	req.Status.Conditions = append(req.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue,
		Reason: "Approved", Message: "approved for maintenance",
	})
	_, err = c.UpdateApproval(ctx, req.Name, req, updateOpts)
	return err
}

// csrFor is a request for a client certificate for user in group, for the
// kube-apiserver-client signer, with a fresh throwaway key.
func csrFor(name, user, group string) (*certificatesv1.CertificateSigningRequest, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: user, Organization: []string{group}},
	}, key)
	if err != nil {
		return nil, err
	}
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certificatesv1.KubeAPIServerClientSignerName,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}, nil
}

// appEscalates: the service account lists and reads its namespace's secrets, then
// binds itself to edit.
func appEscalates(ctx context.Context, e *Env) error {
	app, err := e.App(ctx)
	if err != nil {
		return err
	}
	if _, err := app.CoreV1().Secrets(Namespace).List(ctx, listOpts); err != nil {
		return err
	}
	if _, err := app.CoreV1().Secrets(Namespace).Get(ctx, "db-credentials", getOpts); err != nil {
		return err
	}
	_, err = app.RbacV1().RoleBindings(Namespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "app-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: "app"}},
	}, createOpts)
	return err
}

// webhook registers a validating webhook on a resource nothing uses (so it never
// gets in the scenario's way) and deletes it.
func webhook(ctx context.Context, e *Env) error {
	none := admissionregistrationv1.SideEffectClassNone
	ignore := admissionregistrationv1.Ignore
	url := "https://127.0.0.1:9/validate"
	c := e.Attacker.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := c.Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "audit-hook"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "audit-hook.example.com",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url},
			SideEffects:             &none,
			FailurePolicy:           &ignore,
			AdmissionReviewVersions: []string{"v1"},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}},
			}},
		}},
	}, createOpts); err != nil {
		return err
	}
	return c.Delete(ctx, "audit-hook", deleteOpts)
}

func expose(ctx context.Context, e *Env) error {
	if _, err := e.Attacker.CoreV1().Services(Namespace).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "exposed"},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}, createOpts); err != nil {
		return err
	}
	prefix := networkingv1.PathTypePrefix
	_, err := e.Attacker.NetworkingV1().Ingresses(Namespace).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "open"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "exposed", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}},
		}}},
	}, createOpts)
	return err
}

// enumerate: 40 requests a user with no grants is refused.
func enumerate(ctx context.Context, e *Env) error {
	c := e.Scanner
	for i := range 8 {
		ns := []string{"default", "kube-system", Namespace, "kube-public"}[i%4]
		calls := []struct {
			what string
			call func() error
		}{
			{"secrets", func() error { _, err := c.CoreV1().Secrets(ns).List(ctx, listOpts); return err }},
			{"configmaps", func() error { _, err := c.CoreV1().ConfigMaps(ns).List(ctx, listOpts); return err }},
			{"pods", func() error { _, err := c.CoreV1().Pods(ns).List(ctx, listOpts); return err }},
			{"serviceaccounts", func() error { _, err := c.CoreV1().ServiceAccounts(ns).List(ctx, listOpts); return err }},
			{"rolebindings", func() error { _, err := c.RbacV1().RoleBindings(ns).List(ctx, listOpts); return err }},
		}
		for _, x := range calls {
			if err := refused(x.what+" in "+ns, x.call()); err != nil {
				return err
			}
		}
	}
	return nil
}
