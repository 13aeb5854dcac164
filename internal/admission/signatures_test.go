package admission

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	signedDigest   = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	unsignedDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// sigStore is a fake registry: tags resolve from a table, signatures are not read
// (sigChecker decides by digest). down makes every call fail.
type sigStore struct {
	tags     map[string]string
	down     atomic.Bool
	resolves atomic.Int64
}

func (s *sigStore) Resolve(_ context.Context, ref string) (string, string, error) {
	s.resolves.Add(1)
	if s.down.Load() {
		return "", "", errRegistryDown
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		return strings.SplitN(ref[:i], ":", 2)[0], ref[i+1:], nil
	}
	d, ok := s.tags[ref]
	if !ok {
		return "", "", errNotFound
	}
	return ref[:strings.LastIndex(ref, ":")], d, nil
}

func (s *sigStore) Signatures(context.Context, string, string) ([]signature.Candidate, error) {
	if s.down.Load() {
		return nil, errRegistryDown
	}
	return nil, nil
}

type sigErr string

func (e sigErr) Error() string { return string(e) }

const (
	errRegistryDown = sigErr("registry.example.com: connection refused")
	errNotFound     = sigErr("manifest unknown")
)

// sigChecker judges images of registry.example.com/signed/**: signed when their
// digest is signedDigest; others are not judged (the default allows them).
type sigChecker struct {
	calls atomic.Int64
	// wait, if set, holds each verification until it is closed or ctx ends.
	wait chan struct{}
}

func (c *sigChecker) Generation() string { return "gen-1" }

func (c *sigChecker) Verify(ctx context.Context, store signature.Store, ref, digest string) *signature.Result {
	c.calls.Add(1)
	r := &signature.Result{Ref: ref, Digest: digest}
	if !strings.HasPrefix(ref, "registry.example.com/signed/") {
		r.Allowed, r.Defaulted = true, true
		return r
	}
	if c.wait != nil {
		select {
		case <-c.wait:
		case <-ctx.Done():
			r.Unchecked = &signature.Failure{Reason: signature.Unreachable, Detail: ctx.Err().Error()}
			return r
		}
	}
	if digest == "" {
		name, d, err := store.Resolve(ctx, ref)
		if err != nil {
			r.Unchecked = &signature.Failure{Reason: signature.Unreachable, Detail: err.Error()}
			return r
		}
		r.Name, r.Digest = name, d
	}
	if _, err := store.Signatures(ctx, r.Name, r.Digest); err != nil {
		r.Unchecked = &signature.Failure{Reason: signature.Unreachable, Detail: err.Error()}
		return r
	}
	rr := signature.RequirementResult{Line: 3, Pattern: "registry.example.com/signed/**", OK: r.Digest == signedDigest}
	if rr.OK {
		rr.Signers = []signature.Signer{{Key: "cosign.pub", LogIndex: -1}}
	} else {
		rr.Failures = []signature.Failure{{Reason: signature.NoSignature, Detail: "no signature is attached to " + r.Digest}}
	}
	r.Requirements = []signature.RequirementResult{rr}
	r.Allowed = rr.OK
	return r
}

// otherGeneration is a checker of another policy generation.
type otherGeneration struct{ *sigChecker }

func (otherGeneration) Generation() string { return "gen-0" }

// waitUntil polls cond, failing after a minute (a hang, not a slow machine).
func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

func newSignatures() (*Signatures, *sigStore, *sigChecker) {
	store := &sigStore{tags: map[string]string{
		"registry.example.com/signed/app:1.0":   signedDigest,
		"registry.example.com/signed/app:2.0":   unsignedDigest,
		"registry.example.com/signed/other:1.0": unsignedDigest,
	}}
	chk := &sigChecker{}
	return &Signatures{Checker: chk, Store: store, Cache: signature.NewCache(signature.CacheOptions{}), Deadline: 2 * time.Second}, store, chk
}

