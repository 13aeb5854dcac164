package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testRules are hand-made rules: the report must not depend on the registered ones.
var testRules = []*rules.Rule{
	{Meta: rules.Meta{
		ID: "PAL-T01", Title: "Container runs privileged", Severity: finding.Critical, Category: "security-context",
		Rationale:   "A privileged container has every capability and all host devices.",
		Remediation: "Remove securityContext.privileged or set it to false.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
		Frameworks:  rules.Frameworks{PSS: "baseline", CIS: []string{"5.2.2"}, NSA: []string{"Pod security"}, Layer: "container"},
	}},
	{Meta: rules.Meta{
		ID: "PAL-T02", Title: "hostPath volume", Severity: finding.High, Category: "volumes",
		Rationale:   "A hostPath volume exposes the node's filesystem to the pod.",
		Remediation: "Use a persistentVolumeClaim, configMap, secret or emptyDir instead.",
		Frameworks:  rules.Frameworks{PSS: "baseline", Layer: "cluster"},
	}},
	{Meta: rules.Meta{
		ID: "PAL-T03", Title: "Seccomp profile not set", Severity: finding.Medium, Category: "security-context",
		Rationale:   "Without a seccomp profile every system call is allowed.",
		Remediation: "Set securityContext.seccompProfile.type: RuntimeDefault.",
		References:  []string{"https://kubernetes.io/docs/tutorials/security/seccomp/", "https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
		Frameworks:  rules.Frameworks{PSS: "restricted", CIS: []string{"5.7.2"}, Layer: "container"},
	}},
	{Meta: rules.Meta{
		ID: "PAL-T04", Title: "Container runs with the root group", Severity: finding.Low, Category: "security-context",
		Rationale:   "GID 0 can read files the image leaves group-readable by root.",
		Remediation: "Set runAsGroup and fsGroup to a non-zero GID.",
		Frameworks:  rules.Frameworks{Layer: "container"},
	}},
	{Meta: rules.Meta{
		ID: "PAL-T05", Title: "Image tag not pinned", Severity: finding.Info, Category: "supply-chain",
		Rationale:   "A mutable tag can change what runs without a manifest change.",
		Remediation: "Pin images by digest.",
		Frameworks:  rules.Frameworks{Layer: "code"},
	}},
	// A rule that never fires: it must not appear in any report.
	{Meta: rules.Meta{
		ID: "PAL-T99", Title: "Never fires", Severity: finding.High, Category: "misc",
		Rationale: "r", Remediation: "r", Frameworks: rules.Frameworks{Layer: "code"},
	}},
}

func ruleMeta(id string) rules.Meta {
	for _, r := range testRules {
		if r.ID == id {
			return r.Meta
		}
	}
	panic("no test rule " + id)
}

func mkFinding(id string, obj finding.ObjectRef, container, path string, loc finding.Location, msg string, sup *finding.Suppression) finding.Finding {
	m := ruleMeta(id)
	f := finding.Finding{
		RuleID: m.ID, Title: m.Title, Severity: m.Severity, Category: m.Category,
		Object: obj, Container: container, Path: path, Location: loc, Message: msg,
		Remediation: m.Remediation, Frameworks: m.Frameworks.Tags(), Suppressed: sup,
	}
	f.ComputeFingerprint()
	return f
}

// sampleReport covers every severity, container findings, a Helm-rendered location,
// annotation, config and baseline suppressions, characters that need escaping, a file
// name that needs percent-encoding, and input errors.
func sampleReport() *Report {
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web"}
	api := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "api"}
	db := finding.ObjectRef{APIVersion: "apps/v1", Kind: "StatefulSet", Namespace: "db", Name: "pg"}
	cron := finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "jobs", Name: "backup"}
	dbg := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "debug"}
	rendered := finding.Location{File: "charts/api/templates/deployment.yaml", Line: 57, Document: 1, Renderer: "helm chart api", Rendered: true}
	fs := []finding.Finding{
		mkFinding("PAL-T01", web, "app", "spec.template.spec.containers[0].securityContext.privileged",
			finding.Location{File: "k8s/web.yaml", Line: 21, Document: 1},
			`container "app" sets privileged: true & runs as <root>`, nil),
		mkFinding("PAL-T02", web, "", "spec.template.spec.volumes[0].hostPath",
			finding.Location{File: "k8s/web.yaml", Line: 40, Document: 1},
			`volume "docker-sock" mounts hostPath /var/run/docker.sock`, nil),
		mkFinding("PAL-T03", api, "api", "spec.template.spec.containers[0].securityContext.seccompProfile",
			rendered, `container "api" has no seccompProfile, and the pod sets none to inherit`, nil),
		mkFinding("PAL-T04", db, "", "spec.template.spec.securityContext.fsGroup",
			finding.Location{File: "k8s/db.yaml", Line: 12, Document: 1},
			"pod sets securityContext.fsGroup=0",
			&finding.Suppression{Kind: "annotation", Reason: "legacy volume needs GID 0"}),
		mkFinding("PAL-T05", cron, "backup", "spec.jobTemplate.spec.template.spec.containers[0].image",
			finding.Location{File: "k8s/cron.yaml", Document: 1},
			`image "backup:latest" is not pinned`,
			&finding.Suppression{Kind: "baseline", Reason: "accepted in baseline", Expires: "2030-01-01"}),
		mkFinding("PAL-T01", dbg, "shell", "spec.containers[0].securityContext.privileged",
			finding.Location{File: "k8s/debug pod.yaml", Line: 9, Document: 1},
			`container "shell" sets privileged: true`,
			&finding.Suppression{Kind: "config", Reason: "debug pods are allowed in the lab", Expires: "2029-06-30"}),
	}
	sort.SliceStable(fs, func(i, j int) bool { return finding.Less(&fs[i], &fs[j]) })
	errs := []finding.InputError{
		{Location: finding.Location{File: "k8s/broken.yaml", Line: 3, Document: 2}, Message: "yaml: line 3: mapping values are not allowed in this context"},
		{Location: finding.Location{File: "charts/bad", Renderer: "helm"}, Message: `render: template: bad/templates/x.yaml:4: function "oops" not defined`},
	}
	return New("1.2.3", fs, errs, 7, 9, 5, finding.High, true, testRules)
}

