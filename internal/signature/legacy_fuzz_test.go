package signature

import (
	"testing"
)

// checkConverted holds what every conversion promises: an entity or an error, never both;
// the kind and source kept; an entity whose contents can be read and verified (the
// verification failing or not) without a panic.
func checkConverted(t *testing.T, fx *legacyFixture, c Candidate, kind Kind, source string) {
	t.Helper()
	if c.Kind != kind || c.Source != source {
		t.Fatalf("Kind %q Source %q, want %q %q", c.Kind, c.Source, kind, source)
	}
	if (c.Err == nil) == (c.Entity == nil) {
		t.Fatalf("Err %v with Entity %v", c.Err, c.Entity)
	}
	if c.Err != nil {
		if c.Payload != nil {
			t.Fatal("Payload set with Err")
		}
		return
	}
	if c.Kind == KindSimpleSigning && c.Payload == nil {
		t.Fatal("simple signing without Payload")
	}
	vc, err := c.Entity.VerificationContent()
	if err != nil || vc == nil {
		t.Fatalf("VerificationContent: %v, %v", vc, err)
	}
	_, _ = vc.Certificate(), vc.Intermediates()
	sc, err := c.Entity.SignatureContent()
	if err != nil || sc == nil {
		t.Fatalf("SignatureContent: %v, %v", sc, err)
	}
	_ = sc.Signature()
	if env := sc.EnvelopeContent(); env != nil {
		_, _ = env.Statement()
	}
	if _, err := c.Entity.TlogEntries(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Entity.Timestamps(); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Entity.HasInclusionPromise(), c.Entity.HasInclusionProof()
	for _, how := range []verification{{}, {tlog: true}, {keyed: true}, {keyed: true, tlog: true}} {
		_ = fx.verify(c, how)
	}
}

func FuzzFromCosignLayer(f *testing.F) {
	fx := newLegacyFixture(f)
	seed := func(kind Kind, l legacyLayer) {
		a := l.annotations
		f.Add(kind == KindLegacyAttestation, l.mediaType, a[AnnotationSignature], a[AnnotationCertificate], a[AnnotationChain], a[AnnotationBundle], a[AnnotationTimestamp], l.payload)
	}
	seed(KindSimpleSigning, fx.keylessSig(fx.payload()))
	seed(KindSimpleSigning, fx.keyedSig(fx.payload(), true))
	seed(KindSimpleSigning, fx.keyedSig(fx.payload(), false))
	seed(KindLegacyAttestation, fx.keylessAtt(fx.statement()))
	seed(KindLegacyAttestation, fx.keyedAtt(fx.statement(), true))
	f.Fuzz(func(t *testing.T, attestation bool, mediaType, sig, cert, chain, bundle, ts string, payload []byte) {
		if len(payload)+len(sig)+len(cert)+len(chain)+len(bundle)+len(ts) > 1<<20 {
			return
		}
		kind := KindSimpleSigning
		if attestation {
			kind = KindLegacyAttestation
		}
		annotations := map[string]string{
			AnnotationSignature:   sig,
			AnnotationCertificate: cert,
			AnnotationChain:       chain,
			AnnotationBundle:      bundle,
			AnnotationTimestamp:   ts,
		}
		c := FromCosignLayer(kind, mediaType, annotations, payload, "fuzz")
		checkConverted(t, fx, c, kind, "fuzz")
	})
}

func FuzzFromBundle(f *testing.F) {
	fx := newLegacyFixture(f)
	for _, mt := range []string{
		"application/vnd.dev.sigstore.bundle.v0.3+json",
		"application/vnd.dev.sigstore.bundle+json;version=0.2",
		"application/vnd.dev.sigstore.bundle+json;version=0.1",
	} {
		f.Add(mt, fx.bundle(mt, true))
		f.Add(mt, fx.bundle(mt, false))
	}
	f.Fuzz(func(t *testing.T, mediaType string, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		c := FromBundle(mediaType, data, "fuzz")
		checkConverted(t, fx, c, KindBundle, "fuzz")
	})
}

func BenchmarkFromCosignLayer(b *testing.B) {
	fx := newLegacyFixture(b)
	for _, bc := range []struct {
		name  string
		kind  Kind
		layer legacyLayer
	}{
		{"keyless-signature", KindSimpleSigning, fx.keylessSig(fx.payload())},
		{"keyed-signature", KindSimpleSigning, fx.keyedSig(fx.payload(), true)},
		{"keyless-attestation", KindLegacyAttestation, fx.keylessAtt(fx.statement())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c := bc.layer.candidate(bc.kind); c.Err != nil {
					b.Fatal(c.Err)
				}
			}
		})
	}
}

func BenchmarkFromBundle(b *testing.B) {
	fx := newLegacyFixture(b)
	for _, bc := range []struct {
		name        string
		attestation bool
	}{{"attestation", true}, {"message-signature", false}} {
		data := fx.bundle("application/vnd.dev.sigstore.bundle.v0.3+json", bc.attestation)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c := FromBundle("application/vnd.dev.sigstore.bundle.v0.3+json", data, "bench"); c.Err != nil {
					b.Fatal(c.Err)
				}
			}
		})
	}
}
