package dockerfile

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParse parses generated Dockerfiles of 100 and 1,000 instructions in
// stages of ten (FROM, ENV, RUN with continuation lines, COPY, USER): throughput,
// and bytes per op growing linearly with the instructions.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var sb strings.Builder
			sb.WriteString("ARG BASE=debian:12-slim\n")
			for i := 0; i < n; i++ {
				switch i % 10 {
				case 0:
					sb.WriteString("FROM ${BASE} AS stage" + strconv.Itoa(i) + "\n")
				case 1, 2:
					sb.WriteString("ENV KEY_" + strconv.Itoa(i) + "=value-" + strconv.Itoa(i) + "\n")
				case 9:
					sb.WriteString("USER 10001\n")
				case 8:
					sb.WriteString("COPY --chown=10001 app/ /srv/app/\n")
				default:
					sb.WriteString("RUN apt-get update \\\n  && apt-get install -y --no-install-recommends pkg" + strconv.Itoa(i) + " \\\n  && rm -rf /var/lib/apt/lists/*\n")
				}
			}
			src := sb.String()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				f, err := Parse([]byte(src))
				if err != nil || len(f.Stages) != n/10 {
					b.Fatalf("%v, %d stages", err, len(f.Stages))
				}
			}
		})
	}
}
