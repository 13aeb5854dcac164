package webhook

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// BenchmarkValidateHandler is one /validate request through the handler (decode,
// review, encode, metrics, decision log to io.Discard), without TLS and sockets.
func BenchmarkValidateHandler(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tools", "webhookload", "deployment.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	obj, err := yaml.YAMLToJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	body := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"apps","version":"v1","kind":"Deployment"},"namespace":"shop","name":"checkout-api","operation":"CREATE","userInfo":{"username":"ci"},"object":%s}}`, obj)
	s, err := New(Options{ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/validate", strings.NewReader(body)))
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}
