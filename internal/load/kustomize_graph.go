package load

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

// The kustomize API fetches what a kustomization names by URL (resources, patches,
// generator files, openapi schemas over HTTP; bases and components with git clone,
// file:// repositories included) and offers no way to turn that off. So before
// kustomize runs, Palisade reads the whole kustomization graph itself, with
// kustomize's own decoder (types.Kustomization.Unmarshal: the same keys, matched the
// same case-insensitive way), and refuses to build an overlay that names anything
// remote, or a local file or base outside the scanned tree. Kustomize then runs on
// treeFS, which cannot read outside the tree either.

// kustomizeCheck walks a kustomization graph.
type kustomizeCheck struct {
	tree    string
	maxFile int64
	// seen holds the kustomization directories visited (real paths).
	seen map[string]bool
	// dirs are the local kustomization directories reached, the root excluded.
	dirs []string
	errs []finding.InputError
	// collect asks for the secret values the graph holds (literals and files of
	// secret generators, data of Secret objects), for masking error messages.
	collect bool
	known   []string
}

// maxKustomizeDepth bounds how deep bases may nest.
const maxKustomizeDepth = 100

// checkKustomization walks the kustomization in dir and everything it builds on.
func checkKustomization(dir, tree string, maxFile int64, collect bool) *kustomizeCheck {
	c := &kustomizeCheck{tree: tree, maxFile: maxFile, seen: map[string]bool{}, collect: collect}
	if real, err := realPath(dir); err == nil {
		c.visit(real, false, 0)
	}
	return c
}

// kustomization is one kustomization file read for the check.
type kustomization struct {
	file, dir string
	lines     map[string]int
}

func (c *kustomizeCheck) fail(file string, line int, format string, args ...any) {
	c.errs = append(c.errs, finding.InputError{
		Location: finding.Location{File: file, Line: line, Renderer: "kustomize"},
		Message:  untrusted(fmt.Sprintf(format, args...)),
	})
}

// visit reads the kustomization in the directory dir (a real path in the tree).
// plugin says that its resources are generator or transformer configurations.
func (c *kustomizeCheck) visit(dir string, plugin bool, depth int) {
	if c.seen[dir] {
		return
	}
	c.seen[dir] = true
	if depth > maxKustomizeDepth {
		c.fail(dir, 0, "kustomization bases nest more than %d deep", maxKustomizeDepth)
		return
	}
	var files []string
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			files = append(files, filepath.Join(dir, n))
		}
	}
	if len(files) != 1 {
		return // none, or several: kustomize says which
	}
	data, err := readRegular(files[0], c.tree, c.maxFile)
	if err != nil {
		c.fail(files[0], 0, "%v", err)
		return
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return // kustomize reports it, reading nothing else
	}
	kz := &kustomization{file: files[0], dir: dir, lines: scalarLines(data)}
	c.check(kz, &k, plugin, depth)
}

