package auditlog

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// meter reports events per second and, run with GOMAXPROCS=1, per CPU second
// (what one core does, even on a machine busy with other work).
type meter struct {
	b   *testing.B
	cpu time.Duration
}

func startMeter(b *testing.B) *meter { return &meter{b: b, cpu: cpuTime()} }

func (m *meter) report(events int) {
	m.b.ReportMetric(float64(events)/m.b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - m.cpu; cpu > 0 {
		m.b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

var benchEvents = map[string]string{"metadata": metadataEvent, "requestresponse": realEvent}

// BenchmarkDecode: one event at Metadata level (most of a log) and one at
// RequestResponse level (a pod create with its bodies).
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"metadata", "requestresponse"} {
		line := []byte(benchEvents[name])
		b.Run(name, func(b *testing.B) {
			d := NewDecoder()
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			m := startMeter(b)
			for range b.N {
				if _, err := d.Decode(line, Location{}); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b.N)
		})
	}
}

// BenchmarkDecodeOfficial is the baseline: encoding/json into the official type.
func BenchmarkDecodeOfficial(b *testing.B) {
	for _, name := range []string{"metadata", "requestresponse"} {
		line := []byte(benchEvents[name])
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			m := startMeter(b)
			for range b.N {
				var ev auditv1.Event
				if err := json.Unmarshal(line, &ev); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b.N)
		})
	}
}

func BenchmarkDecodeEKS(b *testing.B) {
	rec := []byte(`{"logStreamName":"kube-apiserver-audit-0a1b","timestamp":1764583200000,"message":` + quote(metadataEvent) + `,"ingestionTime":1764583201000,"eventId":"1"}`)
	d := NewDecoder()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	var q []item
	m := startMeter(b)
	for range b.N {
		q = q[:0]
		d.eks(rec, Location{}, 1, &q)
		if len(q) != 1 || q[0].err != nil {
			b.Fatal(q)
		}
	}
	m.report(b.N)
}

func BenchmarkDecodeGKE(b *testing.B) {
	rec := []byte(gkeSample)
	d := NewDecoder()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	m := startMeter(b)
	for range b.N {
		if _, err := d.gkeEvent(rec, Location{}); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b.N)
}

// BenchmarkReader reads a log of 20,000 events (one in ten at RequestResponse
// level, varied users and names) through Open and Next.
func BenchmarkReader(b *testing.B) {
	var sb strings.Builder
	for i := range 20000 {
		e := metadataEvent
		if i%10 == 0 {
			e = realEvent
		}
		n := strconv.Itoa(i)
		e = strings.Replace(e, `"auditID":"`, `"auditID":"`+n, 1)
		e = strings.Replace(e, `"username":"`, `"username":"u`+strconv.Itoa(i%50), 1)
		sb.WriteString(e + "\n")
	}
	path := filepath.Join(b.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	events := 0
	b.ResetTimer()
	m := startMeter(b)
	for range b.N {
		r, err := Open(context.Background(), []string{path}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	m.report(events)
}
