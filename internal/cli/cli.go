// Package cli is Palisade's command line: it parses flags and calls the packages that
// do the work. Nothing here decides what a finding is.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Exit codes.
const (
	ExitOK          = 0
	ExitFindings    = 1
	ExitUsage       = 2
	ExitInputErrors = 3
)

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "palisade:", err)
		return ExitUsage
	}
}

// NewRoot builds the command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "palisade",
		Short:         "Check and enforce Kubernetes security best practices",
		Long:          "Palisade checks Kubernetes manifests, Helm charts and Kustomize overlays against security best practices\n(Pod Security Standards, CIS Kubernetes Benchmark, NSA/CISA hardening guide) and gates CI on the result.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScan(stdin, stdout, stderr), newRules(stdout), newExplain(stdout), newVersion(stdout))
	return root
}

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "palisade %s\n", Version)
			return nil
		},
	}
}

func newRules(stdout io.Writer) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return report.WriteCatalog(stdout, scan.AllRules(), format)
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(report.CatalogFormats, ", "))
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(report.CatalogFormats))
	return c
}

func newExplain(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "Explain a rule: why it matters, how to fix it, what it maps to",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var ids []string
			for _, r := range scan.AllRules() {
				ids = append(ids, r.ID+"\t"+r.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			r, ok := rules.Get(args[0])
			if !ok {
				return fmt.Errorf("unknown rule %q (see `palisade rules`)", args[0])
			}
			report.WriteExplain(stdout, r, false)
			return nil
		},
	}
}

func fixedCompletion(vals []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

func newScan(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		o              scan.Options
		format         string
		outFile        string
		configFile     string
		writeBaseline  string
		noColor        bool
		showSuppressed bool
	)
	c := &cobra.Command{
		Use:   "scan [PATH... | -]",
		Short: "Scan manifests, Helm charts and Kustomize overlays",
		Long: `Scan files and directories (recursively; .yaml, .yml, .json), Helm charts (a directory
with Chart.yaml, or a .tgz), Kustomize overlays (a directory with kustomization.yaml), or
standard input ("-").

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or
configuration error; 3 some input could not be read (the report still covers the rest).`,
		Example: `  palisade scan k8s/
  palisade scan charts/myapp --values prod.yaml --set image.tag=1.2.3
  helm template x ./chart | palisade scan - -o sarif --output-file palisade.sarif`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("scan needs at least one PATH (or - for standard input)")
			}
			wd, _ := os.Getwd()
			cfg, err := scan.LoadConfig(configFile, wd)
			if err != nil {
				fmt.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			o.Paths, o.Config, o.Stdin, o.Version, o.BoundMemory = args, cfg, stdin, Version, true
			res, err := scan.Run(o)
			if err != nil {
				fmt.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			if writeBaseline != "" {
				n, err := scan.WriteBaseline(res, writeBaseline)
				if err != nil {
					fmt.Fprintln(stderr, "palisade:", err)
					return exitError{ExitUsage}
				}
				fmt.Fprintf(stderr, "palisade: wrote %d findings to baseline %s\n", n, writeBaseline)
			}
			w := stdout
			color := !noColor && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
			if outFile != "" {
				f, err := os.Create(outFile)
				if err != nil {
					fmt.Fprintln(stderr, "palisade:", err)
					return exitError{ExitUsage}
				}
				defer f.Close()
				w, color = f, false
			}
			if err := report.Write(w, res.Report, format, report.Options{Color: color, ShowSuppressed: showSuppressed}); err != nil {
				fmt.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			if outFile != "" || format != "text" {
				for _, e := range res.Report.Errors {
					fmt.Fprintln(stderr, "palisade: input error:", e.Error())
				}
			}
			if code := res.ExitCode(); code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&format, "output", "o", "text", "report format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&outFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high, critical, or none (default high)")
	f.StringVar(&configFile, "config", "", "configuration file (default: .palisade.yaml in the working directory or a parent)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace for objects that name none (default \"default\")")
	f.StringVar(&o.PSSVersion, "pss-version", "", "Kubernetes version of the Pod Security Standards to apply, e.g. 1.30 (default latest)")
	f.StringVar(&o.PSSLevel, "pss-level", "", "Pod Security Standards level to hold workloads to: restricted or baseline (default: the config's podSecurityLevel, else restricted)")
	f.StringArrayVarP(&o.Helm.ValuesFiles, "values", "f", nil, "Helm values file (repeatable)")
	f.StringArrayVar(&o.Helm.Set, "set", nil, "Helm value override k=v (repeatable)")
	f.StringVar(&o.Helm.ReleaseName, "release-name", "", "Helm release name (default \"release-name\")")
	f.StringVar(&o.Helm.KubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	f.StringVar(&o.BaselineFile, "baseline", "", "hide findings recorded in this baseline file")
	f.StringVar(&writeBaseline, "write-baseline", "", "record the current findings in this baseline file")
	f.StringSliceVar(&o.Include, "include", nil, "run only these rules (IDs or globs such as PAL-02*, comma-separated or repeated)")
	f.StringSliceVar(&o.Exclude, "exclude", nil, "do not run these rules (IDs or globs)")
	f.BoolVar(&noColor, "no-color", false, "never colour the text report")
	f.BoolVar(&showSuppressed, "show-suppressed", false, "list suppressed findings in the text report")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(report.Formats))
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion([]string{"info", "low", "medium", "high", "critical", "none"}))
	return c
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
