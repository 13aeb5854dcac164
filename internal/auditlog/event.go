// Package auditlog reads Kubernetes audit events: the audit.k8s.io/v1 Event the API
// server writes to its log backend (JSON lines) or posts to its webhook backend (an
// EventList), and the exports of managed clusters normalised to the same Event. It
// knows nothing of detections: internal/audit judges the events it yields.
//
// Events are hostile input (a log copied from anywhere): every line has a size
// bound, undecodable lines are errors that name the file and line (never skipped in
// silence), and request and response bodies are kept as raw bytes, decoded only by
// the detections that read them.
package auditlog

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Levels of an audit event, as audit.k8s.io/v1 names them.
const (
	LevelNone            = "None"
	LevelMetadata        = "Metadata"
	LevelRequest         = "Request"
	LevelRequestResponse = "RequestResponse"
)

// Stages of an audit event.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Annotations the API server's authorizer writes on events.
const (
	AnnotationDecision = "authorization.k8s.io/decision" // "allow" or "forbid"
	AnnotationReason   = "authorization.k8s.io/reason"
)

// Event is one audit event: the fields of audit.k8s.io/v1 Event that Palisade reads.
// Field names and JSON tags are those of the official type
// (k8s.io/apiserver/pkg/apis/audit/v1), so an Event decodes from the API server's
// output as is; a test holds the two to each other.
type Event struct {
	Level      string `json:"level"`
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	// Verb is the Kubernetes verb (get, list, watch, create, update, patch,
	// delete, deletecollection, and for non-resource requests the HTTP method in
	// lower case).
	Verb             string    `json:"verb"`
	User             UserInfo  `json:"user"`
	ImpersonatedUser *UserInfo `json:"impersonatedUser,omitempty"`
	// AuthenticationMetadata tells how the impersonation was authorized (constrained
	// impersonation).
	AuthenticationMetadata *AuthenticationMetadata `json:"authenticationMetadata,omitempty"`
	SourceIPs              []string                `json:"sourceIPs,omitempty"`
	UserAgent              string                  `json:"userAgent,omitempty"`
	ObjectRef              *ObjectRef              `json:"objectRef,omitempty"`
	ResponseStatus         *Status                 `json:"responseStatus,omitempty"`
	// RequestObject and ResponseObject are the bodies, as written (JSON), at
	// levels Request and RequestResponse; nil when absent.
	RequestObject            json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject           json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceivedTimestamp time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time         `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`

	// Source is where the event was read; not part of the audit format.
	Source Location `json:"-"`
}

// UserInfo is the authenticated user of a request (authentication.k8s.io/v1 UserInfo).
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// AuthenticationMetadata is the authentication detail of a request: the verb of the
// constrained impersonation mode that authorized ImpersonatedUser, when one did.
type AuthenticationMetadata struct {
	ImpersonationConstraint string `json:"impersonationConstraint,omitempty"`
}

// ObjectRef is the object a request is about.
type ObjectRef struct {
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Subresource     string `json:"subresource,omitempty"`
}

// Status is the response status of a request (the fields of metav1.Status the audit
// log keeps).
type Status struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    int32  `json:"code,omitempty"`
}

// Location is where an event was read: a file (or "<stdin>", or the webhook's
// "audit-webhook"), the 1-based line (where its record starts; 0 when the event was
// not read from lines, as in an EventList posted to the webhook) and, for an event
// of a document (an EventList, a CloudWatch export, a gcloud array), its 1-based
// Index in that document.
type Location struct {
	File  string
	Line  int
	Index int
	// Format is the format the event was read in (FormatEvents, FormatEKS, FormatGKE).
	Format Format
}

func (l Location) String() string {
	if l.Line > 0 && l.Index > 0 {
		return fmt.Sprintf("%s:%d event %d", l.File, l.Line, l.Index)
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	if l.Index > 0 {
		return fmt.Sprintf("%s event %d", l.File, l.Index)
	}
	return l.File
}

// Format is an input format of audit events.
type Format string

// The formats a Reader understands.
const (
	// FormatAuto: decided per file from its first record.
	FormatAuto Format = ""
	// FormatEvents: audit.k8s.io/v1 Events, one per line (the log backend), or an
	// EventList document (the webhook backend's body).
	FormatEvents Format = "events"
	// FormatEKS: Amazon EKS control-plane audit logs exported from CloudWatch Logs
	// (each record's message is one Event).
	FormatEKS Format = "eks"
	// FormatGKE: Google Cloud Audit Logs LogEntry records of a GKE cluster
	// (protoPayload of type google.cloud.audit.AuditLog), normalised to Events.
	FormatGKE Format = "gke"
)

// Allowed reports whether the API server authorized the request: the authorizer's
// decision annotation when present, else a response code other than 401 and 403.
func (e *Event) Allowed() bool {
	if d, ok := e.Annotations[AnnotationDecision]; ok {
		return d == "allow"
	}
	if e.ResponseStatus != nil {
		return e.ResponseStatus.Code != 401 && e.ResponseStatus.Code != 403
	}
	return true
}

// Code is the response code (0 when the event has none, as at stage RequestReceived).
func (e *Event) Code() int {
	if e.ResponseStatus == nil {
		return 0
	}
	return int(e.ResponseStatus.Code)
}

// Succeeded reports whether the request completed with a 2xx code.
func (e *Event) Succeeded() bool { c := e.Code(); return c >= 200 && c < 300 }

// Resource is the object's resource with its subresource ("pods/exec"), or "" for a
// non-resource request.
func (e *Event) Resource() string {
	if e.ObjectRef == nil {
		return ""
	}
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// DryRun reports whether the request asked for a dry run (dryRun in its query:
// kubectl --dry-run=server, client-go DryRun): nothing was stored.
func (e *Event) DryRun() bool {
	i := strings.IndexByte(e.RequestURI, '?')
	if i < 0 || !strings.Contains(e.RequestURI[i:], "dryRun") {
		return false
	}
	q, err := url.ParseQuery(e.RequestURI[i+1:])
	return err == nil && len(q["dryRun"]) > 0
}

// Time is when the request was received.
func (e *Event) Time() time.Time { return e.RequestReceivedTimestamp }
