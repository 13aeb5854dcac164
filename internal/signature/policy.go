package signature

// Policy is what .palisade.yaml says about image signatures (its images section).
type Policy struct {
	// Verify lists the requirements. Every requirement whose Match matches an image
	// must pass.
	Verify []Requirement `yaml:"verify" json:"verify,omitempty"`
	// TrustedRoot is a Sigstore trusted_root.json (certificate authorities,
	// transparency logs, timestamp authorities), relative to the configuration file.
	// It is never fetched (unless the command is given --tuf).
	TrustedRoot string `yaml:"trustedRoot" json:"trustedRoot,omitempty"`
	// Default judges an image no requirement matches: "allow" (the default) or
	// "deny".
	Default string `yaml:"default" json:"default,omitempty"`
}

// The values of Policy.Default.
const (
	DefaultAllow = "allow"
	DefaultDeny  = "deny"
)

// Requirement is one entry of Policy.Verify.
type Requirement struct {
	// Match are patterns of the normalised repository name (docker.io/library/nginx):
	// "*" matches within one path component, "**" across components
	// ("registry.example.com/payments/**").
	Match []string `yaml:"match" json:"match"`
	// Keys are PEM public keys (ECDSA, Ed25519, RSA), paths relative to the
	// configuration file: a signature by any one of them passes.
	Keys []string `yaml:"keys" json:"keys,omitempty"`
	// Keyless, if set, trusts Fulcio certificates of this identity.
	Keyless *Keyless `yaml:"keyless" json:"keyless,omitempty"`
	// Attestations are in-toto attestations that must also be present, each signed
	// by one of the requirement's identities.
	Attestations []Attestation `yaml:"attestations" json:"attestations,omitempty"`
	// TransparencyLog is "required" (the default, as cosign verifies: an inclusion
	// proof or a signed entry timestamp of a log of the trusted root) or "skip"
	// (keys only: signatures made with --tlog-upload=false).
	TransparencyLog string `yaml:"transparencyLog" json:"transparencyLog,omitempty"`
	// Line is the requirement's line in the configuration file.
	Line int `yaml:"-" json:"line,omitempty"`
}

// The values of Requirement.TransparencyLog.
const (
	TlogRequired = "required"
	TlogSkip     = "skip"
)

// Keyless is a certificate identity: the OIDC issuer of the certificate (exact, or
// IssuerRegexp) and its subject (the SAN: an email, a URI such as a GitHub workflow
// ref) matched by the regular expression Subject (RE2, unanchored unless written with
// ^ and $, as cosign's --certificate-identity-regexp).
type Keyless struct {
	Issuer       string `yaml:"issuer" json:"issuer,omitempty"`
	IssuerRegexp string `yaml:"issuerRegexp" json:"issuerRegexp,omitempty"`
	Subject      string `yaml:"subject" json:"subject"`
}

// Attestation is an attestation a requirement demands: an in-toto statement about the
// image's digest with this predicate type, signed by the requirement's identity, whose
// predicate satisfies Condition.
type Attestation struct {
	PredicateType string `yaml:"predicateType" json:"predicateType"`
	// Condition is a CEL expression of type bool over `predicate` (the predicate as
	// JSON: maps, lists, strings, numbers) and `statement` (the whole statement);
	// empty means any predicate of the type. It runs with a cost limit.
	Condition string `yaml:"condition" json:"condition,omitempty"`
	Line      int    `yaml:"-" json:"line,omitempty"`
}
