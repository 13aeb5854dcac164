package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// rbacInput are the input flags every rbac command shares.
type rbacInput struct {
	inputFlags
	includeDefaults bool
	abacFile        string
}

func (in *rbacInput) register(f *pflag.FlagSet) {
	in.registerCommon(f, true)
	f.StringVar(&in.abacFile, "abac-policy-file", "", "ABAC policy file (one JSON policy per line), authorized after RBAC as with --authorization-mode=RBAC,ABAC")
}

// registerCommon adds the input flags without --abac-policy-file; withConfig adds
// --config too (risks shares scan's).
func (in *rbacInput) registerCommon(f *pflag.FlagSet, withConfig bool) {
	in.liveByDefault = true
	in.inputFlags.register(f, withConfig)
	f.Lookup("kube-version").Usage = "Kubernetes version Helm charts are rendered for, and whose bootstrap policy --include-defaults adds (default: the newest embedded)"
	f.BoolVar(&in.includeDefaults, "include-defaults", false, "add the bootstrap ClusterRoles and ClusterRoleBindings the API server of --kube-version creates (what system:authenticated gets by default, etc.)")
}

// read reads the input (paths, or the live cluster) with what the analysis decodes,
// the bootstrap policy first when asked. A live list that failed is an input error:
// the answers would be incomplete without it.
func (in *rbacInput) read(ctx context.Context, args []string, stdin io.Reader, finder *workload.Finder) ([]*inventory.Object, []finding.InputError, int, error) {
	src, err := in.source(args, stdin, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig")
	if err != nil {
		return nil, nil, 0, err
	}
	res, err := src.Read(ctx, source.Needs{Kinds: rbac.Kinds, Finder: finder})
	if err != nil {
		return nil, nil, 0, err
	}
	objs := res.Inventory.Objects
	if in.includeDefaults {
		if objs, err = rbac.WithDefaults(objs, in.helm.KubeVersion); err != nil {
			return nil, nil, 0, err
		}
	}
	if objs == nil {
		objs = []*inventory.Object{}
	}
	return objs, res.AllErrors(), res.Inputs, nil
}

// model reads the input and builds the RBAC model; input errors are printed to stderr
// and reported through the returned flag, problems (bindings that grant nothing) as
// notes.
func (in *rbacInput) model(ctx context.Context, stdin io.Reader, stderr io.Writer) (*rbac.Model, []rbac.Problem, bool, error) {
	finder, err := in.finder()
	if err != nil {
		return nil, nil, false, err
	}
	opts := rbac.Options{IncludeDefaults: in.includeDefaults, KubeVersion: in.helm.KubeVersion, Finder: finder}
	if in.abacFile != "" {
		if opts.Extra, err = rbac.LoadABACFile(in.abacFile); err != nil {
			return nil, nil, false, fmt.Errorf("--abac-policy-file: %w", err)
		}
	}
	res, err := func() (*source.Result, error) {
		src, err := in.source(nil, stdin, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig")
		if err != nil {
			return nil, err
		}
		return src.Read(ctx, source.Needs{Kinds: rbac.Kinds, Finder: finder})
	}()
	if err != nil {
		return nil, nil, false, err
	}
	m, problems, err := rbac.Build(res.Inventory.Objects, opts)
	errs := res.AllErrors()
	if err != nil {
		return nil, nil, false, err
	}
	reportInput(stderr, res.Notices, errs)
	for _, p := range problems {
		safetext.Fprintln(stderr, "palisade: note:", p.String()+locSuffix(p.Ref))
	}
	return m, problems, len(errs) > 0, nil
}

// warnAbsent prints what the input knows nothing about (rbac.Model.Absent).
func warnAbsent(stderr io.Writer, absent []string) {
	for _, a := range absent {
		safetext.Fprintln(stderr, "palisade: warning:", a)
	}
}

func locSuffix(r rbac.Ref) string {
	if r.Location.File == "" || r.Location.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", r.Location.File, r.Location.Line)
}

func newRBAC(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "rbac",
		Short: "Analyse RBAC: who can do what, and what a subject can do, with the chain behind each answer",
		Long: `Answer RBAC questions exactly as the API server's RBAC authorizer decides them, from
manifests (-f, the same inputs as scan) or the live cluster (--cluster, or no -f): ClusterRole aggregation,
RoleBindings to ClusterRoles, service account subjects, the implicit groups
(system:authenticated, system:serviceaccounts[:NS]) and system:masters all count.

Subjects are sa:NAMESPACE:NAME, user:NAME or group:NAME. Resources are named as with
kubectl: pods, po, deploy, deployments.apps, pods/exec, widgets.example.com.

Exit codes: 0 success; 1 can: the request is denied, risks: findings at or above
--fail-on; 2 usage error; 3 some input could not be read (the answer covers the rest);
4 internal error (a bug to report). Bindings that grant nothing (their role is missing)
are printed as notes.`,
	}
	c.AddCommand(newRBACWhoCan(stdin, stdout, stderr), newRBACCan(stdin, stdout, stderr), newRBACRisks(stdin, stdout, stderr))
	return c
}

// errClusterScoped says an -A request is asked cluster-wide instead.
var errClusterScoped = errors.New("cluster-scoped")

// rbacRequest builds the request of VERB RESOURCE [NAME] or VERB --non-resource-url,
// with notes about how the resource was read.
func rbacRequest(args []string, url, namespace string, anyNamespace bool, stderr io.Writer) (rbac.Attributes, error) {
	if len(args) == 0 || args[0] == "" {
		return rbac.Attributes{}, errors.New("missing VERB")
	}
	a := rbac.Attributes{Verb: args[0]}
	if url != "" {
		if len(args) > 1 {
			return a, errors.New("--non-resource-url takes no RESOURCE or NAME")
		}
		if !strings.HasPrefix(url, "/") && url != "*" {
			return a, fmt.Errorf("--non-resource-url %q: a path starts with /", url)
		}
		a.Path = url
		return a, nil
	}
	if len(args) < 2 {
		return a, errors.New("missing RESOURCE (or --non-resource-url PATH)")
	}
	if len(args) > 3 {
		return a, fmt.Errorf("too many arguments: want VERB RESOURCE [NAME], got %q", strings.Join(args, " "))
	}
	r, err := rbac.ParseResource(args[1])
	if err != nil {
		return a, err
	}
	if !r.Known {
		safetext.Fprintf(stderr, "palisade: note: %q is not a built-in resource: asking about resource %q of the core group (write RESOURCE.GROUP for a custom resource)\n", args[1], r.Resource)
	}
	a.ResourceRequest, a.APIGroup, a.Resource, a.Subresource, a.Namespace = true, r.Group, r.Resource, r.Subresource, namespace
	if len(args) == 3 {
		a.Name = args[2]
	}
	if !r.Namespaced && namespace != "" {
		safetext.Fprintf(stderr, "palisade: note: %s are cluster-scoped: asking cluster-wide, not in namespace %s\n", r.Resource, namespace)
		a.Namespace = ""
	}
	if !r.Namespaced && anyNamespace {
		safetext.Fprintf(stderr, "palisade: note: %s are cluster-scoped: asking cluster-wide (requests for them carry no namespace, so RoleBindings never apply)\n", r.Resource)
		a.ResourceRequest = true
		return a, errClusterScoped
	}
	return a, nil
}

func newRBACWhoCan(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in           rbacInput
		namespace    string
		anyNamespace bool
		url          string
		format       string
		outFile      string
	)
	c := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [NAME] [-n NS | -A] | who-can VERB --non-resource-url PATH",
		Short: "Every user, group and service account allowed a request, with the binding and role that allow it",
		Long: `List every subject the request is allowed to, each with every chain binding -> role -> rule
that allows it, and the workloads whose pods run as each allowed service account (they
can make the request if compromised).

Without -n the request is cluster-wide (list pods in all namespaces, get nodes): only
ClusterRoleBindings count. With -n NS it is made in that namespace: its RoleBindings
count too. With -A, RoleBindings of every namespace count, each chain saying where it
applies.`,
		Example: `  palisade rbac who-can get secrets -n shop-insecure -f examples/insecure
  palisade rbac who-can create pods/exec -A
  palisade rbac who-can update deployments.apps/scale storefront -n shop-insecure -f examples/insecure
  palisade rbac who-can get --non-resource-url /metrics
  palisade rbac who-can list secrets -A -o dot -f examples/insecure | dot -Tsvg > secrets.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if anyNamespace && namespace != "" {
				return finish(stderr, errors.New("-n and -A exclude each other"), false, 0)
			}
			a, err := rbacRequest(args, url, namespace, anyNamespace, stderr)
			if errors.Is(err, errClusterScoped) {
				anyNamespace, err = false, nil
			}
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			m, problems, bad, err := in.model(cmd.Context(), stdin, stderr)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			warnAbsent(stderr, m.Absent(nil, a.Namespace))
			v := rbac.WhoCanView{Request: a, Problems: problems}
			switch {
			case anyNamespace && a.ResourceRequest:
				v.Scope, v.Answers = rbac.ScopeAnyNamespace, m.WhoCanAnyNamespace(a)
			case a.Namespace != "":
				v.Scope, v.Answers = rbac.ScopeNamespace, m.WhoCan(a)
			default:
				v.Scope, v.Answers = rbac.ScopeCluster, m.WhoCan(a)
			}
			err = writeTo(stdout, outFile, func(w io.Writer) error { return rbac.WriteWhoCan(w, v, format) })
			return finish(stderr, err, bad, 0)
		},
	}
	in.register(c.Flags())
	c.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: a cluster-wide request)")
	c.Flags().BoolVarP(&anyNamespace, "all-namespaces", "A", false, "the request in any namespace: RoleBindings of every namespace count")
	c.Flags().StringVar(&url, "non-resource-url", "", "a non-resource request (/healthz, /metrics) instead of RESOURCE")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(rbac.WhoCanFormats, ", "))
	c.Flags().StringVar(&outFile, "output-file", "", "write the output to this file instead of standard output")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(rbac.WhoCanFormats))
	return c
}

func newRBACCan(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in        rbacInput
		namespace string
		groups    []string
		url       string
		format    string
	)
	c := &cobra.Command{
		Use:   "can SUBJECT [VERB RESOURCE[/SUBRESOURCE] [NAME]] [-n NS]",
		Short: "What a subject can do (its effective rules), or whether it can make one request and why",
		Long: `With SUBJECT alone, list the subject's effective rules, like kubectl auth can-i --list: in
namespace NS with -n (its RoleBindings and every ClusterRoleBinding), else in every
namespace, each rule with the namespace it applies in (* cluster-wide) and its chain.

With a request, answer yes or no with the reason and every chain that allows it; exit 1
when denied. Without -n the request is cluster-wide.

SUBJECT is sa:NAMESPACE:NAME (a service account, with its groups system:serviceaccounts,
system:serviceaccounts:NAMESPACE and system:authenticated), user:NAME (with the
--group groups and system:authenticated) or group:NAME.`,
		Example: `  palisade rbac can sa:shop:storefront -f examples/hardened
  palisade rbac can sa:shop:storefront get configmaps storefront-config -n shop -f examples/hardened
  palisade rbac can user:alice --group devs create deployments.apps -n shop
  palisade rbac can group:system:authenticated get --non-resource-url /version`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return finish(stderr, errors.New("missing SUBJECT (sa:NAMESPACE:NAME, user:NAME or group:NAME)"), false, 0)
			}
			subject, err := rbac.ParseSubject(args[0])
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			u := rbac.UserInfoFor(subject, groups)
			var a rbac.Attributes
			ask := len(args) > 1 || url != ""
			if ask {
				if a, err = rbacRequest(args[1:], url, namespace, false, stderr); err != nil {
					return finish(stderr, err, false, 0)
				}
				a.User = u
			}
			m, problems, bad, err := in.model(cmd.Context(), stdin, stderr)
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			ns := namespace
			if ask {
				ns = a.Namespace
			}
			warnAbsent(stderr, m.Absent(&subject, ns))
			if !ask {
				v := rbac.RulesView{Subject: subject, User: u, Namespace: namespace, Problems: problems}
				for _, g := range u.Groups {
					v.Masters = v.Masters || g == rbac.GroupMasters
				}
				if namespace == "" {
					v.AnyNamespace, v.Rules = true, m.RulesForAnyNamespace(u)
				} else {
					v.Rules = m.RulesFor(u, namespace)
				}
				return finish(stderr, rbac.WriteRules(stdout, v, format), bad, 0)
			}
			d := m.Authorize(a)
			err = rbac.WriteDecision(stdout, rbac.DecisionView{Subject: subject, Request: a, Decision: d, Problems: problems}, format)
			code := 0
			if !d.Allowed {
				code = ExitFindings
			}
			return finish(stderr, err, bad, code)
		},
	}
	in.register(c.Flags())
	c.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request or of the rules (default: cluster-wide request; rules of every namespace)")
	c.Flags().StringArrayVar(&groups, "group", nil, "a group the user is in (repeatable)")
	c.Flags().StringVar(&url, "non-resource-url", "", "a non-resource request (/healthz, /metrics) instead of RESOURCE")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: "+strings.Join(rbac.ViewFormats, ", "))
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(rbac.ViewFormats))
	return c
}

func newRBACRisks(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		in            rbacInput
		o             scan.Options
		out           outputFlags
		configFile    string
		includeSystem bool
	)
	c := &cobra.Command{
		Use:   "risks",
		Short: "Findings for subjects, and the workloads running as them, that hold dangerous RBAC capabilities (PAL-330..PAL-345)",
		Long: `Report every user, group and service account that can take over more than it should:
hold every permission, escalate through role edits, bind any role, impersonate, read
secrets, create pods or pod controllers, exec into or attach to pods, reach kubelets
through nodes/proxy, mint service account tokens, create and approve CSRs, change
admission control, write RBAC objects, create PersistentVolumes, modify nodes or delete
events (rules PAL-330..PAL-344, see palisade rules), and every workload whose pods run
with such a token (PAL-345).

Each finding names where the capability holds (cluster-wide, or the namespaces) and the
chains subject -> binding -> role -> rule; what a subject's groups hold counts too.
Severity follows reach: cluster-wide or in kube-system is the rule's severity, other
namespaces lower. Grants of Kubernetes' bootstrap policy (the control plane's own
components) are left out unless --include-system.

