package auditrules

// ConfigMaps are not secret: any identity that reads configuration (many roles
// grant get on configmaps, and pods mount them) reads their data, they are stored
// unencrypted even where Secrets are encrypted at rest, and they are logged in full
// by audit policies that keep Secrets at Metadata. A credential written into one is
// exposed. The detectors are internal/secrets' (those of the scan rules); findings
// name the key, the kind of credential and its length, never its value.

import (
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

// maxConfigMapKeys bounds the keys scanned per ConfigMap (the API server bounds a
// ConfigMap at 1 MiB; a hostile log may not).
const maxConfigMapKeys = 4096

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-911", Title: "ConfigMap with credentials created or changed", Severity: finding.High, Category: catAudit,
			Rationale: "A ConfigMap is readable by every identity that reads configuration, mounted into pods, unencrypted at rest and often logged in full: a password, token or private key written into one is exposed to all of them, and whoever wrote it there may be staging it for collection. " +
				"Palisade runs the credential detectors of its scan rules (provider token formats with their checksums, private keys, passwords under credential keys) on the data of the request body; the finding names the keys and the kinds of credential, never a value. An update is reported when it adds a credential.",
			Remediation: "Move the credential to a Secret (or an external secret store), rotate it (it was exposed), and reference it from the workload; restrict who reads ConfigMaps only as a second line.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/configuration/secret/", "https://attack.mitre.org/techniques/T1552/007/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1552.007"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: writeVerbs, Resources: []string{"configmaps"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &configMapDetector{memo: newMemo(s)} })
}

type configMapDetector struct{ memo memo }

func (d *configMapDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, writeVerbs...) || ev.ObjectRef.Resource != "configmaps" || ev.ObjectRef.Subresource != "" {
		return
	}
	body, _ := c.Body()
	data, ok := body["data"].(map[string]any)
	if !ok || len(data) == 0 {
		return
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > maxConfigMapKeys {
		keys = keys[:maxConfigMapKeys]
	}
	var found, sig []string
	for _, k := range keys {
		v, ok := data[k].(string)
		if !ok {
			continue
		}
		for _, m := range secrets.Detect(k, v) {
			where := "key " + quoteKey(k)
			if m.Key != "" && m.Key != k {
				where += " (" + quoteKey(m.Key) + ")"
			}
			found = append(found, where+": "+m.Describe())
			sig = append(sig, k+"/"+m.Detector)
		}
	}
	if len(found) == 0 {
		return
	}
	ref := objectRef(c, body)
	if !d.memo.fresh(ref, ev.Verb, strings.Join(sig, ",")) {
		return
	}
	if len(found) > 5 {
		found = append(found[:5], "and "+itoa(len(found)-5)+" more")
	}
	c.Report(audit.Report{Object: ref, Path: "data",
		Message: "ConfigMap " + nsName(ref.Namespace, ref.Name) + " " + verbText(ev.Verb) + " with credentials: " + strings.Join(found, "; ")})
}

// quoteKey quotes a key for a message, cut to 100 bytes.
func quoteKey(k string) string {
	if len(k) > 100 {
		k = strings.ToValidUTF8(k[:100], "") + "..."
	}
	return `"` + k + `"`
}