// historyReport is a scan with --git-history: a credential found in the working
// tree and one found only in a commit of the history, a notice on a file of the
// history that did not parse, and the summary of the history read.
func historyReport() *Report {
	cm := finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "app"}
	commit := &finding.Commit{Hash: "270879f70686b4ee6788f64aa27e8a72780bfef7", Date: time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)}
	fs := []finding.Finding{
		mkFinding("PAL-T02", cm, "", "data.token",
			finding.Location{File: "deploy/app.yaml", Line: 7},
			`ConfigMap key "token": GitHub token ghp_**** (40 characters)`, nil),
		mkFinding("PAL-T02", cm, "", "data.aws_key",
			finding.Location{File: "deploy/app.yaml", Line: 6, Commit: commit, Provenance: finding.FromHistory},
			`ConfigMap key "aws_key": AWS access key ID AKIA**** (20 characters)`, nil),
	}
	r := New("1.2.3", fs, nil, 1, 1, 0, finding.High, true, testRules)
	r.Notices = []finding.Notice{{
		Location: finding.Location{File: "deploy/old.yaml", Line: 2, Commit: &finding.Commit{Hash: "c072bb2aa0e0f5b1a7a6c4a3f8e9d2b1c0a9f8e7", Date: time.Date(2024, 12, 30, 8, 0, 0, 0, time.UTC)}, Provenance: finding.FromHistory},
		Message:  "in the git history, not read: invalid YAML: did not find expected node content",
	}}
	r.Summary.History = &HistorySummary{Range: "HEAD", Commits: 1234, Files: 567, Unreadable: 1}
	return r
}

