package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/auditpolicy"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// newAuditCoverage is `palisade audit coverage`: which detections an audit Policy
// leaves blind or degrades, and which credentials it writes into the log.
func newAuditCoverage(stdout, stderr io.Writer) *cobra.Command {
	format := "text"
	readPolicy := false
	c := &cobra.Command{
		Use:   "coverage POLICY|MANIFEST...",
		Short: "Say which detections an audit Policy leaves blind, and what it leaks",
		Long: `Judge audit Policies (the files of kube-apiserver's --audit-policy-file) against
the audit detections: for each, whether the requests it reads are logged at the
level and stage it needs (covered), below that level (degraded) or not at all
(blind), with the policy rule that decides; and which credentials the policy writes
into the log (Secrets, ConfigMaps, TokenReviews, service-account tokens at Request
or RequestResponse level). The policy is evaluated with kube-apiserver's own rule
evaluator.

A kube-apiserver static pod manifest names its --audit-policy-file (a path on the
node: pass that file too to judge it, or give --read-policy to read it, relative to
the manifest's directory when the path is relative); a manifest without one logs
nothing.
Exit code 1 when a detection is blind, 3 when a file cannot be read or decoded.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("unknown format %q: text or json", format)
			}
			var reports []coverageResult
			inputErrs := 0
			for _, path := range args {
				res, err := auditCoverageOf(path, readPolicy)
				if err != nil {
					inputErrs++
					safetext.Fprintf(stderr, "palisade: %s\n", err)
					continue
				}
				reports = append(reports, res)
			}
			var err error
			if format == "json" {
				err = writeCoverageJSON(stdout, reports)
			} else {
				err = writeCoverageText(stdout, reports)
			}
			if err != nil {
				return err
			}
			if inputErrs > 0 {
				return exitError{ExitInputErrors}
			}
			for _, r := range reports {
				if len(r.Report.Blind()) > 0 {
					return exitError{ExitFindings}
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "o", format, "output format: text or json")
	c.Flags().BoolVar(&readPolicy, "read-policy", false, "read the audit policy a kube-apiserver manifest names (a relative path from the manifest's directory) and judge it")
	return c
}

// coverageResult is the coverage of one file given.
type coverageResult struct {
	File string `json:"file"`
	// Manifest: the file is a kube-apiserver manifest; PolicyFile what it names.
	Manifest   bool                `json:"manifest,omitempty"`
	PolicyFile string              `json:"policyFile,omitempty"`
	Report     *auditpolicy.Report `json:"coverage,omitempty"`
}

func auditCoverageOf(path string, readPolicy bool) (coverageResult, error) {
	name := path
	data, err := readBounded(path)
	if err != nil {
		return coverageResult{}, err
	}
	in, err := auditpolicy.Read(data, name)
	if err != nil {
		return coverageResult{}, err
	}
	res := coverageResult{File: name, Manifest: in.Manifest, PolicyFile: in.PolicyFile}
	if in.Manifest && in.PolicyFile != "" && readPolicy {
		// Only on request: the path is the node's, read here as the user says.
		pf := in.PolicyFile
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(filepath.Dir(path), pf)
		}
		pdata, err := readBounded(pf)
		if err != nil {
			return coverageResult{}, fmt.Errorf("%s names --audit-policy-file=%s: %w", path, in.PolicyFile, err)
		}
		pin, err := auditpolicy.Read(pdata, pf)
		if err != nil {
			return coverageResult{}, err
		}
		if pin.Policy == nil {
			return coverageResult{}, fmt.Errorf("%s: not an audit Policy (named by %s)", pf, path)
		}
		in.Policy = pin.Policy
	}
	switch {
	case in.Policy != nil:
		res.Report = auditpolicy.Evaluate(in.Policy, nil)
	case in.PolicyFile == "":
		res.Report = auditpolicy.Evaluate(nil, nil)
		res.Report.File = name
	}
	return res, nil
}

// readBounded reads a file of at most the policy bound (one byte more, so Read
// refuses a larger one).
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, auditpolicy.MaxPolicyBytes+1))
}

func writeCoverageJSON(w io.Writer, rs []coverageResult) error {
	if rs == nil {
		rs = []coverageResult{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"policies": rs})
}

func writeCoverageText(w io.Writer, rs []coverageResult) error {
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if r.Manifest && r.Report == nil {
			safetext.Fprintf(w, "%s: kube-apiserver reads its audit policy from %s (a path on the node): pass that file to judge it\n", r.File, r.PolicyFile)
			continue
		}
		switch {
		case r.Manifest && r.PolicyFile != "":
			safetext.Fprintf(w, "%s: kube-apiserver reads its audit policy from %s\n", r.File, r.PolicyFile)
		case r.Manifest:
			safetext.Fprintf(w, "%s: kube-apiserver has no --audit-policy-file: it logs nothing\n", r.File)
		default:
			safetext.Fprintf(w, "%s\n", r.File)
		}
		for _, warn := range r.Report.Warnings {
			safetext.Fprintf(w, "warning: %s\n", warn)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DETECTION\tSTATUS\tDECIDED BY\tREQUEST\tWHY")
		count := map[auditpolicy.Status]int{}
		for _, c := range r.Report.Detections {
			count[c.Status]++
			n := c.Worst()
			by := "no rule"
			if n.Decision.Rule >= 0 {
				by = fmt.Sprintf("rule %d", n.Decision.Rule)
				if l := lineOf(r.Report, n.Decision.Rule); l > 0 {
					by += fmt.Sprintf(" (line %d)", l)
				}
			}
			safetext.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Rule, c.Status, by, n.Probe, orDash(n.Reason))
		}
		tw.Flush()
		if len(r.Report.Leaks) > 0 {
			fmt.Fprintln(w, "Credentials written to the log:")
			for _, l := range r.Report.Leaks {
				by := "no rule"
				if l.Rule >= 0 {
					by = fmt.Sprintf("rule %d", l.Rule)
				}
				safetext.Fprintf(w, "  %s (%s) at level %s by %s: %s\n", l.Resource, l.Why, l.Level, by, strings.Join(l.Verbs, ", "))
			}
		}
		fmt.Fprintf(w, "%d detections: %d covered, %d degraded, %d blind; %d leaks\n", len(r.Report.Detections),
			count[auditpolicy.Covered], count[auditpolicy.Degraded], count[auditpolicy.Blind], len(r.Report.Leaks))
	}
	return nil
}

// lineOf is the line of a policy rule in its file (0 when unknown).
func lineOf(r *auditpolicy.Report, rule int) int {
	if r.Lines == nil || rule < 0 || rule >= len(r.Lines) {
		return 0
	}
	return r.Lines[rule]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
