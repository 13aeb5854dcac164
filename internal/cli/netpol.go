package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// netpolInput are the input flags every netpol command shares: those of every
// analysis command (inputFlags) and the pod network's ranges.
type netpolInput struct {
	inputFlags
	podCIDRs []string
}

// register adds the input flags; withConfig adds --config too (lint shares scan's).
func (in *netpolInput) register(f *pflag.FlagSet, withConfig bool) {
	in.liveByDefault = true
	in.inputFlags.register(f, withConfig)
	if withConfig {
		f.StringSliceVar(&in.podCIDRs, "pod-cidr", nil, "address ranges of the pod network: an ipBlock containing all of them then also matches pods, as some network plugins apply ipBlocks to pod traffic")
	}
}

// model reads the input (paths, or the live cluster) and builds its NetworkPolicy
// model; input errors are printed to stderr and reported through the returned flag.
func (in *netpolInput) model(ctx context.Context, stdin io.Reader, stderr io.Writer, args []string) (*netpol.Model, bool, error) {
	finder, err := in.finder()
	if err != nil {
		return nil, false, err
	}
	src, err := in.source(args, stdin, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig")
	if err != nil {
		return nil, false, err
	}
	var cidrs []netip.Prefix
	for _, c := range in.podCIDRs {
		p, err := netpol.ParseCIDR(c)
		if err != nil {
			return nil, false, fmt.Errorf("--pod-cidr: %w", err)
		}
		cidrs = append(cidrs, p)
	}
	res, err := src.Read(ctx, source.Needs{Kinds: netpol.Kinds, Finder: finder, PodFacts: true})
	if err != nil {
		return nil, false, err
	}
	m := netpol.Build(res.Inventory, netpol.Options{Finder: finder, PodCIDRs: cidrs})
	errs := append(res.AllErrors(), m.Errors...)
	reportInput(stderr, res.Notices, errs)
	for _, n := range m.Notes {
		safetext.Fprintln(stderr, "palisade: note:", n)
	}
	return m, len(errs) > 0, nil
}

// reportInput prints what reading the input noticed (objects defined twice, links out
// of the tree) and its input errors, as scan does.
func reportInput(stderr io.Writer, notices []finding.Notice, errs []finding.InputError) {
	for _, n := range notices {
		safetext.Fprintf(stderr, "palisade: notice: %s\n", n)
	}
	for _, e := range errs {
		safetext.Fprintln(stderr, "palisade: input error:", e.Error())
	}
}

// finish turns the outcome of a netpol view into an exit code: usage errors 2, input
// errors 3 (the view still covers everything else), else code.
func finish(stderr io.Writer, err error, inputErrors bool, code int) error {
	switch {
	case err != nil:
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	case inputErrors:
		return exitError{ExitInputErrors}
	case code != 0:
		return exitError{code}
	}
	return nil
}

func newNetpol(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "netpol",
		Short: "Analyse NetworkPolicies: isolation, reachability, connectivity matrix, diff and lint",
		Long: `Analyse what NetworkPolicies allow, exactly as the networking.k8s.io/v1 API defines it,
from manifests (paths as arguments or with -f, the same inputs as scan) or the live cluster
(--cluster, or no path).

Workloads are named NAMESPACE/KIND/NAME (kinds are case-insensitive; deploy, sts, ds, po, cj
and the like work). Semantics and what depends on the network plugin: docs/netpol.md.

Exit codes: 0 success; 1 reach: the connection is denied (or, with --port, not all of it is
allowed); diff --fail-on-open: a connection is opened; lint: findings at or above --fail-on;
2 usage error; 3 some input could not be read or a policy is invalid (the output still
covers the rest); 4 internal error (a bug to report).`,
	}
	c.AddCommand(newNetpolIsolation(stdin, stdout, stderr), newNetpolReach(stdin, stdout, stderr),
		newNetpolMatrix(stdin, stdout, stderr), newNetpolDiff(stdin, stdout, stderr), newNetpolLint(stdin, stdout, stderr))
	return c
}

