package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// SARIF 2.1.0 constants.
const (
	sarifSchema    = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion   = "2.1.0"
	informationURI = "https://github.com/palisade-k8s/palisade"
	// fingerprintKey names Palisade's line-independent fingerprint in partialFingerprints.
	fingerprintKey = "palisade/v1"
)

// The subset of the SARIF 2.1.0 object model that Palisade writes. Field order is the
// output order; every optional field is omitted when empty so output stays minimal.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string                `json:"name"`
		Version        string                `json:"version,omitempty"`
		InformationURI string                `json:"informationUri"`
		Rules          []sarifRuleDescriptor `json:"rules"`
	}
	sarifRuleDescriptor struct {
		ID                   string             `json:"id"`
		Name                 string             `json:"name,omitempty"`
		ShortDescription     sarifText          `json:"shortDescription"`
		FullDescription      *sarifText         `json:"fullDescription,omitempty"`
		Help                 *sarifHelp         `json:"help,omitempty"`
		HelpURI              string             `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
		Properties           sarifRuleProps     `json:"properties"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags             []string `json:"tags,omitempty"`
		SecuritySeverity string   `json:"security-severity"`
		Severity         string   `json:"severity"`
	}
	sarifInvocation struct {
		ExecutionSuccessful        bool                `json:"executionSuccessful"`
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
		// AssociatedRule names the rule of an unknown check.
		AssociatedRule *sarifRuleRef `json:"associatedRule,omitempty"`
		// Properties carry an unknown check's node and the paths it tried.
		Properties *sarifUnknownProps `json:"properties,omitempty"`
	}
	sarifRuleRef struct {
		ID string `json:"id"`
	}
	sarifUnknownProps struct {
		Status string   `json:"status"`
		Kind   string   `json:"kind,omitempty"`
		Name   string   `json:"name,omitempty"`
		Tried  []string `json:"tried,omitempty"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifText          `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		CodeFlows           []sarifCodeFlowT   `json:"codeFlows,omitempty"`
		Properties          sarifResultProps   `json:"properties"`
	}
	sarifResultProps struct {
		Severity  string `json:"severity"`
		Container string `json:"container,omitempty"`
		// Commit and CommitDate name the commit of a git history that added the
		// content a finding is in (--git-history): the location's file and line are
		// in that commit, not in the working tree.
		Commit     string `json:"commit,omitempty"`
		CommitDate string `json:"commitDate,omitempty"`
		// Image names the place inside a container image of a finding on one
		// (palisade image, scan --images): the artifact location is then the path
		// inside the image, relative to uriBaseId IMAGE_ROOT.
		Image *sarifImage `json:"image,omitempty"`
		// SecuritySeverity is the CVSS base score of a known vulnerability's
		// advisory (PAL-130), else the score of the finding's severity; set on
		// vulnerability findings only. Vulnerability is their evidence and
		// Exposure what the cluster exposes of the image.
		SecuritySeverity string                 `json:"security-severity,omitempty"`
		Vulnerability    *finding.Vulnerability `json:"vulnerability,omitempty"`
		Exposure         *finding.Exposure      `json:"exposure,omitempty"`
		// Policy is the evidence of a ValidatingAdmissionPolicy finding (PAL-800..803).
		Policy *finding.PolicyEvidence `json:"policy,omitempty"`
		// Audit is the evidence of a finding on audit events (palisade audit): the
		// actor, impersonator, source addresses, RBAC risks and the chain of events.
		Audit *finding.AuditEvidence `json:"audit,omitempty"`
		// AttackPath is the evidence of an attack-path finding (PAL-470..476): the
		// hops, their evidence and the fix (the result's codeFlows step through it).
		AttackPath *finding.PathEvidence `json:"attackPath,omitempty"`
		// Node is the evidence of a node check: the recommendation, the effective
		// value and where it came from, or a file's owner and mode.
		Node *finding.NodeEvidence `json:"node,omitempty"`
	}
	sarifImage struct {
		Ref      string `json:"ref"`
		Digest   string `json:"digest,omitempty"`
		Platform string `json:"platform,omitempty"`
		// LayerIndex is absent for the image configuration.
		LayerIndex *int   `json:"layerIndex,omitempty"`
		Layer      string `json:"layer,omitempty"`
		Path       string `json:"path,omitempty"`
		Field      string `json:"field,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
		Message          *sarifText             `json:"message,omitempty"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifLogicalLocation struct {
		Name               string                `json:"name"`
		FullyQualifiedName string                `json:"fullyQualifiedName"`
		Kind               string                `json:"kind"`
		Properties         *sarifObjectReference `json:"properties,omitempty"`
	}
	sarifObjectReference struct {
		APIVersion string `json:"apiVersion,omitempty"`
		Kind       string `json:"kind"`
		Namespace  string `json:"namespace,omitempty"`
		Name       string `json:"name"`
		Path       string `json:"path,omitempty"`
	}
	sarifSuppression struct {
		Kind          string                `json:"kind"`
		Status        string                `json:"status"`
		Justification string                `json:"justification,omitempty"`
		Properties    sarifSuppressionProps `json:"properties"`
	}
	sarifSuppressionProps struct {
		Source  string `json:"source"`
		Expires string `json:"expires,omitempty"`
	}
)

