package workload_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// inputRoot is one input scanned on its own, as a user would: a corpus folder or an
// example. Its namespaces map to fresh namespaces of the test API server. Every
// workload of a strict root must be admitted.
type inputRoot struct {
	name, path string
	strict     bool
}

func inputRoots(t *testing.T) []inputRoot {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	dirs, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatalf("the corpus (%s): %v", corpus, err)
	}
	// One workload per defaulting step first.
	roots := []inputRoot{{"testdata/defaults", filepath.Join("testdata", "defaults"), true}}
	for _, d := range dirs {
		if d.IsDir() {
			roots = append(roots, inputRoot{"corpus/" + d.Name(), filepath.Join(corpus, d.Name()), false})
		}
	}
	for _, ex := range []string{"insecure", "hardened"} {
		roots = append(roots, inputRoot{"examples/" + ex, filepath.Join("..", "..", "examples", ex), false})
	}
	return roots
}

// serverExtras are pod fields the API server sets from other objects than the pod
// (admission plugins reading PriorityClasses, RuntimeClasses, ServiceAccounts and
// the cluster's taint policy): Palisade does not apply them, and no rule reads them.
var serverExtras = []string{"spec.priority", "spec.preemptionPolicy", "spec.tolerations", "spec.imagePullSecrets", "spec.overhead"}

// controllerUIDLabels carry the Job's UID, which no manifest can know.
var controllerUIDLabels = []string{"controller-uid", "batch.kubernetes.io/controller-uid"}

