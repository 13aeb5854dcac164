// Command pathbench measures `palisade paths` at the scale: a generated
// cluster (internal/attackpath/pathgen: 10,000 pods in 500 namespaces, 2,000
// NetworkPolicies, 10,000 roles, 20,000 bindings; and a quarter of it, to see how
// it grows) is written once into -work, then three child processes of this program
// read it, each measured for wall time, CPU time and peak RSS (the best of -runs):
//
//   - load: the manifests read as a scan reads them (the kinds the graph needs
//     decoded, pod facts recorded), nothing more;
//   - analyzers, the baseline: the same, then the analyzers the graph is made of,
//     alone: the NetworkPolicy model and a matrix row (and the outside) per pod
//     class, the RBAC model and its risk analysis of every service account pods
//     run as;
//   - paths: the same load, then the attack graph (attackpath.Build) and every
//     path from the internet to cluster-admin (Graph.Paths).
//
// Each child also reports the time of its own steps and the heap its result keeps.
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- pathbench:begin ... --> and <!-- pathbench:end --> in -doc, else printed.
// `make bench` runs it; -quick is a smoke test on small clusters.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/attackpath/pathgen"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

// childEnv makes this program a measured child: PATHBENCH_CHILD=MODE:FILE.
const childEnv = "PATHBENCH_CHILD"

// Modes of a child.
const (
	modeLoad      = "load"
	modeAnalyzers = "analyzers"
	modePaths     = "paths"
)

var modes = []string{modeLoad, modeAnalyzers, modePaths}

// asChild runs this process as a measured child when childEnv says so (main and
// the tests' TestMain call it first), and exits.
func asChild() {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	mode, file, _ := strings.Cut(spec, ":")
	if err := child(mode, file, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pathbench child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func main() {
	asChild()
	var o options
	flag.StringVar(&o.doc, "doc", "", "document whose pathbench section to rewrite (else print it)")
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "palisade-pathbench"), "directory for the generated clusters (kept: later runs reuse them)")
	flag.IntVar(&o.runs, "runs", 2, "runs per measurement (the best wall time is kept)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated clusters")
	flag.BoolVar(&o.quick, "quick", false, "smoke test: small clusters, one run")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pathbench:", err)
		os.Exit(1)
	}
}

type options struct {
	doc, work string
	runs      int
	seed      uint64
	quick     bool
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "pathbench: "+format+"\n", a...) }

// sizes are the measured clusters: a quarter of the scale and the scale.
func sizes(o options) []pathgen.Spec {
	if o.quick {
		return []pathgen.Spec{
			{Namespaces: 10, Pods: 200, Policies: 40, Roles: 200, Bindings: 400, Seed: o.seed},
			{Namespaces: 20, Pods: 400, Policies: 80, Roles: 400, Bindings: 800, Seed: o.seed},
		}
	}
	l := pathgen.Large
	l.Seed = o.seed
	q := pathgen.Spec{Namespaces: l.Namespaces / 4, Pods: l.Pods / 4, Policies: l.Policies / 4, Roles: l.Roles / 4, Bindings: l.Bindings / 4, Seed: o.seed}
	return []pathgen.Spec{q, l}
}

// report is what a child says of its own run (on its standard error, last line).
type report struct {
	Objects   int   `json:"objects"`
	LoadNS    int64 `json:"loadNs"`
	ComputeNS int64 `json:"computeNs"`
	// HeapBytes is the live heap after the computation, its result kept.
	HeapBytes uint64 `json:"heapBytes"`
	Paths     int    `json:"paths"`
	Nodes     int    `json:"nodes"`
	Classes   int    `json:"classes"`
	Risks     int    `json:"risks"`
}

type result struct {
	spec     pathgen.Spec
	bytes    int64
	measured map[string]benchrun.Measurement
	reports  map[string]report
}