// check applies the checks to every field of a kustomization that names something
// kustomize loads. TestKustomizeFieldsChecked keeps this list complete.
func (c *kustomizeCheck) check(kz *kustomization, k *types.Kustomization, plugin bool, depth int) {
	//lint:ignore SA1019 kustomize still builds the deprecated fields, so they are checked too
	for _, r := range append(append([]string(nil), k.Resources...), k.Bases...) {
		c.resource(kz, r, "resource", plugin, depth)
	}
	for _, r := range k.Components {
		c.resource(kz, r, "component", plugin, depth)
	}
	for _, p := range k.Crds {
		c.file(kz, p, "CRD file")
	}
	for _, p := range k.Configurations {
		c.file(kz, p, "transformer configuration")
	}
	if p, ok := k.OpenAPI["path"]; ok {
		c.file(kz, p, "OpenAPI schema")
	}
	//lint:ignore SA1019 kustomize still builds the deprecated fields, so they are checked too
	for _, p := range k.PatchesStrategicMerge {
		if s := string(p); !strings.Contains(s, "\n") {
			c.file(kz, s, "patch")
		} else if c.collect {
			c.collectSecrets([]byte(s))
		}
	}
	//lint:ignore SA1019 kustomize still builds the deprecated fields, so they are checked too
	for _, p := range append(append([]types.Patch(nil), k.Patches...), k.PatchesJson6902...) {
		if p.Path != "" {
			c.file(kz, p.Path, "patch")
		}
		if c.collect && p.Patch != "" {
			c.collectSecrets([]byte(p.Patch))
		}
	}
	for _, r := range k.Replacements {
		if r.Path != "" {
			c.file(kz, r.Path, "replacement")
		}
	}
	for _, g := range k.ConfigMapGenerator {
		c.generatorSources(kz, &g.KvPairSources, false)
	}
	for _, g := range k.SecretGenerator {
		c.generatorSources(kz, &g.KvPairSources, true)
	}
	for _, list := range [][]string{k.Generators, k.Transformers, k.Validators} {
		for _, g := range list {
			c.plugin(kz, g, depth)
		}
	}
	for _, h := range k.HelmCharts {
		c.fail(kz.file, kz.line(h.Name, "helmCharts"), "helm chart %q not inflated: kustomize would run helm, which may fetch it (scan the chart directory itself)", h.Name)
	}
	for _, h := range k.HelmChartInflationGenerator {
		c.fail(kz.file, kz.line(h.ChartName, "helmChartInflationGenerator"), "helm chart %q not inflated: kustomize would run helm, which may fetch it (scan the chart directory itself)", h.ChartName)
	}
	if k.HelmGlobals != nil && len(k.HelmCharts) == 0 && len(k.HelmChartInflationGenerator) == 0 {
		c.fail(kz.file, kz.line("helmGlobals"), "helmGlobals not used: helm charts in kustomizations are not inflated")
	}
}

// resource checks an entry of resources, bases or components: a file, a directory
// holding a kustomization (followed), or a remote reference (refused).
func (c *kustomizeCheck) resource(kz *kustomization, ref, what string, plugin bool, depth int) {
	line := kz.line(ref)
	if remoteRef(ref) {
		c.fail(kz.file, line, "remote %s not fetched: %s", what, ref)
		return
	}
	real, ok := c.local(kz, ref, what, line)
	if !ok {
		return
	}
	st, err := os.Stat(real)
	switch {
	case err != nil:
	case st.IsDir():
		c.dirs = append(c.dirs, real)
		c.visit(real, plugin, depth+1)
	case !st.Mode().IsRegular():
		c.fail(kz.file, line, "%s %s is not a regular file (%s): not read", what, ref, st.Mode().Type())
	case plugin:
		c.pluginFile(real)
	case c.collect:
		if data, err := readRegular(real, c.tree, c.maxFile); err == nil {
			c.collectSecrets(data)
		}
	}
}

// file checks a reference to a file that kustomize loads (a patch, a schema).
func (c *kustomizeCheck) file(kz *kustomization, ref, what string) {
	c.fileAt(kz, ref, what, kz.line(ref))
}

func (c *kustomizeCheck) fileAt(kz *kustomization, ref, what string, line int) {
	if remoteRef(ref) {
		c.fail(kz.file, line, "remote %s not fetched: %s", what, ref)
		return
	}
	if real, ok := c.local(kz, ref, what, line); ok {
		if st, err := os.Stat(real); err == nil && !st.Mode().IsRegular() {
			c.fail(kz.file, line, "%s %s is not a regular file (%s): not read", what, ref, st.Mode().Type())
		}
	}
}

// local resolves a local reference; one that leads out of the tree is an error. It
// reports false for a reference that does not exist (kustomize says so).
func (c *kustomizeCheck) local(kz *kustomization, ref, what string, line int) (string, bool) {
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(kz.dir, p)
	}
	real, err := realPath(p)
	if err != nil {
		return "", false
	}
	if !within(real, c.tree) {
		c.fail(kz.file, line, "%s %s leads to %s, outside the scanned tree %s: not read (name a directory that holds both, or scan inside a git work tree)", what, ref, real, c.tree)
		return "", false
	}
	return real, true
}

