package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/yamlpos"
)

// parseDocument parses one document into zero or more objects (a List yields its
// items). base carries the file, renderer and document index; lines are made absolute.
func parseDocument(doc document, base finding.Location, opts *Options) ([]*inventory.Object, []finding.InputError) {
	data := doc.data
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		// JSON allows tabs as whitespace where YAML does not; in valid JSON a raw tab can
		// only be whitespace (tabs inside strings must be escaped), so this is lossless.
		data = bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
	}
	loc := base
	loc.Document = doc.index
	loc.Line = doc.line
	var root yaml.Node
	if err := safeUnmarshal(data, &root); err != nil {
		return nil, []finding.InputError{yamlError(loc, doc.line, data, err)}
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, nil
	}
	n := &root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	if bytes.IndexByte(data, '*') >= 0 {
		// Only an alias ("*name") makes a document expand.
		if a, err := checkAliases(&root); err != nil {
			loc.Line, loc.Column = a.Line+doc.line-1, a.Column
			return nil, []finding.InputError{{Location: loc, Message: "invalid YAML: " + err.Error()}}
		}
	}
	if k, first := duplicateKey(n); k != nil {
		// YAML requires unique keys, and kubectl and the API server reject a document
		// that repeats one; which value would apply is undefined, so it is not scanned.
		loc.Line, loc.Column = k.Line+doc.line-1, k.Column
		return nil, []finding.InputError{{Location: loc, Message: fmt.Sprintf(
			"invalid YAML: mapping key %q already defined at line %d", k.Value, first.Line+doc.line-1)}}
	}
	p := &parser{opts: opts, loc: loc, offset: doc.line - 1, mode: doc.mode, data: data}
	if doc.mode == configOnly {
		p.configDocument(n)
	} else {
		p.object(n)
	}
	if len(p.objs) > 0 {
		if info := sopsFromNode(n); info != nil {
			for _, o := range p.objs {
				if o.SOPS == nil {
					o.SOPS = info
				}
			}
		}
	}
	return p.objs, p.errs
}

// sopsFromNode reads the SOPS metadata of a document: its top-level "sops" mapping.
func sopsFromNode(n *yaml.Node) *inventory.SOPSInfo {
	md := child(n, sopsKey)
	if md == nil || md.Kind != yaml.MappingNode {
		return nil
	}
	flat := make(map[string]string, len(md.Content)/2)
	for i := 0; i+1 < len(md.Content); i += 2 {
		flat[md.Content[i].Value] = scalar(resolveAlias(md.Content[i+1]))
	}
	return sopsInfo(flat)
}

// configDocument reads a document that is configuration, not an object.
func (p *parser) configDocument(n *yaml.Node) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		p.errorf(n, "not a configuration document: document is a %s, not a mapping or a sequence", kindName(n))
		return
	}
	line := n.Line + p.offset
	o := newConfigObject(p.loc, line, streamFormat(p.loc.File, p.data))
	o.SOPS = sopsFromNode(n)
	if decodeConfig(p.opts) {
		c := converter{lines: inventory.NewLines(0), offset: p.offset, maxPathBytes: p.opts.Limits.maxPathBytes()}
		data, _ := c.lines.Add(inventory.Root, "data", -1, line)
		v, err := c.value(n, data, len("data"))
		if err != nil {
			p.errorf(n, "configuration document: %v", err)
			return
		}
		o.Body, o.Lines = map[string]any{"data": v}, c.lines
		stripSOPS(o, v)
	}
	p.objs = append(p.objs, o)
}

// namesObject reports whether a node is a mapping with apiVersion or kind.
func namesObject(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k == "apiVersion" || k == "kind" {
			return true
		}
	}
	return false
}

// duplicateKey finds the first mapping key that repeats an earlier key of the same
// mapping, and that earlier key. Merge keys and aliases are not expanded: merged keys
// may be overridden, and an alias's target is checked where it is defined.
func duplicateKey(root *yaml.Node) (dup, first *yaml.Node) {
	stack := []*yaml.Node{root}
	var seen map[string]*yaml.Node
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n.Kind {
		case yaml.MappingNode:
			c := n.Content
			if len(c) <= 16 {
				for i := 0; i+1 < len(c); i += 2 {
					for j := 0; j < i; j += 2 {
						if c[i].Value == c[j].Value && c[i].Kind == yaml.ScalarNode && c[j].Kind == yaml.ScalarNode && !isMergeKey(c[i]) {
							return c[i], c[j]
						}
					}
				}
			} else {
				if seen == nil {
					seen = map[string]*yaml.Node{}
				}
				clear(seen)
				for i := 0; i+1 < len(c); i += 2 {
					if c[i].Kind != yaml.ScalarNode || isMergeKey(c[i]) {
						continue
					}
					if f, ok := seen[c[i].Value]; ok {
						return c[i], f
					}
					seen[c[i].Value] = c[i]
				}
			}
			for i := 1; i < len(c); i += 2 {
				if v := c[i]; v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, v)
				}
			}
		case yaml.SequenceNode:
			for _, v := range n.Content {
				if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
					stack = append(stack, v)
				}
			}
		}
	}
	return nil, nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.Tag != "!!str")
}

