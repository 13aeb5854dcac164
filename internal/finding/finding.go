// Package finding defines what a scan produces: a Finding names a rule, an object, the
// offending field and where in the input that field was written.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Severity orders how much a finding matters. The zero value is Info.
type Severity int

// Severities from least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// Severities lists every severity, least severe first.
func Severities() []Severity { return []Severity{Info, Low, Medium, High, Critical} }

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name (case-insensitive). "none" is not a severity;
// callers that accept it handle it themselves.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// ParseGate reads the lowest severity that fails a run (--fail-on, failOn): a
// severity name, or "none" for a gate that never fails (gate is then false).
func ParseGate(s string) (sev Severity, gate bool, err error) {
	if strings.EqualFold(s, "none") {
		return 0, false, nil
	}
	sev, err = ParseSeverity(s)
	if err != nil {
		return 0, false, fmt.Errorf("unknown value %q (want one of %s, none)", s, strings.Join(severityNames[:], ", "))
	}
	return sev, true, nil
}

// MarshalText writes the severity name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ObjectRef identifies a Kubernetes object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// The reference of a configuration file read beside the manifests (a Helm values
// file, a .env): not an object any API server serves, named by its file
// (inventory.ConfigInfo).
const (
	ConfigFileAPIVersion = "palisade.dev/v1"
	ConfigFileKind       = "ConfigFile"
	// DockerfileKind is the pseudo kind of a Dockerfile (or Containerfile), named by
	// its file, under ConfigFileAPIVersion.
	DockerfileKind = "Dockerfile"
	// NodeFactsKind is the kind of a node's facts file (internal/nodefacts), under
	// ConfigFileAPIVersion.
	NodeFactsKind = "NodeFacts"
	// ImageKind is the pseudo kind of a container image read by `palisade image` or
	// `scan --images` (inventory.ImageInfo), named by the reference the user gave
	// (with its platform when an index was read for several).
	ImageKind = "Image"
)

// IsImage reports whether the reference names a container image.
func (r ObjectRef) IsImage() bool {
	return r.APIVersion == ConfigFileAPIVersion && r.Kind == ImageKind
}

// IsPseudo reports whether the reference names a file Palisade reads that is not a
// Kubernetes object (a configuration file, a Dockerfile): any kind of
// ConfigFileAPIVersion. Rules of every kind (rules.AnyKind) do not see them.
func (r ObjectRef) IsPseudo() bool { return r.APIVersion == ConfigFileAPIVersion }

// IsConfigFile reports whether the reference names a configuration file.
func (r ObjectRef) IsConfigFile() bool {
	return r.APIVersion == ConfigFileAPIVersion && r.Kind == ConfigFileKind
}

func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Location is where an object or field was written. Line and Column are 1-based; 0 means
// unknown. For objects rendered from a Helm chart or a Kustomize overlay, File is the
// template or resource file, Renderer names the chart or overlay, and Rendered is true:
// the line then counts in the rendered output, not in the template source.
type Location struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Document int    `json:"document"`
	Renderer string `json:"renderer,omitempty"`
	Rendered bool   `json:"rendered,omitempty"`
	// Commit is the commit of a git history that added the file content the
	// location is in (Provenance FromHistory); nil for the working tree.
	Commit *Commit `json:"commit,omitempty"`
	// Image is set on locations inside a container image (Provenance FromImage):
	// File is then the image reference.
	Image *ImageLocation `json:"image,omitempty"`
	// Provenance says what kind of input the location is in. Reports print File
	// (and Renderer) as before; logic that depends on where an object came from
	// reads this instead of comparing File with a placeholder name.
	Provenance Provenance `json:"-"`
}

