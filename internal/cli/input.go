package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// inputFlags are the input flags every command that reads manifests shares (scan,
// netpol, rbac): paths as arguments or with -f/--filename (repeatable, as kubectl
// takes them), Helm's options (--values, --set, ...), the loader's limits, and the
// live cluster with --cluster (netpol and rbac also read it when no path is given).
type inputFlags struct {
	files            []string
	cluster          bool
	defaultNamespace string
	helm             load.HelmOptions
	limits           load.Limits
	render           load.RenderLimits
	configFile       string
	kubeconfig       string
	kubeContext      string
	timeout          time.Duration
	// liveByDefault: no path means the live cluster (netpol, rbac); else it is an
	// error (scan).
	liveByDefault bool
}

// register adds the input flags; withConfig adds --config too (commands that share
// scan's flags have it already).
func (in *inputFlags) register(f *pflag.FlagSet, withConfig bool) {
	def := ""
	if in.liveByDefault {
		def = "; default: the live cluster"
	}
	f.StringArrayVarP(&in.files, "filename", "f", nil, "manifests to read: file, directory, Helm chart, Kustomize overlay or - (repeatable; paths may also be given as arguments"+def+")")
	f.BoolVar(&in.cluster, "cluster", false, "read the live cluster of the kubeconfig instead of manifests")
	f.StringVar(&in.defaultNamespace, "default-namespace", "", "namespace of objects that name none, and Helm's release namespace (default \"default\")")
	f.StringArrayVar(&in.helm.ValuesFiles, "values", nil, "Helm values file (repeatable)")
	f.StringArrayVar(&in.helm.Set, "set", nil, "Helm value override k=v (repeatable)")
	f.StringVar(&in.helm.ReleaseName, "release-name", "", "Helm release name (default \"release-name\")")
	f.StringVar(&in.helm.KubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	registerRenderLimits(f, &in.render)
	registerClusterFlags(f, &in.kubeconfig, &in.kubeContext, &in.timeout, "with --cluster or no path: ")
	registerLimits(f, &in.limits)
	if withConfig {
		f.StringVar(&in.configFile, "config", "", "configuration file, for podTemplatePaths (default: .palisade.yaml in the working directory or a parent)")
	}
}

// registerClusterFlags adds the connection flags of a live read.
func registerClusterFlags(f *pflag.FlagSet, kubeconfig, kubeContext *string, timeout *time.Duration, when string) {
	f.StringVar(kubeconfig, "kubeconfig", "", when+"kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	f.StringVar(kubeContext, "context", "", when+"kubeconfig context (default the current context)")
	f.DurationVar(timeout, "request-timeout", 30*time.Second, when+"timeout of each list request")
}

// paths are the inputs named with -f and as arguments, -f first.
func (in *inputFlags) paths(args []string) []string {
	return append(append([]string(nil), in.files...), args...)
}

// live says whether the command reads the live cluster.
func (in *inputFlags) live(args []string) bool {
	return in.cluster || (in.liveByDefault && len(in.paths(args)) == 0)
}

// source is the input the flags and arguments name: the manifests, or the live
// cluster (hint says what to do instead when no cluster is configured).
func (in *inputFlags) source(args []string, stdin io.Reader, hint string) (source.Source, error) {
	paths := in.paths(args)
	switch {
	case in.cluster && len(paths) > 0:
		return nil, errors.New("--cluster reads the live cluster: give no paths with it")
	case in.live(args):
		rc, err := live.RESTConfig(in.kubeconfig, in.kubeContext)
		if err != nil {
			return nil, withHint(err, hint)
		}
		return &source.Cluster{Config: rc, Timeout: in.timeout}, nil
	case len(paths) == 0:
		return nil, errors.New("no input: name manifests as arguments or with -f PATH (- for standard input), or read the live cluster with --cluster")
	}
	return &source.Files{Paths: paths, Stdin: stdin, Namespace: in.defaultNamespace, Helm: in.helm, Limits: in.limits, Render: in.render}, nil
}

// finder recognises the objects that run pods, custom kinds of the configuration
// included.
func (in *inputFlags) finder() (*workload.Finder, error) {
	wd, _ := os.Getwd()
	cfg, err := config.Resolve(in.configFile, wd)
	if err != nil {
		return nil, err
	}
	return workload.NewFinder(cfg.PodTemplatePaths), nil
}

// withHint adds what the user can do instead to an error that says no cluster is
// configured (it depends on the command); other errors are returned as they are.
func withHint(err error, hint string) error {
	var nc *live.NoClusterError
	if errors.As(err, &nc) {
		return fmt.Errorf("%w; %s", err, hint)
	}
	return err
}

// deprecatedValuesShorthand keeps `scan -f` of releases before -f named an input: a
// -f file that holds Helm values rather than objects, in a scan of a Helm chart, is
// read as --values with a deprecation note, never silently dropped or scanned as a
// manifest. Every other -f is an input, as in kubectl and the other commands.
func deprecatedValuesShorthand(in *inputFlags, args []string, stderr io.Writer) {
	var inputs []string
	chart := false
	for _, p := range in.paths(args) {
		if load.IsChart(p) {
			chart = true
		}
	}
	for _, p := range in.files {
		if chart && p != "-" && load.IsValuesFile(p) {
			safetext.Fprintf(stderr, "palisade: warning: -f %s: read as Helm values (deprecated: -f now names an input to scan, as in kubectl; use --values %s)\n", p, p)
			in.helm.ValuesFiles = append(in.helm.ValuesFiles, p)
			continue
		}
		inputs = append(inputs, p)
	}
	in.files = inputs
}
