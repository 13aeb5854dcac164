package cli

// The `node` command. CONTRACT NOTE: the collect helper adds `node` to the command
// table with its `collect` subcommand; this file is the minimal dispatch of `node
// check` on the nodereport branch, to reconcile with collect's when both land.

import (
	"io"

	"github.com/spf13/cobra"
)

func newNode(stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Check Kubernetes nodes: judge the facts palisade node collect wrote",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(newNodeCheck(stdout, stderr))
	return c
}