// auditReport is a run over audit logs (palisade audit): an exec into a privileged
// pod with the pod's creation in its chain, raised by the actor's RBAC risks; an
// impersonated request; a summarising finding; an input error.
func auditReport() *Report {
	pod := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "debug"}
	crb := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "pwn"}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	loc := func(line int) finding.Location {
		return finding.Location{File: "logs/audit.log", Line: line, Provenance: finding.FromAudit}
	}
	exec := mkFinding("PAL-T02", pod, "", "", loc(7), "exec into pod default/debug (privileged) command id", nil)
	exec.Severity = finding.Critical
	exec.Audit = &finding.AuditEvidence{
		Actor:     finding.AuditActor{User: "alice", Groups: []string{"devs", "system:authenticated"}},
		SourceIPs: []string{"10.0.0.5"}, UserAgent: "kubectl/v1.34.0",
		Events: []finding.AuditEventRef{
			{AuditID: "p1", Time: t0, Verb: "create", URI: "/api/v1/namespaces/default/pods", Object: "pods default/debug", User: "bob", Code: 201, File: "logs/audit.log", Line: 3},
			{AuditID: "e1", Time: t0.Add(time.Minute), Verb: "create", URI: "/api/v1/namespaces/default/pods/debug/exec?command=id", Object: "pods/exec default/debug", User: "alice", Code: 101, File: "logs/audit.log", Line: 7},
		},
		Techniques: []string{"T1609"}, Risks: []string{"PAL-330", "PAL-334"}, Raised: true,
	}
	imp := mkFinding("PAL-T01", crb, "", "", loc(9), "ClusterRoleBinding pwn binds cluster-admin", nil)
	imp.Audit = &finding.AuditEvidence{
		Actor:        finding.AuditActor{User: "system:serviceaccount:kube-system:admin"},
		Impersonator: &finding.AuditActor{User: "mallory", Groups: []string{"system:authenticated"}},
		SourceIPs:    []string{"192.0.2.1", "10.0.0.1"},
		Events:       []finding.AuditEventRef{{AuditID: "b1", Time: t0.Add(2 * time.Minute), Verb: "create", URI: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Object: "clusterrolebindings pwn", User: "system:serviceaccount:kube-system:admin", Code: 201, File: "logs/audit.log", Line: 9}},
	}
	burst := mkFinding("PAL-T03", finding.ObjectRef{Kind: "NonResourceURL", Name: "/api"}, "", "", finding.Location{File: "audit-webhook", Provenance: finding.FromAudit}, "37 forbidden requests in 1m", nil)
	burst.Audit = &finding.AuditEvidence{
		Actor: finding.AuditActor{User: "eve"}, Count: 37,
		Events: []finding.AuditEventRef{
			{AuditID: "f1", Time: t0, Verb: "list", URI: "/api/v1/secrets", Object: "secrets", User: "eve", Code: 403, File: "audit-webhook", Index: 2},
			{AuditID: "f37", Time: t0.Add(time.Minute), Verb: "get", URI: "/api", User: "eve", Code: 403, File: "audit-webhook", Index: 40},
		},
	}
	errs := []finding.InputError{{Location: finding.Location{File: "logs/audit.log", Line: 5, Provenance: finding.FromAudit}, Message: "not a JSON object"}}
	r := New("1.2.3", []finding.Finding{exec, imp, burst}, errs, 2, 0, 0, finding.High, true, testRules)
	r.SetAudit(AuditSummary{Events: 12345, Files: 2, Objects: 17, RBAC: true})
	return r
}

// imageReport is a scan of a container image (palisade image): a finding in a layer's
// file, one on the image configuration, one on a root filesystem without digest or
// layers, and one suppressed.
func imageReport() *Report {
	const ref = "registry.example.com/shop/web:1.4"
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	layer := "sha256:" + strings.Repeat("fedcba9876543210", 4)
	img := finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: ref}
	at := func(l finding.ImageLocation) finding.Location {
		l.Ref = l.Ref + ref
		if l.Ref == ref {
			l.Digest, l.Platform = digest, "linux/amd64"
		}
		return finding.Location{File: l.Ref, Provenance: finding.FromImage, Image: &l}
	}
	fs := []finding.Finding{
		mkFinding("PAL-T02", img, "", "/root/.npmrc", at(finding.ImageLocation{LayerIndex: 2, Layer: layer, Path: "/root/.npmrc"}),
			"/root/.npmrc (added in layer 2) holds an npm access token (npm_****) on line 2", nil),
		mkFinding("PAL-T03", img, "", "config.User", at(finding.ImageLocation{LayerIndex: -1, Field: "config.User"}),
			"the image sets no User (no USER instruction), so it runs as root", nil),
		mkFinding("PAL-T04", img, "", "/usr/local/bin/tool", at(finding.ImageLocation{LayerIndex: 1, Layer: layer, Path: "/usr/local/bin/tool"}),
			"/usr/local/bin/tool is setuid (runs as UID 0), mode 4755",
			&finding.Suppression{Kind: "config", Reason: "vendor tool, reviewed"}),
		mkFinding("PAL-T05", finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: "/srv/rootfs"}, "", "/etc/os-release",
			finding.Location{File: "/srv/rootfs", Provenance: finding.FromImage, Image: &finding.ImageLocation{Ref: "/srv/rootfs", LayerIndex: -1, Path: "/etc/os-release"}},
			"the distribution release Debian GNU/Linux 10 (buster) reached its end of life on 2024-06-30", nil),
	}
	sort.SliceStable(fs, func(i, j int) bool { return finding.Less(&fs[i], &fs[j]) })
	return New("1.2.3", fs, nil, 2, 2, 0, finding.High, true, testRules)
}

func emptyReport() *Report {
	return New("1.2.3", nil, nil, 2, 3, 1, finding.High, true, testRules)
}

// formatExt is the golden files' extension of a format whose name is not one.
var formatExt = map[string]string{"text": "txt", "junit": "xml"}

func goldenExt(format string) string {
	if ext, ok := formatExt[format]; ok {
		return ext
	}
	return format
}