func newNetpolIsolation(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in      netpolInput
		filter  netpol.Filter
		format  string
		outFile string
	)
	c := &cobra.Command{
		Use:   "isolation [PATH...]",
		Short: "Per workload, whether ingress and egress are isolated and by which policies",
		Example: `  palisade netpol isolation -f examples/insecure
  palisade netpol isolation -f examples/hardened -n shop -o json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, bad, err := in.model(cmd.Context(), stdin, stderr, args)
			if err == nil {
				err = writeTo(stdout, outFile, func(w io.Writer) error { return netpol.WriteIsolation(w, m.Isolation(filter), format) })
			}
			return finish(stderr, err, bad, 0)
		},
	}
	in.register(c.Flags(), true)
	c.Flags().StringSliceVarP(&filter.Namespaces, "namespace", "n", nil, "only workloads of these namespaces (repeatable)")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(netpol.ViewFormats, ", "))
	c.Flags().StringVar(&outFile, "output-file", "", "write the output to this file instead of standard output")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(netpol.ViewFormats))
	return c
}

// parseEndpoint reads NS/KIND/NAME, or an address or CIDR when outside is allowed.
func parseEndpoint(m *netpol.Model, s string) (netpol.Endpoint, error) {
	parts := strings.Split(s, "/")
	if len(parts) == 3 && !strings.Contains(s, ":") {
		w := m.Workload(parts[0], parts[1], parts[2])
		if w == nil {
			return netpol.Endpoint{}, fmt.Errorf("no workload %s in the input (want NAMESPACE/KIND/NAME of an object that runs pods)", s)
		}
		return netpol.Endpoint{Workload: w}, nil
	}
	p, err := netpol.ParseAddresses(s)
	if err != nil {
		return netpol.Endpoint{}, fmt.Errorf("%q: want NAMESPACE/KIND/NAME, an IP address or a CIDR", s)
	}
	return netpol.Endpoint{Addresses: p}, nil
}

func newNetpolReach(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in             netpolInput
		from, to, port string
		format         string
		explain        bool
	)
	c := &cobra.Command{
		Use:   "reach --from NS/KIND/NAME|CIDR --to NS/KIND/NAME|CIDR [--port 443/TCP] [PATH...]",
		Short: "Whether one workload can reach another (or addresses outside the cluster), and which rules decide",
		Example: `  palisade netpol reach -f examples/hardened --from shop/job/db-migrate --to shop/sts/orders-db --port 5432
  palisade netpol reach -f examples/hardened --from shop/cronjob/nightly-image-build --to 0.0.0.0/0 --port 443/TCP --explain`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return finish(stderr, errors.New("reach needs --from and --to"), false, 0)
			}
			requested := netpol.AllPorts()
			if port != "" {
				p, err := netpol.ParsePort(port)
				if err != nil {
					return finish(stderr, fmt.Errorf("--port: %w", err), false, 0)
				}
				requested = p
			}
			m, bad, err := in.model(cmd.Context(), stdin, stderr, args)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			src, err := parseEndpoint(m, from)
			if err != nil {
				return finish(stderr, fmt.Errorf("--from: %w", err), bad, 0)
			}
			dst, err := parseEndpoint(m, to)
			if err != nil {
				return finish(stderr, fmt.Errorf("--to: %w", err), bad, 0)
			}
			v, err := m.Reach(src, dst, requested)
			if err == nil {
				err = netpol.WriteVerdict(stdout, v, format, explain)
			}
			code := 0
			if v != nil && (v.Denied() || (port != "" && !v.Allowed())) {
				code = ExitFindings
			}
			return finish(stderr, err, bad, code)
		},
	}
	in.register(c.Flags(), true)
	c.Flags().StringVar(&from, "from", "", "source: NAMESPACE/KIND/NAME, or an address or CIDR outside the cluster")
	c.Flags().StringVar(&to, "to", "", "destination: NAMESPACE/KIND/NAME, or an address or CIDR outside the cluster")
	c.Flags().StringVar(&port, "port", "", "port to check: PORT[/TCP|UDP|SCTP] or a range 8000-8080/TCP (default: any port)")
	c.Flags().BoolVar(&explain, "explain", false, "show every step of the evaluation")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(netpol.ViewFormats, ", "))
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(netpol.ViewFormats))
	return c
}

func newNetpolMatrix(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in      netpolInput
		filter  netpol.Filter
		format  string
		outFile string
	)
	c := &cobra.Command{
		Use:   "matrix [PATH...]",
		Short: "Connectivity between all workloads and with the outside of the cluster",
		Example: `  palisade netpol matrix -f examples/hardened
  palisade netpol matrix -f examples/hardened -n shop -o dot | dot -Tsvg > shop.svg
  palisade netpol matrix -f examples/insecure -o csv --output-file connections.csv`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, bad, err := in.model(cmd.Context(), stdin, stderr, args)
			if err == nil {
				x := m.Matrix()
				err = writeTo(stdout, outFile, func(w io.Writer) error { return netpol.WriteMatrix(w, x, filter, format) })
			}
			return finish(stderr, err, bad, 0)
		},
	}
	in.register(c.Flags(), true)
	c.Flags().StringSliceVarP(&filter.Namespaces, "namespace", "n", nil, "only workloads of these namespaces, at both ends (repeatable)")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(netpol.MatrixFormats, ", "))
	c.Flags().StringVar(&outFile, "output-file", "", "write the output to this file instead of standard output")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(netpol.MatrixFormats))
	return c
}

func newNetpolDiff(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in         netpolInput
		filter     netpol.Filter
		format     string
		failOnOpen bool
	)
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Connections added and removed between two versions of the manifests",
		Long: `Compare what two versions of the manifests allow: each of OLD and NEW is a file, directory,
chart or overlay (as for -f). Workloads are matched by namespace, kind and name. With
--fail-on-open the command exits 1 when the new version opens or widens a connection: a
code-review gate.`,
		Example: `  palisade netpol diff examples/insecure/chart examples/hardened/chart --set namespaceOverride=shop
  palisade netpol diff examples/hardened/chart examples/insecure/chart --set namespaceOverride=shop --fail-on-open -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(in.files) > 0 || in.cluster {
				return finish(stderr, errors.New("diff takes OLD and NEW as arguments, not -f or --cluster"), false, 0)
			}
			oldM, badOld, err := in.model(cmd.Context(), stdin, stderr, args[:1])
			if err != nil {
				return finish(stderr, fmt.Errorf("OLD: %w", err), false, 0)
			}
			newM, badNew, err := in.model(cmd.Context(), stdin, stderr, args[1:])
			if err != nil {
				return finish(stderr, fmt.Errorf("NEW: %w", err), false, 0)
			}
			d := netpol.DiffMatrices(oldM.Matrix(), newM.Matrix(), filter)
			err = netpol.WriteDiff(stdout, d, format)
			code := 0
			if failOnOpen && d.Added() {
				code = ExitFindings
			}
			return finish(stderr, err, badOld || badNew, code)
		},
	}
	in.register(c.Flags(), true)
	// OLD and NEW are paths: the live-cluster input flags do not apply (-f is kept
	// only to say so).
	for _, f := range []string{"filename", "cluster", "kubeconfig", "context", "request-timeout"} {
		_ = c.Flags().MarkHidden(f)
	}
	c.Flags().StringSliceVarP(&filter.Namespaces, "namespace", "n", nil, "only workloads of these namespaces, at both ends (repeatable)")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(netpol.ViewFormats, ", "))
	c.Flags().BoolVar(&failOnOpen, "fail-on-open", false, "exit 1 when the new version opens or widens a connection")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(netpol.ViewFormats))
	return c
}

