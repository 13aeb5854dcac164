package nodeconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// Input bounds: a larger input is an error, not a partial read.
const (
	maxDocument = 1 << 20 // a config file, drop-in or /configz body
	maxArgs     = 4096
	maxArgBytes = 1 << 20 // all arguments together
	maxDropIns  = 1024
)

const (
	kubeletAPIVersion = "kubelet.config.k8s.io/v1beta1"
	kubeletKind       = "KubeletConfiguration"
)

// Kubelet builds the kubelet's effective configuration the way kubelet v1.37
// does (cmd/kubelet/app/server.go). An error means the kubelet would refuse to
// start with this input (an undecodable file, an unknown flag, a flag value that
// does not parse); it names the file and line or the argument.
func Kubelet(in Input) (*Effective, error) {
	e := &Effective{Flags: map[string]string{}, FlagArgs: map[string]int{}, origins: map[string]Origin{}, base: Origin{Kind: FromDefault}}
	if in.Configz != nil {
		return configz(e, in.Configz, "kubeletconfig")
	}
	if err := checkArgs(in.Args); err != nil {
		return nil, err
	}
	args, orig := in.Args, []int(nil)
	if in.Running {
		args, orig = dropUnknownFlags(e, in.Args)
	}

	// The flags-only object: v1beta1 defaults, legacy defaults, then the flags.
	kc := &kubeletv1beta1.KubeletConfiguration{}
	setKubeletDefaults(kc, nil)
	roundTrip(kc)
	applyLegacyDefaults(kc)
	fs := kubeletFlagSet(kc)
	if err := fs.Parse(args); err != nil {
		return nil, argError(args, err)
	}
	if rest := fs.Args(); len(rest) > 0 {
		for i, a := range args {
			if a == rest[0] {
				return nil, fmt.Errorf("argument %d (%q): unknown command %s (the kubelet takes no arguments)", i, a, a)
			}
		}
		return nil, fmt.Errorf("unknown command %s (the kubelet takes no arguments)", rest[0])
	}
	if help, _ := fs.GetBool("help"); help {
		e.Warnings = append(e.Warnings, "--help: the kubelet prints its usage and exits")
	} else if v := fs.Lookup("version"); v != nil && v.Changed {
		e.Warnings = append(e.Warnings, "--version: the kubelet prints its version and exits")
	}
	configFlag, _ := fs.GetString("config")
	configDir, _ := fs.GetString("config-dir")
	occs := scanArgs(fs, args)
	if orig != nil {
		for i := range occs {
			occs[i].index = orig[occs[i].index]
		}
	}
	// The process's feature gates while the files are defaulted: the
	// command line's (set from the flags-only object).
	flagGates := maps.Clone(kc.FeatureGates)
	for _, p := range legacyPaths {
		e.origins[p] = Origin{Kind: FromLegacyDefault}
	}

	if configFlag != "" || in.Config != nil {
		if in.Config == nil {
			return nil, fmt.Errorf("--config %s: the file's content is not in the input", configFlag)
		}
		file := *in.Config
		if !filepath.IsAbs(file.Path) && in.Cwd != "" {
			// loadConfigFile: filepath.Abs against the kubelet's directory.
			file.Path = filepath.Join(in.Cwd, file.Path)
		}
		fileKC, warnings, err := loadKubeletFile(&file, flagGates)
		if err != nil {
			return nil, err
		}
		kc = fileKC
		e.Warnings = append(e.Warnings, warnings...)
		e.origins = map[string]Origin{}
		if err := recordFileOrigins(e.origins, &file, FromFile); err != nil {
			return nil, err
		}
		e.usesFiles = true
	}
	if configDir != "" || len(in.DropIns) > 0 {
		merged, err := mergeDropIns(kc, flagGates, in.DropIns, e.origins)
		if err != nil {
			return nil, err
		}
		kc = merged
		e.usesFiles = true
	}
	if e.usesFiles {
		// Flag precedence: the command line parsed again over the new object;
		// feature gates from the files stay unless a flag sets the same gate.
		original := kc.FeatureGates
		fs2 := kubeletFlagSet(kc)
		if err := fs2.Parse(args); err != nil {
			return nil, argError(args, err)
		}
		for k, v := range original {
			if _, ok := kc.FeatureGates[k]; !ok {
				kc.FeatureGates[k] = v
			}
		}
	}
	recordFlagOrigins(e, fs, occs)

	obj, err := toObject(kc)
	if err != nil {
		return nil, err
	}
	e.Object = obj
	defaultedZeros(e)
	return e, nil
}

