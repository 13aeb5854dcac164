package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// inputFlags are the input flags of the analysis commands (netpol, rbac): manifests
// with -f through scan's loader, or the live cluster of the kubeconfig without.
type inputFlags struct {
	files            []string
	defaultNamespace string
	helm             load.HelmOptions
	limits           load.Limits
	render           load.RenderLimits
	configFile       string
	kubeconfig       string
	kubeContext      string
	timeout          time.Duration
}

// register adds the input flags; withConfig adds --config too (commands that share
// scan's flags have it already).
func (in *inputFlags) register(f *pflag.FlagSet, withConfig bool) {
	f.StringArrayVarP(&in.files, "filename", "f", nil, "manifests to analyse: file, directory, Helm chart, Kustomize overlay or - (repeatable; default: the live cluster)")
	f.StringVar(&in.defaultNamespace, "default-namespace", "", "namespace of objects that name none, and Helm's release namespace (default \"default\")")
	f.StringArrayVar(&in.helm.ValuesFiles, "values", nil, "Helm values file (repeatable)")
	f.StringArrayVar(&in.helm.Set, "set", nil, "Helm value override k=v (repeatable)")
	f.StringVar(&in.helm.ReleaseName, "release-name", "", "Helm release name (default \"release-name\")")
	f.StringVar(&in.helm.KubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	registerRenderLimits(f, &in.render)
	f.StringVar(&in.kubeconfig, "kubeconfig", "", "without -f: kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	f.StringVar(&in.kubeContext, "context", "", "without -f: kubeconfig context (default the current context)")
	f.DurationVar(&in.timeout, "request-timeout", 30*time.Second, "without -f: timeout of each list request")
	registerLimits(f, &in.limits)
	if withConfig {
		f.StringVar(&in.configFile, "config", "", "configuration file, for podTemplatePaths (default: .palisade.yaml in the working directory or a parent)")
	}
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

// restConfig is the client configuration of the kubeconfig flags.
func (in *inputFlags) restConfig() (*rest.Config, error) {
	rc, err := live.RESTConfig(in.kubeconfig, in.kubeContext)
	return rc, withHint(err, "read manifests with -f PATH, or name a kubeconfig with --kubeconfig")
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

// loadOptions are the loader options of the flags (what to decode is the analysis's).
func loadOptions(in inputFlags, stdin io.Reader) load.Options {
	return load.Options{Namespace: in.defaultNamespace, Helm: in.helm, Stdin: stdin, Limits: in.limits, Render: in.render}
}
