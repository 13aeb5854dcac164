package leastpriv

import (
	"bytes"
	"testing"

	"github.com/palisade-k8s/palisade/internal/auditlog"
)

// FuzzLeastPriv feeds decoded events to the collector, the analysis and the role
// generator: nothing panics, the bounds hold, and the minimal roles allow every use.
func FuzzLeastPriv(f *testing.F) {
	f.Add([]byte(`{"auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"alice","groups":["devs"]},"objectRef":{"resource":"pods","subresource":"log","namespace":"shop","name":"web"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-01T10:00:00Z"}`))
	f.Add([]byte(`{"auditID":"b","stage":"ResponseComplete","verb":"get","requestURI":"/healthz?x=1","user":{"username":"system:serviceaccount:shop:web"},"responseStatus":{"code":200}}`))
	f.Add([]byte(`{"auditID":"c","stage":"ResponseStarted","verb":"list","user":{"username":"admin"},"impersonatedUser":{"username":"system:serviceaccount:a:b","groups":["x"]},"objectRef":{"resource":"secrets","apiGroup":"","namespace":""},"annotations":{"authorization.k8s.io/decision":"allow"}}`))
	m := model(f, grants)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewCollector(Options{MaxSubjects: 4, MaxPerSubject: 8})
		for i, line := range bytes.Split(data, []byte("\n")) {
			ev, err := auditlog.Decode(line, auditlog.Location{File: "fuzz", Line: i + 1})
			if err != nil {
				continue
			}
			c.Add(ev)
		}
		if len(c.Subjects()) > 4 {
			t.Fatalf("%d subjects over the bound", len(c.Subjects()))
		}
		rep := Analyze(c, m, nil)
		for i := range rep.Subjects {
			sr := &rep.Subjects[i]
			if len(sr.Used) > 8 {
				t.Fatalf("%d uses over the bound", len(sr.Used))
			}
			var buf bytes.Buffer
			r := Minimal(sr.Subject, sr.Perms(), RoleOptions{ResourceNames: true})
			if err := WriteYAML(&buf, []Roles{r}); err != nil {
				t.Fatal(err)
			}
			checkSufficientAndMinimal(t, sr.Subject, sr.Perms(), RoleOptions{ResourceNames: true}, nil)
		}
	})
}
