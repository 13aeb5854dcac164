package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/leastpriv"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// leastprivRules are the detections `audit rbac` reports as findings.
var leastprivRules = []string{"PAL-950", "PAL-951"}

// newAuditRBAC is `palisade audit rbac`: least privilege from the log.
func newAuditRBAC(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in            rbacInput
		format        string
		outFile       string
		subjects      []string
		resourceNames bool
		failOn        string
		maxPerSubject int
	)
	c := &cobra.Command{
		Use:   "rbac LOG...",
		Short: "Compare the permissions identities used with those they are granted, and write least-privilege roles",
		Long: `Read audit logs (the same inputs as palisade audit) and report, per user and service
account, the permissions its allowed requests used over the log, the rules it is granted
(from RBAC manifests with -f, or the live cluster: --cluster or no -f) with the uses each
covered, the grants it never used (findings PAL-950) and the risky capabilities it holds
without having needed them (PAL-951), and write the minimal Roles, ClusterRoles and
bindings that cover exactly what it used (-o yaml, ready for kubectl apply -f; remove
the broad bindings they replace yourself).

A rule of a group's binding counts as used when a member used it. Uses in a namespace go
into a Role there; cluster-scoped resources, requests across all namespaces and
non-resource URLs into a ClusterRole. Objects are named palisade-leastpriv-<subject>.
The roles are only as complete as the log: a subject whose uses exceeded the bound is
marked truncated. Details: docs/audit-rbac.md.

Exit codes: 0 success; 1 findings at or above --fail-on (default high); 2 usage error;
3 some input could not be read (the rest still counts); 4 internal error.`,
		Example: `  palisade audit rbac /var/log/kubernetes/audit.log -f /etc/rbac/
  palisade audit rbac /var/log/kubernetes/audit.log --cluster --subject sa:shop:storefront -o yaml --out roles.yaml
  palisade audit rbac /var/log/kubernetes/audit.log.1.gz -f /etc/rbac/ --resource-names -o yaml --out roles.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keep, err := subjectFilter(subjects)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			sev := finding.High
			if failOn != "" && failOn != "none" {
				if sev, err = finding.ParseSeverity(failOn); err != nil {
					return finish(stderr, fmt.Errorf("--fail-on: %w", err), false, 0)
				}
			}
			if !oneOf(leastpriv.Formats, format) {
				return finish(stderr, fmt.Errorf("-o %q: want one of %s", format, strings.Join(leastpriv.Formats, ", ")), false, 0)
			}
			if oneOf(args, "-") && oneOf(in.files, "-") {
				return finish(stderr, errors.New("standard input can hold the log or the RBAC manifests, not both"), false, 0)
			}
			m, _, bad, err := in.model(cmd.Context(), stdin, stderr)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			classes := identity.RiskClasses()
			risks := m.AnalyzeRisks(classes)
			var rs []*rules.Rule
			for _, id := range leastprivRules {
				d, _ := audit.Detection(id)
				rs = append(rs, d.Rule)
			}
			var fs []finding.Finding
			// No Risks: the engine would raise these findings for the risks they are about.
			e, err := audit.New(audit.Options{Rules: rs, RBAC: m, Report: func(f finding.Finding) {
				if keep == nil || keep(findingSubject(f)) {
					fs = append(fs, f)
				}
			}})
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			col := leastpriv.NewCollector(leastpriv.Options{MaxPerSubject: maxPerSubject})
			r, err := auditlog.Open(cmd.Context(), args, auditlog.Options{Stdin: stdin})
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			defer r.Close()
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
					return finish(stderr, err, false, 0)
				}
				col.Add(ev)
				e.Process(ev)
			}
			e.Close()
			rep := leastpriv.Analyze(col, m, keep)
			v := leastpriv.View{Report: rep, Risks: map[string][]leastpriv.UnusedRisk{}}
			for i := range rep.Subjects {
				sr := &rep.Subjects[i]
				if !sr.Masters {
					urs, err := leastpriv.UnusedRisks(risks, classes, sr)
					if err != nil {
						return finish(stderr, err, false, 0)
					}
					if len(urs) > 0 {
						v.Risks[sr.Subject.String()] = urs
					}
				}
				v.Roles = append(v.Roles, leastpriv.Minimal(sr.Subject, sr.Needed(), leastpriv.RoleOptions{ResourceNames: resourceNames}))
				if sr.Truncated {
					safetext.Fprintf(stderr, "palisade: warning: %s: %d uses not recorded, %d without their names (--max-uses): its roles may be insufficient\n", sr.Subject, sr.Dropped, sr.NamesDropped)
				}
			}
			if rep.DroppedEvents > 0 {
				safetext.Fprintf(stderr, "palisade: warning: %d events of identities beyond the bound were not counted\n", rep.DroppedEvents)
			}
			gate := failOn != "none"
			frep := report.New(Version, fs, inErrs, len(r.Files()), r.Events, 0, sev, gate, rs)
			err = writeTo(stdout, outFile, func(w io.Writer) error { return writeAuditRBAC(w, v, frep, format) })
			for _, ie := range inErrs {
				safetext.Fprintln(stderr, "palisade: input error:", ie.Error())
			}
			code := 0
			if frep.Summary.Failed {
				code = ExitFindings
			}
			return finish(stderr, err, bad || len(inErrs) > 0, code)
		},
	}
	in.register(c.Flags())
	f := c.Flags()
	f.StringVarP(&format, "output", "o", "text", "output: text (uses, grants and findings), json (all of it, with the roles and the findings report) or yaml (the minimal roles, ready to apply)")
	f.StringVar(&outFile, "out", "", "write the output to this file instead of standard output")
	f.StringArrayVar(&subjects, "subject", nil, "only this subject: user:NAME or sa:NAMESPACE:NAME (repeatable)")
	f.BoolVar(&resourceNames, "resource-names", false, "restrict get, update, patch and delete to the object names used (never create, list, watch or deletecollection)")
	f.StringVar(&failOn, "fail-on", "", "lowest severity of a finding that fails the run: info, low, medium, high, critical, or none (default high)")
	f.IntVar(&maxPerSubject, "max-uses", leastpriv.DefaultMaxPerSubject, "most distinct permissions recorded per subject (beyond it, names are dropped, then uses)")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(leastpriv.Formats))
	return c
}

func oneOf(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// subjectFilter parses --subject values (nil: every subject).
func subjectFilter(values []string) (func(rbac.Subject) bool, error) {
	if len(values) == 0 {
		return nil, nil
	}
	want := map[rbac.Subject]bool{}
	for _, v := range values {
		s, err := rbac.ParseSubject(v)
		if err != nil {
			return nil, fmt.Errorf("--subject: %w", err)
		}
		if s.Kind == rbac.KindGroup {
			return nil, fmt.Errorf("--subject %s: groups are not subjects of use (their grants count for their members)", v)
		}
		want[s] = true
	}
	return func(s rbac.Subject) bool { return want[s] }, nil
}

// findingSubject is the subject a PAL-950/951 finding is about (its actor).
func findingSubject(f finding.Finding) rbac.Subject {
	if f.Audit == nil {
		return rbac.Subject{}
	}
	if sa, ok := rbac.ServiceAccountOf(f.Audit.Actor.User); ok {
		return sa
	}
	return rbac.Subject{Kind: rbac.KindUser, Name: f.Audit.Actor.User}
}

// writeAuditRBAC writes the view; text and json carry the findings report too.
func writeAuditRBAC(w io.Writer, v leastpriv.View, frep *report.Report, format string) error {
	switch format {
	case "yaml":
		return leastpriv.WriteView(w, v, "yaml")
	case "json":
		var view, fr bytes.Buffer
		if err := leastpriv.WriteView(&view, v, "json"); err != nil {
			return err
		}
		if err := report.Write(&fr, frep, "json", report.Options{}); err != nil {
			return err
		}
		out := struct {
			LeastPrivilege json.RawMessage `json:"leastPrivilege"`
			Report         json.RawMessage `json:"report"`
		}{view.Bytes(), fr.Bytes()}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if err := leastpriv.WriteView(w, v, "text"); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return report.Write(w, frep, "text", report.Options{})
}