// TestDefaultsMatchAPIServer creates every workload of the corpus and the examples in a
// real kube-apiserver (server-side dry run; for a controller, then the pod its stored
// template makes, as the controller builds it) and compares the pod the API server
// stores with the pod Palisade evaluates (workload.Finder.From), on every field a rule
// reads (testdata/rule-fields.txt). The token the ServiceAccount admission plugin
// mounts is compared with Workload.TokenMounts, given the ServiceAccounts of the
// input. Every other field of the spec is compared too, except those the API server
// sets from other objects (serverExtras). Objects the API server rejects for reasons
// unrelated to defaulting are counted, by reason, and left out.
func TestDefaultsMatchAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	c := kubetest.Shared(t)
	fields := ruleFields(t)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client().Discovery()))
	// The API server's deprecation warnings about the corpus are not this test's
	// concern.
	cfg := c.Config()
	cfg.WarningHandler = rest.NoWarnings{}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	finder := workload.NewFinder(nil)
	ctx := context.Background()

	var (
		mu         sync.Mutex
		compared   int
		fromRaw    int // kinds the API server does not serve: pod from the written template
		skipped    = map[string]int{}
		mismatches = map[string][]string{} // generic path -> examples
		tokenCheck int
	)
	mismatch := func(what, path, detail string) {
		mu.Lock()
		defer mu.Unlock()
		g := genericPath(path)
		if len(mismatches[g]) < 3 {
			mismatches[g] = append(mismatches[g], what+": "+path+": "+detail)
		} else {
			mismatches[g] = append(mismatches[g], "")
		}
	}
	skip := func(reason string) {
		mu.Lock()
		skipped[reason]++
		mu.Unlock()
	}

	total := 0
	for _, r := range inputRoots(t) {
		lr := load.Load([]string{r.path}, load.Options{Decode: func(apiVersion, kind string) bool {
			_, ok := finder.Lookup(apiVersion, kind)
			return ok || kind == "ServiceAccount"
		}})
		env := newRootEnv(c)

		type job struct {
			o  *inventory.Object
			w  *workload.Workload
			ns string
		}
		var jobs []job
		for _, o := range lr.Inventory.Objects {
			if o.Ref.Kind == "ServiceAccount" && o.Ref.APIVersion == "v1" {
				env.serviceAccount(t, o)
			}
		}
		for _, o := range lr.Inventory.Objects {
			if _, ok := finder.Lookup(o.Ref.APIVersion, o.Ref.Kind); !ok {
				continue
			}
			total++
			w, err := finder.From(o)
			if err != nil || w == nil {
				skip("the pod template does not decode (an input error in Palisade)")
				continue
			}
			ns := env.namespace(t, o.Ref.Namespace)
			env.dependencies(t, ns, w)
			jobs = append(jobs, job{o, w, ns})
		}

		next := make(chan job)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					what := r.name + " " + j.o.Ref.String()
					stored, raw, reason := storedPod(ctx, client, dyn, mapper, finder, j.o, j.ns)
					if reason != "" && r.strict {
						t.Errorf("%s: %s", what, reason)
						continue
					}
					if reason != "" {
						skip(reason)
						continue
					}
					mu.Lock()
					compared++
					if raw {
						fromRaw++
					}
					mu.Unlock()
					// The token volume and mounts are the admission plugin's, decided by
					// the ServiceAccount: compared with the model, then set aside.
					got := stripToken(stored)
					want := map[string]bool{}
					for _, tc := range j.w.TokenMounts(env.automount(j.ns, j.w.Spec.ServiceAccountName)) {
						want[tc.Path[len(j.w.SpecPath)+1:]] = true
					}
					if !reflect.DeepEqual(got, want) {
						mismatch(what, "token mounts", fmt.Sprintf("Palisade %v, API server %v", keys(want), keys(got)))
					}
					mu.Lock()
					tokenCheck++
					mu.Unlock()
					for _, k := range controllerUIDLabels {
						delete(stored.Labels, k)
					}
					mine := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: j.w.Meta.Labels, Annotations: j.w.Meta.Annotations}, Spec: *j.w.Spec}
					sortVolumes(&mine.Spec)
					sortVolumes(&stored.Spec)
					compareRuleFields(reflect.ValueOf(mine.Spec), reflect.ValueOf(stored.Spec), "spec", fields, func(p, d string) { mismatch(what, p, d) })
					for _, m := range []struct {
						p    string
						a, b map[string]string
					}{{"metadata.labels", mine.Labels, stored.Labels}, {"metadata.annotations", mine.Annotations, stored.Annotations}} {
						if len(m.a)+len(m.b) > 0 && !reflect.DeepEqual(m.a, m.b) {
							mismatch(what, m.p, fmt.Sprintf("Palisade %v, API server %v", m.a, m.b))
						}
					}
					for _, p := range diffJSON(mine.Spec, stored.Spec, "spec") {
						if !underRuleField(genericPath(p), fields) && !extra(p) {
							mismatch(what, p, "(a field no rule reads)")
						}
					}
				}
			}()
		}
		for _, j := range jobs {
			next <- j
		}
		close(next)
		wg.Wait()
	}

	reasons := make([]string, 0, len(skipped))
	n := 0
	for r, k := range skipped {
		reasons = append(reasons, fmt.Sprintf("%4d  %s", k, r))
		n += k
	}
	sort.Strings(reasons)
	t.Logf("%d workloads: %d compared (%d of kinds the API server does not serve, as pods made from the written template), %d left out:\n%s",
		total, compared, fromRaw, n, strings.Join(reasons, "\n"))
	paths := make([]string, 0, len(mismatches))
	for p := range mismatches {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var ex []string
		for _, e := range mismatches[p] {
			if e != "" {
				ex = append(ex, "\t"+e)
			}
		}
		t.Errorf("%s differs in %d places, e.g.\n%s", p, len(mismatches[p]), strings.Join(ex, "\n"))
	}
	if compared < 500 || tokenCheck != compared {
		t.Errorf("only %d workloads compared (token mounts of %d): the comparison proves too little", compared, tokenCheck)
	}
}

// rootEnv is the API server side of one input root: its namespaces and the objects
// its pods need to be admitted.
type rootEnv struct {
	c  *kubetest.Cluster
	ns map[string]string // input namespace -> test namespace
	// sa holds, by test namespace and name, the accounts that exist and their
	// automountServiceAccountToken; input records those the input defined.
	sa    map[string]map[string]*bool
	input map[string]bool
}

var (
	clusterObjectsMu sync.Mutex
	clusterObjects   = map[string]bool{}
)