func render(t *testing.T, r *Report, format string, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, format, opts); err != nil {
		t.Fatalf("Write %s: %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		rep  func() *Report
		opts Options
	}{
		{"findings", sampleReport, Options{}},
		{"findings-show-suppressed", sampleReport, Options{ShowSuppressed: true}},
		{"empty", emptyReport, Options{}},
		{"history", historyReport, Options{}},
		{"image", imageReport, Options{}},
		{"image-show-suppressed", imageReport, Options{ShowSuppressed: true}},
		{"vulnerability", vulnerabilityReport, Options{}},
		{"audit", auditReport, Options{}},
		{"attackpath", pathReport, Options{}},
		{"attackpath-hops", pathReport, Options{PathHops: true}},
	}
	for _, c := range cases {
		for _, format := range Formats() {
			if (c.opts.ShowSuppressed || c.opts.PathHops) && format != "text" {
				continue // the options only change text output
			}
			if format == "html" {
				continue // html_test.go checks its structure (the page embeds its script and style)
			}
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := render(t, c.rep(), format, c.opts)
				if again := render(t, c.rep(), format, c.opts); !bytes.Equal(got, again) {
					t.Fatalf("%s output is not deterministic", format)
				}
				golden := filepath.Join("testdata", c.name+"."+goldenExt(format))
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/report -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s (rerun with -update if intended):\n%s", format, golden, firstDiff(string(want), string(got)))
				}
			})
		}
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return "(no line differs)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTextColor(t *testing.T) {
	for _, c := range []struct {
		name string
		rep  *Report
	}{{"findings", sampleReport()}, {"empty", emptyReport()}} {
		colored := render(t, c.rep, "text", Options{Color: true})
		plain := render(t, c.rep, "text", Options{Color: false})
		if bytes.IndexByte(plain, 0x1b) >= 0 {
			t.Errorf("%s: Color=false output contains an escape character:\n%q", c.name, plain)
		}
		if c.name == "findings" && !ansi.Match(colored) {
			t.Errorf("%s: Color=true output has no ANSI colour codes:\n%q", c.name, colored)
		}
		if stripped := ansi.ReplaceAll(colored, nil); !bytes.Equal(stripped, plain) {
			t.Errorf("%s: coloured output differs from plain beyond colour codes:\n%s", c.name, firstDiff(string(plain), string(stripped)))
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, emptyReport(), "yaml", Options{}); err == nil {
		t.Fatal("Write accepted an unknown format")
	}
}

// CompileSARIFSchema compiles the SARIF 2.1.0 schema in testdata, asserting formats
// (uri, uri-reference, ...). It is exported for the external corpus test.
func CompileSARIFSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// ValidateSARIF fails t unless data is a SARIF log valid against the schema.
func ValidateSARIF(t testing.TB, sch *jsonschema.Schema, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v", err)
	}
}

func TestSARIFSchema(t *testing.T) {
	sch := CompileSARIFSchema(t)
	for name, rep := range map[string]*Report{"findings": sampleReport(), "empty": emptyReport(), "image": imageReport(), "vulnerability": vulnerabilityReport(), "attackpath": pathReport()} {
		t.Run(name, func(t *testing.T) { ValidateSARIF(t, sch, render(t, rep, "sarif", Options{})) })
	}
	// The validator must be able to fail: break the sample in ways the schema forbids.
	good := render(t, sampleReport(), "sarif", Options{})
	for _, c := range []struct {
		name, at string // at: the JSON pointer the schema must complain about
		mutate   func(m map[string]any)
	}{
		{"bad level", "/results/0/level", func(m map[string]any) { result(m)["level"] = "fatal" }},
		{"bad suppression", "/suppressions/0/kind", func(m map[string]any) { result(m)["suppressions"] = []any{map[string]any{"kind": "ignored"}} }},
		{"no message", "missing property 'message'", func(m map[string]any) { delete(result(m), "message") }},
		{"line 0", "/region/startLine", func(m map[string]any) { physical(m)["region"] = map[string]any{"startLine": 0} }},
		{"uri not a reference", "/artifactLocation/uri", func(m map[string]any) { artifact(m)["uri"] = "a b:%%" }},
		{"unknown property", "'severity' not allowed", func(m map[string]any) { result(m)["severity"] = "high" }},
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		c.mutate(m)
		bad, _ := json.Marshal(m)
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
		err := sch.Validate(inst)
		if err == nil || !strings.Contains(err.Error(), c.at) {
			t.Errorf("%s: want a schema error at %q, got %v", c.name, c.at, err)
		}
	}
}

