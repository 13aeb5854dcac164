package credentials

// The scan behind the secrets rules: every string of an object that the rules read,
// run once through the detectors (the first secrets rule to see the object computes
// it through the pass's Memo; the others read it), each match attributed to the rule
// of its detector.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	annLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

	memoSecretsWorkload = "secrets/workload"
	memoSecretsObject   = "secrets/object"
)

// secretHit is one match at one field.
type secretHit struct {
	rule, path, container string
	// where names the field for the message ("environment variable \"X\" of container \"app\"").
	where string
	// key is the key that where already names: a match found under another key (an
	// assignment inside a file, the flag before an argument) names its own.
	key string
	// multiline: the value has several lines, so the match's line is named.
	multiline bool
	m         secrets.Match
}

// workloadScan is what the workload part of the scan found, and the strings it read
// (by field path) when the object carries a last-applied configuration that must not
// report them again.
type workloadScan struct {
	hits []secretHit
	read map[string]string
}

// collector gathers the hits of one object.
type collector struct {
	sc   *secrets.Scanner
	hits []secretHit
	read map[string]string
	// sops is set for a SOPS-encrypted document: every hit is a credential left in
	// plain text there (PAL-527), whatever its detector. sopsSkip is the number of
	// leading keys of a field path that are not the document's keys (1 for the
	// "data" of a configuration file).
	sops     *sopsView
	sopsSkip int
}

// scan runs the detectors on one field value under key; shownKey is the key that
// where already names ("" when it names none).
func (c *collector) scan(path, container, where, key, shownKey, value string) {
	if c.read != nil {
		c.read[path] = value
	}
	c.add(path, container, where, shownKey, value, c.detect(key, value), false)
}

// detect runs the detectors on value under key. In a SOPS document a key that SOPS
// leaves unencrypted by its suffix (password_unencrypted) names what it would name
// without the suffix.
func (c *collector) detect(key, value string) []secrets.Match {
	if c.sops == nil || c.sops.info.UnencryptedSuffix == "" {
		return c.sc.Detect(key, value)
	}
	k, ok := strings.CutSuffix(key, c.sops.info.UnencryptedSuffix)
	if !ok || k == "" {
		return c.sc.Detect(key, value)
	}
	ms := c.sc.Detect(k, value)
	for i := range ms {
		if ms[i].Key == k {
			ms[i].Key = key
		}
	}
	return ms
}

// add records the matches found in value at path; formatOnly leaves out the keyword
// detectors (PAL-515, PAL-516), which Secret values do not go through (PAL-522 and
// PAL-524 judge those). In a SOPS document every match is PAL-527.
func (c *collector) add(path, container, where, shownKey, value string, ms []secrets.Match, formatOnly bool) {
	for _, m := range ms {
		rule := ruleOfDetector[m.Detector]
		if rule == "" || formatOnly && c.sops == nil && (rule == ruleHardcodedPassword || rule == ruleHighEntropySecret) {
			continue
		}
		w := where
		if c.sops != nil {
			rule = idSOPSPlain
			keys := fieldKeys(path)
			keys = keys[min(c.sopsSkip, len(keys)):]
			w = fmt.Sprintf("%s, left in plain text in a SOPS-encrypted file (%s)", where, c.sops.why(keys))
		}
		c.hits = append(c.hits, secretHit{rule: rule, path: path, container: container, where: w,
			key: shownKey, multiline: strings.Contains(value, "\n"), m: m})
	}
}

// scanArgs scans a command or argument list (field, such as "args", of the container
// at path): a flag without a value ("--password") is the key of the item after it.
func (c *collector) scanArgs(list []string, path, container, field string) {
	for i, a := range list {
		key := ""
		if i > 0 && strings.HasPrefix(list[i-1], "-") && !strings.Contains(list[i-1], "=") {
			key = list[i-1]
		}
		c.scan(path+indexSuffix(i), container, fmt.Sprintf("%s[%d] of container %q", field, i, container), key, "", a)
	}
}

// scanExecForm reads a container's command followed by its args as the program's
// argument list (exec form, no shell: ["mysqldump", "-uroot", "-pS3cr3t"]) for the
// passwords a client program takes on its command line. A secret already found in
// the same argument by scanArgs is not reported twice.
func (c *collector) scanExecForm(command, args []string, cmdPath, argsPath, container string) {
	if len(command)+len(args) < 2 {
		return
	}
	list := append(slices.Clip(command), args...)
	for _, am := range c.sc.DetectArgs(list) {
		path, field, i := cmdPath, "command", am.Index
		if i >= len(command) {
			path, field, i = argsPath, "args", i-len(command)
		}
		path += indexSuffix(i)
		if c.found(path, am.Digest) {
			continue
		}
		c.add(path, container, fmt.Sprintf("%s[%d] of container %q", field, i, container), "", list[am.Index], []secrets.Match{am.Match}, false)
	}
}

