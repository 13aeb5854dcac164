package signature

import (
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Options are what New needs besides the policy.
type Options struct {
	// Dir is the directory relative paths of the policy (keys, trusted root) are
	// read from: the configuration file's directory.
	Dir string
	// File is the configuration file, for errors ("FILE:LINE: ...").
	File string
	// TrustedMaterial, if set, replaces the policy's TrustedRoot file (--tuf, tests).
	TrustedMaterial root.TrustedMaterial
	// Now is the clock for certificates without a verified timestamp (time.Now).
	Now func() time.Time
}

// Verifier is a compiled policy: keys parsed, trusted root loaded, patterns, regular
// expressions and CEL conditions compiled once. It is safe for concurrent use.
type Verifier struct {
	policy     Policy
	generation string
	reqs       []*requirement
}

// Generation identifies the policy and the key material it loaded (a digest): a
// cached verdict is valid only for the generation it was made under.
func (v *Verifier) Generation() string { return v.generation }

// Applies reports whether the policy judges images at all (any requirement, or a
// deny default).
func (v *Verifier) Applies() bool {
	return len(v.policy.Verify) > 0 || v.policy.Default == DefaultDeny
}