func newRootEnv(c *kubetest.Cluster) *rootEnv {
	return &rootEnv{c: c, ns: map[string]string{}, sa: map[string]map[string]*bool{}, input: map[string]bool{}}
}

func (e *rootEnv) namespace(t *testing.T, in string) string {
	if ns, ok := e.ns[in]; ok {
		return ns
	}
	ns := e.c.Namespace(t, nil) // with its default account
	e.ns[in] = ns
	e.sa[ns] = map[string]*bool{"default": nil}
	return ns
}

// serviceAccount creates (or, for default, updates) the input's ServiceAccount with
// its automountServiceAccountToken; the first of a name in a namespace counts, as in
// Palisade's index of ServiceAccounts.
func (e *rootEnv) serviceAccount(t *testing.T, o *inventory.Object) {
	ns := e.namespace(t, o.Ref.Namespace)
	if e.input[ns+"/"+o.Ref.Name] {
		return
	}
	var sa corev1.ServiceAccount
	if err := o.Decode(&sa); err != nil {
		return
	}
	e.input[ns+"/"+o.Ref.Name] = true
	e.ensureServiceAccount(t, ns, o.Ref.Name, sa.AutomountServiceAccountToken)
}

func (e *rootEnv) ensureServiceAccount(t *testing.T, ns, name string, automount *bool) {
	ctx := context.Background()
	sas := e.c.Client().CoreV1().ServiceAccounts(ns)
	if _, exists := e.sa[ns][name]; exists {
		sa, err := sas.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sa.AutomountServiceAccountToken = automount
		if _, err := sas.Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	} else if _, err := sas.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, AutomountServiceAccountToken: automount}, metav1.CreateOptions{}); err != nil {
		t.Logf("service account %s/%s: %v", ns, name, err) // its pods are then left out
		return
	}
	e.sa[ns][name] = automount
}

func (e *rootEnv) automount(ns, sa string) *bool { return e.sa[ns][sa] }

// dependencies creates what admission needs besides the pod: its service account,
// runtime class and priority class (an input names them; a cluster would have them).
func (e *rootEnv) dependencies(t *testing.T, ns string, w *workload.Workload) {
	ctx := context.Background()
	if sa := w.Spec.ServiceAccountName; sa != "" {
		if _, ok := e.sa[ns][sa]; !ok {
			e.ensureServiceAccount(t, ns, sa, nil)
		}
	}
	clusterObjectsMu.Lock()
	defer clusterObjectsMu.Unlock()
	if rc := w.Spec.RuntimeClassName; rc != nil && !clusterObjects["rc/"+*rc] {
		clusterObjects["rc/"+*rc] = true
		_, _ = e.c.Client().NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: *rc}, Handler: "runc"}, metav1.CreateOptions{})
	}
	if pc := w.Spec.PriorityClassName; pc != "" && !strings.HasPrefix(pc, "system-") && !clusterObjects["pc/"+pc] {
		clusterObjects["pc/"+pc] = true
		_, _ = e.c.Client().SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: pc}, Value: 1000}, metav1.CreateOptions{})
	}
}

var dryRun = metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}