func newNetpolLint(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in         netpolInput
		o          scan.Options
		out        outputFlags
		configFile string
	)
	c := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "NetworkPolicy findings (PAL-421..PAL-432) with the model, reports and exit codes of scan",
		Long: `Run the NetworkPolicy rules (PAL-421..PAL-432, see palisade rules) on manifests (paths or -f)
or the live cluster (--cluster, or no path), and report as scan and cluster do: same
formats, gate (--fail-on), configuration, suppressions, baseline and exit codes.
--include picks among these rules.`,
		Example: `  palisade netpol lint -f examples/insecure
  palisade netpol lint -f examples/insecure -o sarif --output-file netpol.sarif
  palisade netpol lint --context prod`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := lintRuleIDs(o.Include)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			o.Include, o.Config, o.Version = ids, cfg, Version
			if o.Source, err = in.source(args, stdin, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig"); err != nil {
				return finish(stderr, err, false, 0)
			}
			o.BoundMemory = !in.live(args)
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	in.register(c.Flags(), false)
	out.register(c, &o, &configFile)
	return c
}

// lintRuleIDs returns the NetworkPolicy rules to run: all of them, or those matching
// the patterns (each must match one).
func lintRuleIDs(patterns []string) ([]string, error) {
	var ids []string
	for _, r := range scan.AllRules() {
		if netpol.IsLintRule(r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ruleIDsAmong(ids, patterns, "NetworkPolicy")
}

// ruleIDsAmong returns the rules of a command's family to run: all of ids, or those
// matching the patterns (each must match one of them).
func ruleIDsAmong(ids, patterns []string, family string) ([]string, error) {
	if len(patterns) == 0 {
		return ids, nil
	}
	var out []string
	for _, p := range patterns {
		n := 0
		for _, id := range ids {
			if ok, _ := path.Match(strings.ToUpper(p), id); ok {
				out = append(out, id)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("--include %q matches no %s rule (%s..%s)", p, family, ids[0], ids[len(ids)-1])
		}
	}
	return out, nil
}

// writeTo writes to a file when one is named, else to w.
func writeTo(w io.Writer, file string, write func(io.Writer) error) error {
	if file == "" {
		return write(w)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
