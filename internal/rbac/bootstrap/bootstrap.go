// Package bootstrap holds the default RBAC policy of each supported Kubernetes
// version: the ClusterRoles, ClusterRoleBindings, and the kube-system and kube-public
// Roles and RoleBindings that the API server creates at start-up (the objects
// labelled kubernetes.io/bootstrapping=rbac-defaults). `palisade rbac
// --include-defaults` adds them to the model, so that what system:authenticated or a
// service account gets by default is part of every answer.
//
// The data is not written by hand: data/vMAJOR.MINOR.yaml is what a real
// kube-apiserver of that version serves, read once by TestGenerate and embedded.
// Aggregated ClusterRoles (admin, edit, view, ...) are kept as the API server stores
// them, with their aggregationRule and without the rules the controller manager would
// fill in: the model aggregates them like any other ClusterRole.
//
// Regenerating the data of the version internal/kubetest runs:
//
//	PALISADE_REGENERATE_BOOTSTRAP=1 go test ./internal/rbac/bootstrap -run TestGenerate
//
// TestStaleness (part of `make test`) fails when the embedded data of that version no
// longer equals what the server serves.
//
// Adding another version: build that release's kube-apiserver with hack/k8s-bins.sh
// (change k8s.io/kubernetes and the staging replaces in test/k8sbins/go.mod, or a
// copy of it, as that script's header says), point PALISADE_K8S_BINS at the directory
// it prints, and run the command above: the generator names the file after the
// version the server reports (GET /version), so data/v1.36.yaml sits beside
// data/v1.37.yaml and Versions lists both. The staleness test only checks the version
// of the server it runs against.
package bootstrap

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

//go:embed data/*.yaml
var data embed.FS

func init() { rbac.RegisterDefaults(Objects) }

// Label marks the objects of the bootstrap policy.
const Label = rbac.LabelBootstrapping

// LabelValue is Label's value on them.
const LabelValue = rbac.LabelBootstrappingDefaults

// Versions lists the Kubernetes versions whose policy is embedded, as "vMAJOR.MINOR",
// oldest first.
func Versions() []string {
	entries, err := fs.ReadDir(data, "data")
	if err != nil {
		panic(fmt.Sprintf("bootstrap: embedded data: %v", err))
	}
	var out []string
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// Objects returns the bootstrap policy of a version as loaded objects (origin
// "bootstrap vMAJOR.MINOR", no line numbers, bodies decoded). version may be "" or
// "latest" for the newest embedded one, "1.37", "v1.37" or a patch release such as
// "v1.37.2" (the policy is the same across patch releases). Each call returns fresh
// objects the caller may change.
func Objects(version string) ([]*inventory.Object, error) {
	v, err := resolve(version)
	if err != nil {
		return nil, err
	}
	c, _ := cache.LoadOrStore(v, &parsed{})
	p := c.(*parsed)
	p.once.Do(func() {
		raw, err := data.ReadFile(path.Join("data", v+".yaml"))
		if err != nil {
			p.err = fmt.Errorf("bootstrap policy %s: %w", v, err)
			return
		}
		p.objs, p.err = parse(raw, "bootstrap "+v)
	})
	if p.err != nil {
		return nil, p.err
	}
	out := make([]*inventory.Object, len(p.objs))
	for i, o := range p.objs {
		c := *o
		c.Body = runtime.DeepCopyJSON(o.Body)
		c.Labels = maps.Clone(o.Labels)
		c.Annotations = maps.Clone(o.Annotations)
		out[i] = &c
	}
	return out, nil
}

// cache holds each version's objects, parsed once; Objects hands out copies.
var cache sync.Map // version -> *parsed

type parsed struct {
	once sync.Once
	objs []*inventory.Object
	err  error
}

// resolve maps a user's version to an embedded one.
func resolve(version string) (string, error) {
	known := Versions()
	if len(known) == 0 {
		return "", fmt.Errorf("no bootstrap RBAC policy is embedded")
	}
	if version == "" || version == "latest" {
		return known[len(known)-1], nil
	}
	want, ok := majorMinor(version)
	if ok {
		for _, k := range known {
			if k == want {
				return k, nil
			}
		}
	}
	return "", fmt.Errorf("no bootstrap RBAC policy for Kubernetes version %q; known versions: %s",
		version, strings.Join(known, ", "))
}

// majorMinor turns "1.37", "v1.37" or "v1.37.2" into "v1.37".
func majorMinor(v string) (string, bool) {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return "", false
	}
	for _, p := range parts[:2] {
		if _, err := strconv.Atoi(p); err != nil {
			return "", false
		}
	}
	if len(parts) == 3 {
		// a patch release may carry a pre-release or build suffix: 2-rc.1, 2+k3s1
		patch := parts[2]
		if i := strings.IndexAny(patch, "-+"); i >= 0 {
			patch = patch[:i]
		}
		if _, err := strconv.Atoi(patch); err != nil {
			return "", false
		}
	}
	return "v" + parts[0] + "." + parts[1], true
}

func versionLess(a, b string) bool {
	pa := strings.SplitN(strings.TrimPrefix(a, "v"), ".", 2)
	pb := strings.SplitN(strings.TrimPrefix(b, "v"), ".", 2)
	for i := 0; i < 2 && i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return a < b
}

// parse reads the embedded multi-document YAML into objects.
func parse(raw []byte, origin string) ([]*inventory.Object, error) {
	var out []*inventory.Object
	for i, doc := range splitDocuments(raw) {
		var body map[string]any
		if err := yaml.Unmarshal(doc, &body); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", origin, i+1, err)
		}
		if body == nil {
			continue
		}
		md, _ := body["metadata"].(map[string]any)
		o := &inventory.Object{
			Ref: finding.ObjectRef{
				APIVersion: str(body["apiVersion"]),
				Kind:       str(body["kind"]),
				Namespace:  str(md["namespace"]),
				Name:       str(md["name"]),
			},
			Labels:      strMap(md["labels"]),
			Annotations: strMap(md["annotations"]),
			Origin:      finding.Location{File: origin, Document: i + 1},
			Body:        body,
		}
		if o.Ref.Kind == "" || o.Ref.Name == "" {
			return nil, fmt.Errorf("%s: document %d has no kind or name", origin, i+1)
		}
		out = append(out, o)
	}
	return out, nil
}

// splitDocuments cuts the generator's output on its "---" lines.
func splitDocuments(raw []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(raw, []byte("\n---\n")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(d []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(d, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		out[k] = str(x)
	}
	return out
}
