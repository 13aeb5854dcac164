package vex

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: no input panics Parse; an error is a *vex.Error naming the file; a
// document that parses can be indexed and decides findings (of hostile purls and
// image references, as an SBOM input gives) without panicking.
func FuzzParse(f *testing.F) {
	f.Add(statementDoc("2024-01-01T00:00:00Z", `{"name":"CVE-1","aliases":["GHSA-1"]}`, `[{"@id":"pkg:npm/a@1"}]`, "not_affected", na), "pkg:npm/a@1", "r.io/app:1")
	f.Add(statementDoc("2024-01-01T00:00:00Z", `"CVE-1"`, `["pkg:oci/app@`+imgDigest+`"]`, "fixed", ""), "pkg:oci/app@sha256:1?x=y", "app@sha256:abcd")
	f.Add(statementDoc("2024-01-01T00:00:00Z", `{"name":"CVE-1"}`, `[{"@id":"pkg:oci/app?repository_url=r.io/app","subcomponents":[{"@id":"pkg:npm/a"},"pkg:npm/b"]}]`, "fixed", ""), "pkg:oci/app@sha256:1?x=y", "app@sha256:abcd")
	f.Add(`{"@context":"https://openvex.dev/ns","statements":null}`, "pkg:oci/app@sha256:1?x=y", "app@sha256:abcd")
	f.Add(`{"@context":"https://openvex.dev/ns","timestamp":"2024-01-01T00:00:00Z","statements":[{"vulnerability":{"name":"x"},"products":[{"hashes":{"sha-256":"AB"}}],"status":"fixed"}]}`, "pkg:oci/app@sha256:1?x=y", "app@sha256:abcd")
	f.Add("{\"@context\":\"https://openvex.dev/ns\",\n\"x\":[[[\"\\\"[\"]]]}", "pkg:oci/app@sha256:1?x=y", "app@sha256:abcd")
	f.Fuzz(func(t *testing.T, doc, purl, ref string) {
		d, err := Parse("fuzz.json", strings.NewReader(doc))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.json" {
				t.Fatalf("error %v is not a *vex.Error naming the file", err)
			}
			return
		}
		ix := NewIndex([]*Document{d})
		f := vulnFinding("CVE-1", []string{"GHSA-1", "x"}, purl, ref, imgDigest)
		if s := ix.Suppression(f); s != nil && s.Kind != "vex" {
			t.Fatalf("suppression %+v", s)
		}
	})
}