Reports work as for scan: same formats, gate (--fail-on), configuration, suppressions,
baseline and exit codes. --include picks among these rules.`,
		Example: `  palisade rbac risks -f examples/insecure
  palisade rbac risks -f examples/insecure --include-defaults -o sarif --output-file rbac.sarif
  palisade rbac risks --context prod --fail-on critical
  palisade rbac risks --include PAL-334,PAL-345 -o json`,
		// As in who-can and can, whose arguments are the question, rbac commands take
		// their paths with -f only.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := ruleIDsAmong(rules.IDsFor(rules.RBACRisks), o.Include, "RBAC risk")
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			if includeSystem {
				cfg = cfg.WithParam(identity.RiskParamRule, identity.RiskParamBootstrap, "report")
			}
			objs, errs, read, err := in.read(cmd.Context(), args, stdin, workload.NewFinder(cfg.PodTemplatePaths))
			if err != nil {
				return finish(stderr, err, false, 0)
			}
			o.Include, o.Config, o.Version = ids, cfg, Version
			o.Source = &source.Objects{Objects: objs, Inputs: read, Errors: errs}
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	in.registerCommon(c.Flags(), false)
	out.register(c, &o, &configFile)
	c.Flags().BoolVar(&includeSystem, "include-system", false, "also count the grants of Kubernetes' bootstrap policy (bindings labelled kubernetes.io/bootstrapping=rbac-defaults)")
	return c
}
