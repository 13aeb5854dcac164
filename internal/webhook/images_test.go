package webhook

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// requireTrustRules skips a test of the signature rules until they are registered.
func requireTrustRules(t *testing.T) {
	t.Helper()
	for _, id := range []string{"PAL-115", "PAL-116"} {
		if _, ok := rules.Get(id); !ok {
			t.Skip(id + " is not registered (internal/checks/images/signature.go)")
		}
	}
}

// signedImages is a loopback registry with an image signed with a key (a bundle
// referrer), one signed in cosign's legacy .sig form, and one not signed.
type signedImages struct {
	reg                      *sigtest.Registry
	key                      *sigtest.Key
	signed, legacy, unsigned sigtest.Image
}

func newSignedImages(t *testing.T) *signedImages {
	t.Helper()
	s := &signedImages{reg: sigtest.NewRegistry(t, true), key: sigtest.NewKey(t, sigtest.ECDSAP256)}
	signer := sigtest.Signer{Key: s.key}
	s.signed = s.reg.Push(t, "team/app", "1.0")
	s.reg.Attach(t, signer.Sign(t, s.signed, sigtest.Options{}))
	s.legacy = s.reg.Push(t, "team/legacy", "1.0")
	s.reg.Attach(t, signer.Sign(t, s.legacy, sigtest.Options{Legacy: true}))
	s.unsigned = s.reg.Push(t, "team/unsigned", "1.0")
	return s
}

// config is an images policy trusting the key for the registry's team/** images
// (signatures made without a transparency log), with extra YAML appended.
func (s *signedImages) config(extra string) string {
	return fmt.Sprintf("images:\n  verify:\n  - match: [%q]\n    keys: [%q]\n    transparencyLog: skip\n%s", s.reg.Host+"/team/**", s.key.Path, extra)
}

// podReview is an AdmissionReview of a hardened pod running image.
func podReview(t *testing.T, uid, image string) string {
	t.Helper()
	pod := hardened("web", image, true)
	pod.APIVersion, pod.Kind, pod.Namespace = "v1", "Pod", "team"
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
 "uid":%q,"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "namespace":"team","name":"web","operation":"CREATE","userInfo":{"username":"alice"},"object":%s}}`, uid, raw)
}

func (ts *testServer) review(t *testing.T, body string) *admissionv1.AdmissionResponse {
	t.Helper()
	resp, data := ts.post(t, "/validate", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var rev admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &rev); err != nil || rev.Response == nil {
		t.Fatalf("%v: %s", err, data)
	}
	return rev.Response
}

// TestImageSignatures: with an images policy, /validate denies a pod whose image
// is not signed, naming the image, its digest and the reason, and admits pods whose
// images are signed (a bundle referrer, a legacy .sig tag); the decision log names
// each image's verdict and reason; a second review of a digest is a cache hit; the
// metrics count verifications, hits and latency.
func TestImageSignatures(t *testing.T) {
	requireTrustRules(t)
	imgs := newSignedImages(t)
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	writeFile(t, cfgPath, imgs.config(""))
	ts := start(t, Options{ConfigPath: cfgPath, Images: ImageOptions{Registry: registryOptions(imgs)}})

	r := ts.review(t, podReview(t, "u-unsigned", imgs.unsigned.Ref))
	if r.Allowed {
		t.Fatal("a pod with an unsigned image admitted")
	}
	for _, want := range []string{"PAL-115", imgs.unsigned.Ref, imgs.unsigned.Digest, "no signature"} {
		if !strings.Contains(r.Result.Message, want) {
			t.Errorf("denial lacks %q:\n%s", want, r.Result.Message)
		}
	}
	for _, img := range []sigtest.Image{imgs.signed, imgs.legacy} {
		if r := ts.review(t, podReview(t, "u-"+img.Repo, img.Ref)); !r.Allowed {
			t.Errorf("%s: signed image denied: %s", img.Ref, r.Result.Message)
		}
	}
	log := ts.log.String()
	if !strings.Contains(log, `"verdict":"refused"`) || !strings.Contains(log, `"reason":"no-signature"`) || !strings.Contains(log, `"verdict":"verified"`) {
		t.Errorf("decision log lacks the image verdicts:\n%s", grep(log, `"review"`))
	}
	// By digest now: the verdict is the one cached.
	if r := ts.review(t, podReview(t, "u-again", imgs.signed.Pinned)); !r.Allowed {
		t.Errorf("pinned signed image denied: %s", r.Result.Message)
	}
	if n := metricValue(t, ts.Server, "palisade_webhook_image_cache_hits_total"); n != 1 {
		t.Errorf("cache hits %v, want 1", n)
	}
	if n := metricValue(t, ts.Server, "palisade_webhook_image_verifications_total"); n != 3 {
		t.Errorf("verifications %v, want 3", n)
	}
	families, err := ts.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == "palisade_webhook_image_verification_duration_seconds" {
			if n := mf.GetMetric()[0].GetHistogram().GetSampleCount(); n != 3 {
				t.Errorf("latency histogram: %d samples, want 3", n)
			}
		}
	}
}

