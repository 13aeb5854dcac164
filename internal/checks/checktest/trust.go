package checktest

// Signature verdicts of fixtures: the rules of image signatures (PAL-115, PAL-116)
// read Inventory.ImageTrust, which the source fills by verifying the images against
// the images policy. A fixture states the verdicts instead, one line each:
//
//	# image-trust: REF allowed
//	# image-trust: REF denied REASON DETAIL...      (a requirement failed)
//	# image-trust: REF default-denied               (no requirement matched, default deny)
//	# image-trust: REF unchecked REASON DETAIL...   (Result.Unchecked)
//
// REF is the image reference as written (no spaces); REASON a signature.Reason
// ("no-signature", "wrong-identity", "unreachable", ...). The digest verified is
// REF's own when pinned, else "sha256:" and 64 hex digits derived from REF. The lines
// are comments in manifests and in image fixtures alike.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/source"
)

var trustRE = regexp.MustCompile(`(?m)^#\s*image-trust:(.*)$`)

// ParseTrust reads the image-trust lines of a fixture into the verdicts they state
// (nil when there are none).
func ParseTrust(text string) (map[string]*signature.Result, error) {
	var out map[string]*signature.Result
	for i, m := range trustRE.FindAllStringSubmatch(text, -1) {
		f := strings.Fields(m[1])
		if len(f) < 2 {
			return nil, fmt.Errorf("image-trust line %d: want REF VERDICT [REASON DETAIL...], got %q", i+1, m[0])
		}
		ref, verdict := f[0], f[1]
		r := &signature.Result{Ref: ref, Name: ref, Digest: fixtureDigest(ref)}
		if n, _, ok := strings.Cut(ref, "@"); ok {
			r.Name = n
		} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			r.Name = ref[:i]
		}
		failure := func() (*signature.Failure, error) {
			if len(f) < 3 {
				return nil, fmt.Errorf("image-trust %s %s: want a reason", ref, verdict)
			}
			return &signature.Failure{Reason: signature.Reason(f[2]), Detail: strings.Join(f[3:], " ")}, nil
		}
		switch verdict {
		case "allowed":
			r.Allowed = true
		case "default-denied":
			r.Defaulted = true
		case "denied":
			fl, err := failure()
			if err != nil {
				return nil, err
			}
			r.Requirements = []signature.RequirementResult{{Line: 1, Pattern: "**", Failures: []signature.Failure{*fl}}}
		case "unchecked":
			fl, err := failure()
			if err != nil {
				return nil, err
			}
			r.Unchecked = fl
		default:
			return nil, fmt.Errorf("image-trust %s: unknown verdict %q (allowed, denied, default-denied, unchecked)", ref, verdict)
		}
		if out == nil {
			out = map[string]*signature.Result{}
		}
		out[ref] = r
	}
	return out, nil
}

// fixtureDigest is the digest a reference names, or one derived from it.
func fixtureDigest(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	sum := sha256.Sum256([]byte(ref))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// trusted is a source whose inventory carries the fixture's signature verdicts.
type trusted struct {
	source.Source
	trust map[string]*signature.Result
}

func (t *trusted) Read(ctx context.Context, n source.Needs) (*source.Result, error) {
	res, err := t.Source.Read(ctx, n)
	if err == nil && t.trust != nil {
		res.Inventory.ImageTrust = t.trust
	}
	return res, err
}

// withTrust wraps src with the verdicts of a fixture's text (src itself when there
// are none).
func withTrust(src source.Source, text string) (source.Source, error) {
	trust, err := ParseTrust(text)
	if err != nil || trust == nil {
		return src, err
	}
	return WithTrust(src, trust), nil
}

// WithTrust is src with the signature verdicts trust set on the inventories it reads
// (Inventory.ImageTrust), as the source of scan --images sets them.
func WithTrust(src source.Source, trust map[string]*signature.Result) source.Source {
	return &trusted{Source: src, trust: trust}
}