// found reports whether a hit at path already holds the secret with this digest.
func (c *collector) found(path string, digest [32]byte) bool {
	for i := range c.hits {
		if c.hits[i].path == path && c.hits[i].m.Digest == digest {
			return true
		}
	}
	return false
}

func reportWorkloadSecrets(p *rules.Pass, w *workload.Workload) {
	ws := p.Memo(memoSecretsWorkload, func() any { return scanWorkloadSecrets(p, w) }).(*workloadScan)
	reportSecretHits(p, ws.hits)
}

func reportObjectSecrets(p *rules.Pass, o *inventory.Object) {
	hits := p.Memo(memoSecretsObject, func() any { return scanObjectSecrets(p, o) }).([]secretHit)
	reportSecretHits(p, hits)
}

func scanWorkloadSecrets(p *rules.Pass, w *workload.Workload) *workloadScan {
	sc, err := secretsScanner(p)
	if err != nil {
		p.Fail(err)
		return &workloadScan{}
	}
	c := &collector{sc: sc, sops: sopsOf(w.Object)}
	if w.Object.Annotations[annLastApplied] != "" {
		c.read = map[string]string{}
	}
	for _, ctr := range w.Containers {
		name := ctr.Name
		for i, e := range ctr.Env {
			if e.Value != "" {
				c.scan(ctr.Field(fmt.Sprintf("env[%d].value", i)), name,
					fmt.Sprintf("environment variable %q of container %q", e.Name, name), e.Name, e.Name, e.Value)
			}
		}
		c.scanArgs(ctr.Command, ctr.Field("command"), name, "command")
		c.scanArgs(ctr.Args, ctr.Field("args"), name, "args")
		c.scanExecForm(ctr.Command, ctr.Args, ctr.Field("command"), ctr.Field("args"), name)
		for _, pr := range []struct {
			name string
			exec []string
		}{
			{"livenessProbe", probeExec(ctr.LivenessProbe)},
			{"readinessProbe", probeExec(ctr.ReadinessProbe)},
			{"startupProbe", probeExec(ctr.StartupProbe)},
			{"lifecycle.postStart", handlerExec(ctr.Lifecycle, true)},
			{"lifecycle.preStop", handlerExec(ctr.Lifecycle, false)},
		} {
			if pr.exec != nil {
				c.scanArgs(pr.exec, ctr.Field(pr.name+".exec.command"), name, pr.name+".exec.command")
			}
		}
	}
	// A Pod's own annotations are object headers, read with every object's.
	if w.MetaPath != "metadata" {
		for _, k := range sortedKeys(w.Meta.Annotations) {
			c.scan(inventory.FieldPath(w.MetaPath+".annotations", k), "", fmt.Sprintf("pod template annotation %q", k), k, k, w.Meta.Annotations[k])
		}
	}
	return &workloadScan{hits: c.hits, read: c.read}
}

func scanObjectSecrets(p *rules.Pass, o *inventory.Object) []secretHit {
	sc, err := secretsScanner(p)
	if err != nil {
		p.Fail(err)
		return nil
	}
	c := &collector{sc: sc, sops: sopsOf(o)}
	if o.IsConfigFile() {
		c.sopsSkip = 1
		scanConfigFile(c, o)
		return c.hits
	}
	for _, k := range sortedKeys(o.Annotations) {
		if k == annLastApplied {
			continue
		}
		c.scan(inventory.FieldPath("metadata.annotations", k), "", fmt.Sprintf("annotation %q", k), k, k, o.Annotations[k])
	}
	switch {
	case o.Ref.Kind == "ConfigMap" && o.Ref.APIVersion == "v1":
		data, _ := o.Body["data"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(data)) {
			// A secret in a key's name: the path and message must not name the key.
			c.scan("data", "", "the name of a ConfigMap key", "", "", k)
			if v, ok := data[k].(string); ok {
				c.scan(inventory.FieldPath("data", k), "", fmt.Sprintf("ConfigMap key %q", k), k, k, v)
			}
		}
	case isCoreSecret(o):
		scanSecretData(c, o)
	case o.Ref.Kind == "SealedSecret" && o.Group() == "bitnami.com":
		scanSealedSecretTemplate(c, o)
	}
	if raw := o.Annotations[annLastApplied]; raw != "" {
		var live map[string]string
		if ws, ok := p.Memo(memoSecretsWorkload, func() any { return (*workloadScan)(nil) }).(*workloadScan); ok && ws != nil {
			live = ws.read
		}
		scanLastApplied(c, o, raw, live)
	}
	return c.hits
}

