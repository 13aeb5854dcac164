package auditrules_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
)

// identityFixtureEvents are the events of every fixture of PAL-920..949, decoded.
func identityFixtureEvents(tb testing.TB) []*auditlog.Event {
	tb.Helper()
	var out []*auditlog.Event
	for _, r := range identityRules(tb) {
		files, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.jsonl"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				tb.Fatal(err)
			}
			for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				ev, err := auditlog.Decode(line, auditlog.Location{File: file, Line: i + 1})
				if err != nil {
					tb.Fatal(err)
				}
				out = append(out, ev)
			}
		}
	}
	return out
}

// BenchmarkIdentityDetections is the cost per event of the sixteen identity and
// behaviour detections over their fixtures' events (decoded once; the engine
// renewed each pass so that the stateful ones keep learning and reporting).
func BenchmarkIdentityDetections(b *testing.B) {
	rs := identityRules(b)
	evs := identityFixtureEvents(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		e, err := audit.New(audit.Options{Rules: rs})
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			e.Process(ev)
		}
		e.Close()
		n += len(evs)
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n)/s, "events/s")
	}
}

// FuzzIdentityDetections feeds arbitrary audit events to the identity detections:
// none may panic, whatever the bodies hold (roles with odd rules, CSRs that are
// not CSRs, bursts with odd clocks), with state bounds of a few entries.
func FuzzIdentityDetections(f *testing.F) {
	seen := map[string]bool{}
	for _, r := range identityRules(f) {
		files, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.jsonl"))
		for _, file := range files {
			fh, err := os.Open(file)
			if err != nil {
				f.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if !seen[sc.Text()] {
					seen[sc.Text()] = true
					f.Add(append([]byte(nil), sc.Bytes()...))
				}
			}
			fh.Close()
		}
	}
	f.Add([]byte(`{"verb":"create","stage":"ResponseComplete","objectRef":{"resource":"clusterroles","apiGroup":"rbac.authorization.k8s.io"},"responseStatus":{"code":201},"requestObject":{"rules":[{"verbs":"*"},7,{"apiGroups":[1]}],"aggregationRule":{"clusterRoleSelectors":[null,{}]}}}`))
	f.Add([]byte(`{"verb":"update","stage":"ResponseComplete","objectRef":{"resource":"certificatesigningrequests","subresource":"approval","apiGroup":"certificates.k8s.io"},"responseStatus":{"code":200},"requestObject":{"spec":{"signerName":"kubernetes.io/kube-apiserver-client","request":"!!"},"status":{"conditions":[{"type":"Approved"}]}}}`))
	f.Add([]byte(`{"verb":"list","stage":"ResponseComplete","user":{"username":"system:serviceaccount:a:b","extra":{"authentication.kubernetes.io/pod-name":["p"]}},"sourceIPs":[],"responseStatus":{"code":403}}`))
	rs := identityRules(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := auditlog.Decode(line, auditlog.Location{File: "fuzz", Line: 1})
		if err != nil {
			return
		}
		e, err := audit.New(audit.Options{Rules: rs, Limits: audit.Limits{MaxObjects: 4, MaxIdentities: 4}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 12; i++ {
			e.Process(ev)
		}
		e.Close()
	})
}
