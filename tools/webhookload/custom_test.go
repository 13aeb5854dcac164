//go:build linux

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAsk: the answer's decision, warnings and audit annotations are read, and the
// custom rules and policies it names are counted once each.
func TestAsk(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"response":{"allowed":false,"status":{"message":"ValidatingAdmissionPolicy 'acme-02' with binding 'acme-02-binding' denied request: images from registries not allowed"},` +
			`"warnings":["ACME-001: image from outside registry.acme.io","ACME-001: again","Validation failed for ValidatingAdmissionPolicy 'acme-03'"],` +
			`"auditAnnotations":{"acme-06/probes":"2 of 2"}}}`))
	}))
	defer srv.Close()
	a, err := ask(srv.Client(), srv.URL, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if a.allowed || a.warnings != 3 || a.auditAnnotations != 1 || a.rulesSeen != 1 || a.policiesSeen != 3 {
		t.Errorf("%+v", a)
	}
	if s := a.String(); !strings.HasPrefix(s, `denied ("ValidatingAdmissionPolicy 'acme-02'`) || !strings.HasSuffix(s, "3 warnings, 1 audit annotations") {
		t.Error(s)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer bad.Close()
	if _, err := ask(bad.Client(), bad.URL, nil); err == nil {
		t.Error("no response: no error")
	}
}

func TestTail(t *testing.T) {
	var tl tail
	tl.Write([]byte(strings.Repeat("x", 5000) + "\n"))
	tl.Write([]byte("palisade: config: customRules[0]: bad\n"))
	if got := tl.lastLine(); got != "palisade: config: customRules[0]: bad" || len(tl.buf) > 4096 {
		t.Errorf("%q (%d bytes kept)", got, len(tl.buf))
	}
}