func probeExec(pr *corev1.Probe) []string {
	if pr == nil || pr.Exec == nil {
		return nil
	}
	return pr.Exec.Command
}

func handlerExec(l *corev1.Lifecycle, postStart bool) []string {
	if l == nil {
		return nil
	}
	h := l.PreStop
	if postStart {
		h = l.PostStart
	}
	if h == nil || h.Exec == nil {
		return nil
	}
	return h.Exec.Command
}

// reportSecretHits reports the hits of the pass's rule, one finding per field: the
// matches of one field (several passwords in one file) are listed together.
func reportSecretHits(p *rules.Pass, hits []secretHit) {
	type field struct{ path, container string }
	var order []field
	var parts map[field][]string
	var first map[field]*secretHit
	var digests map[field][][32]byte
	for i := range hits {
		h := &hits[i]
		if h.rule != p.Rule.ID {
			continue
		}
		if parts == nil {
			parts, first, digests = map[field][]string{}, map[field]*secretHit{}, map[field][][32]byte{}
		}
		f := field{h.path, h.container}
		if first[f] == nil {
			first[f] = h
			order = append(order, f)
		}
		parts[f] = append(parts[f], describeSecretHit(h))
		digests[f] = append(digests[f], h.m.Digest)
	}
	for _, f := range order {
		p.ReportSecret(digests[f], f.path, f.container, "%s: %s", first[f].where, strings.Join(parts[f], "; "))
	}
}

func describeSecretHit(h *secretHit) string {
	s := h.m.Describe()
	if h.multiline {
		s += " on line " + strconv.Itoa(h.m.Line)
	}
	if h.m.Key != "" && h.m.Key != h.key {
		s += fmt.Sprintf(" under %q", h.m.Key)
	}
	return s
}

// scanLastApplied reads the string values of a last-applied-configuration
// annotation with their keys. Values equal to the live field at the same path were
// read there (annotations, ConfigMap data, the container fields in live) and are
// skipped; a Secret's data is decoded from base64 first.
func scanLastApplied(c *collector, o *inventory.Object, raw string, live map[string]string) {
	path := inventory.FieldPath("metadata.annotations", annLastApplied)
	where := fmt.Sprintf("annotation %q (kubectl's copy of the applied object, readable by whoever can read its metadata)", annLastApplied)
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		c.scan(path, "", where, annLastApplied, annLastApplied, raw)
		return
	}
	kind, _ := doc["kind"].(string)
	isSecret := kind == "Secret"
	var data map[string]any
	if o.Ref.Kind == "ConfigMap" {
		data, _ = o.Body["data"].(map[string]any)
	}
	seen := func(field, v string) bool {
		if k, ok := childKey(field, "metadata.annotations"); ok {
			return o.Annotations[k] == v
		}
		if k, ok := childKey(field, "data"); ok && data != nil {
			s, _ := data[k].(string)
			return s == v
		}
		l, ok := live[field]
		return ok && l == v
	}
	// A Secret's data and stringData values equal to the live ones are read there
	// (scanSecretData) by the format detectors: only the keyword matches, which that
	// scan leaves to PAL-522 and PAL-524, are reported on the annotation.
	liveSecret := func(field, v string) bool {
		if !isCoreSecret(o) {
			return false
		}
		for _, parent := range []string{"data", "stringData"} {
			if k, ok := childKey(field, parent); ok {
				m, _ := o.Body[parent].(map[string]any)
				s, ok := m[k].(string)
				return ok && s == v
			}
		}
		return false
	}
	walkJSONStrings(doc, "", "", func(field, key, v string) {
		if _, binary := childKey(field, "binaryData"); binary || seen(field, v) {
			return
		}
		readThere := liveSecret(field, v)
		note := ""
		if isSecret && field == inventory.FieldPath("data", key) {
			if dec, err := base64.StdEncoding.DecodeString(v); err == nil {
				v, note = string(dec), " (base64-decoded)"
			}
		}
		var ms []secrets.Match
		for _, m := range c.sc.Detect(key, v) {
			rule := ruleOfDetector[m.Detector]
			if rule == "" || readThere && (c.sops != nil || rule != ruleHardcodedPassword && rule != ruleHighEntropySecret) {
				continue
			}
			if at := "at " + field + note; !strings.Contains(at, v[m.Offset:m.Offset+m.Length]) {
				if m.Note != "" {
					at = m.Note + ", " + at
				}
				m.Note = at
			}
			ms = append(ms, m)
		}
		c.add(path, "", where, key, v, ms, false)
	})
}