// sarifLevel maps a severity to a SARIF level: critical and high are errors, medium a
// warning, low and info notes.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from a rule's
// "security-severity" property (over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
// 0.1-3.9 low).
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	}
	return "0.0"
}

func init() {
	RegisterFormat(Format{Name: "sarif", Write: func(w io.Writer, r *Report, _ Options) error { return writeSARIF(w, r) }})
}

// writeSARIF renders the report as a SARIF 2.1.0 log with one run. The output has no
// timestamps or other run-dependent data, so the same scan gives the same bytes.
func writeSARIF(w io.Writer, r *Report) error {
	descs, index := sarifRules(r)
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		results = append(results, sarifResultOf(f, index[f.RuleID]))
	}
	errs := withCoverage(r)
	inv := sarifInvocation{ExecutionSuccessful: len(errs) == 0 && len(r.Internal) == 0}
	for _, e := range errs {
		n := sarifNotification{Level: "error", Message: sarifText{Text: e.Message}}
		if e.Location.File != "" {
			n.Locations = []sarifLocation{sarifPhysical(e.Location)}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, g := range r.Coverage {
		line, ok := unknownGap(g)
		if !ok {
			continue
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "warning", Message: sarifText{Text: "unknown: " + line},
			AssociatedRule: &sarifRuleRef{ID: g.Rule},
			Properties:     &sarifUnknownProps{Status: "unknown", Kind: g.Kind, Name: g.Name, Tried: g.Tried},
		})
	}
	for _, ie := range r.Internal {
		n := sarifNotification{Level: "error", Message: sarifText{Text: "internal error: " + internalText(ie)}}
		if ie.Location != nil && ie.Location.File != "" {
			n.Locations = []sarifLocation{sarifPhysical(*ie.Location)}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	name := r.Tool.Name
	if name == "" {
		name = "palisade"
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: name, Version: r.Tool.Version, InformationURI: informationURI, Rules: descs,
			}},
			Invocations: []sarifInvocation{inv},
			Results:     results,
		}},
	}
	enc := json.NewEncoder(safetext.JSONWriter(w))
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifRules returns one descriptor per rule that produced a finding, ordered by ID,
// and each rule's index. A finding whose rule is missing from r.Rules (a report built
// without the rule list) gets a descriptor made from the finding itself.
func sarifRules(r *Report) ([]sarifRuleDescriptor, map[string]int) {
	metas := map[string]*rules.Meta{}
	for _, m := range r.Rules {
		metas[m.ID] = m
	}
	fallback := map[string]*finding.Finding{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if metas[f.RuleID] == nil && fallback[f.RuleID] == nil {
			fallback[f.RuleID] = f
		}
	}
	ids := make([]string, 0, len(metas)+len(fallback))
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			ids = append(ids, f.RuleID)
		}
	}
	sort.Strings(ids)
	descs := make([]sarifRuleDescriptor, 0, len(ids))
	index := make(map[string]int, len(ids))
	// GitHub code scanning rates a result by its rule's security-severity: a rule
	// of known vulnerabilities takes the highest CVSS score of its findings.
	worst := map[string]float64{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Vulnerability == nil || f.Suppressed != nil {
			continue
		}
		if score, err := strconv.ParseFloat(vulnSecuritySeverity(f), 64); err == nil && score > worst[f.RuleID] {
			worst[f.RuleID] = score
		}
	}
	for i, id := range ids {
		index[id] = i
		if m := metas[id]; m != nil {
			d := sarifRule(m, m.Frameworks.Tags())
			if score, ok := worst[id]; ok {
				d.Properties.SecuritySeverity = strconv.FormatFloat(score, 'f', 1, 64)
			}
			descs = append(descs, d)
			continue
		}
		f := fallback[id]
		descs = append(descs, sarifRule(&rules.Meta{
			ID: f.RuleID, Title: f.Title, Severity: f.Severity, Category: f.Category, Remediation: f.Remediation,
		}, f.Frameworks))
	}
	return descs, index
}