// configz reads a component's /configz body: {"<name>": {...}}.
func configz(e *Effective, body []byte, name string) (*Effective, error) {
	if len(body) > maxDocument {
		return nil, fmt.Errorf("configz: %d bytes, over the %d-byte bound", len(body), maxDocument)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("configz: %w", err)
	}
	if kc, ok := obj[name].(map[string]any); ok {
		obj = kc
	}
	e.Object, e.base = obj, Origin{Kind: FromConfigz}
	return e, nil
}

func checkArgs(args []string) error {
	if len(args) > maxArgs {
		return fmt.Errorf("%d arguments, over the bound of %d", len(args), maxArgs)
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	if n > maxArgBytes {
		return fmt.Errorf("arguments of %d bytes, over the bound of %d", n, maxArgBytes)
	}
	return nil
}

// argError names the argument a parse error is about: the shortest prefix of
// the arguments that fails to parse ends at it (or at the value of the flag
// before). A binary search: a prefix that fails only for want of the flag's
// value in the next argument counts as parsing.
func argError(args []string, err error) error {
	if len(args) == 0 {
		return fmt.Errorf("arguments: %w", err)
	}
	fails := func(k int) (bool, error) {
		perr := kubeletFlagSet(nil).Parse(args[:k])
		if perr == nil || (k < len(args) && strings.Contains(perr.Error(), "needs an argument")) {
			return false, nil
		}
		return true, perr
	}
	lo, hi := 1, len(args)
	for lo < hi {
		mid := (lo + hi) / 2
		if bad, _ := fails(mid); bad {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	bad, perr := fails(lo)
	if !bad || lo < 1 {
		return fmt.Errorf("arguments: %w", err)
	}
	i := lo - 1
	if i > 0 && !strings.HasPrefix(args[i], "-") && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") &&
		!strings.HasPrefix(perr.Error(), "unknown command") {
		if ok, _ := fails(i - 1); !ok {
			return fmt.Errorf("argument %d (%q %q): %w", i-1, args[i-1], args[i], err)
		}
	}
	return fmt.Errorf("argument %d (%q): %w", i, args[i], err)
}

// occurrence is one flag on the command line.
type occurrence struct {
	name  string // normalised flag name
	text  string // the argument as written ("--read-only-port=0", or "--read-only-port")
	value string
	index int
}

// scanArgs lists the flags of a command line pflag accepted, in order.
func scanArgs(fs *pflag.FlagSet, args []string) []occurrence {
	var out []occurrence
	norm := func(s string) string { return string(fs.GetNormalizeFunc()(fs, s)) }
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return out
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, val, hasVal := strings.Cut(a[2:], "=")
			name = norm(name)
			f := fs.Lookup(name)
			if f == nil {
				continue
			}
			idx := i
			if !hasVal {
				if f.NoOptDefVal != "" {
					val = f.NoOptDefVal
				} else if i+1 < len(args) {
					i++
					val = args[i]
				}
			}
			out = append(out, occurrence{name: name, text: a, value: val, index: idx})
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// Shorthands (-h, -v): "-v=3", "-v3", "-v 3"; combined bools "-hh".
			rest := a[1:]
			for len(rest) > 0 {
				f := fs.ShorthandLookup(rest[:1])
				if f == nil {
					break
				}
				rest = rest[1:]
				var val string
				idx := i
				switch {
				case strings.HasPrefix(rest, "="):
					val, rest = rest[1:], ""
				case f.NoOptDefVal != "":
					val = f.NoOptDefVal
				case rest != "":
					val, rest = rest, ""
				case i+1 < len(args):
					i++
					val = args[i]
				}
				out = append(out, occurrence{name: f.Name, text: a, value: val, index: idx})
			}
		}
	}
	return out
}

func recordFlagOrigins(e *Effective, fs *pflag.FlagSet, occs []occurrence) {
	replaced := map[string]bool{}
	for _, o := range occs {
		f := fs.Lookup(o.name)
		if f != nil && f.Deprecated != "" {
			e.Warnings = append(e.Warnings, fmt.Sprintf("flag --%s (argument %d) has been deprecated, %s", o.name, o.index, f.Deprecated))
		}
		path, isConfig := kubeletFlagPaths[o.name]
		origin := Origin{Kind: FromFlag, Flag: o.text, Arg: o.index}
		if o.name == "manifest-url-header" {
			// Headers may be credentials: the value is not repeated.
			if name, _, ok := strings.Cut(o.text, "="); ok {
				origin.Flag = name + "=<masked>"
			}
		}
		if !isConfig {
			// The value as the kubelet holds it (its FLAG: lines): parsed, the
			// last one (merged, for a map).
			v := o.value
			if f != nil {
				v = f.Value.String()
			}
			e.Flags[o.name], e.FlagArgs[o.name] = v, o.index
			continue
		}
		switch {
		case o.name == "feature-gates":
			for _, kv := range strings.Split(o.value, ",") {
				k, _, _ := strings.Cut(kv, "=")
				if k = strings.TrimSpace(k); k != "" {
					e.origins["featureGates."+k] = origin
				}
			}
		case mapFlags[o.name]:
			if !replaced[o.name] {
				deletePrefix(e.origins, path)
				replaced[o.name] = true
			}
			e.origins[path] = origin
		default:
			deletePrefix(e.origins, path)
			e.origins[path] = origin
		}
	}
}

func deletePrefix(m map[string]Origin, path string) {
	delete(m, path)
	prefix := path + "."
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			delete(m, k)
		}
	}
}

