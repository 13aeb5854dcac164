package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// IndexSuffix is the field path step of list item i: "[i]".
func IndexSuffix(i int) string { return "[" + strconv.Itoa(i) + "]" }

// QuoteList renders names as a quoted, comma-separated list for messages.
func QuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
