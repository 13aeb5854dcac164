package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// newAudit is `palisade audit`: the detections over audit logs. (Contract version:
// the engine's owner replaces this with the full command: formats, config,
// suppression, baselines, --follow, -f/--cluster state and RBAC context.)
func newAudit(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	format := "text"
	c := &cobra.Command{
		Use:   "audit [LOG...]",
		Short: "Detect attacks and misuse in Kubernetes audit logs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auditlog.Open(cmd.Context(), args, auditlog.Options{Stdin: stdin})
			if err != nil {
				return err
			}
			defer r.Close()
			var rs []*rules.Rule
			for _, d := range audit.Detections() {
				rs = append(rs, d.Rule)
			}
			var fs []finding.Finding
			e, err := audit.New(audit.Options{Rules: rs, Report: func(f finding.Finding) { fs = append(fs, f) }})
			if err != nil {
				return err
			}
			var inErrs []finding.InputError
			for {
				ev, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var ie *auditlog.InputError
				if errors.As(err, &ie) {
					inErrs = append(inErrs, finding.InputError{Location: finding.Location{File: ie.File, Line: ie.Line, Provenance: finding.FromAudit}, Message: ie.Err.Error()})
					continue
				}
				if err != nil {
					return err
				}
				e.Process(ev)
			}
			e.Close()
			rep := report.New(Version, fs, inErrs, len(r.Files()), r.Events, 0, finding.High, true, rs)
			if err := report.Write(stdout, rep, format, report.Options{}); err != nil {
				return err
			}
			switch {
			case len(inErrs) > 0:
				return exitError{ExitInputErrors}
			case len(fs) > 0:
				return exitError{ExitFindings}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "o", format, fmt.Sprintf("output format: %v", report.Formats()))
	c.AddCommand(newAuditRBAC(stdin, stdout, stderr), newAuditCoverage(stdout, stderr))
	return c
}