// sarifRule describes a rule: its title, rationale, help with remediation and
// framework mappings, default level and the security-severity score.
func sarifRule(m *rules.Meta, frameworks []string) sarifRuleDescriptor {
	d := sarifRuleDescriptor{
		ID:                   m.ID,
		Name:                 pascalCase(m.Title),
		ShortDescription:     sarifText{Text: m.Title},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(m.Severity)},
		Properties: sarifRuleProps{
			SecuritySeverity: securitySeverity(m.Severity),
			Severity:         m.Severity.String(),
		},
	}
	if m.Rationale != "" {
		d.FullDescription = &sarifText{Text: m.Rationale}
	}
	if len(m.References) > 0 {
		d.HelpURI = m.References[0]
	}
	d.Properties.Tags = append(append([]string{}, frameworks...), "security")
	if m.Category != "" {
		d.Properties.Tags = append(d.Properties.Tags, m.Category)
	}

	var text, md strings.Builder
	if m.Rationale != "" {
		text.WriteString(m.Rationale + "\n\n")
		md.WriteString(m.Rationale + "\n\n")
	}
	if m.Remediation != "" {
		text.WriteString("Remediation: " + m.Remediation + "\n")
		md.WriteString("**Remediation:** " + m.Remediation + "\n")
	}
	if len(frameworks) > 0 {
		text.WriteString("\nFrameworks: " + strings.Join(frameworks, ", ") + "\n")
		md.WriteString("\n**Frameworks:** `" + strings.Join(frameworks, "`, `") + "`\n")
	}
	if len(m.References) > 0 {
		text.WriteString("\nReferences:\n")
		md.WriteString("\n**References:**\n\n")
		for _, ref := range m.References {
			text.WriteString("- " + ref + "\n")
			md.WriteString("- <" + ref + ">\n")
		}
	}
	if text.Len() > 0 {
		d.Help = &sarifHelp{Text: strings.TrimSpace(text.String()), Markdown: strings.TrimSpace(md.String())}
	}
	return d
}

// pascalCase turns a title into the identifier-like name SARIF viewers expect
// ("Container runs privileged" -> "ContainerRunsPrivileged").
func pascalCase(title string) string {
	var b strings.Builder
	upper := true
	for _, c := range title {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			upper = true
			continue
		}
		if upper {
			c = unicode.ToUpper(c)
			upper = false
		}
		b.WriteRune(c)
	}
	return b.String()
}

// sarifResultOf converts one finding; suppressed findings stay in the log, marked.
func sarifResultOf(f finding.Finding, ruleIndex int) sarifResult {
	loc := sarifPhysical(f.Location)
	ref := sarifObjectReference{
		APIVersion: f.Object.APIVersion, Kind: f.Object.Kind, Namespace: f.Object.Namespace,
		Name: f.Object.Name, Path: f.Path,
	}
	fqn := f.Object.String()
	if f.Path != "" {
		fqn += ":" + f.Path
	}
	loc.LogicalLocations = []sarifLogicalLocation{{
		Name: f.Object.Name, FullyQualifiedName: fqn, Kind: "resource", Properties: &ref,
	}}
	res := sarifResult{
		RuleID:     f.RuleID,
		RuleIndex:  ruleIndex,
		Level:      sarifLevel(f.Severity),
		Message:    sarifText{Text: f.Message},
		Locations:  []sarifLocation{loc},
		Properties: sarifResultProps{Severity: f.Severity.String(), Container: f.Container},
	}
	if c := f.Location.Commit; c != nil {
		res.Properties.Commit, res.Properties.CommitDate = c.Hash, c.Date.UTC().Format(time.RFC3339)
	}
	if img := f.Location.Image; img != nil {
		si := &sarifImage{Ref: img.Ref, Digest: img.Digest, Platform: img.Platform, Layer: img.Layer, Path: img.Path, Field: img.Field}
		if img.LayerIndex >= 0 {
			si.LayerIndex = &img.LayerIndex
		}
		res.Properties.Image = si
	}
	if f.Vulnerability != nil {
		res.Properties.SecuritySeverity = vulnSecuritySeverity(&f)
		res.Properties.Vulnerability = f.Vulnerability
	}
	res.Properties.Exposure = f.Exposure
	res.Properties.Policy = f.Policy
	res.Properties.Node = f.Node
	res.Properties.Audit = f.Audit
	if f.AttackPath != nil {
		res.Properties.AttackPath = f.AttackPath
		res.CodeFlows = sarifCodeFlow(f.AttackPath)
	}
	if res.Message.Text == "" {
		res.Message.Text = f.Title
	}
	if f.Fingerprint != "" {
		res.PartialFingerprints = map[string]string{fingerprintKey: f.Fingerprint}
	}
	if s := f.Suppressed; s != nil {
		kind := "external"
		if s.Kind == "annotation" {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{
			Kind: kind, Status: "accepted", Justification: s.Reason,
			Properties: sarifSuppressionProps{Source: s.Kind, Expires: s.Expires},
		}}
	}
	return res
}