// ImageLocation is a place inside a container image: its digest, the layer and the
// file (or, with no Path, the image configuration).
type ImageLocation struct {
	// Ref is the image as the user named it (a registry reference, a path).
	Ref string `json:"ref"`
	// Digest is the manifest digest ("sha256:..."); empty for a root filesystem
	// directory or an SBOM without one.
	Digest string `json:"digest,omitempty"`
	// Platform is "os/arch[/variant]" when known.
	Platform string `json:"platform,omitempty"`
	// LayerIndex is the layer's position (0 is the base layer), -1 when the location
	// is in no layer (the image configuration).
	LayerIndex int `json:"layerIndex"`
	// Layer is that layer's diffID (uncompressed digest), empty with LayerIndex -1.
	Layer string `json:"layer,omitempty"`
	// Path is the absolute path of the file inside the image; empty for the
	// configuration.
	Path string `json:"path,omitempty"`
	// Field names a field of the image configuration ("config.Env[2]",
	// "history[4].created_by") when Path is empty.
	Field string `json:"field,omitempty"`
}

// ShortDigest shortens a digest for reading: its algorithm and 12 hexadecimal digits
// ("sha256:0123456789ab"), as docker and crane print them.
func ShortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}

// Image names the image: its reference with the short manifest digest, unless the
// reference already holds a digest ("registry.example.com/web:1@sha256:0123456789ab").
func (l *ImageLocation) Image() string {
	if l.Digest == "" || strings.Contains(l.Ref, "@") {
		return l.Ref
	}
	return l.Ref + "@" + ShortDigest(l.Digest)
}

// Place says where in the image: the layer (index and short diffID) and the path
// ("layer 2 (sha256:0123456789ab) /root/.npmrc"), or the configuration field
// ("config.Env[1]").
func (l *ImageLocation) Place() string {
	var parts []string
	if l.LayerIndex >= 0 {
		layer := fmt.Sprintf("layer %d", l.LayerIndex)
		if l.Layer != "" {
			layer += " (" + ShortDigest(l.Layer) + ")"
		}
		parts = append(parts, layer)
	}
	switch {
	case l.Path != "":
		parts = append(parts, l.Path)
	case l.Field != "":
		parts = append(parts, l.Field)
	}
	return strings.Join(parts, " ")
}

func (l *ImageLocation) String() string {
	if p := l.Place(); p != "" {
		return l.Image() + " " + p
	}
	return l.Image()
}

// Commit is a commit of a git history read with --git-history.
type Commit struct {
	// Hash is the full hexadecimal object name.
	Hash string `json:"hash"`
	// Date is the committer date.
	Date time.Time `json:"date"`
	// Order is the commit's position in the history read, oldest first: it orders
	// commits whose dates are equal.
	Order int `json:"-"`
}