// TestImageSignaturesRegistryDown: when the registry cannot be reached, the pod is
// denied (PAL-116) by default, and admitted and audited with PAL-116: audit.
func TestImageSignaturesRegistryDown(t *testing.T) {
	requireTrustRules(t)
	imgs := newSignedImages(t)
	ref := "127.0.0.1:1/team/app:1.0"
	for _, tc := range []struct {
		extra   string
		allowed bool
	}{
		{"", false},
		{"webhook: {actions: {rules: {PAL-116: audit}}}\n", true},
	} {
		cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
		writeFile(t, cfgPath, strings.Replace(imgs.config(tc.extra), imgs.reg.Host, "127.0.0.1:1", 1))
		ts := start(t, Options{ConfigPath: cfgPath, Images: ImageOptions{Registry: registryOptions(imgs)}})
		r := ts.review(t, podReview(t, "u-down", ref))
		if r.Allowed != tc.allowed {
			t.Errorf("%q: allowed %v, want %v: %+v", tc.extra, r.Allowed, tc.allowed, r.Result)
		}
		if !tc.allowed && !strings.Contains(r.Result.Message, "PAL-116") {
			t.Errorf("denial lacks PAL-116: %s", r.Result.Message)
		}
		if tc.allowed && !strings.Contains(ts.log.String(), "PAL-116:audit") {
			t.Errorf("PAL-116 not audited:\n%s", grep(ts.log.String(), `"review"`))
		}
		if n := metricValue(t, ts.Server, "palisade_webhook_image_registry_errors_total"); n < 1 {
			t.Errorf("registry errors %v", n)
		}
	}
}

// TestImagePolicyReload: the cache survives a reload; a changed key file with an
// unchanged configuration is a new generation, so the verdicts made with the old
// key no longer apply.
func TestImagePolicyReload(t *testing.T) {
	requireTrustRules(t)
	imgs := newSignedImages(t)
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	writeFile(t, cfgPath, imgs.config(""))
	ts := start(t, Options{ConfigPath: cfgPath, Images: ImageOptions{Registry: registryOptions(imgs)}})
	if r := ts.review(t, podReview(t, "u-1", imgs.signed.Ref)); !r.Allowed {
		t.Fatal(r.Result.Message)
	}
	cache := ts.imageCache
	// Another configuration, the same policy: the same generation, the cached verdict.
	writeFile(t, cfgPath, imgs.config("failOn: high\n"))
	ts.Reload()
	if r := ts.review(t, podReview(t, "u-2", imgs.signed.Ref)); !r.Allowed || ts.imageCache != cache || cache.Stats().Hits != 1 {
		t.Errorf("after a reload: allowed %v, hits %d", r.Allowed, cache.Stats().Hits)
	}
	// The key file replaced by another key: the signed image is no longer signed
	// by a trusted key.
	other := sigtest.NewKey(t, sigtest.ECDSAP256)
	if err := os.WriteFile(imgs.key.Path, other.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ts.Reload()
	if r := ts.review(t, podReview(t, "u-3", imgs.signed.Ref)); r.Allowed {
		t.Error("a signature by a key no longer trusted admitted after the key file changed")
	}
	// A key file that no longer loads: rejected, the policy in force stays.
	os.WriteFile(imgs.key.Path, []byte("garbage"), 0o600)
	ts.Reload()
	if !strings.Contains(ts.log.String(), "configuration rejected") {
		t.Errorf("a key file that does not load was not rejected:\n%s", ts.log.String())
	}
}

func registryOptions(imgs *signedImages) signature.RegistryOptions {
	return signature.RegistryOptions{Insecure: []string{imgs.reg.Host, "127.0.0.1:1"}}
}
