package secrets

import (
	"fmt"
	"strings"
	"testing"
)

// benchValues is a mix like the corpus: mostly short environment values and
// annotations without any secret, a few credentials, and large ConfigMap files (a
// dashboard-sized JSON document and a properties file).
func benchValues() [][2]string {
	var dash strings.Builder
	dash.WriteString(`{"panels":[`)
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&dash, `{"id":%d,"title":"Requests %d","type":"graph","targets":[{"expr":"sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[5m])) by (pod)","legendFormat":"{{pod}}","refId":"A"}],"gridPos":{"h":8,"w":12,"x":0,"y":%d}},`, i, i, i*8)
	}
	dash.WriteString(`{}]}`)
	var props strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&props, "app.module%d.timeout=%ds\napp.module%d.url=http://svc-%d:8080/api\n", i, i, i, i)
	}
	props.WriteString("app.db.password=h4rdc0ded-pw\n")
	return [][2]string{
		{"LOG_LEVEL", "info"},
		{"JAVA_OPTS", "-Xms512m -Xmx1g -XX:+UseG1GC -Dfile.encoding=UTF-8"},
		{"DB_HOST", "postgres.shop.svc.cluster.local"},
		{"DB_PASSWORD", "${DB_PASSWORD}"},
		{"REDIS_PASSWORD_FILE", "/opt/bitnami/redis/secrets/redis-password"},
		{"", "--config.file=/etc/prometheus/prometheus.yml"},
		{"", "--web.listen-address=:9090"},
		{"checksum/config", "4b1f3c6a7d0e2f9b8c5a1d3e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a"},
		{"kubectl.kubernetes.io/restartedAt", "2024-01-01T00:00:00Z"},
		{"GITHUB_TOKEN", fakeGHP},
		{"DATABASE_URL", "postgresql://app:Tr0ub4dor-3@db:5432/app"},
		{"API_TOKEN", fakeToken32},
		{"dashboard.json", dash.String()},
		{"application.properties", props.String()},
	}
}

func BenchmarkDetect(b *testing.B) {
	values := benchValues()
	n := 0
	for _, v := range values {
		n += len(v[0]) + len(v[1])
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			Detect(v[0], v[1])
		}
	}
}