func sigEvaluator(t *testing.T, yml string, s ImageVerifier) *Evaluator {
	t.Helper()
	for _, id := range trustRules {
		if _, ok := rules.Get(id); !ok {
			t.Skip(id + " is not registered yet (checks/images/signature.go, the cli branch)")
		}
	}
	e, err := NewWithOptions(parseConfig(t, yml), Options{Signatures: s})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// hardenedContainer is a container no rule but the signature rules reports, at
// indent.
func hardenedContainer(indent, name, image string) string {
	return indent + "- name: " + name + "\n" + indent + "  image: " + image + "\n" +
		indent + "  resources: {requests: {cpu: 10m, memory: 10Mi, ephemeral-storage: 10Mi}, limits: {cpu: 10m, memory: 10Mi, ephemeral-storage: 10Mi}}\n" +
		indent + "  securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}\n"
}

const hardenedPodSpec = "automountServiceAccountToken: false\nsecurityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}\n"

func podWith(images ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\nspec:\n  " +
		strings.ReplaceAll(strings.TrimSpace(hardenedPodSpec), "\n", "\n  ") + "\n  containers:\n")
	for i, img := range images {
		b.WriteString(hardenedContainer("  ", "c"+string(rune('0'+i)), img))
	}
	return b.String()
}

func deploymentOf(image string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team}\nspec:\n" +
		"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      " +
		strings.ReplaceAll(strings.TrimSpace(hardenedPodSpec), "\n", "\n      ") + "\n      initContainers:\n" +
		hardenedContainer("      ", "init", "registry.example.com/signed/app:1.0") + "      containers:\n" +
		hardenedContainer("      ", "app", image)
}

func verdictOf(d *Decision, rule string) *Verdict {
	for i := range d.Verdicts {
		if d.Verdicts[i].Finding.RuleID == rule {
			return &d.Verdicts[i]
		}
	}
	return nil
}

// TestReviewDeniesUnsignedImage: a pod with an image the policy refuses is denied,
// the denial naming the image, the digest its tag resolved to and the reason; a pod
// with a signed image is admitted; the decision records each image's verdict.
func TestReviewDeniesUnsignedImage(t *testing.T) {
	s, _, _ := newSignatures()
	e := sigEvaluator(t, "", s)
	d := e.Review(context.Background(), request(t, admissionv1.Create, podWith("registry.example.com/signed/app:2.0"), "alice"), newCluster())
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	if d.Allowed || verdictOf(d, "PAL-115") == nil {
		t.Fatalf("unsigned image admitted: %+v", d.Verdicts)
	}
	for _, want := range []string{"PAL-115", `"registry.example.com/signed/app:2.0"`, unsignedDigest, "no signature"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("denial does not say %q:\n%s", want, d.Message)
		}
	}
	if len(d.Images) != 1 || d.Images[0].Verdict != "refused" || d.Images[0].Reason != signature.NoSignature || d.Images[0].Digest != unsignedDigest {
		t.Errorf("images %+v", d.Images)
	}

	d = e.Review(context.Background(), request(t, admissionv1.Create, podWith("registry.example.com/signed/app:1.0"), "alice"), newCluster())
	if d.Err != nil || verdictOf(d, "PAL-115") != nil || verdictOf(d, "PAL-116") != nil {
		t.Fatalf("signed image: %v %+v", d.Err, d.Verdicts)
	}
	if len(d.Images) != 1 || d.Images[0].Verdict != "verified" {
		t.Errorf("images %+v", d.Images)
	}
}

// TestReviewVerifiesPodControllers: every container of a controller's template
// (init containers too) is verified, each image once.
func TestReviewVerifiesPodControllers(t *testing.T) {
	s, store, chk := newSignatures()
	e := sigEvaluator(t, "", s)
	dep := deploymentOf("registry.example.com/signed/other:1.0")
	d := e.Review(context.Background(), request(t, admissionv1.Create, dep, "alice"), newCluster())
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	v := verdictOf(d, "PAL-115")
	if d.Allowed || v == nil || v.Finding.Container != "app" || v.Finding.Path != "spec.template.spec.containers[0].image" {
		t.Fatalf("deployment with an unsigned image: allowed=%v %+v", d.Allowed, v)
	}
	if len(d.Images) != 2 || chk.calls.Load() != 2 || store.resolves.Load() != 2 {
		t.Errorf("images %+v, %d verifications, %d resolutions", d.Images, chk.calls.Load(), store.resolves.Load())
	}
	// The same images again: from the cache.
	e.Review(context.Background(), request(t, admissionv1.Create, dep, "alice"), newCluster())
	if chk.calls.Load() != 2 || store.resolves.Load() != 2 {
		t.Errorf("second review: %d verifications, %d resolutions; want the cache's", chk.calls.Load(), store.resolves.Load())
	}
}

