package auditrules

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
)

const (
	catAudit     = "audit"
	layerCluster = catalog.LayerCluster
	refAuditing  = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"
)

// commandOf renders the command of an exec request URI
// ("?command=sh&command=-c&command=id -u") as ": sh -c 'id -u'" ("" without one):
// arguments with spaces or quotes are quoted, control characters escaped, the whole
// cut at 200 bytes. The command is the requester's text: reports print it through
// safetext too.
func commandOf(uri string) string {
	cmd := queryOf(uri)["command"]
	if len(cmd) == 0 {
		return ""
	}
	var b strings.Builder
	for i, a := range cmd {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
		if b.Len() > 200 {
			break
		}
	}
	s := b.String()
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..."
	}
	return ": " + s
}

// shellQuote quotes an argument the way a reader would type it: as is when it is
// plain, in single quotes when it holds spaces or shell characters, Go-quoted when
// it holds control characters or single quotes.
func shellQuote(a string) string {
	if a == "" {
		return "''"
	}
	plain, printable := true, true
	for _, r := range a {
		switch {
		case r < 0x20 || r == 0x7f || r == '\'':
			printable = false
		case strings.ContainsRune(" \t$`\"\\|&;<>()*?[]{}~#!", r):
			plain = false
		}
	}
	switch {
	case !printable:
		return strconv.Quote(a)
	case !plain:
		return "'" + a + "'"
	}
	return a
}

// queryOf parses the query of a request URI (empty when it has none or it does not
// parse).
func queryOf(uri string) url.Values {
	i := strings.IndexByte(uri, '?')
	if i < 0 {
		return url.Values{}
	}
	q, err := url.ParseQuery(uri[i+1:])
	if err != nil {
		return url.Values{}
	}
	return q
}
