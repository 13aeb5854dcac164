// Package nodes holds the node checks (PAL-730..PAL-780): CIS sections 4.1 to 4.3
// (the worker node's kubelet and kube-proxy, their files) and 1.1 (the
// control-plane node's files), judged from a node's facts (internal/nodefacts:
// what `palisade node collect` read on the node, or a kubelet's /configz).
//
// A kubelet setting is judged on the effective configuration the kubelet builds
// (internal/nodeconfig: defaults, --config file, --config-dir drop-ins, flags), and
// each finding names the recommendation, the effective value and where it came
// from. Missing evidence is never a failure: a check whose input was not found or
// could not be read reports itself unknown (rules.Pass.ReportUnknown) with the
// paths tried, and the compliance view says unknown, not pass.
package nodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/checks/catalog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/nodeconfig"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	high     = catalog.High
	medium   = catalog.Medium
	low      = catalog.Low
	critical = catalog.Critical
	catNode  = "node"
)

// nodeFrameworks maps a node rule to CIS Kubernetes Benchmark recommendations.
func nodeFrameworks(cis ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, Layer: catalog.LayerCluster}
}

// assessment is what every node rule reads of one facts object, computed once per
// object (rules.Pass.Memo).
type assessment struct {
	facts *nodefacts.Facts
	// err is why the facts do not decode (reported once, by the first rule).
	err error
	// profile is the distribution profile (nodeprofile.Choose): the benchmark
	// variant and its recommendation numbers.
	profile *nodeprofile.Profile
	// kubelet is the kubelet's effective configuration (nil when the kubelet was
	// not found, or its configuration could not be built: kubeletErr).
	kubelet    *nodeconfig.Effective
	kubeletIdx int
	kubeletErr error
}

const memoKey = "nodes.assessment"

// assess decodes the pass's facts and builds the effective configurations, once.
func assess(p *rules.Pass, o *inventory.Object) *assessment {
	return p.Memo(memoKey, func() any {
		a := &assessment{kubeletIdx: -1}
		f, err := nodefacts.FromBody(o.Body)
		if err != nil {
			a.err = err
			return a
		}
		a.facts = f
		a.profile, _ = nodeprofile.Choose(f)
		for i := range f.Components {
			c := &f.Components[i]
			if c.Name != nodefacts.Kubelet || !c.Found {
				continue
			}
			a.kubeletIdx = i
			if err := missingInput(c); err != nil {
				a.kubeletErr = err
				continue
			}
			a.kubelet, a.kubeletErr = nodeconfig.Kubelet(kubeletInput(f, c))
		}
		if f.Source == nodefacts.SourceConfigz && a.kubelet == nil && a.kubeletErr == nil {
			if len(f.Configz) == 0 {
				a.kubeletErr = errors.New("the facts are from /configz but hold no configuration")
			} else {
				a.kubelet, a.kubeletErr = nodeconfig.Kubelet(nodeconfig.Input{Configz: f.Configz})
			}
		}
		return a
	}).(*assessment)
}

// missingInput says why the kubelet's effective configuration cannot be built from
// its facts: a configuration file or drop-in it loads that the collector could not
// read (or did not keep). Built without it, the configuration would be another
// kubelet's (the defaults of one without a file), so every check is unknown.
func missingInput(c *nodefacts.Component) error {
	switch {
	case c.Config != nil && c.Config.Error != "":
		return fmt.Errorf("its configuration file %s could not be read: %s", c.Config.Path, c.Config.Error)
	case c.Config == nil && argGiven(c.Args, "config"):
		return errors.New("it is started with --config, but the facts hold no configuration file")
	}
	for _, d := range c.DropIns {
		if !d.Skipped && d.Error != "" {
			return fmt.Errorf("its drop-in %s could not be read: %s", d.Path, d.Error)
		}
	}
	return nil
}

