package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// review is the JSON of an AdmissionReview creating the object of the given group,
// version and kind whose other top-level fields are fields.
func review(group, version, kind, fields string) []byte {
	apiVersion := version
	if group != "" {
		apiVersion = group + "/" + version
	}
	return []byte(fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":%q,"version":%q,"kind":%q},"operation":"CREATE","namespace":"team","name":"x","userInfo":{"username":"alice"},"object":{"apiVersion":%q,"kind":%q,"metadata":{"name":"x","namespace":"team"},%s}}}`,
		group, version, kind, apiVersion, kind, fields))
}

// list is n copies of item, comma-separated; item may hold %d for the index.
func list(item string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.Contains(item, "%d") {
			fmt.Fprintf(&b, item, i)
		} else {
			b.WriteString(item)
		}
	}
	return b.String()
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReviewCost: Limits.Cost bounds the memory a review holds, which the webhook
// reserves from its review memory. It is measured here, after a collection, for the
// shapes that cost most per byte and per value: the decoded review, the object
// decoded into its typed struct (what checkObject and the pod template decoding
// hold), and the decision with its kept findings. Each shape is also decided, not
// failed: the bound is not bought by refusing real objects.
func TestReviewCost(t *testing.T) {
	const n = 8000
	pod := func(spec string) []byte { return review("", "v1", "Pod", `"spec":{`+spec+`}`) }
	shapes := map[string][]byte{
		"empty volumes":          pod(`"containers":[{"name":"a","image":"x"}],"volumes":[` + list(`{}`, n) + `]`),
		"named volumes":          pod(`"containers":[{"name":"a","image":"x"}],"volumes":[` + list(`{"name":""}`, n) + `]`),
		"privileged containers":  pod(`"containers":[` + list(`{"name":"c%d","image":"x","securityContext":{"privileged":true}}`, 500) + `]`),
		"empty containers":       pod(`"containers":[` + list(`{}`, 500) + `]`),
		"empty env":              pod(`"containers":[{"name":"a","image":"x","env":[` + list(`{}`, n) + `]}]`),
		"node selector":          pod(`"containers":[{"name":"a","image":"x"}],"nodeSelector":{` + list(`"%d":""`, n) + `}`),
		"one-entry objects":      review("", "v1", "ConfigMap", `"x":[`+list(`{"a":0}`, n)+`]`),
		"configmap keys":         review("", "v1", "ConfigMap", `"data":{`+list(`"%d":"AKIAIOSFODNN7EXAMPL%d"`, n)+`}`),
		"one long string":        review("", "v1", "ConfigMap", `"data":{"a":"`+strings.Repeat("x", 1<<20)+`"}`),
		"wildcard role rules":    review("rbac.authorization.k8s.io", "v1", "Role", `"rules":[`+list(`{"verbs":["*"],"resources":["*"],"apiGroups":["*"]}`, n/8)+`]`),
		"empty role rules":       review("rbac.authorization.k8s.io", "v1", "Role", `"rules":[`+list(`{}`, n)+`]`),
		"deployment tolerations": review("apps", "v1", "Deployment", `"spec":{"selector":{},"template":{"spec":{"containers":[{"name":"a","image":"x"}],"tolerations":[`+list(`{}`, n)+`]}}}`),
		"service ports":          review("", "v1", "Service", `"spec":{"ports":[`+list(`{}`, n)+`]}`),
	}
	e := evaluator(t, "")
	for name, body := range shapes {
		before := liveHeap()
		r, err := DecodeReview(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		u := r.Request.Object.Object.(*unstructured.Unstructured)
		typed, err := scheme.Scheme.New(schema.FromAPIVersionAndKind(u.GetAPIVersion(), u.GetKind()))
		if err != nil {
			t.Fatal(err)
		}
		if err := fromUnstructured(u.Object, typed); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := e.Review(context.Background(), r.Request, newCluster())
		held := liveHeap() - before
		runtime.KeepAlive(r)
		runtime.KeepAlive(typed)
		if d.Err != nil {
			t.Errorf("%s: %v", name, d.Err)
		}
		if cost := DefaultLimits.Cost(len(body), CountValues(body)); held > uint64(cost) {
			t.Errorf("%s: %d bytes held, more than Cost %d (%d bytes, %d values)", name, held, cost, len(body), CountValues(body))
		}
		runtime.KeepAlive(d)
	}
	// The largest review fits the default review memory of the webhook (96 MiB).
	if c := DefaultLimits.CostOf(DefaultLimits.MaxReviewBytes); c > 96<<20 {
		t.Errorf("CostOf(MaxReviewBytes) = %d, more than 96 MiB", c)
	}
}

// TestCountValues: the count bounds the values of any JSON from above and is exact
// for values that are not empty objects or lists; strings hide their brackets.
func TestCountValues(t *testing.T) {
	for in, want := range map[string]int{
		`0`: 1, `[0,1,2]`: 4, `{"a":1,"b":[2,3]}`: 5, `"[{,"`: 1, `{"a\"[":"]{,"}`: 2, `[[],{}]`: 5,
	} {
		if got := CountValues([]byte(in)); got != want {
			t.Errorf("CountValues(%s) = %d, want %d", in, got, want)
		}
	}
}

// TestBodyLimits: a review past MaxReviewBytes or MaxValues is a LimitError before
// it is decoded.
func TestBodyLimits(t *testing.T) {
	l := Limits{MaxReviewBytes: 4096, MaxValues: 100}
	var le *LimitError
	body := review("", "v1", "ConfigMap", `"data":{"a":"`+strings.Repeat("x", 5000)+`"}`)
	if _, err := l.DecodeReview(body); !errors.As(err, &le) || le.Flag != "max-review-bytes" {
		t.Errorf("large review: %v", err)
	}
	body = review("", "v1", "ConfigMap", `"x":[`+list("0", 100)+`]`)
	if _, err := l.DecodeReview(body); !errors.As(err, &le) || le.Flag != "max-review-values" ||
		!strings.Contains(err.Error(), "JSON values: a review takes at most 100 (webhook serve --max-review-values)") {
		t.Errorf("review of many values: %v", err)
	}
	if _, err := l.DecodeImageReview([]byte(`{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[` + list(`{"image":"a"}`, 200) + `]}}`)); !errors.As(err, &le) {
		t.Errorf("image review of many values: %v", err)
	}
}

// TestContainerLimit: a pod template past MaxContainers (init, regular and
// ephemeral together) fails the review with a LimitError naming the flag, at every
// endpoint; at the limit it is reviewed.
func TestContainerLimit(t *testing.T) {
	e, err := NewWithLimits(nil, Limits{MaxContainers: 10})
	if err != nil {
		t.Fatal(err)
	}
	pod := func(init, regular int) []byte {
		return review("", "v1", "Pod", `"spec":{"initContainers":[`+list(`{"name":"i%d","image":"x"}`, init)+`],"containers":[`+list(`{"name":"c%d","image":"x"}`, regular)+`]}`)
	}
	decide := func(body []byte) *Decision {
		r, err := e.Limits().DecodeReview(body)
		if err != nil {
			t.Fatal(err)
		}
		return e.Review(context.Background(), r.Request, newCluster())
	}
	if d := decide(pod(4, 6)); d.Err != nil {
		t.Errorf("10 containers: %v", d.Err)
	}
	var le *LimitError
	d := decide(pod(5, 6))
	if !errors.As(d.Err, &le) || d.Allowed || le.Got != 11 || le.Max != 10 ||
		!strings.Contains(d.Err.Error(), "11 containers in the pod template of Pod/team/x: a review takes at most 10 (webhook serve --max-containers)") {
		t.Errorf("11 containers: %+v", d)
	}
	d = decide(review("apps", "v1", "Deployment", `"spec":{"template":{"spec":{"containers":[`+list(`{"name":"c%d","image":"x"}`, 11)+`]}}}`))
	if !errors.As(d.Err, &le) {
		t.Errorf("Deployment of 11 containers: %+v", d)
	}
	req := execRequest("ephemeralcontainers", "team", "x", "alice")
	req.Operation, req.Kind = admissionv1.Update, metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	req.Object.Raw = []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"team"},"spec":{"containers":[{"name":"a"}],"ephemeralContainers":[` + list(`{"name":"e%d"}`, 10) + `]}}`)
	if d := e.ReviewExec(context.Background(), req, newCluster()); !errors.As(d.Err, &le) {
		t.Errorf("ephemeral containers past the limit: %+v", d)
	}
	if d := e.ReviewImages(context.Background(), imageSpec(11)); !errors.As(d.Err, &le) || le.Flag != "max-containers" {
		t.Errorf("ImageReview of 11 images: %+v", d)
	}
}

// TestFindingsSummarised: a review with more findings than MaxFindings keeps that
// many and counts the rest, which still decide; a denial lists MaxListed findings
// and summarises the rest ("... and 2,090 more"), each line and the whole message
// bounded, and so are the warnings. The decision log names each rule and action
// once.
func TestFindingsSummarised(t *testing.T) {
	e, err := NewWithLimits(parseConfig(t, "webhook: {actions: {rules: {PAL-002: warn}}}"), Limits{MaxFindings: 50, MaxListed: 10})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", 1000)
	body := review("", "v1", "Pod", `"spec":{"containers":[`+list(`{"name":"c%d`+long+`","image":"x","securityContext":{"privileged":true}}`, 300)+`]}`)
	r, err := DecodeReview(body)
	if err != nil {
		t.Fatal(err)
	}
	d := e.Review(context.Background(), r.Request, newCluster())
	if d.Err != nil || d.Allowed {
		t.Fatalf("decision %v %v, want denied", d.Err, d.Allowed)
	}
	if len(d.Verdicts) > 50+len(e.Rules()) {
		t.Errorf("%d verdicts kept, want at most 50 and one per rule", len(d.Verdicts))
	}
	privileged, escalation := 0, 0
	for _, v := range d.Verdicts {
		switch v.Finding.RuleID {
		case "PAL-001":
			privileged += v.count()
		case "PAL-002":
			escalation += v.count()
			if v.Action != "warn" {
				t.Errorf("PAL-002 %s, want warn", v.Action)
			}
		}
	}
	if privileged != 300 || escalation != 300 || d.Findings() < 600 {
		t.Errorf("PAL-001 %d, PAL-002 %d, %d findings: want every one counted", privileged, escalation, d.Findings())
	}
	lines := strings.Split(d.Message, "\n")
	listed := 0
	for _, l := range lines {
		if len(l) > maxLine || !utf8.ValidString(l) {
			t.Errorf("message line of %d bytes", len(l))
		}
		if strings.HasPrefix(l, "- PAL-") {
			listed++
		}
	}
	deny := 0
	for _, v := range d.Verdicts {
		if v.Action == "deny" {
			deny += v.count()
		}
	}
	if listed != 10 || !strings.Contains(d.Message, fmt.Sprintf("- ... and %s more\n", thousands(deny-10))) || len(d.Message) > maxMessage {
		t.Errorf("%d lines listed of %d denying findings, %d bytes:\n%s", listed, deny, len(d.Message), d.Message)
	}
	warn := 0
	for _, v := range d.Verdicts {
		if v.Action == "warn" {
			warn += v.count()
		}
	}
	if n := len(d.Warnings); n > 11 || d.Warnings[n-1] != fmt.Sprintf("... and %s more warnings", thousands(warn-(n-1))) {
		t.Errorf("%d warnings of %d, last %q", n, warn, d.Warnings[n-1])
	}
	for _, w := range d.Warnings {
		if len(w) > maxLine {
			t.Errorf("warning of %d bytes", len(w))
		}
	}
	seen := map[string]bool{}
	for _, ra := range d.RuleActions() {
		if seen[ra] {
			t.Errorf("%s twice in the decision log", ra)
		}
		seen[ra] = true
	}
	if !seen["PAL-001:deny"] || !seen["PAL-002:warn"] {
		t.Errorf("rule actions %v", d.RuleActions())
	}
	if resp, err := json.Marshal(d.Response()); err != nil || len(resp) > maxMessage+12*maxLine {
		t.Errorf("response of %d bytes (%v)", len(resp), err)
	}
}

// TestDeadlineStopsReview: the context of a review stops its evaluation: a review
// whose deadline has passed fails with the context's error and decides nothing, at
// every endpoint. (The engine's TestFreshStopsWithContext shows the stop between
// rules.)
func TestDeadlineStopsReview(t *testing.T) {
	e := evaluator(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	if d := e.Review(ctx, request(t, admissionv1.Create, privilegedPod, "alice"), newCluster()); !errors.Is(d.Err, context.DeadlineExceeded) || d.Allowed || len(d.Verdicts) > 0 {
		t.Errorf("review past its deadline: %+v", d)
	}
	if d := e.ReviewImages(ctx, imageSpec(3)); !errors.Is(d.Err, context.DeadlineExceeded) || d.Allowed {
		t.Errorf("image review past its deadline: %+v", d)
	}
}

// TestInvalidObjects: an object the API server would never send for the request's
// kind fails the review (ErrInvalid, so failurePolicy decides) instead of being
// admitted: a field of the wrong type, a kind or version other than the
// request's, none at all. Fields this version does not know are accepted (a newer
// API server sends them).
func TestInvalidObjects(t *testing.T) {
	e := evaluator(t, "podTemplatePaths: [{group: example.com, kind: Runner, path: spec.template}]")
	for _, tc := range []struct {
		name  string
		body  []byte
		valid bool
	}{
		{"spec not an object", review("", "v1", "Pod", `"spec":"notamap"`), false},
		{"containers not a list", review("", "v1", "Pod", `"spec":{"containers":"x"}`), false},
		{"privileged not a boolean", review("", "v1", "Pod", `"spec":{"containers":[{"name":"a","securityContext":{"privileged":"true"}}]}`), false},
		{"label not a string", review("", "v1", "Pod", `"spec":{"containers":[{"name":"a"}]},"metadata":{"name":"x","labels":{"a":1}}`), false},
		{"label not a string, no spec", review("", "v1", "Pod", `"metadata":{"name":"x","labels":{"a":1}}`), false},
		{"metadata not an object", review("", "v1", "Pod", `"spec":{"containers":[{"name":"a"}]},"metadata":"x"`), false},
		{"template not an object", review("apps", "v1", "Deployment", `"spec":{"template":[]}`), false},
		{"template spec not an object", review("batch", "v1", "CronJob", `"spec":{"jobTemplate":{"spec":{"template":{"spec":7}}}}`), false},
		{"service port not a number", review("", "v1", "Service", `"spec":{"ports":[{"port":"80"}]}`), false},
		{"role rules not a list", review("rbac.authorization.k8s.io", "v1", "Role", `"rules":{"verbs":["*"]}`), false},
		{"custom template not an object", review("example.com", "v1", "Runner", `"spec":{"template":"x"}`), false},
		{"unknown fields", review("", "v1", "Pod", `"spec":{"containers":[{"name":"a","image":"x","futureField":{"a":1}}],"futureField":1}`), true},
		{"kinds not read", review("", "v1", "Event", `"reason":7`), true},
	} {
		r, err := DecodeReview(tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		d := e.Review(context.Background(), r.Request, newCluster())
		if tc.valid != (d.Err == nil) || (!tc.valid && (!errors.Is(d.Err, ErrInvalid) || d.Allowed)) {
			t.Errorf("%s: allowed %v, error %v", tc.name, d.Allowed, d.Err)
		}
	}
	// The body's group, version and kind are the request's.
	for _, mismatch := range []struct{ from, to string }{
		{`"apiVersion":"v1","kind":"Pod","metadata"`, `"apiVersion":"v1","kind":"ConfigMap","metadata"`},
		{`"apiVersion":"v1","kind":"Pod","metadata"`, `"apiVersion":"v2","kind":"Pod","metadata"`},
		{`"apiVersion":"v1","kind":"Pod","metadata"`, `"metadata"`},
	} {
		body := []byte(strings.Replace(string(review("", "v1", "Pod", `"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}`)), mismatch.from, mismatch.to, 1))
		r, err := DecodeReview(body)
		if err != nil {
			t.Fatal(err)
		}
		if d := e.Review(context.Background(), r.Request, newCluster()); !errors.Is(d.Err, ErrInvalid) || d.Allowed {
			t.Errorf("%s: allowed %v, error %v", mismatch.to, d.Allowed, d.Err)
		}
	}
	// An ephemeral containers update whose pod does not decode.
	req := execRequest("ephemeralcontainers", "team", "x", "alice")
	req.Operation, req.Kind = admissionv1.Update, metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	req.Object.Raw = []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"ephemeralContainers":"x"}}`)
	if d := e.ReviewExec(context.Background(), req, newCluster()); !errors.Is(d.Err, ErrInvalid) || d.Allowed {
		t.Errorf("ephemeral containers not a list: %+v", d)
	}
}

// TestDecodeImageReview: ImageReviews decode strictly (no duplicate field, no field
// of the wrong type), of their own kind.
func TestDecodeImageReview(t *testing.T) {
	const ok = `{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":[{"image":"a"}],"namespace":"team","future":1}}`
	if rev, err := DecodeImageReview([]byte(ok)); err != nil || rev.Spec.Containers[0].Image != "a" || rev.Spec.Namespace != "team" {
		t.Errorf("%+v %v", rev, err)
	}
	for _, bad := range []string{
		strings.Replace(ok, `"namespace":"team"`, `"namespace":"team","namespace":"kube-system"`, 1),
		strings.Replace(ok, `"ImageReview"`, `"Pod"`, 1),
		strings.Replace(ok, `[{"image":"a"}]`, `"a"`, 1),
		`[]`,
	} {
		if _, err := DecodeImageReview([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestKnownKinds: the kinds metrics may name are the ones the rules read, the ones
// that run pods (configured ones too) and the endpoints' own; the kinds the chart
// sends to the webhook are all among them.
func TestKnownKinds(t *testing.T) {
	e := evaluator(t, "podTemplatePaths: [{group: example.com, kind: Runner, path: spec.template}]")
	for _, k := range []string{"Pod", "ReplicationController", "Service", "ConfigMap", "Namespace", "ServiceAccount",
		"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress", "NetworkPolicy",
		"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Runner", "ImageReview", "PodExecOptions", "PodAttachOptions"} {
		if !e.Known(k) {
			t.Errorf("%s not known", k)
		}
	}
	for _, k := range []string{"", "Kind1", "pod", "Event"} {
		if e.Known(k) {
			t.Errorf("%q known", k)
		}
	}
}

func imageSpec(n int) *imagepolicyv1alpha1.ImageReviewSpec {
	spec := &imagepolicyv1alpha1.ImageReviewSpec{Namespace: "team"}
	for i := 0; i < n; i++ {
		spec.Containers = append(spec.Containers, imagepolicyv1alpha1.ImageReviewContainerSpec{Image: fmt.Sprintf("evil.io/miner:%d", i)})
	}
	return spec
}