// loadKubeletFile is the kubelet's config file loader: strict decoding, lenient
// when only strictness fails (unknown or duplicate fields: a warning), defaults,
// relative paths resolved against the file's directory, EvictionHard defaults.
func loadKubeletFile(f *File, global map[string]bool) (*kubeletv1beta1.KubeletConfiguration, []string, error) {
	if len(f.Content) > maxDocument {
		return nil, nil, fmt.Errorf("%s: %d bytes, over the %d-byte bound", f.Path, len(f.Content), maxDocument)
	}
	if len(f.Content) == 0 {
		return nil, nil, fmt.Errorf("%s: kubelet config file was empty", f.Path)
	}
	// Strict decoding first: what fails only strictly is a warning (the
	// kubelet logs "Using lenient decoding as strict decoding failed").
	j, warnings, err := documentJSON(f)
	if err != nil {
		return nil, nil, err
	}
	if err := checkKind(f, j); err != nil {
		return nil, nil, err
	}
	if strictErrs, err := sigsjson.UnmarshalStrict(j, &kubeletv1beta1.KubeletConfiguration{}); err == nil {
		for _, se := range strictErrs {
			warnings = append(warnings, fmt.Sprintf("%s: lenient decoding: %v", f.Path, se))
		}
	}
	kc := &kubeletv1beta1.KubeletConfiguration{}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, kc); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", f.Path, decodeErr(f, err))
	}
	setKubeletDefaults(kc, global)
	roundTrip(kc)
	resolveRelativePaths(kc, filepath.Dir(f.Path))
	applyEvictionHard(kc)
	return kc, warnings, nil
}

// documentJSON converts a YAML or JSON document to JSON: strictly (no
// duplicate keys), else leniently (the last wins) with a warning.
func documentJSON(f *File) ([]byte, []string, error) {
	j, err := sigsyaml.YAMLToJSONStrict(f.Content)
	if err == nil {
		return j, nil, nil
	}
	warning := fmt.Sprintf("%s: lenient decoding: %v", f.Path, err)
	j, err = sigsyaml.YAMLToJSON(f.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return j, []string{warning}, nil
}

func checkKind(f *File, j []byte) error { return checkGVK(f, j, kubeletAPIVersion, kubeletKind) }

func checkGVK(f *File, j []byte, apiVersion, kind string) error {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if !bytes.HasPrefix(bytes.TrimSpace(j), []byte("{")) {
		return fmt.Errorf("%s: not a %s object", f.Path, kind)
	}
	_ = json.Unmarshal(j, &tm)
	if tm.Kind == "" {
		return fmt.Errorf("%s: Object 'Kind' is missing", f.Path)
	}
	if tm.APIVersion != apiVersion || tm.Kind != kind {
		return fmt.Errorf("%s: unknown apiVersion/kind %s, %s (want %s, %s)", f.Path, tm.APIVersion, tm.Kind, apiVersion, kind)
	}
	return nil
}

// decodeErr names the line of the field a decode error is about, when it can.
func decodeErr(f *File, err error) string {
	m := fieldInError.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error()
	}
	lines := map[string]int{}
	var root yaml.Node
	if yaml.Unmarshal(f.Content, &root) == nil {
		walkLines(&root, "", lines)
	}
	if l, ok := lines[m[1]]; ok {
		return fmt.Sprintf("line %d: %v", l, err)
	}
	return err.Error()
}

