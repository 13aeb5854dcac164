package cli

// STUB (collect helper): the nodereport helper owns this file and replaces it with
// `palisade node check`; it exists only so that the `node` command builds.

import (
	"io"

	"github.com/palisade-k8s/palisade/internal/safetext"
)

// runNodeCheck runs `palisade node check ARGS...` and returns the exit code.
func runNodeCheck(_ []string, _, stderr io.Writer) int {
	safetext.Fprintln(stderr, "palisade: node check: not built yet")
	return ExitUsage
}