// safeUnmarshal parses the one YAML document data holds. The splitter cuts a stream at
// every line yaml.v3 would start a new document on; a second document here is an
// error all the same, never dropped unread.
func safeUnmarshal(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("yaml: line %d: a second YAML document where one was expected", next.Line)
}

func yamlError(loc finding.Location, start int, data []byte, err error) finding.InputError {
	n, msg := yamlpos.Locate(err, data)
	loc.Line = start
	if n > 0 {
		loc.Line = start + n - 1
	}
	return finding.InputError{Location: loc, Message: "invalid YAML: " + msg}
}

type parser struct {
	opts   *Options
	loc    finding.Location
	offset int
	mode   configMode
	data   []byte
	objs   []*inventory.Object
	errs   []finding.InputError
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	loc := p.loc
	loc.Line = n.Line + p.offset
	loc.Column = n.Column
	p.errs = append(p.errs, finding.InputError{Location: loc, Message: fmt.Sprintf(format, args...)})
}

// object reads one object node; a List's items are read as objects of their own.
func (p *parser) object(n *yaml.Node) { p.item(n, "", "") }

// item reads one object node. In a typed list (PodList, NamespaceList: lists as the
// API server returns them), an item that names neither apiVersion nor kind is of the
// list's apiVersion and of its kind without "List", as kubectl's decoder reads it;
// itemKind is that kind ("" outside a typed list, and in a plain List, whose items
// must name their own).
func (p *parser) item(n *yaml.Node, listAPIVersion, itemKind string) {
	n = resolveAlias(n)
	top := listAPIVersion == "" && p.mode == configAllowed
	if n.Kind != yaml.MappingNode {
		if top && n.Kind == yaml.SequenceNode && !slices.ContainsFunc(n.Content, namesObject) {
			p.configDocument(n)
			return
		}
		p.errorf(n, "not a Kubernetes object: document is a %s, not a mapping", kindName(n))
		return
	}
	var apiVersion, kind string
	var meta, items *yaml.Node
	var metaLine int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		switch k.Value {
		case "apiVersion":
			apiVersion = scalar(v)
		case "kind":
			kind = scalar(v)
		case "metadata":
			meta, metaLine = v, k.Line
		case "items":
			items = v
		}
	}
	if top && !hasKey(n, "apiVersion") && !hasKey(n, "kind") {
		p.configDocument(n)
		return
	}
	inherited := kind == "" && apiVersion == "" && itemKind != ""
	if inherited {
		apiVersion, kind = listAPIVersion, itemKind
	}
	if kind == "" || apiVersion == "" {
		missing := "kind"
		if kind != "" {
			missing = "apiVersion"
		} else if apiVersion == "" {
			missing = "apiVersion and kind"
		}
		hint := ""
		if listAPIVersion != "" && itemKind == "" && kind == "" {
			hint = " (items of a List name their own kind; only a typed list such as PodList gives its items one)"
		}
		p.errorf(n, "not a Kubernetes object: missing %s%s", missing, hint)
		return
	}
	if strings.HasSuffix(kind, "List") && items != nil && (items.Kind == yaml.SequenceNode || items.Tag == "!!null") {
		for _, it := range items.Content {
			p.item(it, apiVersion, strings.TrimSuffix(kind, "List"))
		}
		return
	}
	o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: apiVersion, Kind: kind}}
	o.Origin = p.loc
	o.Origin.Line = n.Line + p.offset
	if meta != nil && meta.Kind == yaml.MappingNode {
		o.HeaderLines.Metadata = metaLine + p.offset
		for i := 0; i+1 < len(meta.Content); i += 2 {
			k, v := meta.Content[i], resolveAlias(meta.Content[i+1])
			switch k.Value {
			case "name":
				o.Ref.Name = scalar(v)
				o.HeaderLines.Name = k.Line + p.offset
			case "generateName":
				if o.Ref.Name == "" {
					o.Ref.Name = scalar(v)
				}
			case "namespace":
				o.Ref.Namespace = scalar(v)
				o.HeaderLines.Namespace = k.Line + p.offset
			case "labels":
				o.Labels = stringMap(v)
			case "annotations":
				o.Annotations = stringMap(v)
				o.HeaderLines.Annotations = k.Line + p.offset
				o.HeaderLines.AnnotationKeys = keyLines(v, p.offset)
			}
		}
	}
	cluster := isClusterScoped(apiVersion, kind)
	if o.Ref.Namespace == "" && !cluster && !configFile(apiVersion) {
		o.Ref.Namespace, o.NamespaceDefaulted = defaultNamespace(p.opts.Namespace), true
		o.NamespaceFromOption = p.opts.Namespace != ""
	}
	if kind == "CustomResourceDefinition" {
		o.CRD = crdInfo(n)
	}
	if p.opts.Decode != nil && p.opts.Decode(apiVersion, kind) {
		c := converter{lines: inventory.NewLines(0), offset: p.offset, maxPathBytes: p.opts.Limits.maxPathBytes()}
		v, err := c.value(n, inventory.Root, 0)
		if err != nil {
			p.errorf(n, "%s %s: %v", kind, o.Ref.Name, err)
			return
		}
		o.Body, _ = v.(map[string]any)
		if inherited && o.Body != nil {
			o.Body["apiVersion"], o.Body["kind"] = apiVersion, kind
		}
		o.Lines = c.lines
	}
	if cluster && o.Ref.Namespace != "" {
		dropNamespace(o)
	}
	p.objs = append(p.objs, o)
}

