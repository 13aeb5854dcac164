package signature_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

func TestLayoutSignatures(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	ctx := context.Background()
	for _, cosignSave := range []bool{false, true} {
		name := "ref names"
		if cosignSave {
			name = "cosign save"
		}
		t.Run(name, func(t *testing.T) {
			l := sigtest.NewLayout(t)
			if cosignSave {
				l = sigtest.NewCosignSaveLayout(t)
			}
			img := l.Add(t, "registry.example.com/team/app:1")
			signAll(t, l.Attach, ss, img)
			st, err := signature.OpenLayout(l.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range []string{img.Ref, img.Pinned} {
				repo, digest, err := st.Resolve(ctx, ref)
				if err != nil || repo != img.Repo || digest != img.Digest {
					t.Fatalf("Resolve(%s) = %s %s %v, want %s %s", ref, repo, digest, err, img.Repo, img.Digest)
				}
			}
			cs, err := st.Signatures(ctx, img.Repo, img.Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, ss, cs, img.Digest)
			if !cosignSave {
				if _, _, err := st.Resolve(ctx, "registry.example.com/team/app:2"); err == nil {
					t.Error("Resolve of a tag the layout does not hold: no error")
				}
			}
		})
	}
}

// TestLayoutResolveNames: manifests named by full references (normalised) or bare
// tags; an ambiguous bare tag is an error.
func TestLayoutResolveNames(t *testing.T) {
	ctx := context.Background()
	l := sigtest.NewLayout(t)
	a := l.Add(t, "docker.io/library/nginx:1.27")
	b := l.Add(t, "v2")
	st, err := signature.OpenLayout(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ref, repo, digest string }{
		{"nginx:1.27", "docker.io/library/nginx", a.Digest},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", a.Digest},
		{"registry.example.com/app:v2", "registry.example.com/app", b.Digest},
	} {
		repo, digest, err := st.Resolve(ctx, c.ref)
		if err != nil || repo != c.repo || digest != c.digest {
			t.Errorf("Resolve(%s) = %s %s %v", c.ref, repo, digest, err)
		}
	}
	l.Add(t, "v2")
	st, err = signature.OpenLayout(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Resolve(ctx, "registry.example.com/app:v2"); err == nil || !strings.Contains(err.Error(), "different manifests") {
		t.Errorf("ambiguous bare tag: %v", err)
	}
}

// blobFile is the path of a digest's blob in layout dir.
func blobFile(dir, digest string) string {
	return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// TestLayoutHostile: a blob that does not match its digest is a malformed candidate;
// a blob that is a symlink out of the layout is not read; a missing index.json is an
// error.
func TestLayoutHostile(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	ctx := context.Background()
	l := sigtest.NewLayout(t)
	img := l.Add(t, "registry.example.com/team/app:1")
	a := l.Sign(t, img, ss.Keyless(testIssuer, testSubject), sigtest.Options{Legacy: true})
	sum := sha256.Sum256(a.Data)
	layer := blobFile(l.Dir, "sha256:"+hex.EncodeToString(sum[:]))

	if err := os.WriteFile(layer, []byte(`{"critical":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := signature.OpenLayout(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.Signatures(ctx, img.Repo, img.Digest)
	if err != nil || len(cs) != 1 || cs[0].Err == nil || !strings.Contains(cs[0].Err.Error(), "does not match its digest") {
		t.Fatalf("tampered blob: %+v %v", cs, err)
	}

	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, a.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(layer); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, layer); err != nil {
		t.Fatal(err)
	}
	cs, err = st.Signatures(ctx, img.Repo, img.Digest)
	t.Logf("symlink out of the layout: %v %+v", err, cs)
	if err == nil {
		for _, c := range cs {
			if c.Err == nil {
				t.Fatalf("a blob outside the layout was read: %+v", c)
			}
		}
	}

	if _, err := signature.OpenLayout(t.TempDir()); err == nil {
		t.Error("a directory without index.json opened")
	}
}

// TestLayoutBounds: the candidates of one digest are bounded.
func TestLayoutBounds(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	l := sigtest.NewLayout(t)
	img := l.Add(t, "registry.example.com/team/app:1")
	s := ss.Keyless(testIssuer, testSubject)
	for range 4 {
		l.Sign(t, img, s, sigtest.Options{Legacy: true})
	}
	st, err := signature.OpenLayoutWith(l.Dir, signature.LayoutOptions{MaxCandidates: 2})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.Signatures(context.Background(), img.Repo, img.Digest)
	if err != nil || len(cs) != 3 || cs[2].Err == nil || !strings.Contains(cs[2].Err.Error(), "more than 2") {
		t.Fatalf("%d candidates %v", len(cs), err)
	}
}

// FuzzLayout: a hostile index.json and manifest never panic the layout store.
func FuzzLayout(f *testing.F) {
	ss := sigtest.NewSigstore(f)
	l := sigtest.NewLayout(f)
	img := l.Add(f, "registry.example.com/team/app:1")
	a := l.Sign(f, img, ss.Keyless(testIssuer, testSubject), sigtest.Options{})
	index, err := os.ReadFile(filepath.Join(l.Dir, "index.json"))
	if err != nil {
		f.Fatal(err)
	}
	manifest, _, err := a.Referrer()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(index, manifest)
	f.Add([]byte(`{"manifests":[{"digest":"sha256:../../etc/passwd","size":10}]}`), []byte(`{}`))
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha512:00","annotations":{"kind":"dev.cosignproject.cosign/sigs"}}]}`), []byte(`{"layers":[{"size":-1}]}`))
	// One directory for every input (inputs run one at a time in a process).
	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o700); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, index, manifest []byte) {
		sum := sha256.Sum256(manifest)
		d := "sha256:" + hex.EncodeToString(sum[:])
		if err := os.WriteFile(blobFile(dir, d), manifest, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(blobFile(dir, d))
		if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := signature.OpenLayout(dir)
		if err != nil {
			return
		}
		ctx := context.Background()
		_, _, _ = st.Resolve(ctx, img.Ref)
		_, _, _ = st.Resolve(ctx, "1")
		for _, dg := range []string{img.Digest, d} {
			_, _ = st.Signatures(ctx, img.Repo, dg)
		}
		var idx struct {
			Manifests []struct {
				Digest string `json:"digest"`
			} `json:"manifests"`
		}
		if json.Unmarshal(index, &idx) == nil {
			for i, m := range idx.Manifests {
				if i == 4 {
					break
				}
				_, _ = st.Signatures(ctx, "x", m.Digest)
			}
		}
	})
}