// Short is the abbreviated hash (7 hexadecimal digits, as git prints it).
func (c *Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

func (c *Commit) String() string {
	return "commit " + c.Short() + ", " + c.Date.UTC().Format(time.DateOnly)
}

// Provenance is the kind of input an object or finding comes from.
type Provenance uint8

// Provenances. The zero value is a file, so a Location written by hand with a File is
// one.
const (
	// FromFile: a manifest file (File is its path).
	FromFile Provenance = iota
	// FromStdin: standard input (File is "<stdin>").
	FromStdin
	// FromRendered: the output of a Helm chart or Kustomize overlay (Renderer says
	// which; File is the template or the overlay).
	FromRendered
	// FromCluster: a live cluster's API (File is "cluster"; no lines).
	FromCluster
	// FromAdmission: an admission request (File is "admission"; no lines).
	FromAdmission
	// FromHistory: a file as a commit of a git history added it (File is its path
	// as a scan of the working tree names it; Commit says which commit).
	FromHistory
	// FromImage: a container image (File is the reference; Image says where in it).
	FromImage
	// FromAudit: an audit log (File is the log file, "<stdin>" or "audit-webhook";
	// Line the event's line; the finding's Audit evidence names the events).
	FromAudit
)

func (p Provenance) String() string {
	switch p {
	case FromFile:
		return "file"
	case FromStdin:
		return "stdin"
	case FromRendered:
		return "rendered"
	case FromCluster:
		return "cluster"
	case FromAdmission:
		return "admission"
	case FromHistory:
		return "history"
	case FromImage:
		return "image"
	case FromAudit:
		return "audit"
	}
	return fmt.Sprintf("Provenance(%d)", uint8(p))
}

func (l Location) String() string {
	if l.Image != nil {
		return l.Image.String()
	}
	s := l.File
	if l.Line > 0 {
		if l.Rendered {
			s += fmt.Sprintf(" (rendered line %d)", l.Line)
		} else {
			s += fmt.Sprintf(":%d", l.Line)
		}
	}
	if l.Commit != nil {
		s += " (" + l.Commit.String() + ")"
	}
	return s
}

// Suppression says why a finding is hidden from the gate.
type Suppression struct {
	// Kind is "annotation", "config", "vex" or "baseline".
	Kind    string `json:"kind"`
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	// VEX is the OpenVEX statement that suppressed the finding (Kind "vex").
	VEX *VEXStatement `json:"vex,omitempty"`
}

// VEXStatement is the OpenVEX statement that suppresses a known-vulnerability
// finding: where it is and what it says.
type VEXStatement struct {
	// Document is the file the statement was read from, Line the line it starts on,
	// DocumentID the document's @id.
	Document   string `json:"document"`
	Line       int    `json:"line,omitempty"`
	DocumentID string `json:"documentID,omitempty"`
	// Vulnerability is the statement's vulnerability name.
	Vulnerability string `json:"vulnerability"`
	// Status is not_affected or fixed; Justification the not_affected label
	// (component_not_present, vulnerable_code_not_present, ...); ImpactStatement
	// the author's words on why it is not affected (untrusted text).
	Status          string `json:"status"`
	Justification   string `json:"justification,omitempty"`
	ImpactStatement string `json:"impactStatement,omitempty"`
	// Timestamp is when the statement was made (RFC 3339).
	Timestamp string `json:"timestamp"`
}

// Finding is one problem on one object.
type Finding struct {
	RuleID      string       `json:"ruleID"`
	Title       string       `json:"title"`
	Severity    Severity     `json:"severity"`
	Category    string       `json:"category"`
	Object      ObjectRef    `json:"object"`
	Container   string       `json:"container,omitempty"`
	Path        string       `json:"path,omitempty"`
	Location    Location     `json:"location"`
	Message     string       `json:"message"`
	Remediation string       `json:"remediation"`
	Frameworks  []string     `json:"frameworks,omitempty"`
	Fingerprint string       `json:"fingerprint"`
	Suppressed  *Suppression `json:"suppressed,omitempty"`
	// SecretDigests identify the hard-coded secrets a credential rule reported on the
	// field (secrets.Match.Digest of each), so that a secret found in a git history is
	// recognised in the working tree. Empty for other findings; never output.
	SecretDigests [][32]byte `json:"-"`
	// Vulnerability is the evidence of a known-vulnerability finding (PAL-130).
	Vulnerability *Vulnerability `json:"vulnerability,omitempty"`
	// Exposure is what the cluster exposes of the image the finding is in, when
	// workloads run it (scan --images, cluster --images).
	Exposure *Exposure `json:"exposure,omitempty"`
	// Policy is the evidence of a finding from a ValidatingAdmissionPolicy
	// (PAL-800 to PAL-803): the policy, binding and validation that judged the object.
	Policy *PolicyEvidence `json:"policy,omitempty"`
	// Audit is the evidence of a finding on audit events (palisade audit, the
	// webhook's /audit): who acted, and the chain of events behind the finding.
	Audit *AuditEvidence `json:"audit,omitempty"`
	// AttackPath is the evidence of an attack-path finding (PAL-470..PAL-476): the
	// hops from an entry point to a target, and the change that cuts them.
	AttackPath *PathEvidence `json:"attackPath,omitempty"`
	// Node is the evidence of a node check (CIS 1.1 and 4.x, PAL-730..PAL-780):
	// the recommendation, the effective value or file metadata, and where the value
	// came from.
	Node *NodeEvidence `json:"node,omitempty"`
}

// AuditEvidence is what an audit-log finding rests on.
type AuditEvidence struct {
	// Actor is the identity that acted: the authenticated user, or, for an
	// impersonated request, the impersonated one (Impersonator is then the
	// authenticated user).
	Actor        AuditActor  `json:"actor"`
	Impersonator *AuditActor `json:"impersonator,omitempty"`
	SourceIPs    []string    `json:"sourceIPs,omitempty"`
	UserAgent    string      `json:"userAgent,omitempty"`
	// Events are the events behind the finding, oldest first; the last is the one
	// that completed the detection.
	Events []AuditEventRef `json:"events"`
	// Techniques are the MITRE ATT&CK technique IDs the detection maps to.
	Techniques []string `json:"techniques,omitempty"`
	// Risks are the RBAC risk classes (as `palisade rbac risks` names them) the actor
	// holds in the RBAC model of the run; Raised is set when they raised the
	// severity above the rule's.
	Risks  []string `json:"risks,omitempty"`
	Raised bool     `json:"raised,omitempty"`
	// Count is how many events the finding stands for when it summarises several
	// (a burst of forbidden requests): Events then holds the first and the last.
	Count int `json:"count,omitempty"`
}

// AuditActor is an identity of the audit log.
type AuditActor struct {
	User   string   `json:"user"`
	Groups []string `json:"groups,omitempty"`
}

// AuditEventRef names one audit event.
type AuditEventRef struct {
	AuditID string    `json:"auditID"`
	Time    time.Time `json:"time"`
	Verb    string    `json:"verb"`
	// URI is the request URI; Object the object acted on ("pods/exec
	// default/web-0"), empty for a non-resource request.
	URI    string `json:"uri"`
	Object string `json:"object,omitempty"`
	User   string `json:"user,omitempty"`
	Code   int    `json:"code,omitempty"`
	// File and Line say where the event was read (Line 0 for an event posted to
	// the webhook, Index its position in the batch).
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Index int    `json:"index,omitempty"`
}

// PolicyEvidence names what in a ValidatingAdmissionPolicy judged an object, as the
// API server's admission would have.
type PolicyEvidence struct {
	// Policy and Binding are the ValidatingAdmissionPolicy and its binding (Binding is
	// empty for an error of the policy itself).
	Policy  string `json:"policy"`
	Binding string `json:"binding,omitempty"`
	// Validation is the index of the failed validation in spec.validations; -1 when
	// the finding is not about one validation (a configuration error, a match
	// condition or audit annotation that failed to evaluate).
	Validation int `json:"validation"`
	// Param names the parameter resource the validation ran with ("namespace/name"),
	// empty without paramKind.
	Param string `json:"param,omitempty"`
	// Actions are the binding's validationActions (Deny, Warn, Audit).
	Actions []string `json:"actions,omitempty"`
	// Reason is the validation's reason (Forbidden, Invalid, ...), as the API server
	// would return it.
	Reason string `json:"reason,omitempty"`
	// Denied is what the API server would do with the request: true when it would
	// refuse it (a Deny action, or a configuration error under failurePolicy Fail).
	Denied bool `json:"denied"`
}

// ComputeFingerprint derives a fingerprint that survives edits elsewhere in the file:
// it hashes the rule, the object identity, the container and the field path, not lines.
func (f *Finding) ComputeFingerprint() {
	h := sha256.New()
	path := f.Path
	if n := f.Node; n != nil {
		// Where in a facts file the value sits, and where on the node it came from,
		// change with the collection: the setting or the file judged does not.
		path = n.Component + "\x00" + n.Setting + "\x00" + n.File.path()
	}
	for _, s := range []string{f.RuleID, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Container, path} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if v := f.Vulnerability; v != nil {
		// One package file holds many vulnerabilities: the package and the
		// vulnerability (not the installed version: an upgrade that does not fix it
		// keeps the finding) tell them apart.
		for _, s := range []string{v.Package.Ecosystem, v.Package.Name, v.ID} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	if p := f.Policy; p != nil {
		// One object fails several validations of several bindings.
		for _, s := range []string{p.Policy, p.Binding, strconv.Itoa(p.Validation), p.Param} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	if a := f.Audit; a != nil {
		// The same act by another identity is another finding; when and from where
		// are not part of it (a baseline accepts a known identity's known act).
		for _, s := range []string{a.Actor.User, impersonator(a)} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	if p := f.AttackPath; p != nil {
		// One pivot reaches several targets from several entries; the route is not
		// part of it (a path that changes route is the same path).
		for _, s := range []string{p.Entry, p.Target} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:24]
}

func impersonator(a *AuditEvidence) string {
	if a.Impersonator == nil {
		return ""
	}
	return a.Impersonator.User
}

// Less orders findings deterministically: by file, line, object, rule, then path.
func Less(a, b *Finding) bool {
	if a.Location.File != b.Location.File {
		return a.Location.File < b.Location.File
	}
	if a.Location.Document != b.Location.Document {
		return a.Location.Document < b.Location.Document
	}
	if a.Object != b.Object {
		return a.Object.String() < b.Object.String()
	}
	if a.Location.Line != b.Location.Line {
		return a.Location.Line < b.Location.Line
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	if a.Container != b.Container {
		return a.Container < b.Container
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	return commitOrder(a.Location.Commit) < commitOrder(b.Location.Commit)
}

// commitOrder orders the working tree (nil) before a history, and commits oldest
// first.
func commitOrder(c *Commit) int {
	if c == nil {
		return -1
	}
	return c.Order
}

// InputError is input that could not be read: a file that cannot be opened, a document
// that is not valid YAML or not a Kubernetes object, a chart that does not render, a
// pod template that does not decode.
type InputError struct {
	Location Location `json:"location"`
	Message  string   `json:"message"`
}

func (e InputError) Error() string {
	return e.Location.String() + ": " + e.Message
}

// Notice is something about the input that is neither a finding nor an error but that
// the user should know, such as an object defined twice. It never changes the exit code.
type Notice struct {
	Location Location `json:"location"`
	Message  string   `json:"message"`
}

func (n Notice) String() string {
	return n.Location.String() + ": " + n.Message
}

// InternalError is a failure of Palisade itself, not of the input: a rule or a stage
// of the scan panicked. It names the rule (when one was running) and the object (when
// one was being checked); the rest of the scan still ran and the report covers it,
// but the verdict is incomplete (exit code 4).
type InternalError struct {
	// Rule is the rule that failed; empty for a stage outside the rules (parsing,
	// an index).
	Rule   string     `json:"rule,omitempty"`
	Object *ObjectRef `json:"object,omitempty"`
	// Location is where the object (or document) was written, when there is one.
	Location *Location `json:"location,omitempty"`
	Message  string    `json:"message"`
}

func (e InternalError) Error() string {
	s := ""
	if e.Location != nil {
		s = e.Location.String() + ": "
	}
	if e.Rule != "" {
		s += "rule " + e.Rule + " "
	}
	if e.Object != nil {
		s += "on " + e.Object.String() + " "
	}
	return s + "failed: " + e.Message
}

// Recovered describes a recovered panic value as an internal error message: the value
// and where in Palisade's code it was raised. Call it from the deferred function that
// recovered, so that the panicking frame is still on the stack.
func Recovered(v any) string {
	msg := fmt.Sprintf("panic: %v", v)
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "runtime.") {
			panicking = panicking || strings.HasPrefix(f.Function, "runtime.gopanic") || strings.HasPrefix(f.Function, "runtime.panic")
		} else if panicking {
			return fmt.Sprintf("%s (at %s, %s:%d)", msg, f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return msg
		}
	}
}

// CoverageGap is something a live scan could not read: a kind (in a namespace, or
// cluster-wide when Namespace is empty) whose list failed, and why. The report is then
// incomplete, and says so.
type CoverageGap struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Namespace  string `json:"namespace,omitempty"`
	// Image is the image a scan with --images could not read (Kind is then
	// ImageKind).
	Image string `json:"image,omitempty"`
	// Rule, Name and Tried are set when a rule could not decide for lack of
	// evidence (rules.Pass.ReportUnknown): the rule, the object it judged (a
	// node's facts), and the paths it looked at. Such a check is unknown, never a
	// failure and never a pass.
	Rule   string   `json:"rule,omitempty"`
	Name   string   `json:"name,omitempty"`
	Tried  []string `json:"tried,omitempty"`
	Reason string   `json:"reason"`
}