// childKey returns the key of a field path that names a direct child of parent
// ("data.x" or "data['x.y']" under "data").
func childKey(field, parent string) (string, bool) {
	rest, ok := strings.CutPrefix(field, parent)
	if !ok {
		return "", false
	}
	if k, ok := strings.CutPrefix(rest, "."); ok && !strings.ContainsAny(k, ".[") {
		return k, true
	}
	if strings.HasPrefix(rest, "['") && strings.HasSuffix(rest, "']") && strings.Count(rest, "['") == 1 {
		return rest[2 : len(rest)-2], true
	}
	return "", false
}

// walkJSONStrings calls fn for every string of a decoded JSON value with its field
// path and the key it is found under: the mapping key, the "name" of a name/value
// pair (environment variables), or the flag before an argument.
func walkJSONStrings(v any, path, key string, fn func(path, key, value string)) {
	switch v := v.(type) {
	case string:
		fn(path, key, v)
	case map[string]any:
		name, _ := v["name"].(string)
		for _, k := range slices.Sorted(maps.Keys(v)) {
			sub := k
			if k == "value" && name != "" {
				sub = name
			}
			walkJSONStrings(v[k], inventory.FieldPath(path, k), sub, fn)
		}
	case []any:
		for i, e := range v {
			sub := key
			if i > 0 {
				if prev, ok := v[i-1].(string); ok && strings.HasPrefix(prev, "-") && !strings.Contains(prev, "=") {
					sub = prev
				}
			}
			walkJSONStrings(e, path+indexSuffix(i), sub, fn)
		}
	}
}

// secretsScanner builds the detectors' options from the parameters of the keyword
// rules (which apply whichever secrets rule runs the scan).
func secretsScanner(p *rules.Pass) (*secrets.Scanner, error) {
	params := func(id string) map[string]any {
		if p.ParamsOf != nil {
			return p.ParamsOf(id)
		}
		if r, ok := rules.Get(id); ok {
			m := map[string]any{}
			for _, prm := range r.Params {
				m[prm.Name] = prm.Default
			}
			return m
		}
		return nil
	}
	pw, tok := params(ruleHardcodedPassword), params(ruleHighEntropySecret)
	cacheKey := fmt.Sprint(pw["minLength"], pw["minEntropy"], pw["allowValues"], pw["ignoreKeys"],
		tok["minLength"], tok["minEntropy"], tok["allowValues"], tok["ignoreKeys"])
	if sc, ok := scannerCache.Load(cacheKey); ok {
		return sc.(*secrets.Scanner), nil
	}
	var opts secrets.Options
	var err error
	if opts.Password, err = genericOptions(ruleHardcodedPassword, pw); err != nil {
		return nil, err
	}
	if opts.Token, err = genericOptions(ruleHighEntropySecret, tok); err != nil {
		return nil, err
	}
	sc := secrets.New(opts)
	scannerCache.Store(cacheKey, sc)
	return sc, nil
}

// scannerCache holds a scanner per parameter set, so that patterns compile once.
var scannerCache sync.Map

func genericOptions(ruleID string, params map[string]any) (secrets.Generic, error) {
	var g secrets.Generic
	minLength, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(params["minLength"])))
	if err != nil || minLength < 0 {
		return g, fmt.Errorf("parameter minLength of %s: %q is not a length", ruleID, fmt.Sprint(params["minLength"]))
	}
	minEntropy, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(params["minEntropy"])), 64)
	if err != nil || minEntropy < 0 {
		return g, fmt.Errorf("parameter minEntropy of %s: %q is not a number of bits", ruleID, fmt.Sprint(params["minEntropy"]))
	}
	g.MinLength, g.MinEntropy = minLength, minEntropy
	for _, s := range rules.StringList(params["allowValues"]) {
		re, err := regexp.Compile(s)
		if err != nil {
			return g, fmt.Errorf("parameter allowValues of %s: %w", ruleID, err)
		}
		g.AllowValues = append(g.AllowValues, re)
	}
	g.IgnoreKeys = rules.StringList(params["ignoreKeys"])
	return g, nil
}