// argGiven reports whether a flag is on the command line with a value (--name=v,
// or --name v).
func argGiven(args []string, name string) bool {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, v, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.ReplaceAll(n, "_", "-") != name {
			continue
		}
		if hasVal && v != "" || !hasVal && i+1 < len(args) && args[i+1] != "" {
			return true
		}
	}
	return false
}

// kubeletInput is the builder's input from a component's facts.
func kubeletInput(f *nodefacts.Facts, c *nodefacts.Component) nodeconfig.Input {
	in := nodeconfig.Input{Args: c.Args, Cwd: c.Cwd, Running: c.How == nodefacts.HowProcess || c.How == nodefacts.HowSystemd}
	if c.Config != nil && c.Config.Error == "" {
		in.Config = &nodeconfig.File{Path: c.Config.Path, Content: []byte(c.Config.Content)}
	}
	for _, d := range c.DropIns {
		if !d.Skipped && d.Error == "" {
			in.DropIns = append(in.DropIns, nodeconfig.File{Path: d.Path, Content: []byte(d.Content)})
		}
	}
	if f.Source == nodefacts.SourceConfigz {
		in.Configz = f.Configz
	}
	return in
}

// applies starts a node rule on the pass's facts: it reports undecodable facts,
// and says whether the rule applies to the node (the profile's benchmark variant
// has the recommendation), counting the node as evaluated when it does. The
// evidence it returns names the node, the profile and the recommendation.
func applies(p *rules.Pass, o *inventory.Object, cis string) (*assessment, *finding.NodeEvidence, bool) {
	a := assess(p, o)
	if a.err != nil {
		p.Fail(a.err)
		return nil, nil, false
	}
	ev := &finding.NodeEvidence{Node: a.facts.Metadata.Name, Profile: a.facts.Profile, Recommendation: cis}
	if pr := a.profile; pr != nil {
		rec, ok := pr.Recommendation(p.Rule.ID, cis)
		if !ok {
			// The distribution's benchmark has no such recommendation: the
			// check does not apply to this node.
			return nil, nil, false
		}
		ev.Profile, ev.Benchmark, ev.Recommendation = pr.Name, strings.TrimSpace(pr.Benchmark+" "+pr.BenchmarkVersion), rec
	}
	p.InScope()
	return a, ev, true
}

// kubeletSetting judges one setting of the kubelet's effective configuration:
// bad says whether the value fails the recommendation (and why, for the message).
type kubeletSetting struct {
	setting, flag, expected, recommendation string
	bad                                     func(v any, set bool) (string, bool)
	// unset is the kubelet's default for a field the effective configuration
	// leaves out (a pointer field without a default, written for the message).
	unset any
}

// checkKubelet runs s on the pass's facts: a finding when the effective value
// fails, unknown when the kubelet or its configuration could not be read.
func checkKubelet(p *rules.Pass, o *inventory.Object, s kubeletSetting) {
	judgeKubelet(p, o, s.recommendation, func(a *assessment) *verdict {
		v, set := a.kubelet.Value(s.setting)
		why, bad := s.bad(v, set)
		if !bad {
			return nil
		}
		if !set && s.unset != nil {
			v = s.unset
		}
		return &verdict{setting: s.setting, flag: s.flag, value: nodeconfig.Text(v), expected: s.expected,
			origin: a.kubelet.Origin(s.setting), why: why}
	})
}

// verdict is a failed kubelet check: the setting judged, its effective value and
// where it came from; or, with unknown set, why the check cannot decide.
type verdict struct {
	setting, flag, value, expected, why string
	origin                              nodeconfig.Origin
	unknown                             string
}