// generatorSources checks the files and env files of a ConfigMap or Secret generator,
// and collects the values of a Secret generator.
func (c *kustomizeCheck) generatorSources(kz *kustomization, s *types.KvPairSources, secret bool) {
	collect := c.collect && secret
	for _, f := range s.FileSources {
		// "key=path" or "path"; a remote path is refused however it is written.
		path := f
		if _, p, ok := strings.Cut(f, "="); ok {
			path = p
		}
		if remoteRef(f) || remoteRef(path) {
			c.fail(kz.file, kz.line(f), "remote generator file not fetched: %s", f)
			continue
		}
		c.fileAt(kz, path, "generator file", kz.line(f))
		if collect {
			c.collectFile(kz, path, false)
		}
	}
	envs := append([]string(nil), s.EnvSources...)
	if s.EnvSource != "" {
		envs = append(envs, s.EnvSource)
	}
	for _, e := range envs {
		c.file(kz, e, "generator env file")
		if collect {
			c.collectFile(kz, e, true)
		}
	}
	if collect {
		for _, l := range s.LiteralSources {
			c.known = append(c.known, l)
			if _, v, ok := strings.Cut(l, "="); ok {
				c.known = append(c.known, v, strings.Trim(v, `"'`))
			}
		}
	}
}

// collectFile collects the content of a secret generator's file, or each value of
// its env file.
func (c *kustomizeCheck) collectFile(kz *kustomization, ref string, env bool) {
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(kz.dir, p)
	}
	data, err := readRegular(p, c.tree, c.maxFile)
	if err != nil {
		return
	}
	if !env {
		c.known = append(c.known, string(data), strings.TrimSpace(string(data)))
		return
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		c.known = append(c.known, l)
		if _, v, ok := strings.Cut(l, "="); ok {
			c.known = append(c.known, v)
		}
	}
}

// plugin checks an entry of generators, transformers or validators: an inline
// configuration, a file of configurations, or a kustomization whose resources are
// configurations.
func (c *kustomizeCheck) plugin(kz *kustomization, entry string, depth int) {
	line := kz.line(entry)
	if docs, err := yamlDocuments([]byte(entry)); err == nil && len(docs) > 0 && docs[0].Kind == yaml.MappingNode {
		for _, d := range docs {
			c.pluginConfig(kz.file, line, d)
		}
		return
	}
	if remoteRef(entry) && !strings.Contains(entry, "\n") {
		c.fail(kz.file, line, "remote plugin configuration not fetched: %s", entry)
		return
	}
	if strings.ContainsAny(entry, "\n{") {
		// Not a path, and not a configuration this parser reads: refuse any word of
		// it that is remote, in case kustomize's parser reads it as a configuration.
		for _, w := range strings.FieldsFunc(entry, func(r rune) bool { return strings.ContainsRune(" \t\r\n\"'{}[],", r) }) {
			if remoteRef(w) {
				c.fail(kz.file, line, "remote reference in a plugin configuration not fetched: %s", w)
			}
		}
		return
	}
	c.resource(kz, entry, "plugin configuration", true, depth)
}

// pluginFile checks a file of generator or transformer configurations.
func (c *kustomizeCheck) pluginFile(path string) {
	data, err := readRegular(path, c.tree, c.maxFile)
	if err != nil {
		c.fail(path, 0, "%v", err)
		return
	}
	docs, err := yamlDocuments(data)
	if err != nil {
		return // kustomize reports it
	}
	for _, d := range docs {
		c.pluginConfig(path, 0, d)
	}
}

// pluginConfig checks one generator or transformer configuration. The built-in
// plugins load files named in many fields (path, paths, files, envs, valuesFile,
// replacements[].path, ...), read case-insensitively; rather than follow each, every
// string in the configuration outside its metadata, labels and annotations that
// kustomize would take as a remote reference is refused. line, if not 0, is the line
// of the kustomization file where an inline configuration starts.
func (c *kustomizeCheck) pluginConfig(file string, line int, doc *yaml.Node) {
	secret := c.collect && mappingValue(doc, "kind") == "SecretGenerator"
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, top bool)
	walk = func(n *yaml.Node, top bool) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.Kind {
		case yaml.AliasNode:
			walk(n.Alias, top)
		case yaml.ScalarNode:
			if remoteRef(n.Value) {
				l := n.Line
				if line > 0 {
					l = line + n.Line - 1
				}
				c.fail(file, l, "remote reference in a plugin configuration not fetched: %s", n.Value)
			}
			if secret {
				c.known = append(c.known, n.Value)
				if _, v, ok := strings.Cut(n.Value, "="); ok {
					c.known = append(c.known, v)
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if top {
					switch n.Content[i].Value {
					case "metadata", "labels", "annotations":
						continue
					}
				}
				walk(n.Content[i+1], false)
			}
		default:
			for _, ch := range n.Content {
				walk(ch, false)
			}
		}
	}
	walk(doc, true)
	if c.collect {
		c.collectSecretNode(doc)
	}
}

