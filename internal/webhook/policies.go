package webhook

// The ValidatingAdmissionPolicies the webhook applies (internal/admission,
// policies.go) come from the operator's files: the configuration's `policies:`
// (files or directories, relative to the configuration file) and --policy (relative
// to the working directory). They are read and compiled once per configuration
// generation, and read again at each reload: when their contents change, a new
// generation replaces the evaluator in force; when they do not read or compile, the
// generation in force stays, and the error is logged and counted as a rejected
// reload of "policies".
//
// The files are read here, by a small multi-document YAML (and JSON) reader, rather
// than by internal/load: the webhook does not reach the input layer (no Helm, no
// kustomize, no cluster reads), and a policy file is plain objects. The reader is
// bounded like a review: each file at most maxPolicyFileBytes, all files together
// maxPolicyBytes, at most maxPolicyFiles files and maxPolicyDocuments objects, each
// object within the review limits' bytes and JSON values (admission.Limits), and
// YAML aliases within go-yaml's ratio. An object that does not decode is an error
// naming its file and line, never skipped.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// Bounds of the policy files of one configuration generation.
const (
	maxPolicyFileBytes = 8 << 20
	maxPolicyBytes     = 32 << 20
	maxPolicyFiles     = 1000
	maxPolicyDocuments = 10_000
)

// policyDoc is one object of a policy file, with where it was read.
type policyDoc struct {
	obj map[string]any
	src vap.Source
}

// policyFiles is what one read of the policy files found: the objects, and a
// digest of the files' names and contents that says whether they changed.
type policyFiles struct {
	docs   []policyDoc
	digest string
}

// policyPaths are the policy files and directories of a configuration (relative
// to its file's directory) and of --policy.
func policyPaths(cfg *config.Config, configPath string, flags []string) []string {
	var out []string
	if cfg != nil {
		dir := "."
		if configPath != "" {
			dir = filepath.Dir(configPath)
		}
		for _, p := range cfg.Policies {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			out = append(out, p)
		}
	}
	return append(out, flags...)
}

// readPolicies reads the policy files: each path a file, or a directory whose
// *.yaml, *.yml and *.json files are read, recursively, in lexical order (hidden
// files and directories skipped).
func readPolicies(paths []string, l admission.Limits) (*policyFiles, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				files = append(files, path)
			}
			if len(files) > maxPolicyFiles {
				return fmt.Errorf("more than %d policy files", maxPolicyFiles)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", p, err)
		}
	}
	if len(files) > maxPolicyFiles {
		return nil, fmt.Errorf("policy: more than %d policy files", maxPolicyFiles)
	}
	h := sha256.New()
	out := &policyFiles{}
	total := 0
	for _, name := range files {
		data, err := readBounded(name, maxPolicyFileBytes)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if total += len(data); total > maxPolicyBytes {
			return nil, fmt.Errorf("policy: the policy files hold more than %d bytes together", maxPolicyBytes)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
		if err := parsePolicyFile(name, data, l, &out.docs); err != nil {
			return nil, err
		}
	}
	out.digest = hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// readBounded reads a file of at most max bytes.
func readBounded(name string, max int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, nil
}

// parsePolicyFile appends the objects of one YAML or JSON stream to docs: each
// document an object, or a List whose items are objects; empty documents are
// skipped. Objects come out as the API server's JSON decoder makes them (integers
// as int64).
func parsePolicyFile(name string, data []byte, l admission.Limits, docs *[]policyDoc) error {
	l = withDefaults(l)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				continue
			}
			n = *n.Content[0]
		}
		if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			continue
		}
		obj, err := decodeObject(&n, l)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", name, n.Line, err)
		}
		if kind, _ := obj["kind"].(string); kind == "List" || strings.HasSuffix(kind, "List") && obj["items"] != nil {
			items, ok := obj["items"].([]any)
			if !ok {
				return fmt.Errorf("%s:%d: a %s without a list of items", name, n.Line, kind)
			}
			itemNodes := listItems(&n)
			for i, it := range items {
				m, ok := it.(map[string]any)
				if !ok {
					return fmt.Errorf("%s:%d: item %d of the %s is not an object", name, n.Line, i, kind)
				}
				line := n.Line
				if i < len(itemNodes) {
					line = itemNodes[i].Line
				}
				if err := addDoc(docs, m, vap.Source{File: name, Line: line}); err != nil {
					return err
				}
			}
			continue
		}
		if err := addDoc(docs, obj, vap.Source{File: name, Line: n.Line}); err != nil {
			return err
		}
	}
}

func addDoc(docs *[]policyDoc, obj map[string]any, src vap.Source) error {
	if len(*docs) >= maxPolicyDocuments {
		return fmt.Errorf("%s:%d: more than %d objects in the policy files", src.File, src.Line, maxPolicyDocuments)
	}
	*docs = append(*docs, policyDoc{obj: obj, src: src})
	return nil
}

// listItems are the nodes of a List's items, for their lines.
func listItems(n *yaml.Node) []*yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "items" && n.Content[i+1].Kind == yaml.SequenceNode {
			return n.Content[i+1].Content
		}
	}
	return nil
}

// decodeObject decodes one document into a JSON object, within l's bytes and
// values.
func decodeObject(n *yaml.Node, l admission.Limits) (map[string]any, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("not an object")
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	// Through JSON, as the API server reads YAML: keys must be strings, numbers
	// finite, and integers come out as int64.
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if len(js) > l.MaxReviewBytes {
		return nil, fmt.Errorf("object of %d bytes: at most %d (webhook serve --max-review-bytes)", len(js), l.MaxReviewBytes)
	}
	if c := admission.CountValues(js); c > l.MaxValues {
		return nil, fmt.Errorf("object of %d JSON values: at most %d (webhook serve --max-review-values)", c, l.MaxValues)
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func withDefaults(l admission.Limits) admission.Limits {
	if l.MaxReviewBytes <= 0 {
		l.MaxReviewBytes = admission.DefaultLimits.MaxReviewBytes
	}
	if l.MaxValues <= 0 {
		l.MaxValues = admission.DefaultLimits.MaxValues
	}
	return l
}

// compiledPolicies is the compiled policies of one generation.
type compiledPolicies struct {
	set    *vap.Set
	names  []string
	digest string
}

// compilePolicies compiles what readPolicies read: the objects into a bundle, then
// vap.Compile. A policy or binding that does not decode, or that the compiler
// refuses or cannot apply (vap.Set.Problems), is an error naming its file and line:
// the files are the operator's, and a broken one is refused at the reload rather
// than applied as an error at each admission.
func compilePolicies(pf *policyFiles) (*compiledPolicies, error) {
	if pf == nil || len(pf.docs) == 0 {
		return &compiledPolicies{digest: digestOf(pf)}, nil
	}
	b := vap.Bundle{Sources: map[any]vap.Source{}}
	var errs []error
	for _, d := range pf.docs {
		if err := b.Add(d.obj, d.src); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy: %w", errors.Join(errs...))
	}
	set, errs := vap.Compile(b, vap.Options{})
	errs = append(errs, set.Problems()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy: %w", errors.Join(errs...))
	}
	names := make([]string, 0, len(b.Policies))
	for _, p := range b.Policies {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return &compiledPolicies{set: set, names: names, digest: pf.digest}, nil
}

func digestOf(pf *policyFiles) string {
	if pf == nil {
		return ""
	}
	return pf.digest
}