func run(o options, w io.Writer) error {
	if o.runs < 1 {
		return fmt.Errorf("-runs is at least 1")
	}
	if o.quick {
		o.runs = 1
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	var results []result
	for _, s := range sizes(o) {
		file, n, err := generate(o.work, s)
		if err != nil {
			return err
		}
		r := result{spec: s, bytes: n, measured: map[string]benchrun.Measurement{}, reports: map[string]report{}}
		for _, mode := range modes {
			progress("%s: %s ...", s, mode)
			m, err := benchrun.Best(o.runs, benchrun.Command{Argv: []string{self}, Env: []string{childEnv + "=" + mode + ":" + file}, StopAfter: time.Minute})
			if err != nil {
				return err
			}
			rep, err := lastReport(m.Stderr)
			if err != nil {
				return fmt.Errorf("%s %s: %w", s, mode, err)
			}
			r.measured[mode], r.reports[mode] = m, rep
		}
		results = append(results, r)
	}
	return docsection.Emit(w, o.doc, "pathbench", "the attack-path benchmark", section(o, results), progress)
}

// generate writes the cluster once into dir (reused when there).
func generate(dir string, s pathgen.Spec) (string, int64, error) {
	file := filepath.Join(dir, fmt.Sprintf("cluster-%s-seed%d.yaml", strings.ReplaceAll(s.String(), "/", "-"), s.Seed))
	if fi, err := os.Stat(file); err == nil && fi.Size() > 0 {
		progress("%s: cached in %s", s, file)
		return file, fi.Size(), nil
	}
	progress("%s: generating into %s ...", s, file)
	f, err := os.Create(file + ".tmp")
	if err != nil {
		return "", 0, err
	}
	if err := s.WriteYAML(f); err != nil {
		f.Close()
		return "", 0, err
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(file+".tmp", file); err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return "", 0, err
	}
	return file, fi.Size(), nil
}

func lastReport(stderr string) (report, error) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var r report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return r, fmt.Errorf("no report from the child: %v (%q)", err, stderr)
	}
	return r, nil
}