func run0(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
func result(m map[string]any) map[string]any {
	return run0(m)["results"].([]any)[0].(map[string]any)
}
func physical(m map[string]any) map[string]any {
	return result(m)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
}
func artifact(m map[string]any) map[string]any {
	return physical(m)["artifactLocation"].(map[string]any)
}

// decodeSARIF reads the log back into the writer's own types.
func decodeSARIF(t *testing.T, data []byte) sarifLog {
	t.Helper()
	var log sarifLog
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("want 1 run, got %d", len(log.Runs))
	}
	return log
}

func TestSARIFContent(t *testing.T) {
	rep := sampleReport()
	log := decodeSARIF(t, render(t, rep, "sarif", Options{}))
	if log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || log.Version != "2.1.0" {
		t.Errorf("header: %q %q", log.Schema, log.Version)
	}
	run := log.Runs[0]
	if d := run.Tool.Driver; d.Name != "palisade" || d.Version != "1.2.3" || d.InformationURI == "" {
		t.Errorf("driver: %+v", d)
	}
	// One descriptor per rule used, in ID order; the unused rule is absent.
	var ids []string
	for _, d := range run.Tool.Driver.Rules {
		ids = append(ids, d.ID)
	}
	if got, want := strings.Join(ids, ","), "PAL-T01,PAL-T02,PAL-T03,PAL-T04,PAL-T05"; got != want {
		t.Fatalf("rules: got %s, want %s", got, want)
	}
	wantSev := map[string][2]string{ // rule -> level, security-severity
		"PAL-T01": {"error", "9.5"}, "PAL-T02": {"error", "8.0"}, "PAL-T03": {"warning", "5.5"},
		"PAL-T04": {"note", "3.0"}, "PAL-T05": {"note", "0.0"},
	}
	for _, d := range run.Tool.Driver.Rules {
		m := ruleMeta(d.ID)
		if got := [2]string{d.DefaultConfiguration.Level, d.Properties.SecuritySeverity}; got != wantSev[d.ID] {
			t.Errorf("%s: level/security-severity %v, want %v", d.ID, got, wantSev[d.ID])
		}
		if d.ShortDescription.Text != m.Title || d.FullDescription == nil || d.FullDescription.Text != m.Rationale {
			t.Errorf("%s: descriptions %+v %+v", d.ID, d.ShortDescription, d.FullDescription)
		}
		if d.Help == nil || !strings.Contains(d.Help.Text, m.Remediation) || !strings.Contains(d.Help.Markdown, m.Remediation) {
			t.Errorf("%s: help lacks the remediation: %+v", d.ID, d.Help)
		}
		if (d.HelpURI != "") != (len(m.References) > 0) || (d.HelpURI != "" && d.HelpURI != m.References[0]) {
			t.Errorf("%s: helpUri %q for references %v", d.ID, d.HelpURI, m.References)
		}
		tags := strings.Join(d.Properties.Tags, "|")
		for _, want := range append(m.Frameworks.Tags(), m.Category) {
			if !strings.Contains("|"+tags+"|", "|"+want+"|") {
				t.Errorf("%s: tags %v lack %q", d.ID, d.Properties.Tags, want)
			}
		}
	}
	if len(run.Results) != len(rep.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(rep.Findings))
	}
	for i, res := range run.Results {
		f := rep.Findings[i]
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID || res.RuleID != f.RuleID {
			t.Errorf("result %d: ruleId %s, ruleIndex %d", i, res.RuleID, res.RuleIndex)
		}
		if res.Level != wantSev[f.RuleID][0] || res.Message.Text != f.Message {
			t.Errorf("result %d: level %s message %q", i, res.Level, res.Message.Text)
		}
		if res.PartialFingerprints["palisade/v1"] != f.Fingerprint || f.Fingerprint == "" {
			t.Errorf("result %d: fingerprints %v", i, res.PartialFingerprints)
		}
		loc := res.Locations[0]
		pl := loc.PhysicalLocation
		switch {
		case f.Location.Rendered && pl.Region != nil:
			t.Errorf("result %d: rendered finding has a region %+v", i, pl.Region)
		case !f.Location.Rendered && f.Location.Line > 0 && (pl.Region == nil || pl.Region.StartLine != f.Location.Line):
			t.Errorf("result %d: region %+v, want line %d", i, pl.Region, f.Location.Line)
		case f.Location.Line == 0 && pl.Region != nil:
			t.Errorf("result %d: region for an unknown line", i)
		}
		wantURI := strings.ReplaceAll(f.Location.File, " ", "%20")
		if pl.ArtifactLocation.URI != wantURI {
			t.Errorf("result %d: uri %q, want %q", i, pl.ArtifactLocation.URI, wantURI)
		}
		ll := loc.LogicalLocations[0]
		if ll.FullyQualifiedName != f.Object.String()+":"+f.Path || ll.Properties.Kind != f.Object.Kind || ll.Properties.Namespace != f.Object.Namespace || ll.Properties.Name != f.Object.Name {
			t.Errorf("result %d: logical location %+v", i, ll)
		}
		switch {
		case f.Suppressed == nil && res.Suppressions != nil:
			t.Errorf("result %d: unsuppressed finding has suppressions", i)
		case f.Suppressed != nil:
			want := map[string]string{"annotation": "inSource", "config": "external", "baseline": "external"}[f.Suppressed.Kind]
			if len(res.Suppressions) != 1 || res.Suppressions[0].Kind != want || res.Suppressions[0].Justification != f.Suppressed.Reason {
				t.Errorf("result %d: suppressions %+v for %+v", i, res.Suppressions, f.Suppressed)
			}
		}
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != len(rep.Errors) {
		t.Fatalf("invocation %+v for %d input errors", inv, len(rep.Errors))
	}
	for i, n := range inv.ToolExecutionNotifications {
		e := rep.Errors[i]
		if n.Level != "error" || n.Message.Text != e.Message || n.Locations[0].PhysicalLocation.ArtifactLocation.URI != e.Location.File {
			t.Errorf("notification %d: %+v", i, n)
		}
	}

	empty := decodeSARIF(t, render(t, emptyReport(), "sarif", Options{})).Runs[0]
	if !empty.Invocations[0].ExecutionSuccessful || len(empty.Results) != 0 || len(empty.Tool.Driver.Rules) != 0 {
		t.Errorf("empty report: %+v", empty)
	}
}