// crdInfo reads the kind and scope a CustomResourceDefinition defines.
func crdInfo(n *yaml.Node) *inventory.CRDInfo {
	spec := child(n, "spec")
	if spec == nil {
		return nil
	}
	scope := scalar(child(spec, "scope"))
	kind := scalar(child(child(spec, "names"), "kind"))
	if scope == "" || kind == "" {
		return nil
	}
	return &inventory.CRDInfo{Group: scalar(child(spec, "group")), Kind: kind, Scope: scope}
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

// hasKey reports whether mapping n has key.
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func stringMap(n *yaml.Node) map[string]string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = scalar(resolveAlias(n.Content[i+1]))
	}
	return m
}

// keyLines returns the line of each key of a mapping.
func keyLines(n *yaml.Node, offset int) []inventory.KeyLine {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]inventory.KeyLine, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, inventory.KeyLine{Key: n.Content[i].Value, Line: n.Content[i].Line + offset})
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}

// converter turns a node tree into JSON-compatible values and records the line of every
// field on the way.
type converter struct {
	lines  *inventory.Lines
	offset int
	// pathBytes is the total length of the paths of the fields recorded so far.
	pathBytes, maxPathBytes int64
}

// field records the line of node n as the field one step below field at (a key, or an
// index when index >= 0), whose path is plen bytes long, and returns its id.
func (c *converter) field(at int32, key string, index int, n *yaml.Node, plen int) (int32, error) {
	id, added := c.lines.Add(at, key, index, n.Line+c.offset)
	if added {
		c.pathBytes += int64(plen)
		if c.maxPathBytes > 0 && c.pathBytes > c.maxPathBytes {
			return 0, fmt.Errorf("line %d: the paths of the object's fields add up to more than %s (--max-field-paths-size): nested too deep under long keys",
				n.Line+c.offset, formatBytes(c.maxPathBytes))
		}
	}
	return id, nil
}

// value converts n, the value of field at (inventory.Root for the object), whose path
// is plen bytes long.
func (c *converter) value(n *yaml.Node, at int32, plen int) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unresolved alias", n.Line+c.offset)
		}
		return c.value(n.Alias, at, plen)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], at, plen)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			elen := plen + indexLen(i)
			id, err := c.field(at, "", i, e, elen)
			if err != nil {
				return nil, err
			}
			v, err := c.value(e, id, elen)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		if err := c.mapping(n, at, plen, out, false); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n), nil
	}
	return nil, nil
}

// indexLen is the length of "[i]".
func indexLen(i int) int {
	n := 3
	for ; i >= 10; i /= 10 {
		n++
	}
	return n
}

// mapping converts the keys of n into out. Explicit keys are converted before merge
// keys (<<), so that they win, and so do their lines. With onlyNew, keys already in out
// are skipped (a merged mapping never overrides, nor records lines for what it loses).
func (c *converter) mapping(n *yaml.Node, at int32, plen int, out map[string]any, onlyNew bool) error {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		key := k.Value
		if _, ok := out[key]; ok && onlyNew {
			continue
		}
		klen := plen + inventory.StepLen(plen, key)
		id, err := c.field(at, key, -1, v, klen)
		if err != nil {
			return err
		}
		val, err := c.value(v, id, klen)
		if err != nil {
			return err
		}
		out[key] = val
	}
	for _, v := range merges {
		if err := c.merge(resolveAlias(v), at, plen, out); err != nil {
			return err
		}
	}
	return nil
}

// merge applies a YAML merge key: explicit keys of the mapping win over merged ones,
// and earlier mappings of a merged sequence over later ones.
func (c *converter) merge(v *yaml.Node, at int32, plen int, out map[string]any) error {
	var srcs []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		srcs = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, e := range v.Content {
			srcs = append(srcs, resolveAlias(e))
		}
	default:
		return fmt.Errorf("line %d: merge key needs a mapping", v.Line+c.offset)
	}
	for _, s := range srcs {
		if s.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: merge key needs a mapping", s.Line+c.offset)
		}
		if err := c.mapping(s, at, plen, out, true); err != nil {
			return err
		}
	}
	return nil
}

// scalarValue resolves a scalar the way YAML 1.2 core schema (as yaml.v3 does) would,
// without reflection: strings, integers, floats, booleans and null.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i
		}
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}
