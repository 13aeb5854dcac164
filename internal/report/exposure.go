package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// orderByExposure puts the findings that carry an exposure (the images workloads run,
// scan --images and cluster --images) first, the most exposed first
// (finding.MoreExposed); every other finding keeps its place relative to the others.
// The slice is copied when it changes, so the caller's order stays as it was.
func orderByExposure(fs []finding.Finding) []finding.Finding {
	exposed := false
	for i := range fs {
		if fs[i].Exposure != nil {
			exposed = true
			break
		}
	}
	if !exposed {
		return fs
	}
	out := append([]finding.Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool { return finding.MoreExposed(&out[i], &out[j]) })
	return out
}

// writeExposureText writes an image's exposure under its heading: the score, then
// a line per workload with its score and why ("internet (LoadBalancer Service
// shop/web); token of shop/web: cluster-admin equivalent; host: privileged container
// app").
func writeExposureText(w io.Writer, e *finding.Exposure) {
	if e == nil {
		return
	}
	if len(e.Workloads) == 1 {
		safetext.Fprintf(w, "  exposure %d (1 workload):\n", e.Score)
	} else {
		safetext.Fprintf(w, "  exposure %d (the highest of %d workloads):\n", e.Score, len(e.Workloads))
	}
	for _, we := range e.Workloads {
		safetext.Fprintf(w, "    %2d  %s: %s\n", we.Score, we.Object.String(), workloadExposureText(&we))
	}
}

// workloadExposureText says why a workload scores what it does.
func workloadExposureText(we *finding.WorkloadExposure) string {
	parts := []string{we.Network}
	if len(we.NetworkWhy) > 0 {
		parts[0] += " (" + strings.Join(we.NetworkWhy, "; ") + ")"
	}
	if we.ServiceAccount != "" {
		if len(we.Identity) > 0 {
			parts = append(parts, fmt.Sprintf("token of ServiceAccount %s: %s", we.ServiceAccount, strings.Join(we.Identity, ", ")))
		} else {
			parts = append(parts, "token of ServiceAccount "+we.ServiceAccount+" (no dangerous permission)")
		}
	}
	if len(we.Host) > 0 {
		parts = append(parts, "host: "+strings.Join(we.Host, ", "))
	}
	return strings.Join(parts, "; ")
}
