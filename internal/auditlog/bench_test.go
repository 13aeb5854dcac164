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

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func eventsPerSecond(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
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
			for b.Loop() {
				if _, err := d.Decode(line, Location{}); err != nil {
					b.Fatal(err)
				}
			}
			eventsPerSecond(b)
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
			for b.Loop() {
				var ev auditv1.Event
				if err := json.Unmarshal(line, &ev); err != nil {
					b.Fatal(err)
				}
			}
			eventsPerSecond(b)
		})
	}
}

func BenchmarkDecodeEKS(b *testing.B) {
	rec := []byte(`{"logStreamName":"kube-apiserver-audit-0a1b","timestamp":1764583200000,"message":` + quote(metadataEvent) + `,"ingestionTime":1764583201000,"eventId":"1"}`)
	d := NewDecoder()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	var q []item
	for b.Loop() {
		q = q[:0]
		d.eks(rec, Location{}, 1, &q)
		if len(q) != 1 || q[0].err != nil {
			b.Fatal(q)
		}
	}
	eventsPerSecond(b)
}

func BenchmarkDecodeGKE(b *testing.B) {
	rec := []byte(gkeSample)
	d := NewDecoder()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.gkeEvent(rec, Location{}); err != nil {
			b.Fatal(err)
		}
	}
	eventsPerSecond(b)
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
	for b.Loop() {
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
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
