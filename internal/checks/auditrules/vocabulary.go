package auditrules

import (
	"net/url"
	"strings"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
)

const (
	catAudit     = "audit"
	layerCluster = catalog.LayerCluster
	refAuditing  = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"
)

// commandOf renders the command of an exec or attach request URI
// ("?command=sh&command=-c&command=id") as ": sh -c id" ("" without one). The
// command is the requester's text: reports print it through safetext.
func commandOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	cmd := u.Query()["command"]
	if len(cmd) == 0 {
		return ""
	}
	s := strings.Join(cmd, " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return ": " + s
}