// A report built without the rule list still describes every rule from its findings.
func TestSARIFRuleFromFinding(t *testing.T) {
	rep := sampleReport()
	rep = New("dev", rep.Findings, nil, 1, 1, 1, finding.High, true, nil)
	run := decodeSARIF(t, render(t, rep, "sarif", Options{})).Runs[0]
	if len(run.Tool.Driver.Rules) != 5 {
		t.Fatalf("got %d rules", len(run.Tool.Driver.Rules))
	}
	d := run.Tool.Driver.Rules[0]
	if d.ID != "PAL-T01" || d.ShortDescription.Text != "Container runs privileged" || d.DefaultConfiguration.Level != "error" ||
		d.Properties.SecuritySeverity != "9.5" || !strings.Contains(strings.Join(d.Properties.Tags, ","), "pss:baseline") {
		t.Errorf("descriptor from finding: %+v", d)
	}
	ValidateSARIF(t, CompileSARIFSchema(t), render(t, rep, "sarif", Options{}))
}

func TestArtifactURI(t *testing.T) {
	for _, c := range []struct{ file, uri, inner string }{
		{"k8s/app.yaml", "k8s/app.yaml", ""},
		{"k8s/my app.yaml", "k8s/my%20app.yaml", ""},
		{"a:b.yaml", "./a:b.yaml", ""},
		{"/abs/x.yaml", "file:///abs/x.yaml", ""},
		{"charts/app-1.0.0.tgz#templates/deploy.yaml", "charts/app-1.0.0.tgz", "templates/deploy.yaml"},
		{"k8s/odd#name.yaml", "k8s/odd%23name.yaml", ""},
		{"<stdin>", "%3Cstdin%3E", ""},
	} {
		uri, inner := artifactURI(c.file)
		if uri != c.uri || inner != c.inner {
			t.Errorf("artifactURI(%q) = %q, %q; want %q, %q", c.file, uri, inner, c.uri, c.inner)
		}
	}
}

