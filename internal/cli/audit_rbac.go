package cli

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// newAuditRBAC is `palisade audit rbac`: least privilege from the log (contract
// stub; internal/leastpriv's owner writes it).
func newAuditRBAC(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:    "rbac [LOG...]",
		Short:  "Compare the permissions identities used with those they are granted, and write least-privilege roles",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return errors.New("not implemented yet") },
	}
}