// storedPod returns the pod the API server stores for an object: the object itself
// for a Pod; for a controller, the pod made from the template the API server stored
// (as the controller makes it: the template's labels, annotations and spec), or from
// the written template when the API server does not serve the kind (raw). reason
// says why there is none.
func storedPod(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, finder *workload.Finder, o *inventory.Object, ns string) (pod *corev1.Pod, raw bool, reason string) {
	tp, _ := finder.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	gv, err := schema.ParseGroupVersion(o.Ref.APIVersion)
	if err != nil {
		return nil, false, "apiVersion does not parse"
	}
	body := runtime.DeepCopyJSON(o.Body)
	meta, _ := body["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		body["metadata"] = meta
	}
	meta["namespace"] = ns
	for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "selfLink", "generation", "managedFields", "ownerReferences"} {
		delete(meta, k)
	}
	var stored map[string]any
	mapping, err := mapper.RESTMapping(gv.WithKind(o.Ref.Kind).GroupKind(), gv.Version)
	if err != nil {
		raw = true
		stored = body
	} else {
		res, err := dyn.Resource(mapping.Resource).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: body}, dryRun)
		if err != nil {
			return nil, false, rejection(o.Ref.Kind, err)
		}
		stored = res.Object
	}
	if tp.PodSpec {
		if raw {
			return nil, false, "a Pod the API server does not serve"
		}
		pod = &corev1.Pod{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(stored, pod); err != nil {
			return nil, false, "the stored Pod does not decode: " + err.Error()
		}
		return pod, false, ""
	}
	tmplMap, _, _ := unstructured.NestedMap(stored, strings.Split(tp.Path, ".")...)
	var tmpl corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(tmplMap, &tmpl); err != nil {
		return nil, raw, "the template does not decode: " + err.Error()
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "pod-", Namespace: ns, Labels: tmpl.Labels, Annotations: tmpl.Annotations, Finalizers: tmpl.Finalizers},
		Spec:       tmpl.Spec,
	}
	if o.Ref.Kind == "StatefulSet" {
		claimVolumes(stored, o.Ref.Name, p)
	}
	pod, err = client.CoreV1().Pods(ns).Create(ctx, p, dryRun)
	if err != nil {
		return nil, raw, rejection("Pod of a "+o.Ref.Kind, err)
	}
	return pod, raw, ""
}

// claimVolumes does what the StatefulSet controller does to its pods (updateStorage,
// for the first pod): a persistentVolumeClaim volume per volumeClaimTemplate, first,
// then the template's volumes of other names.
func claimVolumes(set map[string]any, name string, p *corev1.Pod) {
	tmpls, _, _ := unstructured.NestedSlice(set, "spec", "volumeClaimTemplates")
	claims := map[string]bool{}
	var vols []corev1.Volume
	for _, t := range tmpls {
		n, _, _ := unstructured.NestedString(t.(map[string]any), "metadata", "name")
		claims[n] = true
		vols = append(vols, corev1.Volume{Name: n, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: n + "-" + name + "-0"}}})
	}
	for _, v := range p.Spec.Volumes {
		if !claims[v.Name] {
			vols = append(vols, v)
		}
	}
	p.Spec.Volumes = vols
}

// sortVolumes orders a pod's volumes by name: their order means nothing (a volume is
// known by its name), and the StatefulSet controller's depends on a map's.
func sortVolumes(s *corev1.PodSpec) {
	s.Volumes = append([]corev1.Volume(nil), s.Volumes...)
	sort.SliceStable(s.Volumes, func(i, j int) bool { return s.Volumes[i].Name < s.Volumes[j].Name })
}

var digits = regexp.MustCompile(`\[[0-9]+\]`)

// rejection classifies an error of the API server, for the count of what was left
// out.
func rejection(kind string, err error) string {
	var st apierrors.APIStatus
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s
	}
	switch {
	case apierrors.IsInvalid(err) && st != nil && st.Status().Details != nil && len(st.Status().Details.Causes) > 0:
		cause := st.Status().Details.Causes[0]
		return fmt.Sprintf("%s invalid: %s: %s", kind, digits.ReplaceAllString(cause.Field, "[]"), cause.Type)
	case apierrors.IsForbidden(err):
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && len(msg) > 120 {
			msg = msg[:120]
		}
		return kind + " forbidden: " + digits.ReplaceAllString(msg, "[]")
	case apierrors.IsNotFound(err):
		return kind + ": not found: " + err.Error()
	}
	return kind + ": " + err.Error()
}