// junitDoc reads JUnit XML back, including each case's outcome.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitContent(t *testing.T) {
	rep := sampleReport()
	var doc junitDoc
	if err := xml.Unmarshal(render(t, rep, "junit", Options{}), &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	var names []string
	var tests, failures, errs, skipped int
	cases := map[string]int{}
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		var f, e, k int
		for _, c := range s.Cases {
			n := 0
			if c.Failure != nil {
				f, n = f+1, n+1
			}
			if c.Error != nil {
				e, n = e+1, n+1
			}
			if c.Skipped != nil {
				k, n = k+1, n+1
			}
			if n > 1 {
				t.Errorf("%s/%s: more than one outcome", s.Name, c.Name)
			}
			cases[c.Name]++
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != k {
			t.Errorf("suite %s counts tests=%d failures=%d errors=%d skipped=%d; cases say %d/%d/%d/%d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, k)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+k
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || doc.Skipped != skipped {
		t.Errorf("testsuites counts %d/%d/%d/%d, suites add up to %d/%d/%d/%d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errs, skipped)
	}
	if tests != len(rep.Findings)+len(rep.Errors) || failures != rep.Summary.Findings || skipped != rep.Summary.Suppressed || errs != len(rep.Errors) {
		t.Errorf("totals %d/%d/%d/%d do not match the report summary %+v", tests, failures, errs, skipped, rep.Summary)
	}
	want := "input|PAL-T01 Container runs privileged|PAL-T02 hostPath volume|PAL-T03 Seccomp profile not set|PAL-T04 Container runs with the root group|PAL-T05 Image tag not pinned"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("suites:\n got %s\nwant %s", got, want)
	}
	// The finding with XML metacharacters round-trips, with its remediation in the body.
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Name == "Deployment/prod/web spec.template.spec.containers[0].securityContext.privileged" {
				if c.Classname != "k8s/web.yaml" || c.Failure == nil || c.Failure.Type != "critical" ||
					c.Failure.Message != `container "app" sets privileged: true & runs as <root>` ||
					!strings.Contains(c.Failure.Body, "k8s/web.yaml:21") || !strings.Contains(c.Failure.Body, "Remove securityContext.privileged") {
					t.Errorf("privileged case: %+v %+v", c, c.Failure)
				}
				return
			}
		}
	}
	t.Error("no test case for the privileged finding")
}

func TestXMLSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		"a\x00b\x1bc":    "a\uFFFDb\uFFFDc",
		"tab\tnl\n":      "tab\tnl\n",
		"bad\xffutf8":    "bad\uFFFDutf8",
		"nonchar\uFFFE.": "nonchar\uFFFD.",
	} {
		if got := xmlSafe(in); got != want {
			t.Errorf("xmlSafe(%q) = %q, want %q", in, got, want)
		}
	}
	// Hostile text still yields well-formed XML, with the values from the input
	// escaped as in the text report: no control, bidirectional or separator
	// character, and one value per line of the body.
	f := mkFinding("PAL-T01", finding.ObjectRef{Kind: "Pod", Name: "x\x01\u202e"}, "", "p", finding.Location{File: "f\x1b[2J.yaml"}, "msg ]]> \x02 \u009b end\nMessage: forged", nil)
	out := render(t, New("dev", []finding.Finding{f}, []finding.InputError{{Location: finding.Location{File: "e\u2028.yaml"}, Message: "bad\x1b]0;t\a"}}, 1, 1, 1, finding.High, true, testRules), "junit", Options{})
	var doc junitDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, out)
	}
	c := doc.Suites[1].Cases[0]
	if body := c.Failure.Body; !strings.Contains(body, `Message: msg ]]> \x02 \u009b end\nMessage: forged`+"\n") || strings.Count(body, "\nMessage:") != 1 {
		t.Errorf("body: %q", body)
	}
	if c.Name != `Pod/x\x01\u202e p` || c.Classname != `f\x1b[2J.yaml` || c.Failure.Message != `msg ]]> \x02 \u009b end\nMessage: forged` {
		t.Errorf("case: %+v", c)
	}
	if e := doc.Suites[0].Cases[0]; e.Classname != `e\u2028.yaml` || e.Error.Message != `bad\x1b]0;t\a` {
		t.Errorf("input error case: %+v %+v", e, e.Error)
	}
	for _, r := range string(out) {
		if r != '\n' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)) {
			t.Errorf("JUnit output holds %U", r)
		}
	}
}

// Text from the input (object names, files, messages, fields, suppression reasons,
// input errors, coverage reasons) is escaped in the text report, with colour or
// without; only the report's own colours are escape sequences.
func TestTextEscapesInput(t *testing.T) {
	obj := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns\u202e", Name: "web\x1b[2J"}
	fs := []finding.Finding{
		mkFinding("PAL-T01", obj, "c", "spec.x\n", finding.Location{File: "k8s/\x1b]0;x\a.yaml", Line: 3}, "image \"a\x1b[8m\"\nResult: pass (fail-on high).", nil),
		mkFinding("PAL-T02", obj, "c", "spec.y", finding.Location{File: "k8s/\x1b]0;x\a.yaml", Line: 4}, "m", &finding.Suppression{Kind: "config", Reason: "ok\x1b[1A"}),
	}
	rep := New("dev", fs, []finding.InputError{{Location: finding.Location{File: "bad\u009b.yaml"}, Message: "x\ty\u2029"}}, 1, 1, 1, finding.High, true, testRules)
	rep.Coverage = []finding.CoverageGap{{Kind: "Secret", APIVersion: "v1", Reason: "forbidden\x1b[2K"}}
	for _, color := range []bool{false, true} {
		out := string(render(t, rep, "text", Options{Color: color, ShowSuppressed: true}))
		for _, want := range []string{`Pod/ns\u202e/web\x1b[2J`, `k8s/\x1b]0;x\a.yaml:3`, `image "a\x1b[8m"\nResult: pass (fail-on high).`,
			`field: spec.x\n`, `suppressed (config): ok\x1b[1A`, `bad\u009b.yaml: x\ty\u2029`, `forbidden\x1b[2K`} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: report lacks %s:\n%s", color, want, out)
			}
		}
		plain := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(out, "")
		for _, r := range plain {
			if r != '\n' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)) {
				t.Errorf("color %v: report holds %U beyond its colours:\n%q", color, r, out)
				break
			}
		}
		if strings.Contains(out, "\nResult: pass") {
			t.Errorf("color %v: forged result line:\n%s", color, out)
		}
	}
}

