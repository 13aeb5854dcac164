package auditrules

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
)

// aliceCSR is a PKCS#10 request (openssl req -subj /CN=alice@example.com/O=devs),
// base64 of its PEM as spec.request holds it.
const aliceCSR = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIbU1JR05BZ0VBTUNzeEdqQVlCZ05WQkFNTUVXRnNhV05sUUdWNFlXMXdiR1V1WTI5dE1RMHdDd1lEVlFRSwpEQVJrWlhaek1Ga3dFd1lIS29aSXpqMENBUVlJS29aSXpqMERBUWNEUWdBRVlWb3plM3FOZlB2cTJUQ2Zvc2pqClF6TUZMR3hodzFNRXFIdVdYdWpocHk2ZU92N05SLzJjUWFQU2x3MDc0NW9BZ2JaSmhBYXZjUkQ4Z3ZHZFByZjUKSGFBQU1Bb0dDQ3FHU000OUJBTUNBMGdBTUVVQ0lFejUzU1EyUWNUOFhiK3MrTVVZQmVNdEVSb2lpcko1d1d3TAo2Tm1IVW5sTEFpRUF3aVZhUVk5eFVtZmlTSWF6LzlkYTNMQzJrWDIyZU1DNTlmaXljK1B4N05nPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"

func TestParseCSR(t *testing.T) {
	pemBytes, _ := base64.StdEncoding.DecodeString(aliceCSR)
	b, _ := pem.Decode(pemBytes)
	for name, tc := range map[string]struct {
		in   string
		ok   bool
		want string
	}{
		"pem":       {aliceCSR, true, "CN=alice@example.com, O=devs"},
		"der":       {base64.StdEncoding.EncodeToString(b.Bytes), true, "CN=alice@example.com, O=devs"},
		"empty":     {"", false, ""},
		"not b64":   {"%%%", false, ""},
		"not a csr": {base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")), false, ""},
		"too large": {base64.StdEncoding.EncodeToString(make([]byte, maxCSR)), false, ""},
	} {
		s, ok := parseCSR(tc.in)
		if ok != tc.ok || (ok && s.String() != tc.want) {
			t.Errorf("%s: %v %q, want %v %q", name, ok, s.String(), tc.ok, tc.want)
		}
	}
}

func FuzzParseCSR(f *testing.F) {
	f.Add(aliceCSR)
	f.Add("")
	f.Add(base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n")))
	f.Fuzz(func(t *testing.T, s string) {
		subj, ok := parseCSR(s)
		if !ok && (subj.CN != "" || len(subj.Groups) > 0) {
			t.Fatal("a subject from a request that did not parse")
		}
	})
}

// TestBurstStateBounded: however many identities burst, the state holds at most
// Limits.MaxIdentities of them, and each keeps at most threshold events.
func TestBurstStateBounded(t *testing.T) {
	s := &audit.Setup{Limits: audit.Limits{MaxIdentities: 3}}
	bs := newBursts(s, 5, 0, func(*burst) string { return "" })
	for i := 0; i < 100; i++ {
		b := &burst{key: fmt.Sprint(i)}
		bs.states.Put(b.key, b)
	}
	if n := bs.states.Len(); n != 3 {
		t.Fatalf("%d identities kept, want 3", n)
	}
}

func TestMatchAny(t *testing.T) {
	for _, tc := range []struct {
		pats []string
		name string
		want bool
	}{
		{[]string{"system:node:*"}, "system:node:n1", true},
		{[]string{"system:serviceaccount:kube-system:*"}, "system:serviceaccount:kube-system:x", true},
		{[]string{"system:serviceaccount:kube-system:*"}, "system:serviceaccount:dev:x", false},
		{[]string{"[bad"}, "[bad", true},
		{[]string{"[bad"}, "b", false},
		{nil, "x", false},
	} {
		if got := matchAny(tc.pats, tc.name); got != tc.want {
			t.Errorf("matchAny(%v, %q) = %v", tc.pats, tc.name, got)
		}
	}
}