// stripToken removes the admission plugin's token volume and mounts from a stored
// pod and returns the containers ("containers[0]") that had the mount.
func stripToken(p *corev1.Pod) map[string]bool {
	var name string
	vols := p.Spec.Volumes[:0]
	for _, v := range p.Spec.Volumes {
		if strings.HasPrefix(v.Name, workload.TokenVolumePrefix) {
			name = v.Name
			continue
		}
		vols = append(vols, v)
	}
	if len(vols) == 0 {
		vols = nil
	}
	p.Spec.Volumes = vols
	got := map[string]bool{}
	strip := func(kind string, cs []corev1.Container) {
		for i := range cs {
			ms := cs[i].VolumeMounts[:0]
			for _, m := range cs[i].VolumeMounts {
				if name != "" && m.Name == name && m.MountPath == workload.TokenMountPath {
					got[fmt.Sprintf("%s[%d]", kind, i)] = true
					continue
				}
				ms = append(ms, m)
			}
			if len(ms) == 0 {
				ms = nil
			}
			cs[i].VolumeMounts = ms
		}
	}
	strip("initContainers", p.Spec.InitContainers)
	strip("containers", p.Spec.Containers)
	return got
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// underRuleField reports whether compareRuleFields compares the field at generic path
// p: it is a listed field, or under a listed field with no listed field below it (a
// map or a list of values, compared whole).
func underRuleField(p string, fields map[string]bool) bool {
	for q := p; q != ""; {
		if fields[q] {
			if q == p {
				return true
			}
			for f := range fields {
				if strings.HasPrefix(f, q+".") || strings.HasPrefix(f, q+"[") {
					return false
				}
			}
			return true
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	return false
}

func genericPath(p string) string { return digits.ReplaceAllString(p, "[]") }

func extra(p string) bool {
	for _, x := range serverExtras {
		if p == x || strings.HasPrefix(p, x+".") || strings.HasPrefix(p, x+"[") {
			return true
		}
	}
	return false
}

// compareRuleFields walks a and b (values of one type) along the fields listed, and
// reports each listed field whose values differ (semantically: quantities by value).
func compareRuleFields(a, b reflect.Value, path string, fields map[string]bool, report func(path, detail string)) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			report(path, fmt.Sprintf("Palisade %s, API server %s", show(a), show(b)))
			return
		}
		if !a.IsNil() {
			compareRuleFields(a.Elem(), b.Elem(), path, fields, report)
		}
		return
	case reflect.Slice:
		if a.Type().Elem().Kind() != reflect.Struct {
			break
		}
		if a.Len() != b.Len() {
			report(path, fmt.Sprintf("%d items in Palisade's pod, %d in the API server's", a.Len(), b.Len()))
			return
		}
		for i := 0; i < a.Len(); i++ {
			compareRuleFields(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), fields, report)
		}
		return
	case reflect.Struct:
		if leafTypes[a.Type()] {
			break
		}
		t := a.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := jsonName(f)
			if name == "" {
				compareRuleFields(a.Field(i), b.Field(i), path, fields, report)
				continue
			}
			p := path + "." + name
			if fields[genericPath(p)] {
				compareRuleFields(a.Field(i), b.Field(i), p, fields, report)
			}
		}
		return
	}
	if !apiequality.Semantic.DeepEqual(a.Interface(), b.Interface()) {
		report(path, fmt.Sprintf("Palisade %s, API server %s", show(a), show(b)))
	}
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "unset"
	}
	data, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	if len(data) > 200 {
		data = append(data[:200], "..."...)
	}
	return string(data)
}

// diffJSON lists the paths where the JSON forms of a and b differ.
func diffJSON(a, b any, path string) []string {
	var ma, mb any
	for _, x := range []struct {
		v   any
		out *any
	}{{a, &ma}, {b, &mb}} {
		data, _ := json.Marshal(x.v)
		_ = json.Unmarshal(data, x.out)
	}
	var out []string
	var walk func(x, y any, p string)
	walk = func(x, y any, p string) {
		switch xv := x.(type) {
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok {
				out = append(out, p)
				return
			}
			for k := range xv {
				walk(xv[k], yv[k], p+"."+k)
			}
			for k := range yv {
				if _, ok := xv[k]; !ok {
					walk(nil, yv[k], p+"."+k)
				}
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				out = append(out, p)
				return
			}
			for i := range xv {
				walk(xv[i], yv[i], fmt.Sprintf("%s[%d]", p, i))
			}
		default:
			if !reflect.DeepEqual(x, y) {
				out = append(out, p)
			}
		}
	}
	walk(ma, mb, path)
	return out
}
