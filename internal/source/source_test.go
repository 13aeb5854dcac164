package source_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const pods = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {k: v}
`

// Files streams every object through Visit, decodes what Needs asks (the kinds and
// the objects that run pods), drops the bodies Retain refuses, and records pod facts
// when asked; the locations of standard input say so by their provenance.
func TestFilesRead(t *testing.T) {
	var visited atomic.Int32
	res, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pods)}).Read(context.Background(), source.Needs{
		PodFacts: true,
		Visit:    func(*inventory.Object) { visited.Add(1) },
		Retain:   func(o *inventory.Object) bool { return o.Ref.Kind == "Pod" },
	})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("read: %v %v", err, res.Errors)
	}
	if visited.Load() != 2 || len(res.Inventory.Objects) != 2 || res.Inputs != 1 {
		t.Fatalf("visited %d, objects %d, inputs %d; want 2, 2, 1", visited.Load(), len(res.Inventory.Objects), res.Inputs)
	}
	pod, cm := res.Inventory.Objects[0], res.Inventory.Objects[1]
	if pod.Body == nil || cm.Body != nil {
		t.Errorf("bodies kept: pod %v, configmap %v; want the pod's only", pod.Body != nil, cm.Body != nil)
	}
	if labels, _ := workload.PodLabelsFact.Of(pod); labels["app"] != "web" {
		t.Errorf("pod labels %v, want app=web recorded while streaming", labels)
	}
	if pod.Origin.Provenance != finding.FromStdin || pod.Origin.File != "<stdin>" {
		t.Errorf("origin %+v, want standard input", pod.Origin)
	}
}

// Reading nothing is an input error naming what was read.
func TestFilesReadNothing(t *testing.T) {
	res, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader("# nothing\n")}).Read(context.Background(), source.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Location.File != "<stdin>" || res.Errors[0].Message != source.NothingFound {
		t.Errorf("errors %+v, want one saying <stdin> holds no objects", res.Errors)
	}
	if got := source.Describe([]string{"a", "-", "b"}); got != "a <stdin> b" {
		t.Errorf("Describe = %q", got)
	}
}

// Objects in memory go through the same hooks, keep their errors and coverage, and
// AllErrors turns a coverage gap into an input error at the cluster.
func TestObjectsRead(t *testing.T) {
	o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}, Body: map[string]any{"data": map[string]any{}}}
	var visited int
	res, err := (&source.Objects{
		Objects: []*inventory.Object{o}, Inputs: 3,
		Errors:   []finding.InputError{{Message: "bad"}},
		Coverage: []finding.CoverageGap{{Kind: "Secret", APIVersion: "v1", Reason: "forbidden"}},
	}).Read(context.Background(), source.Needs{Workers: 1, Visit: func(*inventory.Object) { visited++ }})
	if err != nil {
		t.Fatal(err)
	}
	if visited != 1 || res.Inputs != 3 || len(res.Errors) != 1 || len(res.Coverage) != 1 {
		t.Errorf("visited %d, inputs %d, errors %v, coverage %v", visited, res.Inputs, res.Errors, res.Coverage)
	}
	if o.Body != nil {
		t.Error("a ConfigMap body was kept though nothing decodes ConfigMaps")
	}
	all := res.AllErrors()
	if len(all) != 2 || all[1].Location.Provenance != finding.FromCluster || all[1].Message != "Secret (v1) not listed: forbidden" {
		t.Errorf("AllErrors = %+v", all)
	}
}

// A live read lists what Needs names, and stops at once with a clear error when its
// context ends (Ctrl-C), even against an API server that never answers.
func TestClusterReadCanceled(t *testing.T) {
	var paths []string
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-mu
		paths = append(paths, r.URL.Path)
		mu <- struct{}{}
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := (&source.Cluster{Config: &rest.Config{Host: srv.URL}, Timeout: time.Hour}).Read(ctx, source.Needs{Kinds: []string{"NetworkPolicy"}})
	var ie *live.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v, want the read interrupted", err)
	}
	<-mu
	defer func() { mu <- struct{}{} }()
	if len(paths) != 1 {
		t.Errorf("requests %v, want one: the read stops at the first", paths)
	}
}

// A read of files stops when its context ends, between documents, and says so.
func TestFilesReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pods)}).Read(ctx, source.Needs{})
	var ie *source.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || err.Error() != "reading <stdin> interrupted: context canceled" {
		t.Fatalf("err = %v, want the read of <stdin> interrupted", err)
	}
}

// A directory of configuration files (a values file, a .env) is read, not an input
// error; a directory with neither objects nor configuration files still is.
func TestFilesReadConfigurationOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# not read\n")
	empty, err := (&source.Files{Paths: []string{dir}}).Read(context.Background(), source.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Errors) != 1 || empty.Errors[0].Message != source.NothingFound {
		t.Errorf("a directory with nothing to read: errors %+v, want %q", empty.Errors, source.NothingFound)
	}
	write("values.yaml", "gitlab:\n  url: https://gitlab.example.org\n")
	write(".env", "USER=app\n")
	res, err := (&source.Files{Paths: []string{dir}}).Read(context.Background(), source.Needs{Kinds: []string{inventory.ConfigFileKind}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("errors %+v, want none", res.Errors)
	}
	var got []string
	for _, o := range res.Inventory.Objects {
		if !o.IsConfigFile() || o.Body == nil {
			t.Errorf("%s: want a decoded configuration file, got %+v", o.Ref, o)
			continue
		}
		got = append(got, filepath.Base(o.Ref.Name)+" "+o.Config.Format)
	}
	if want := []string{".env dotenv", "values.yaml yaml"}; !slices.Equal(got, want) {
		t.Errorf("configuration files %v, want %v", got, want)
	}
}

// A cluster serves no configuration files: a rule that reads them asks a live read
// for nothing more.
func TestClusterKindsLeaveOutConfigFiles(t *testing.T) {
	for _, k := range source.ClusterKinds([]string{inventory.ConfigFileKind, inventory.DockerfileKind, "ConfigMap", rules.AnyKind}) {
		if k == inventory.ConfigFileKind || k == inventory.DockerfileKind {
			t.Errorf("ClusterKinds lists %s", k)
		}
	}
	_, unknown := live.Select(source.ClusterKinds(source.RuleKinds(rules.All())))
	for _, k := range []string{inventory.ConfigFileKind, inventory.DockerfileKind} {
		if slices.Contains(unknown, k) {
			t.Errorf("a live read of the rules' kinds asks for %s", k)
		}
	}
}

// The analyzers build from an inventory that holds configuration files and ignore
// them: no namespace, workload, note or problem comes from them.
func TestAnalyzersIgnoreConfigFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"values.yaml": "namespace: shop\nrbac:\n  create: true\n---\nkind_of: values\n",
		".env":        "NAMESPACE=shop\n",
		"Dockerfile":  "FROM nginx AS shop\nUSER 1000\n",
		"deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\n" +
			"spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: nginx}]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kinds := append(append([]string{inventory.ConfigFileKind, inventory.DockerfileKind}, netpol.Kinds...), rbac.Kinds...)
	res, err := (&source.Files{Paths: []string{dir}}).Read(context.Background(), source.Needs{Kinds: kinds, PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	configs, dockerfiles := 0, 0
	for _, o := range res.Inventory.Objects {
		if o.IsConfigFile() {
			configs++
		}
		if o.Ref.Kind == inventory.DockerfileKind && o.Ref.IsPseudo() {
			dockerfiles++
		}
	}
	if dockerfiles != 1 {
		t.Errorf("%d Dockerfiles read, want 1", dockerfiles)
	}
	if len(res.Errors) != 0 || len(res.Notices) != 0 || configs != 3 {
		t.Fatalf("errors %v, notices %v, %d configuration documents; want none, none, 3", res.Errors, res.Notices, configs)
	}
	m := netpol.Build(res.Inventory, netpol.Options{})
	if len(m.Namespaces) != 1 || m.Namespaces[0].Name != "a" || len(m.Workloads) != 1 || len(m.Notes) != 0 || len(m.Errors) != 0 {
		t.Errorf("netpol model: %d namespaces, %d workloads, notes %v, errors %v", len(m.Namespaces), len(m.Workloads), m.Notes, m.Errors)
	}
	if _, problems, err := rbac.Build(res.Inventory.Objects, rbac.Options{}); err != nil || len(problems) != 0 {
		t.Errorf("rbac model: problems %v, error %v", problems, err)
	}
}
