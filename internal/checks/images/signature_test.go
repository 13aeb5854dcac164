package images_test

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/source"
)

// TestSignatureOnWorkloadImages: an image that workloads run (scan --images) is
// reported on the containers, not a second time on the image object; an image read
// on its own (image verify) is reported on itself.
func TestSignatureOnWorkloadImages(t *testing.T) {
	const ref = "registry.example.com/shop/web:1.0"
	trust := map[string]*signature.Result{ref: {Ref: ref, Digest: "sha256:" + string(make64('a')),
		Unchecked: &signature.Failure{Reason: signature.Unreachable, Detail: "connection refused"}}}
	for _, tc := range []struct {
		workloads []finding.ObjectRef
		want      int
	}{
		{nil, 1},
		{[]finding.ObjectRef{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}}, 0},
	} {
		obj := checktest.ImageObject(&inventory.ImageInfo{Ref: ref, Digest: "sha256:" + string(make64('a')), Source: "registry", Workloads: tc.workloads})
		src := checktest.WithTrust(&source.Objects{Objects: []*inventory.Object{obj}, Inputs: 1, Name: "images"}, trust)
		res, err := scan.Run(scan.Options{Source: src, Config: &config.Config{}, Include: []string{"PAL-116"}, FailOn: "none", Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Report.Findings); got != tc.want {
			t.Errorf("workloads %v: %d findings, want %d: %+v", tc.workloads, got, tc.want, res.Report.Findings)
		}
		for _, f := range res.Report.Findings {
			if f.Location.Image == nil || f.Location.Image.Digest != "sha256:"+string(make64('a')) || f.Path != "signature" ||
				f.Message != `image "registry.example.com/shop/web:1.0" (sha256:`+string(make64('a'))+`): its signatures could not be checked: connection refused` {
				t.Errorf("finding %+v at %+v", f, f.Location.Image)
			}
		}
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}