var fieldInError = regexp.MustCompile(`Go struct field [A-Za-z0-9_]+\.(\S+) of type`)

// mergeDropIns is mergeKubeletConfigurations: the object as v1beta1 JSON, each
// drop-in a JSON merge patch, then decoded and defaulted again. The drop-ins'
// relative paths are not resolved.
func mergeDropIns(kc *kubeletv1beta1.KubeletConfiguration, global map[string]bool, dropIns []File, origins map[string]Origin) (*kubeletv1beta1.KubeletConfiguration, error) {
	if len(dropIns) > maxDropIns {
		return nil, fmt.Errorf("%d drop-ins, over the bound of %d", len(dropIns), maxDropIns)
	}
	cur, err := json.Marshal(kc)
	if err != nil {
		return nil, err
	}
	for i := range dropIns {
		d := &dropIns[i]
		if len(d.Content) > maxDocument {
			return nil, fmt.Errorf("%s: %d bytes, over the %d-byte bound", d.Path, len(d.Content), maxDocument)
		}
		if len(d.Content) == 0 {
			return nil, fmt.Errorf("%s: kubelet config file was empty", d.Path)
		}
		j, err := sigsyaml.YAMLToJSONStrict(d.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		if err := checkKind(d, j); err != nil {
			return nil, err
		}
		next, err := jsonpatch.MergePatch(cur, j)
		if err != nil {
			return nil, fmt.Errorf("%s: merging the drop-in: %w", d.Path, err)
		}
		cur = next
		if err := recordFileOrigins(origins, d, FromDropIn); err != nil {
			return nil, err
		}
	}
	out := &kubeletv1beta1.KubeletConfiguration{}
	if err := json.Unmarshal(cur, out); err != nil {
		return nil, dropInError(kc, dropIns, err)
	}
	setKubeletDefaults(out, global)
	roundTrip(out)
	return out, nil
}

// dropInError names the first drop-in after which the merged object no longer
// decodes.
func dropInError(kc *kubeletv1beta1.KubeletConfiguration, dropIns []File, err error) error {
	cur, _ := json.Marshal(kc)
	for i := range dropIns {
		j, _ := sigsyaml.YAMLToJSON(dropIns[i].Content)
		next, perr := jsonpatch.MergePatch(cur, j)
		if perr != nil {
			break
		}
		cur = next
		if json.Unmarshal(cur, &kubeletv1beta1.KubeletConfiguration{}) != nil {
			return fmt.Errorf("%s: %s", dropIns[i].Path, decodeErr(&dropIns[i], err))
		}
	}
	return fmt.Errorf("the merged drop-ins do not decode: %w", err)
}

// recordFileOrigins records the origin of every leaf a document sets, as a JSON
// merge patch would apply it: null deletes (the default applies again), an
// object merges, anything else replaces.
func recordFileOrigins(origins map[string]Origin, f *File, kind string) error {
	var root yaml.Node
	if err := yaml.Unmarshal(f.Content, &root); err != nil {
		return nil // the JSON conversion accepted it; no lines to tell
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	budget := maxNodes
	walkPatch(doc, "", origins, Origin{Kind: kind, File: f.Path}, &budget)
	return nil
}

// maxNodes bounds the YAML nodes a walk visits (aliases expand).
const maxNodes = 100000

func walkPatch(n *yaml.Node, prefix string, origins map[string]Origin, o Origin, budget *int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if *budget--; *budget < 0 {
			return
		}
		k, v := n.Content[i], n.Content[i+1]
		if prefix == "" && (k.Value == "apiVersion" || k.Value == "kind") {
			continue
		}
		p := k.Value
		if prefix != "" {
			p = prefix + "." + k.Value
		}
		for hops := 0; v.Kind == yaml.AliasNode && v.Alias != nil && hops < 100; hops++ {
			v = v.Alias
		}
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			deletePrefix(origins, p)
		case v.Kind == yaml.MappingNode: // merges; an empty one changes nothing
			delete(origins, p)
			walkPatch(v, p, origins, o, budget)
		default:
			deletePrefix(origins, p)
			oo := o
			oo.Line = k.Line
			// A zero the defaults replace ("0s", 0, ""): checked at the end.
			oo.zero = v.Kind == yaml.ScalarNode && zeroScalar[v.Value]
			origins[p] = oo
		}
	}
}