// judgeKubelet runs a kubelet check that reads the whole effective configuration
// (several settings, or a flag that is not a configuration field): judge returns
// nil when the kubelet passes.
func judgeKubelet(p *rules.Pass, o *inventory.Object, cis string, judge func(a *assessment) *verdict) {
	a, ev, ok := applies(p, o, cis)
	if !ok {
		return
	}
	if a.kubelet == nil {
		switch {
		case a.kubeletErr != nil:
			p.ReportUnknown("the kubelet's configuration could not be built: " + a.kubeletErr.Error())
		default:
			var tried []string
			if c := a.facts.Component(nodefacts.Kubelet); c != nil {
				tried = c.Tried
			}
			p.ReportUnknown("no kubelet found on the node", tried...)
		}
		return
	}
	vd := judge(a)
	switch {
	case vd == nil:
		return
	case vd.unknown != "":
		p.ReportUnknown(vd.unknown)
		return
	}
	org := vd.origin
	ev.Component, ev.Setting, ev.Flag = nodefacts.Kubelet, vd.setting, vd.flag
	ev.Value, ev.Expected = vd.value, vd.expected
	ev.Origin = &finding.NodeOrigin{Kind: org.Kind, File: org.File, Line: org.Line, Flag: org.Flag}
	name := vd.setting
	if name == "" {
		name = vd.flag
	}
	if vd.value == "" {
		vd.value = `""`
	}
	p.ReportNode(ev, originPath(a, org, vd.setting), "kubelet %s is %s (from %s): %s (%s)", name, vd.value, org, vd.why, recommendation(ev))
}

// recommendation names the evidence's recommendation for a message
// ("CIS Kubernetes Benchmark v1.12 4.2.1").
func recommendation(ev *finding.NodeEvidence) string {
	if ev.Benchmark == "" {
		return "CIS " + ev.Recommendation
	}
	return ev.Benchmark + " " + ev.Recommendation
}

// kubeletFlag returns a kubelet command-line flag that is not a configuration
// field (--hostname-override, --seccomp-default) with its origin; ok is false when
// the command line does not set it. On facts read from /configz the command line
// is unknown: known is false.
func kubeletFlag(a *assessment, name string) (val string, org nodeconfig.Origin, ok, known bool) {
	if a.facts.Source == nodefacts.SourceConfigz || a.kubeletIdx < 0 {
		return "", nodeconfig.Origin{}, false, false
	}
	val, ok = a.kubelet.Flag(name)
	if !ok {
		return "", nodeconfig.Origin{}, false, true
	}
	i := a.kubelet.FlagArgs[name]
	org = nodeconfig.Origin{Kind: nodeconfig.FromFlag, Arg: i, Flag: "--" + name}
	if args := a.facts.Components[a.kubeletIdx].Args; i >= 0 && i < len(args) {
		org.Flag = args[i]
	}
	return val, org, true, true
}

// originPath is the field of the facts document where a value's origin is written
// (a flag's argument, the configuration file's content, the setting in /configz,
// the component for a default), so the finding points at a line of the facts file.
func originPath(a *assessment, org nodeconfig.Origin, setting string) string {
	if org.Kind == nodeconfig.FromConfigz && a.facts.Configz != nil {
		// The setting's own line when /configz holds it (the engine falls back
		// to the nearest enclosing field).
		p := "configz"
		var top map[string]json.RawMessage
		if json.Unmarshal(a.facts.Configz, &top) == nil && top["kubeletconfig"] != nil {
			p += ".kubeletconfig"
		}
		if setting != "" {
			p += "." + setting
		}
		return p
	}
	if a.kubeletIdx < 0 {
		return "source"
	}
	c := fmt.Sprintf("components[%d]", a.kubeletIdx)
	comp := &a.facts.Components[a.kubeletIdx]
	switch org.Kind {
	case nodeconfig.FromFlag:
		if org.Arg >= 0 && org.Arg < len(comp.Args) {
			return fmt.Sprintf("%s.args[%d]", c, org.Arg)
		}
	case nodeconfig.FromFile:
		if comp.Config != nil {
			return c + ".config.content"
		}
	case nodeconfig.FromDropIn:
		for i, d := range comp.DropIns {
			if d.Path == org.File {
				return fmt.Sprintf("%s.dropIns[%d].content", c, i)
			}
		}
	}
	return c
}