// kinds are the kinds the graph's indexes decode.
func kinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, ix := range attackpath.Needs {
		for _, k := range ix.Kinds() {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// child reads file and does what mode says, then writes its report on w.
func child(mode, file string, w io.Writer) error {
	start := time.Now()
	res, err := (&source.Files{Paths: []string{file}}).Read(context.Background(), source.Needs{Kinds: kinds(), PodFacts: true})
	if err != nil {
		return err
	}
	if errs := res.AllErrors(); len(errs) > 0 {
		return fmt.Errorf("input errors: %v", errs[0])
	}
	inv := res.Inventory
	r := report{Objects: len(inv.Objects), LoadNS: int64(time.Since(start))}
	start = time.Now()
	var keep any
	switch mode {
	case modeLoad:
	case modeAnalyzers:
		keep, err = analyzers(inv, &r)
	case modePaths:
		g := attackpath.Build(inv, attackpath.Options{})
		paths, perr := g.Paths(attackpath.Query{From: []string{attackpath.Internet}, To: []string{attackpath.ClusterAdmin}})
		err = perr
		r.Paths, r.Nodes, keep = len(paths), len(g.Nodes), g
	default:
		return fmt.Errorf("mode %q", mode)
	}
	if err != nil {
		return err
	}
	r.ComputeNS = int64(time.Since(start))
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	r.HeapBytes = ms.HeapAlloc
	runtime.KeepAlive(keep)
	runtime.KeepAlive(inv)
	return json.NewEncoder(w).Encode(r)
}

// analyzers builds what the graph is made of, alone.
func analyzers(inv *inventory.Inventory, r *report) (any, error) {
	m := netpol.Build(inv, netpol.Options{})
	x := m.Matrix()
	for _, c := range m.Classes {
		x.Each(c, func(*netpol.Class, netpol.PortSet) {})
		x.FromOutside(c)
	}
	rb, _, err := rbac.Build(inv.Objects, rbac.Options{})
	if err != nil {
		return nil, err
	}
	a := rb.AnalyzeRisks(riskClasses())
	for _, s := range a.ServiceAccountsWithWorkloads() {
		r.Risks += len(a.Of(s))
	}
	r.Classes = len(m.Classes)
	return []any{m, x, rb, a}, nil
}

func probe(verb, group, resource, sub string) rbac.Probe {
	return rbac.Probe{Verb: verb, Group: group, Resource: resource, Subresource: sub}
}

// riskClasses are the capability classes the graph follows (internal/exposure's),
// for the baseline's risk analysis.
func riskClasses() []rbac.RiskClass {
	g, c := "rbac.authorization.k8s.io", "certificates.k8s.io"
	put := func(group string, rs ...string) []rbac.Probe {
		var out []rbac.Probe
		for _, r := range rs {
			for _, v := range []string{"create", "update", "patch"} {
				out = append(out, probe(v, group, r, ""))
			}
		}
		return out
	}
	var proxy []rbac.Probe
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
		proxy = append(proxy, probe(v, "", "nodes", "proxy"))
	}
	controllers := append(append(put("apps", "deployments", "daemonsets", "statefulsets", "replicasets"), put("batch", "jobs", "cronjobs")...), put("", "replicationcontrollers", "podtemplates")...)
	return []rbac.RiskClass{
		{ID: "admin", Needs: []rbac.Need{{Name: "all", Any: []rbac.Probe{probe("*", "*", "*", "")}}}},
		{ID: "escalate", Needs: []rbac.Need{{Name: "escalate roles", Any: []rbac.Probe{probe("escalate", g, "roles", "")}}, {Name: "write roles", Any: put(g, "roles")},
			{Name: "escalate clusterroles", Cluster: true, Any: []rbac.Probe{probe("escalate", g, "clusterroles", "")}}, {Name: "write clusterroles", Cluster: true, Any: put(g, "clusterroles")}},
			Paths: [][]int{{0, 1}, {2, 3}}},
		{ID: "bind", Needs: []rbac.Need{{Name: "bind", Any: []rbac.Probe{probe("bind", g, "roles", ""), probe("bind", g, "clusterroles", "")}}, {Name: "write rolebindings", Any: put(g, "rolebindings")},
			{Name: "bind clusterroles", Cluster: true, Any: []rbac.Probe{probe("bind", g, "clusterroles", "")}}, {Name: "write clusterrolebindings", Cluster: true, Any: put(g, "clusterrolebindings")}},
			Paths: [][]int{{0, 1}, {2, 3}}},
		{ID: "impersonate", Needs: []rbac.Need{{Name: "users", Cluster: true, Any: []rbac.Probe{probe("impersonate", "", "users", "")}},
			{Name: "groups", Cluster: true, Any: []rbac.Probe{probe("impersonate", "", "groups", "")}}, {Name: "serviceaccounts", Any: []rbac.Probe{probe("impersonate", "", "serviceaccounts", "")}}}},
		{ID: "nodes-proxy", Needs: []rbac.Need{{Name: "nodes/proxy", Cluster: true, Any: proxy}}},
		{ID: "csr", Needs: []rbac.Need{{Name: "create csr", Cluster: true, Any: []rbac.Probe{probe("create", c, "certificatesigningrequests", "")}},
			{Name: "approve csr", Cluster: true, Any: []rbac.Probe{probe("update", c, "certificatesigningrequests", "approval"), probe("patch", c, "certificatesigningrequests", "approval")}},
			{Name: "signer", Cluster: true, Any: []rbac.Probe{{Verb: "approve", Group: c, Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"}, {Verb: "approve", Group: c, Resource: "signers", Name: "kubernetes.io/*"}}}},
			Paths: [][]int{{0, 1, 2}}},
		{ID: "secrets", Needs: []rbac.Need{{Name: "get", Any: []rbac.Probe{probe("get", "", "secrets", "")}}, {Name: "list", Any: []rbac.Probe{probe("list", "", "secrets", "")}}, {Name: "watch", Any: []rbac.Probe{probe("watch", "", "secrets", "")}}}},
		{ID: "pods", Needs: []rbac.Need{{Name: "create pods", Any: []rbac.Probe{probe("create", "", "pods", "")}}, {Name: "controllers", Any: controllers}}},
		{ID: "exec", Needs: []rbac.Need{{Name: "exec", Any: []rbac.Probe{probe("create", "", "pods", "exec"), probe("get", "", "pods", "exec")}},
			{Name: "attach", Any: []rbac.Probe{probe("create", "", "pods", "attach"), probe("get", "", "pods", "attach")}},
			{Name: "ephemeral", Any: []rbac.Probe{probe("update", "", "pods", "ephemeralcontainers"), probe("patch", "", "pods", "ephemeralcontainers")}}}},
		{ID: "tokens", Needs: []rbac.Need{{Name: "tokens", Any: []rbac.Probe{probe("create", "", "serviceaccounts", "token")}}}},
	}
}

func section(o options, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated by `tools/pathbench` (%s, %s/%s, %d CPUs on the machine; best of %d runs; seed %d).\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), o.runs, o.seed)
	b.WriteString("Input: clusters generated by internal/attackpath/pathgen (every kind of exposure, Pod Security labels, NetworkPolicies of eight kinds, Roles and ClusterRoles holding every capability class and random rules, bindings to service accounts, users and groups, legacy token Secrets), read from one manifest as a scan reads them. Each column is a child process: **load** reads the manifests only; **analyzers** (the baseline) then builds the NetworkPolicy model, a matrix row and the outside per pod class, the RBAC model and the risk analysis of every service account pods run as; **paths** builds the attack graph and finds every path from the internet to cluster-admin. Time after the load is the process's own measure of that step; peak RSS is the whole process's; heap is what stays live after the step (the result kept).\n\n")
	b.WriteString("| cluster | manifest | objects | load wall (peak RSS) | analyzers: step, CPU of the process, peak RSS, heap | paths: step, CPU of the process, peak RSS, heap | paths found (graph nodes) | paths / analyzers (step time, peak RSS) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		ld, an, pa := r.measured[modeLoad], r.measured[modeAnalyzers], r.measured[modePaths]
		ra, rp := r.reports[modeAnalyzers], r.reports[modePaths]
		fmt.Fprintf(&b, "| %d pods, %d namespaces, %d policies, %d roles, %d bindings | %.1f MiB | %d | %s (%d MiB) | %s, %s, %d MiB, %d MiB | %s, %s, %d MiB, %d MiB | %d (%d) | %.2fx, %.2fx |\n",
			r.spec.Pods, r.spec.Namespaces, r.spec.Policies, r.spec.Roles, r.spec.Bindings, float64(r.bytes)/(1<<20), rp.Objects,
			benchrun.Duration(time.Duration(r.reports[modeLoad].LoadNS)), benchrun.MiB(ld.RSSKB),
			benchrun.Duration(time.Duration(ra.ComputeNS)), benchrun.Duration(an.CPU), benchrun.MiB(an.RSSKB), ra.HeapBytes>>20,
			benchrun.Duration(time.Duration(rp.ComputeNS)), benchrun.Duration(pa.CPU), benchrun.MiB(pa.RSSKB), rp.HeapBytes>>20,
			rp.Paths, rp.Nodes, ratio(rp.ComputeNS, ra.ComputeNS), ratio(pa.RSSKB, an.RSSKB))
	}
	last := results[len(results)-1]
	rp := last.reports[modePaths]
	fmt.Fprintf(&b, "\nAt the largest size, every path from the internet to cluster-admin takes %s after the load (%s with it, in one process of peak RSS %d MiB): %s.\n",
		benchrun.Duration(time.Duration(rp.ComputeNS)), benchrun.Duration(last.measured[modePaths].Wall), benchrun.MiB(last.measured[modePaths].RSSKB), verdict(time.Duration(rp.ComputeNS)))
	return b.String()
}

// goal is the "in seconds".
const goal = 10 * time.Second

func verdict(d time.Duration) string {
	if d <= goal {
		return fmt.Sprintf("within the goal of %s", benchrun.Duration(goal))
	}
	return fmt.Sprintf("**over** the goal of %s", benchrun.Duration(goal))
}

func ratio[T int64 | uint64](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
