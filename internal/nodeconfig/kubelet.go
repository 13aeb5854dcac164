package nodeconfig

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

// CONTRACT: a minimal builder (defaults and flags of the fields the anchor rule
// reads); the complete one replaces it, held to the real kubelet.

// Kubelet builds the kubelet's effective configuration. An error means the kubelet
// would refuse to start with this input (an undecodable file, an unknown flag); it
// names the file and line or the argument.
func Kubelet(in Input) (*Effective, error) {
	e := &Effective{Flags: map[string]string{}, FlagArgs: map[string]int{}, origins: map[string]Origin{}}
	if in.Configz != nil {
		var obj map[string]any
		if err := json.Unmarshal(in.Configz, &obj); err != nil {
			return nil, fmt.Errorf("configz: %w", err)
		}
		if kc, ok := obj["kubeletconfig"].(map[string]any); ok {
			obj = kc
		}
		e.Object, e.base = obj, Origin{Kind: FromConfigz}
		return e, nil
	}
	e.usesFiles = in.Config != nil || hasFlag(in.Args, "config-dir")
	e.base = Origin{Kind: FromDefault}
	obj := kubeletDefaults()
	if !e.usesFiles {
		e.base = Origin{Kind: FromLegacyDefault}
		setPath(obj, "authentication.anonymous.enabled", true)
		setPath(obj, "authentication.webhook.enabled", false)
		setPath(obj, "authorization.mode", "AlwaysAllow")
		setPath(obj, "readOnlyPort", int64(10255))
	}
	if in.Config != nil {
		fileObj, err := yamlObject(in.Config)
		if err != nil {
			return nil, err
		}
		merged := kubeletDefaults()
		for k, v := range fileObj {
			merged[k] = v
		}
		obj = merged
		recordLeaves(e.origins, "", fileObj, Origin{Kind: FromFile, File: in.Config.Path})
	}
	for _, d := range in.DropIns {
		patch, err := yaml.YAMLToJSON(d.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		base, _ := json.Marshal(obj)
		out, err := jsonpatch.MergePatch(base, patch)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		var pm map[string]any
		_ = json.Unmarshal(patch, &pm)
		recordLeaves(e.origins, "", pm, Origin{Kind: FromDropIn, File: d.Path})
		obj = m
	}
	flagFields := map[string]string{
		"anonymous-auth":     "authentication.anonymous.enabled",
		"authorization-mode": "authorization.mode",
		"read-only-port":     "readOnlyPort",
	}
	for i := 0; i < len(in.Args); i++ {
		a := in.Args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.ReplaceAll(name, "_", "-")
		field, isField := flagFields[name]
		if !hasVal {
			if name == "anonymous-auth" {
				val = "true"
			} else if i+1 < len(in.Args) {
				i++
				val = in.Args[i]
			}
		}
		if !isField {
			e.Flags[name], e.FlagArgs[name] = val, i
			continue
		}
		var v any = val
		switch name {
		case "anonymous-auth":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("argument %d: --%s: %w", i, name, err)
			}
			v = b
		case "read-only-port":
			n, err := strconv.ParseInt(val, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("argument %d: --%s: %w", i, name, err)
			}
			v = n
		}
		setPath(obj, field, v)
		e.origins[field] = Origin{Kind: FromFlag, Flag: a, Arg: i}
	}
	e.Object = obj
	return e, nil
}

// kubeletDefaults is the v1beta1 defaulted object (CONTRACT: the anchor's fields).
func kubeletDefaults() map[string]any {
	var kc kubeletv1beta1.KubeletConfiguration
	kc.APIVersion, kc.Kind = "kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"
	obj := map[string]any{}
	b, _ := json.Marshal(&kc)
	_ = json.Unmarshal(b, &obj)
	setPath(obj, "authentication.anonymous.enabled", false)
	setPath(obj, "authentication.webhook.enabled", true)
	setPath(obj, "authorization.mode", "Webhook")
	setPath(obj, "readOnlyPort", int64(0))
	return obj
}

func yamlObject(f *File) (map[string]any, error) {
	j, err := yaml.YAMLToJSON(f.Content)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return m, nil
}

func recordLeaves(out map[string]Origin, prefix string, m map[string]any, o Origin) {
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			recordLeaves(out, p, sub, o)
			continue
		}
		out[p] = o
	}
}

func setPath(obj map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	cur := obj
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = v
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && strings.ReplaceAll(n, "_", "-") == name {
			return true
		}
	}
	return false
}