// sarifPhysical locates a file and, unless the line counts in rendered output rather
// than in the file, the line. A rendered location says what rendered it instead.
func sarifPhysical(l finding.Location) sarifLocation {
	if img := l.Image; img != nil {
		return sarifImageLocation(l, img)
	}
	uri, inner := artifactURI(l.File)
	pl := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri}}
	loc := sarifLocation{PhysicalLocation: pl}
	if l.Line > 0 && !l.Rendered {
		pl.Region = &sarifRegion{StartLine: l.Line}
	}
	var notes []string
	if inner != "" {
		notes = append(notes, "template "+inner+" in the chart archive")
	}
	if l.Commit != nil {
		notes = append(notes, "in "+l.Commit.String())
	}
	if l.Rendered {
		r := l.Renderer
		if r == "" {
			r = "a renderer"
		}
		n := "rendered by " + r
		if l.Line > 0 {
			n += fmt.Sprintf(" (line %d of the rendered output)", l.Line)
		}
		notes = append(notes, n)
	}
	if len(notes) > 0 {
		loc.Message = &sarifText{Text: strings.Join(notes, "; ")}
	}
	return loc
}

// imageRoot is the uriBaseId of paths inside a container image: they are not files
// of the repository or of the machine that ran the scan.
const imageRoot = "IMAGE_ROOT"

// sarifImageLocation locates a place inside a container image: the file inside the
// image (relative to IMAGE_ROOT), or for the image configuration the image
// reference; the message names the image, its digest and the layer.
func sarifImageLocation(l finding.Location, img *finding.ImageLocation) sarifLocation {
	var al sarifArtifactLocation
	if img.Path != "" {
		al = sarifArtifactLocation{URI: (&url.URL{Path: strings.TrimLeft(img.Path, "/")}).String(), URIBaseID: imageRoot}
	} else {
		al.URI, _ = artifactURI(l.File)
	}
	note := "in image " + img.Image()
	if img.Platform != "" {
		note += " (" + img.Platform + ")"
	}
	if p := img.Place(); p != "" {
		note += ", " + p
	}
	return sarifLocation{PhysicalLocation: &sarifPhysicalLocation{ArtifactLocation: al}, Message: &sarifText{Text: note}}
}

// artifactURI turns a file name as given into a URI reference: relative paths stay
// relative (slash-separated, percent-encoded), absolute paths become file URIs. A
// template inside a chart archive ("chart.tgz#templates/x.yaml") points at the archive
// and returns the template name separately.
func artifactURI(file string) (uri, inner string) {
	p := filepath.ToSlash(file)
	if i := strings.Index(p, "#"); i > 0 && isArchiveName(p[:i]) {
		p, inner = p[:i], p[i+1:]
	}
	if filepath.IsAbs(file) || strings.HasPrefix(p, "/") {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive path: file:///C:/...
		}
		return (&url.URL{Scheme: "file", Path: p}).String(), inner
	}
	return (&url.URL{Path: p}).String(), inner
}

func isArchiveName(p string) bool {
	return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz")
}