// collectSecrets collects the data of the Secret objects in a YAML stream.
func (c *kustomizeCheck) collectSecrets(data []byte) {
	docs, err := yamlDocuments(data)
	if err != nil {
		return
	}
	for _, d := range docs {
		c.collectSecretNode(d)
	}
}

func (c *kustomizeCheck) collectSecretNode(doc *yaml.Node) {
	if mappingValue(doc, "kind") != "Secret" {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		m := mappingNode(doc, field)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 1; i < len(m.Content); i += 2 {
			v := m.Content[i].Value
			c.known = append(c.known, v)
			if field == "data" {
				if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
					c.known = append(c.known, string(raw))
				}
			}
		}
	}
}

// yamlDocuments parses a YAML stream into document nodes (aliases are not expanded).
func yamlDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(n.Content) > 0 {
			docs = append(docs, n.Content[0])
		}
	}
}

// mappingNode is the value of key in the mapping n, or nil.
func mappingNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func mappingValue(n *yaml.Node, key string) string {
	if v := mappingNode(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// scalarLines maps each scalar (keys included) of a YAML stream to the line where it
// first occurs. Kustomize decodes the file its own way; this only finds lines.
func scalarLines(data []byte) map[string]int {
	lines := map[string]int{}
	docs, err := yamlDocuments(data)
	if err != nil {
		return lines
	}
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == yaml.ScalarNode {
			if _, ok := lines[n.Value]; !ok {
				lines[n.Value] = n.Line
				if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					lines[n.Value]++ // the text of a block scalar starts on the next line
				}
			}
		}
		if n.Kind == yaml.AliasNode {
			walk(n.Alias)
		}
		for _, ch := range n.Content {
			walk(ch)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return lines
}

// line is the line of the first of values found in the kustomization file (0 if none).
func (kz *kustomization) line(values ...string) int {
	for _, v := range values {
		if l, ok := kz.lines[v]; ok {
			return l
		}
	}
	return 0
}

// scpLike is the user@ start of an scp-style git URL (git@github.com:org/repo).
var scpLike = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*@`)

// remoteRef reports whether kustomize would fetch ref rather than read a local path:
// an http(s) URL (loaded with an HTTP GET), or anything its git URL parser accepts
// (cloned with git): git::..., any scheme://..., github.com/org/repo, scp-style
// user@host:org/repo. It errs on the side of remote: a local path that merely looks
// like one is refused too.
func remoteRef(ref string) bool {
	s := strings.TrimSpace(ref)
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "git::") || strings.Contains(l, "://") {
		return true
	}
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	if strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:") {
		return true
	}
	if loc := scpLike.FindStringIndex(s); loc != nil {
		rest := s[loc[1]:]
		return strings.Contains(rest, "/") || strings.Contains(l, ".git") || strings.Contains(l, "_git/")
	}
	return false
}

// untrusted prepares text that Palisade did not write (an error message of a
// library, which may quote the manifests, values or files it read) for a report:
// credential shapes and the known secret values are masked (secrets.Redact), and the
// text is cut to maxMessage bytes.
func untrusted(text string, known ...string) string {
	if len(text) > maxRedactInput {
		text = text[:maxRedactInput]
	}
	text = secrets.Redact(text, known...)
	if len(text) <= maxMessage {
		return text
	}
	cut := maxMessage
	for cut > 0 && !isRuneStart(text[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d more bytes)", text[:cut], len(text)-cut)
}

const (
	// maxMessage bounds an error message from a library (2 KiB).
	maxMessage = 2 << 10
	// maxRedactInput is how much of such a message is read at all.
	maxRedactInput = 64 << 10
)

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