var zeroScalar = map[string]bool{"": true, "0": true, "0s": true, "0.0": true, "0ms": true, "0m": true, "0h": true}

// defaultedZeros gives the defaults' origin to the paths a document set to a
// zero that defaulting replaced (kubeadm writes "0s" for many durations).
func defaultedZeros(e *Effective) {
	for p, o := range e.origins {
		if !o.zero {
			continue
		}
		if v, ok := e.Value(p); ok && !zeroValue(v) {
			e.origins[p] = Origin{Kind: FromDefault}
			continue
		}
		o.zero = false
		e.origins[p] = o
	}
}

func zeroValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case float64:
		return v == 0
	case string:
		return v == "" || v == "0s" || v == "0"
	}
	return false
}

func walkLines(n *yaml.Node, prefix string, lines map[string]int) {
	budget := maxNodes
	walkLinesBudget(n, prefix, lines, &budget)
}

func walkLinesBudget(n *yaml.Node, prefix string, lines map[string]int, budget *int) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		walkLinesBudget(n.Content[0], prefix, lines, budget)
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if *budget--; *budget < 0 {
			return
		}
		k := n.Content[i]
		p := k.Value
		if prefix != "" {
			p = prefix + "." + k.Value
		}
		lines[p] = k.Line
		walkLinesBudget(n.Content[i+1], p, lines, budget)
	}
}

// toObject is the object as the kubelet logs it ("Effective
// KubeletConfiguration"): v1beta1, staticPodURLHeader's values masked (they
// may be credentials).
func toObject(kc *kubeletv1beta1.KubeletConfiguration) (map[string]any, error) {
	kc.APIVersion, kc.Kind = kubeletAPIVersion, kubeletKind
	if len(kc.StaticPodURLHeader) > 0 {
		masked := make(map[string][]string, len(kc.StaticPodURLHeader))
		for k := range kc.StaticPodURLHeader {
			masked[k] = []string{"<masked>"}
		}
		kc.StaticPodURLHeader = masked
	}
	return marshalObject(kc)
}

func marshalObject(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// dropUnknownFlags leaves out the flags kubelet v1.37 does not know, for a
// kubelet that runs with them (Input.Running): it is another kubelet version, which
// accepted them, and the settings the checks read do not depend on them. Each is a
// warning. An unknown flag without "=" takes the next argument as its value unless
// that starts with "-" (pflag's rule for unknown flags). It returns the arguments
// kept and, for each, its index in args.
func dropUnknownFlags(e *Effective, args []string) ([]string, []int) {
	known := kubeletFlagSet(nil)
	var kept []string
	var orig []int
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") || a == "--" || name == "" {
			kept, orig = append(kept, a), append(orig, i)
			continue
		}
		if known.Lookup(string(cliflagNormalize(name))) != nil {
			kept, orig = append(kept, a), append(orig, i)
			continue
		}
		e.Warnings = append(e.Warnings, fmt.Sprintf("argument %d (%q): not a flag of kubelet v1.37 (the running kubelet is another version): left out", i, "--"+name))
		if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
		}
	}
	return kept, orig
}

// cliflagNormalize is the kubelet's flag-name normalisation (word separators).
func cliflagNormalize(name string) string {
	return strings.ReplaceAll(name, "_", "-")
}