// TestReviewRegistryDown: an image whose signatures cannot be read is PAL-116, denied
// by default whatever its severity's action, admitted and audited with
// webhook.actions.rules PAL-116: audit; an image the policy does not judge is
// admitted without a registry request.
func TestReviewRegistryDown(t *testing.T) {
	s, store, _ := newSignatures()
	store.down.Store(true)
	pod := podWith("registry.example.com/signed/app:1.0")
	d := sigEvaluator(t, "", s).Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	if v := verdictOf(d, "PAL-116"); d.Allowed || v == nil || v.Action != config.Deny {
		t.Fatalf("registry down: allowed=%v %+v", d.Allowed, d.Verdicts)
	}
	if !strings.Contains(d.Message, "connection refused") {
		t.Errorf("denial does not say why:\n%s", d.Message)
	}
	if len(d.Images) != 1 || d.Images[0].Verdict != "unchecked" || d.Images[0].Reason != signature.Unreachable {
		t.Errorf("images %+v", d.Images)
	}
	// Another medium rule's action is not PAL-116's.
	d = sigEvaluator(t, "webhook:\n  actions:\n    severity: {medium: warn}\n", s).Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if v := verdictOf(d, "PAL-116"); d.Allowed || v == nil || v.Action != config.Deny {
		t.Errorf("severity actions changed PAL-116's default: %+v", v)
	}
	d = sigEvaluator(t, "webhook:\n  actions:\n    rules: {PAL-116: audit}\n", s).Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if v := verdictOf(d, "PAL-116"); !d.Allowed || v == nil || v.Action != config.Audit {
		t.Errorf("PAL-116: audit: allowed=%v %+v", d.Allowed, v)
	}
}

// TestReviewImageDeadline: a verification slower than the images' deadline leaves
// the image unchecked (PAL-116), and goes on: the next review finds its verdict.
func TestReviewImageDeadline(t *testing.T) {
	s, store, chk := newSignatures()
	s.Deadline = time.Millisecond
	e := sigEvaluator(t, "", s)
	pod := podWith("registry.example.com/signed/app:1.0")
	// The tag's resolution cached (verified under another generation), so that the
	// deadline passes during the verification.
	s.Cache.Verify(context.Background(), otherGeneration{chk}, store, "registry.example.com/signed/app:1.0")
	chk.calls.Store(0)
	chk.wait = make(chan struct{})
	d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if v := verdictOf(d, "PAL-116"); d.Allowed || v == nil || !strings.Contains(v.Finding.Message, "not verified in time") {
		t.Fatalf("past the deadline: allowed=%v %+v", d.Allowed, d.Verdicts)
	}
	close(chk.wait)
	waitUntil(t, func() bool { return s.Cache.Stats().Entries == 2 }, "the verification goes on and is cached")
	d = e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if verdictOf(d, "PAL-116") != nil || verdictOf(d, "PAL-115") != nil || chk.calls.Load() != 1 {
		t.Errorf("after the verification finished: %+v, %d verifications", d.Verdicts, chk.calls.Load())
	}
}

// TestReviewNoPolicy: without a verifier, or with both rules ignored, nothing is
// verified.
func TestReviewNoPolicy(t *testing.T) {
	pod := podWith("registry.example.com/signed/app:2.0")
	d := sigEvaluator(t, "", nil).Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if verdictOf(d, "PAL-115") != nil || d.Images != nil {
		t.Errorf("no verifier: %+v %+v", d.Verdicts, d.Images)
	}
	s, store, _ := newSignatures()
	d = sigEvaluator(t, "webhook:\n  actions:\n    rules: {PAL-115: ignore, PAL-116: ignore}\n", s).Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if verdictOf(d, "PAL-115") != nil || store.resolves.Load() != 0 {
		t.Errorf("rules ignored: %+v, %d resolutions", d.Verdicts, store.resolves.Load())
	}
}

// TestReviewConcurrentCoalesced: concurrent reviews of pods running one digest
// verify it once.
func TestReviewConcurrentCoalesced(t *testing.T) {
	s, _, chk := newSignatures()
	chk.wait = make(chan struct{})
	e := sigEvaluator(t, "", s)
	pod := podWith("registry.example.com/signed/app:1.0")
	const n = 8
	var wg sync.WaitGroup
	denied := atomic.Int64{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster()); !d.Allowed {
				denied.Add(1)
			}
		}()
	}
	waitUntil(t, func() bool { st := s.Cache.Stats(); return st.Coalesced+st.Verifications == n }, "every review waits for the verification")
	close(chk.wait)
	wg.Wait()
	if chk.calls.Load() != 1 || denied.Load() != 0 {
		t.Errorf("%d verifications for %d concurrent reviews (want 1), %d denied", chk.calls.Load(), n, denied.Load())
	}
}

