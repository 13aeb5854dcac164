package config

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/signature"
)

// Applies reports whether the images policy judges images at all: a requirement, or
// a deny default. Without one, PAL-115 and PAL-116 check nothing and nothing is
// verified.
func (i *Images) Applies() bool {
	return len(i.Verify) > 0 || i.Default == signature.DefaultDeny
}

// validateImages checks the images section and records the line of each requirement
// and attestation. It checks the shape of the policy only; keys and the trusted root
// are read, and conditions compiled, when a command builds its verifier
// (signature.New), with errors naming the same lines.
//
// A requirement names at least one identity: keys, keyless, or both (a signature by
// any of them passes). A keyless identity has exactly one of issuer and issuerRegexp
// and a subject (RE2). transparencyLog is required (the default) or skip, and skip
// applies to keys only. The trusted root may come from --tuf instead of trustedRoot,
// so its absence is the verifier's error, not the configuration's.
func validateImages(img *Images, root *yaml.Node) []string {
	node := mapChild(root, "images")
	if node == nil {
		return nil
	}
	var errs []string
	at := func(n *yaml.Node, key string) int {
		if l := keyLine(n, key); l != 0 {
			return l
		}
		if n != nil {
			return n.Line
		}
		return node.Line
	}
	switch img.Default {
	case "", signature.DefaultAllow, signature.DefaultDeny:
	default:
		errs = append(errs, fmt.Sprintf("line %d: images.default: %q is not allow or deny", at(node, "default"), img.Default))
	}
	if img.TrustedRoot != "" && strings.TrimSpace(img.TrustedRoot) == "" {
		errs = append(errs, fmt.Sprintf("line %d: images.trustedRoot is blank", at(node, "trustedRoot")))
	}
	seq := mapChild(node, "verify")
	for i := range img.Verify {
		r := &img.Verify[i]
		var rn *yaml.Node
		if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
			rn = seq.Content[i]
			r.Line = rn.Line
		}
		line := r.Line
		if line == 0 {
			line = node.Line
		}
		if len(r.Match) == 0 {
			errs = append(errs, fmt.Sprintf("line %d: images.verify: a requirement needs match patterns", line))
		}
		for _, m := range r.Match {
			if err := checkMatchPattern(m); err != nil {
				errs = append(errs, fmt.Sprintf("line %d: images.verify match %q: %v", itemLine(rn, "match", m), m, err))
			}
		}
		if len(r.Keys) == 0 && r.Keyless == nil {
			errs = append(errs, fmt.Sprintf("line %d: images.verify: a requirement needs an identity: keys, keyless or both", line))
		}
		for _, k := range r.Keys {
			if strings.TrimSpace(k) == "" {
				errs = append(errs, fmt.Sprintf("line %d: images.verify keys: an empty path", at(rn, "keys")))
			}
		}
		if k := r.Keyless; k != nil {
			kn := mapChild(rn, "keyless")
			if (k.Issuer == "") == (k.IssuerRegexp == "") {
				errs = append(errs, fmt.Sprintf("line %d: images.verify keyless: give exactly one of issuer and issuerRegexp", at(rn, "keyless")))
			}
			if k.Subject == "" {
				errs = append(errs, fmt.Sprintf("line %d: images.verify keyless: subject is required (a regular expression of the certificate identity)", at(rn, "keyless")))
			}
			for key, expr := range map[string]string{"issuerRegexp": k.IssuerRegexp, "subject": k.Subject} {
				if expr == "" {
					continue
				}
				if _, err := regexp.Compile(expr); err != nil {
					errs = append(errs, fmt.Sprintf("line %d: images.verify keyless.%s: %v", at(kn, key), key, err))
				}
			}
		}
		switch r.TransparencyLog {
		case "", signature.TlogRequired:
		case signature.TlogSkip:
			if len(r.Keys) == 0 {
				errs = append(errs, fmt.Sprintf("line %d: images.verify transparencyLog: skip applies to keys only; a keyless signature needs the transparency log", at(rn, "transparencyLog")))
			}
		default:
			errs = append(errs, fmt.Sprintf("line %d: images.verify transparencyLog: %q is not required or skip", at(rn, "transparencyLog"), r.TransparencyLog))
		}
		an := mapChild(rn, "attestations")
		for j := range r.Attestations {
			a := &r.Attestations[j]
			if an != nil && an.Kind == yaml.SequenceNode && j < len(an.Content) {
				a.Line = an.Content[j].Line
			} else {
				a.Line = line
			}
			if strings.TrimSpace(a.PredicateType) == "" {
				errs = append(errs, fmt.Sprintf("line %d: images.verify attestations: predicateType is required", a.Line))
			}
		}
	}
	return errs
}

// checkMatchPattern checks a repository pattern: a normalised repository name with
// "*" (within a component) and "**" (across components), nothing else special.
func checkMatchPattern(m string) error {
	switch {
	case strings.TrimSpace(m) == "":
		return fmt.Errorf("empty pattern")
	case len(m) > 512:
		return fmt.Errorf("longer than 512 characters")
	case strings.ContainsAny(m, "@ \t\r\n?[]"):
		return fmt.Errorf("not a repository pattern (no tag, digest, space, ? or [ ]: * and ** only)")
	case strings.Contains(m, "***"):
		return fmt.Errorf("*** is not a pattern: * matches within a path component, ** across them")
	case strings.Contains(m, "//") || strings.HasPrefix(m, "/"):
		return fmt.Errorf("an empty path component")
	}
	if i := strings.LastIndex(m, ":"); i > strings.LastIndex(m, "/") && strings.Contains(m, "/") {
		return fmt.Errorf("not a repository pattern (a tag): match repositories, and pin what runs by digest")
	}
	return nil
}
