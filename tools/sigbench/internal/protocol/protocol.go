// Package protocol is what sigbench's parent and its fixture child
// (tools/sigbench/fixture) say to each other. The parent stays a small program (it
// imports none of Palisade's or Sigstore's packages) because a child's peak RSS, as
// wait4 reports it, is at least its parent's at the fork: the registry and the
// signing live in the fixture child, and the tools measured are the parent's
// children.
package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Marker starts a child's report line (one JSON value) on its standard output.
const Marker = "sigbench-fixture: "

// The kinds of signature sets.
const (
	// Keyed: cosign's legacy signature (a sha256-<digest>.sig tag, simple-signing
	// payload) by an ECDSA P-256 key, made without a transparency log (cosign sign
	// --key --tlog-upload=false).
	Keyed = "keyed"
	// Keyless: a Sigstore bundle (an OCI 1.1 referrer) from a virtual Sigstore
	// (Fulcio certificate, Rekor inclusion proof), checked against its
	// trusted_root.json.
	Keyless = "keyless"
)

// RequestsPath is the fixture registry's path answering how many requests it has
// served.
const RequestsPath = "/sigbench/requests"

// Fixture is what the fixture child made: a registry on loopback holding signed
// images, and the files the verifiers read, all in the work directory.
type Fixture struct {
	// Registry is the registry's host:port (127.0.0.1, plain HTTP).
	Registry string `json:"registry"`
	// Config is a .palisade.yaml with the images policy for every set; Key the
	// trusted public key (PEM, cosign.pub); TrustedRoot the virtual Sigstore's
	// trusted_root.json ("" without keyless sets); Issuer and Subject the keyless
	// identity (Subject a regular expression).
	Config      string `json:"config"`
	Key         string `json:"key"`
	TrustedRoot string `json:"trustedRoot,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	Subject     string `json:"subject,omitempty"`
	// Sets are the images, by kind and signatures per image.
	Sets []Set `json:"sets"`
	// Prepared is how long pushing and signing took.
	Prepared time.Duration `json:"prepared"`
}

// Set is images signed alike.
type Set struct {
	Kind string `json:"kind"`
	// Signatures per image: Signatures-1 by an untrusted key (keyed) or another
	// identity (keyless), then one by the trusted one. 0: unsigned.
	Signatures int `json:"signatures"`
	// Refs are the images' tag references, each image in a repository of its own.
	Refs []string `json:"refs"`
}

// Name says what a set is: "keyed, 1 signature per image", "keyed, unsigned".
func (s Set) Name() string {
	switch s.Signatures {
	case 0:
		return s.Kind + ", unsigned"
	case 1:
		return s.Kind + ", 1 signature per image"
	}
	return fmt.Sprintf("%s, %d signatures per image", s.Kind, s.Signatures)
}

// Cache is what the fixture child's cache mode measured in process.
type Cache struct {
	Images int `json:"images"`
	// Cold is the time of the first verification of every image (registry reads,
	// cryptography); Hits the number of verifications answered from the cache in
	// HitTime; AllocsPerHit and BytesPerHit the Go heap allocations per hit.
	Cold         time.Duration `json:"cold"`
	Hits         int           `json:"hits"`
	HitTime      time.Duration `json:"hitTime"`
	AllocsPerHit float64       `json:"allocsPerHit"`
	BytesPerHit  float64       `json:"bytesPerHit"`
	// Note says what was not measured and why ("" when everything was).
	Note string `json:"note,omitempty"`
}

// Write is the report line of v.
func Write(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return Marker + string(data) + "\n"
}

// Parse finds the report line in out and decodes it into v.
func Parse(out string, v any) error {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, Marker); ok {
			return json.Unmarshal([]byte(rest), v)
		}
	}
	return fmt.Errorf("no %q line in the child's output: %.500s", strings.TrimSpace(Marker), out)
}