// TestFormatRegistry: a format is one registration; Write and Formats (what every
// command's --output offers) follow the registry, and "" is text.
func TestFormatRegistry(t *testing.T) {
	if got := strings.Join(Formats(), ","); got != "text,html,json,junit,sarif" {
		t.Errorf("Formats() = %s", got)
	}
	RegisterFormat(Format{Name: "count", Write: func(w io.Writer, r *Report, _ Options) error {
		_, err := fmt.Fprintf(w, "%d findings\n", len(r.Findings))
		return err
	}})
	t.Cleanup(func() { delete(formats, "count") })
	if got := strings.Join(Formats(), ","); got != "text,count,html,json,junit,sarif" {
		t.Errorf("Formats() after registering count = %s", got)
	}
	var b strings.Builder
	if err := Write(&b, sampleReport(), "count", Options{}); err != nil || b.String() != fmt.Sprintf("%d findings\n", len(sampleReport().Findings)) {
		t.Errorf("Write count = %q, %v", b.String(), err)
	}
	if err := Write(&b, sampleReport(), "yaml", Options{}); err == nil || !strings.Contains(err.Error(), "want one of text, count, html, json, junit, sarif") {
		t.Errorf("unknown format error = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a duplicate format registered")
		}
	}()
	RegisterFormat(Format{Name: "json", Write: writeText})
}

// TestSARIFImage: a finding inside an image locates the file inside the image
// (relative to IMAGE_ROOT, not a repository file), names the image, digest and
// layer in the location's message and as result properties.
func TestSARIFImage(t *testing.T) {
	log := decodeSARIF(t, render(t, imageReport(), "sarif", Options{}))
	var got []string
	for _, r := range log.Runs[0].Results {
		loc := r.Locations[0]
		img := r.Properties.Image
		if img == nil {
			t.Fatalf("%s: no image properties", r.RuleID)
		}
		layer := -1
		if img.LayerIndex != nil {
			layer = *img.LayerIndex
		}
		got = append(got, fmt.Sprintf("%s %s|%s|%s|%d", r.RuleID, loc.PhysicalLocation.ArtifactLocation.URI, loc.PhysicalLocation.ArtifactLocation.URIBaseID, loc.Message.Text, layer))
	}
	want := []string{
		"PAL-T05 etc/os-release|IMAGE_ROOT|in image /srv/rootfs, /etc/os-release|-1",
		"PAL-T02 root/.npmrc|IMAGE_ROOT|in image registry.example.com/shop/web:1.4@sha256:0123456789ab (linux/amd64), layer 2 (sha256:fedcba987654) /root/.npmrc|2",
		"PAL-T03 registry.example.com/shop/web:1.4||in image registry.example.com/shop/web:1.4@sha256:0123456789ab (linux/amd64), config.User|-1",
		"PAL-T04 usr/local/bin/tool|IMAGE_ROOT|in image registry.example.com/shop/web:1.4@sha256:0123456789ab (linux/amd64), layer 1 (sha256:fedcba987654) /usr/local/bin/tool|1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("image results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTextEscapesImagePlace: a path inside an image comes from the image's layers
// and is escaped like any input.
func TestTextEscapesImagePlace(t *testing.T) {
	img := finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: "web:1"}
	loc := finding.ImageLocation{Ref: "web:1\x1b[2J", LayerIndex: 0, Path: "/etc/\x1b[31mevil\nFAKE LINE"}
	f := mkFinding("PAL-T02", img, "", loc.Path, finding.Location{File: loc.Ref, Provenance: finding.FromImage, Image: &loc}, "m", nil)
	out := string(render(t, New("1.2.3", []finding.Finding{f}, nil, 1, 1, 0, finding.High, true, testRules), "text", Options{}))
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\nFAKE LINE") {
		t.Errorf("image place not escaped:\n%q", out)
	}
}