// TestReviewImagesSignatures: /imagepolicy refuses an unsigned image, naming it.
func TestReviewImagesSignatures(t *testing.T) {
	s, _, _ := newSignatures()
	e := sigEvaluator(t, "", s)
	spec := &imagepolicyv1alpha1.ImageReviewSpec{Namespace: "team", Containers: []imagepolicyv1alpha1.ImageReviewContainerSpec{
		{Image: "registry.example.com/signed/app:1.0"}, {Image: "registry.example.com/signed/app:2.0"}}}
	d := e.ReviewImages(context.Background(), spec)
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	st := d.ImageReviewStatus()
	if st.Allowed || !strings.Contains(st.Reason, "PAL-115") || !strings.Contains(st.Reason, "registry.example.com/signed/app:2.0") {
		t.Errorf("image review: %+v", st)
	}
	spec.Containers = spec.Containers[:1]
	if d := e.ReviewImages(context.Background(), spec); !d.Allowed {
		t.Errorf("signed image refused: %s", d.Message)
	}
}

// TestReviewUpdateRatchet: an update that keeps an unsigned image it already ran is
// warned, not denied, as for every rule; one that introduces it is denied.
func TestReviewUpdateRatchet(t *testing.T) {
	s, _, _ := newSignatures()
	e := sigEvaluator(t, "", s)
	dep := deploymentOf
	upd := func(old, new string) *Decision {
		req := request(t, admissionv1.Update, dep(new), "alice")
		req.OldObject = request(t, admissionv1.Update, dep(old), "alice").Object
		return e.Review(context.Background(), req, newCluster())
	}
	if d := upd("registry.example.com/signed/other:1.0", "registry.example.com/signed/other:1.0"); !d.Allowed {
		t.Errorf("unchanged unsigned image denied: %s", d.Message)
	}
	if d := upd("registry.example.com/signed/app:1.0", "registry.example.com/signed/other:1.0"); d.Allowed {
		t.Errorf("new unsigned image admitted: %+v", d.Verdicts)
	}
}

func TestTemplateImages(t *testing.T) {
	body := map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"initContainers":      []any{map[string]any{"image": "a"}},
		"containers":          []any{map[string]any{"image": "b"}, map[string]any{"image": "a"}, "junk", map[string]any{"image": 3}},
		"ephemeralContainers": []any{map[string]any{"image": "c"}},
	}}}}}}
	got := templateImages(body, workload.TemplatePath{Kind: "CronJob", Path: "spec.jobTemplate.spec.template"})
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("images %q", got)
	}
	if got := templateImages(map[string]any{"spec": "x"}, workload.TemplatePath{Kind: "Pod", Path: "spec", PodSpec: true}); got != nil {
		t.Errorf("images of a malformed body %q", got)
	}
}

func TestActionPAL116Default(t *testing.T) {
	r := &rules.Rule{Meta: rules.Meta{ID: "PAL-116", Severity: finding.Medium}}
	for cfg, want := range map[*config.Actions]config.Action{
		{}: config.Deny,
		{Severity: map[string]string{"medium": "warn"}}: config.Deny,
		{Rules: map[string]string{"PAL-116": "audit"}}:  config.Audit,
		{Rules: map[string]string{"PAL-11*": "warn"}}:   config.Warn,
	} {
		if got, err := actionFor(*cfg, r); err != nil || got != want {
			t.Errorf("%+v: %q %v, want %q", cfg, got, err, want)
		}
	}
}

func TestFirstReason(t *testing.T) {
	for _, c := range []struct {
		r    signature.Result
		want signature.Reason
	}{
		{signature.Result{Allowed: true}, ""},
		{signature.Result{Defaulted: true}, signature.NotMatched},
		{signature.Result{Unchecked: &signature.Failure{Reason: signature.Unreachable}}, signature.Unreachable},
		{signature.Result{Requirements: []signature.RequirementResult{{OK: true}, {Failures: []signature.Failure{{Reason: signature.WrongIdentity}}}}}, signature.WrongIdentity},
	} {
		if got := FirstReason(&c.r); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

func BenchmarkReviewSignedCached(b *testing.B) {
	s, _, _ := newSignatures()
	e, err := NewWithOptions(nil, Options{Signatures: s})
	if err != nil {
		b.Fatal(err)
	}
	req := request(&testing.T{}, admissionv1.Create, podWith("registry.example.com/signed/app:1.0@"+signedDigest), "alice")
	cl := newCluster()
	b.ReportAllocs()
	for b.Loop() {
		if d := e.Review(context.Background(), req, cl); !d.Allowed {
			b.Fatal(d.Message)
		}
	}
}
