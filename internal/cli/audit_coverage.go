package cli

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// newAuditCoverage is `palisade audit coverage`: which detections an audit Policy
// leaves blind (contract stub; internal/auditpolicy's owner writes it).
func newAuditCoverage(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:    "coverage POLICY|MANIFEST...",
		Short:  "Say which detections an audit Policy leaves blind, and what it leaks",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return errors.New("not implemented yet") },
	}
}
