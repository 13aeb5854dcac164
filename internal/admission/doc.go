// Package admission decides admission requests with Palisade's rules: the same rule
// engine and .palisade.yaml configuration as `palisade scan`, applied to one object at
// a time. An Evaluator is built once per configuration (enabled rules, parameters,
// Pod Security evaluator, a prepared engine, actions and exemptions) and then reviews
// requests concurrently; internal/webhook serves it over HTTPS.
//
// What a review evaluates. The inventory of a review holds the request's object and,
// for namespaced objects, its Namespace as the cluster has it (its labels, from the
// server's informer cache), so that the namespace-aware rule PAL-606 sees the
// namespace's Pod Security level. Rules whose verdict depends on other objects of the
// cluster (a NetworkPolicy selecting the pod, a LimitRange or ResourceQuota in the
// namespace, the service account's automount setting, a secret's value elsewhere) do
// not run at admission: one object cannot settle them, and an admission decision
// must not depend on the order in which objects are applied. `palisade cluster`
// reports them. Findings are only ever about the request's object.
//
// What a finding does. Each finding has an action: deny, warn (returned as an
// admission warning, which kubectl prints), audit (in the decision log only) or
// ignore. webhook.actions.rules sets it by rule ID or glob, else
// webhook.actions.severity by the rule's (configured) severity, else the default:
// critical and high deny, medium warns, low and info are audited. The configuration's
// exemptions (the `exemptions:` of scan) hide findings as they do in a scan; the
// palisade.dev/ignore annotation does not, because the requester writes it.
// webhook.exemptions admit requests by namespace, kind, name, user, group, service
// account, object labels and namespace labels, wholly or for some rules; kube-system
// and Palisade's own namespace are exempt unless webhook.exemptSystemNamespaces is
// false.
//
// A Deployment and its pods are not denied twice for one reason. A controller builds
// its objects from a template the webhook reviewed when the template was written: a
// Deployment's ReplicaSets and their pods, a CronJob's Jobs and their pods, a
// StatefulSet's or DaemonSet's pods. When an object's controller owner reference
// names a kind that runs pods (a kind whose template this webhook reviews), and the
// request comes from a controller identity (webhook.controllerUsers: by default
// kube-controller-manager and the kube-system service accounts it runs its
// controllers as), its deny and warn findings become audit. A user who forges an
// owner reference is not a controller identity, so the ownership is not believed and
// the object is judged in full. Denying the pod would add nothing but noise: the
// controller, not a person, would receive the denial, in a stream of retried events,
// while the person who wrote the Deployment already got the denial (or the warning)
// when applying it. The trade-off: a template admitted while the webhook was down
// (failurePolicy Ignore) or before a stricter rule was configured creates pods that
// are only audited; set webhook.controllerOwned: enforce to judge controller-created
// objects in full too.
//
// Updates are judged on what they change. On UPDATE, a deny finding that the old
// object already had becomes a warning: a label change on an old, non-compliant
// Deployment is not blocked, but the warning says what is wrong; a new violation is
// denied.
//
// Dry-run requests are evaluated and answered exactly like real ones (so that
// `kubectl apply --dry-run=server` shows what would happen), and flagged as not
// enforced in the decision log and metrics.
//
// Only what the API server sends is judged. The object must be of the request's
// group, version and kind, and the kinds the rules read must decode into their
// typed object (fields of a newer API version are allowed); anything else fails the
// review with ErrInvalid, and the webhook's failurePolicy decides, never an
// admission by default.
//
// What a review may cost is bounded (Limits): its bytes and JSON values, counted
// before decoding; the containers of a pod template and the images of an
// ImageReview (past them, a LimitError fails the review); the findings kept
// (MaxFindings: the rest are counted by rule and decide like the first of their
// rule, without the update ratchet); the findings a denial lists and the warnings
// returned (MaxListed: the rest are summarised, "... and 9,990 more"), and the
// length of each line. Limits.Cost bounds the memory of a review, which the webhook
// reserves; the review's context stops the evaluation between rules.
//
// Image signatures (signatures.go). With an images.verify policy (Options.Signatures),
// the images of a pod, of a pod controller's template and of an ImageReview are
// verified before the rules run, their tags resolved to digests through the
// registry and their verdicts cached by digest and policy generation; PAL-115
// reports an image the policy refuses and PAL-116 one whose signatures could not be
// read in time, denied by default (webhook.actions.rules PAL-116: audit admits and
// audits it). Decision.Images records each verdict for the decision log.
//
// ValidatingAdmissionPolicies (policies.go). With the policies of the configuration
// generation (Options.Policies, compiled once by internal/vap), every review also
// runs them with the API server's own code, on every operation and subresource the
// webhook receives; their failures are findings PAL-800 to PAL-803 whose actions
// and exemptions are Palisade's, and a refusal that stands is answered with the API
// server's message, reason and code, warnings and audit annotations as it would.
//
// Exec and attach (ReviewExec) implement what the DenyEscalatingExec admission
// plugin did before Kubernetes 1.21 removed it: CONNECT to pods/exec or pods/attach,
// and adding ephemeral containers, are denied when the target pod is privileged (in
// any container, init and ephemeral ones included) or shares the host's PID or IPC
// namespace. Image reviews (ReviewImages) answer the ImagePolicyWebhook admission
// plugin with the image rules PAL-101..PAL-106 (except PAL-104, which needs the pull
// policy an ImageReview does not carry).
package admission
