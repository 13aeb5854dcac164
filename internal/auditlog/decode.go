package auditlog

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Decoder decodes audit events without reflection, reusing its buffers and
// interning repeated strings (verbs, stages, users, groups, namespaces, user agents)
// between calls, so that events share one copy of each. The result is the one
// encoding/json gives for k8s.io/apiserver/pkg/apis/audit/v1.Event (a differential
// test and a fuzz target hold the two together). A Decoder is not safe for
// concurrent use; Decode (the function) is.
type Decoder struct {
	s     scanner
	strs  map[string]string
	kind  string
	items []byte // the raw "items" of an EventList
	msg   []byte // a CloudWatch message
	aux   []byte // the scratch buffer of the EKS and GKE scanners
}

// maxInterned bounds the strings a Decoder interns; past it, it starts over.
const (
	maxInterned    = 8192
	maxInternedLen = 96
)

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	d := &Decoder{strs: make(map[string]string, 1024)}
	maps.Copy(d.strs, common)
	return d
}

var decoders = sync.Pool{New: func() any { return NewDecoder() }}

// Decode reads one audit.k8s.io/v1 Event (one line of the log backend).
func Decode(b []byte, loc Location) (*Event, error) {
	d := decoders.Get().(*Decoder)
	ev, err := d.Decode(b, loc)
	d.items = nil
	d.s.buf = nil
	decoders.Put(d)
	return ev, err
}

// Decode reads one audit.k8s.io/v1 Event. An input that is not one (invalid JSON,
// a field of the wrong type, no auditID or stage) is an error that does not quote it.
func (d *Decoder) Decode(b []byte, loc Location) (*Event, error) {
	ev, err := d.event(b)
	if err != nil {
		return nil, fmt.Errorf("not an audit event: %w", err)
	}
	if ev.AuditID == "" || ev.Stage == "" {
		return nil, errors.New("not an audit event: no auditID or stage")
	}
	if loc.Format == FormatAuto {
		loc.Format = FormatEvents
	}
	ev.Source = loc
	return ev, nil
}

// intern returns b as a string, shared with earlier equal strings.
func (d *Decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if len(b) > maxInternedLen {
		return string(b)
	}
	if len(d.strs) >= maxInterned {
		clear(d.strs)
		maps.Copy(d.strs, common)
	}
	s := string(b)
	d.strs[s] = s
	return s
}

// common are the strings every log repeats, shared by all decoders.
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"Event", "EventList", "audit.k8s.io/v1",
		LevelNone, LevelMetadata, LevelRequest, LevelRequestResponse,
		StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic,
		"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"post", "put", "head", "options", "impersonate", "approve", "sign", "bind", "escalate",
		"system:authenticated", "system:unauthenticated", "system:masters", "system:nodes",
		"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:bootstrappers",
		"system:anonymous", "system:apiserver", "system:kube-scheduler", "system:kube-controller-manager",
		"system:monitoring", "kubeadm:cluster-admins",
		"pods", "exec", "attach", "portforward", "log", "status", "binding", "eviction", "ephemeralcontainers",
		"proxy", "token", "approval", "scale", "finalize",
		"secrets", "configmaps", "services", "endpoints", "namespaces", "nodes", "events",
		"serviceaccounts", "persistentvolumeclaims", "persistentvolumes", "leases", "endpointslices",
		"deployments", "replicasets", "daemonsets", "statefulsets", "jobs", "cronjobs",
		"roles", "rolebindings", "clusterroles", "clusterrolebindings",
		"certificatesigningrequests", "tokenreviews", "subjectaccessreviews",
		"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews",
		"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings",
		"customresourcedefinitions", "apiservices", "flowschemas", "prioritylevelconfigurations",
		"ingresses", "networkpolicies",
		"", "v1", "v1beta1", "v1alpha1", "v2",
		"apps", "batch", "rbac.authorization.k8s.io", "certificates.k8s.io", "authentication.k8s.io",
		"authorization.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io",
		"discovery.k8s.io", "networking.k8s.io", "policy", "storage.k8s.io",
		"apiextensions.k8s.io", "apiregistration.k8s.io", "events.k8s.io",
		"flowcontrol.apiserver.k8s.io", "autoscaling", "node.k8s.io", "scheduling.k8s.io",
		"kube-system", "kube-public", "kube-node-lease", "default",
		"Success", "Failure", "Forbidden", "NotFound", "AlreadyExists", "Conflict", "Unauthorized",
		"Invalid", "BadRequest", "Expired", "TooManyRequests",
		AnnotationDecision, AnnotationReason, "allow", "forbid",
		"pod-security.kubernetes.io/enforce-policy", "pod-security.kubernetes.io/audit-violations",
		"authentication.kubernetes.io/pod-name", "authentication.kubernetes.io/pod-uid",
		"authentication.kubernetes.io/node-name", "authentication.kubernetes.io/node-uid",
		"authentication.kubernetes.io/credential-id",
		"127.0.0.1", "::1",
	} {
		m[s] = s
	}
	return m
}()

var (
	eventFields = newFields("kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb",
		"user", "impersonatedUser", "authenticationMetadata", "sourceIPs", "userAgent", "objectRef",
		"responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp",
		"stageTimestamp", "annotations", "items")
	userFields   = newFields("username", "uid", "groups", "extra")
	authnFields  = newFields("impersonationConstraint")
	objectFields = newFields("resource", "namespace", "name", "uid", "apiGroup", "apiVersion",
		"resourceVersion", "subresource")
	statusFields = newFields("kind", "apiVersion", "metadata", "status", "message", "reason",
		"details", "code")
)

const (
	fKind = iota
	fAPIVersion
	fLevel
	fAuditID
	fStage
	fRequestURI
	fVerb
	fUser
	fImpersonatedUser
	fAuthenticationMetadata
	fSourceIPs
	fUserAgent
	fObjectRef
	fResponseStatus
	fRequestObject
	fResponseObject
	fRequestReceivedTimestamp
	fStageTimestamp
	fAnnotations
	fItems
)

// eventBlock allocates an event with its objectRef and responseStatus at once.
type eventBlock struct {
	ev  Event
	ref ObjectRef
	st  Status
}

// event decodes b into a new Event. It also remembers the document's kind and, for
// a kind that is not a field of Event, the raw "items" (an EventList).
func (d *Decoder) event(b []byte) (*Event, error) {
	s := &d.s
	s.reset(b)
	d.kind, d.items = "", nil
	blk := &eventBlock{}
	ev := &blk.ev
	var reqBody, respBody []byte
	var reqSet, respSet bool
	if err := s.beginObject(); err != nil {
		if c := s.peek(); c != 0 && c != '{' {
			if err2 := s.skip(); err2 != nil {
				return nil, err2
			}
			if err2 := s.end(); err2 != nil {
				return nil, err2
			}
			return nil, errNotObject
		}
		return nil, err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch eventFields.index(key) {
		case fKind:
			err = d.str(&d.kind, "kind", true)
		case fAPIVersion:
			var v string
			err = d.str(&v, "apiVersion", true)
		case fLevel:
			err = d.str(&ev.Level, "level", true)
		case fAuditID:
			err = d.str(&ev.AuditID, "auditID", false)
		case fStage:
			err = d.str(&ev.Stage, "stage", true)
		case fRequestURI:
			err = d.str(&ev.RequestURI, "requestURI", false)
		case fVerb:
			err = d.str(&ev.Verb, "verb", true)
		case fUser:
			var null bool
			if null, err = s.null(); err == nil && !null {
				err = d.user(&ev.User, "user")
			}
		case fImpersonatedUser:
			var null bool
			if null, err = s.null(); err == nil {
				if null {
					ev.ImpersonatedUser = nil
				} else {
					if ev.ImpersonatedUser == nil {
						ev.ImpersonatedUser = &UserInfo{}
					}
					err = d.user(ev.ImpersonatedUser, "impersonatedUser")
				}
			}
		case fAuthenticationMetadata:
			var null bool
			if null, err = s.null(); err == nil {
				if null {
					ev.AuthenticationMetadata = nil
				} else {
					if ev.AuthenticationMetadata == nil {
						ev.AuthenticationMetadata = &AuthenticationMetadata{}
					}
					err = d.authn(ev.AuthenticationMetadata)
				}
			}
		case fSourceIPs:
			err = d.strings(&ev.SourceIPs, "sourceIPs")
		case fUserAgent:
			err = d.str(&ev.UserAgent, "userAgent", true)
		case fObjectRef:
			var null bool
			if null, err = s.null(); err == nil {
				if null {
					ev.ObjectRef = nil
				} else {
					if ev.ObjectRef == nil {
						blk.ref = ObjectRef{}
						ev.ObjectRef = &blk.ref
					}
					err = d.objectRef(ev.ObjectRef)
				}
			}
		case fResponseStatus:
			var null bool
			if null, err = s.null(); err == nil {
				if null {
					ev.ResponseStatus = nil
				} else {
					if ev.ResponseStatus == nil {
						blk.st = Status{}
						ev.ResponseStatus = &blk.st
					}
					err = d.status(ev.ResponseStatus)
				}
			}
		case fRequestObject:
			reqBody, reqSet, err = d.body()
		case fResponseObject:
			respBody, respSet, err = d.body()
		case fRequestReceivedTimestamp:
			err = d.time(&ev.RequestReceivedTimestamp, "requestReceivedTimestamp")
		case fStageTimestamp:
			err = d.time(&ev.StageTimestamp, "stageTimestamp")
		case fAnnotations:
			err = d.annotations(&ev.Annotations)
		case fItems:
			// Not a field of Event: kept for an EventList, else ignored.
			d.items, err = s.raw()
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	// The bodies are copied out of the input (a reused line buffer) in one allocation.
	if n := len(reqBody) + len(respBody); n > 0 {
		all := make([]byte, 0, n)
		all = append(all, reqBody...)
		all = append(all, respBody...)
		if reqSet {
			ev.RequestObject = all[:len(reqBody):len(reqBody)]
		}
		if respSet {
			ev.ResponseObject = all[len(reqBody):]
		}
	}
	return ev, nil
}

// body reads requestObject or responseObject: null is absent, any other value is
// kept as written (runtime.Unknown keeps it so).
func (d *Decoder) body() ([]byte, bool, error) {
	null, err := d.s.null()
	if err != nil || null {
		return nil, false, err
	}
	b, err := d.s.raw()
	return b, err == nil, err
}

// str reads a string field; null leaves it as it is (encoding/json does).
func (d *Decoder) str(dst *string, field string, intern bool) error {
	s := &d.s
	switch c := s.peek(); c {
	case '"':
		b, err := s.str()
		if err != nil {
			return err
		}
		if intern {
			*dst = d.intern(b)
		} else {
			*dst = string(b)
		}
		return nil
	case 'n':
		return s.literal("null")
	case 0:
		return s.eof()
	default:
		return d.mismatch(field, "string", c)
	}
}

// mismatch skips the value (so that a syntax error after it wins, as encoding/json
// validates first) and returns a type error.
func (d *Decoder) mismatch(field, want string, c byte) error {
	if err := d.s.skip(); err != nil {
		return err
	}
	return &typeError{field: field, want: want, got: kind(c)}
}

// strings reads a []string as encoding/json does: null is nil, [] is empty, and the
// elements are decoded over those already there (a null element keeps the old one).
func (d *Decoder) strings(dst *[]string, field string) error {
	s := &d.s
	switch c := s.peek(); c {
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case '[':
	case 0:
		return s.eof()
	default:
		return d.mismatch(field, "array", c)
	}
	if err := s.beginArray(); err != nil {
		return err
	}
	v := *dst
	i := 0
	for first := true; ; i++ {
		ok, err := s.nextElem(&first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		// As encoding/json grows a slice: a slot past the length but within the
		// capacity keeps what it held (a null element leaves it).
		if i >= cap(v) {
			// len == cap == i here: growing copies every element, as reflect does.
			v = slices.Grow(v, max(4, len(v)))
		}
		if i >= len(v) {
			v = v[:i+1]
		}
		if err := d.str(&v[i], field, true); err != nil {
			return err
		}
	}
	if i == 0 {
		v = []string{}
	}
	*dst = v[:i]
	return nil
}

func (d *Decoder) user(u *UserInfo, field string) error {
	s := &d.s
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		return d.mismatch(field, "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		switch userFields.index(key) {
		case 0:
			err = d.str(&u.Username, field+".username", true)
		case 1:
			err = d.str(&u.UID, field+".uid", true)
		case 2:
			err = d.strings(&u.Groups, field+".groups")
		case 3:
			err = d.extra(&u.Extra, field+".extra")
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

func (d *Decoder) extra(dst *map[string][]string, field string) error {
	s := &d.s
	switch c := s.peek(); c {
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case '{':
	case 0:
		return s.eof()
	default:
		return d.mismatch(field, "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	if *dst == nil {
		*dst = map[string][]string{}
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		k := d.intern(key)
		var v []string
		if err := d.strings(&v, field); err != nil {
			return err
		}
		(*dst)[k] = v
	}
}

func (d *Decoder) authn(a *AuthenticationMetadata) error {
	s := &d.s
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		return d.mismatch("authenticationMetadata", "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		if authnFields.index(key) == 0 {
			err = d.str(&a.ImpersonationConstraint, "authenticationMetadata.impersonationConstraint", true)
		} else {
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

func (d *Decoder) objectRef(o *ObjectRef) error {
	s := &d.s
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		return d.mismatch("objectRef", "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		switch objectFields.index(key) {
		case 0:
			err = d.str(&o.Resource, "objectRef.resource", true)
		case 1:
			err = d.str(&o.Namespace, "objectRef.namespace", true)
		case 2:
			err = d.str(&o.Name, "objectRef.name", false)
		case 3:
			err = d.str(&o.UID, "objectRef.uid", false)
		case 4:
			err = d.str(&o.APIGroup, "objectRef.apiGroup", true)
		case 5:
			err = d.str(&o.APIVersion, "objectRef.apiVersion", true)
		case 6:
			err = d.str(&o.ResourceVersion, "objectRef.resourceVersion", false)
		case 7:
			err = d.str(&o.Subresource, "objectRef.subresource", true)
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

func (d *Decoder) status(st *Status) error {
	s := &d.s
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		return d.mismatch("responseStatus", "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		switch statusFields.index(key) {
		case 0, 1:
			var v string
			err = d.str(&v, "responseStatus.kind", true)
		case 2:
			err = d.checkShape(listMetaShape, "responseStatus.metadata")
		case 3:
			err = d.str(&st.Status, "responseStatus.status", true)
		case 4:
			err = d.str(&st.Message, "responseStatus.message", false)
		case 5:
			err = d.str(&st.Reason, "responseStatus.reason", true)
		case 6:
			err = d.checkShape(detailsShape, "responseStatus.details")
		case 7:
			err = d.int32(&st.Code, "responseStatus.code")
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

// shape is the type of a value Palisade does not keep but must check as
// encoding/json would decode it into the official type: an object of fields (null
// is no change), a string, a 32- or 64-bit integer, or an array of objects.
type shape struct {
	kind   byte // 'o' object, 's' string, 'i' int32, 'I' int64, 'a' array of elem
	fields *fields
	of     []*shape // the shape of each field
	elem   *shape
}

var (
	strShape      = &shape{kind: 's'}
	listMetaShape = &shape{kind: 'o', fields: newFields("selfLink", "resourceVersion", "continue", "remainingItemCount"),
		of: []*shape{strShape, strShape, strShape, {kind: 'I'}}}
	causeShape = &shape{kind: 'o', fields: newFields("reason", "message", "field"),
		of: []*shape{strShape, strShape, strShape}}
	detailsShape = &shape{kind: 'o', fields: newFields("name", "group", "kind", "uid", "causes", "retryAfterSeconds"),
		of: []*shape{strShape, strShape, strShape, strShape, {kind: 'a', elem: causeShape}, {kind: 'i'}}}
)

// checkShape skips a value after checking that it has the shape sh.
func (d *Decoder) checkShape(sh *shape, field string) error {
	s := &d.s
	c := s.peek()
	if c == 'n' {
		return s.literal("null")
	}
	switch sh.kind {
	case 's':
		if c != '"' {
			return d.mismatch(field, "string", c)
		}
		return s.skipString()
	case 'i', 'I':
		if c != '-' && (c < '0' || c > '9') {
			return d.mismatch(field, "number", c)
		}
		num, err := s.number()
		if err != nil {
			return err
		}
		bits := 32
		if sh.kind == 'I' {
			bits = 64
		}
		if _, ok := parseInt(num, bits); !ok {
			return &typeError{field: field, want: "integer", got: "number"}
		}
		return nil
	case 'a':
		if c != '[' {
			return d.mismatch(field, "array", c)
		}
		if err := s.beginArray(); err != nil {
			return err
		}
		for first := true; ; {
			ok, err := s.nextElem(&first)
			if err != nil || !ok {
				return err
			}
			if err := d.checkShape(sh.elem, field); err != nil {
				return err
			}
		}
	}
	if c != '{' {
		return d.mismatch(field, "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		if i := sh.fields.index(key); i >= 0 {
			err = d.checkShape(sh.of[i], field)
		} else {
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

func (d *Decoder) int32(dst *int32, field string) error {
	s := &d.s
	switch c := s.peek(); {
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		num, err := s.number()
		if err != nil {
			return err
		}
		n, ok := parseInt(num, 32)
		if !ok {
			return &typeError{field: field, want: "32-bit integer", got: "number"}
		}
		*dst = int32(n)
		return nil
	case c == 0:
		return s.eof()
	default:
		return d.mismatch(field, "number", c)
	}
}

// time reads a metav1.MicroTime: null is the zero time, else a string in RFC 3339
// (the official type wants exactly six fractional digits, as the API server writes
// them; this also reads other precisions: the one difference from it).
func (d *Decoder) time(dst *time.Time, field string) error {
	s := &d.s
	switch c := s.peek(); c {
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		*dst = time.Time{}
		return nil
	case '"':
		b, err := s.str()
		if err != nil {
			return err
		}
		t, ok := parseMicroTime(b)
		if !ok {
			return fmt.Errorf("field %s: not an RFC 3339 time", field)
		}
		*dst = t
		return nil
	case 0:
		return s.eof()
	default:
		return d.mismatch(field, "string", c)
	}
}

// rfc3339Micro is metav1.RFC3339Micro.
const rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00"

// parseMicroTime parses the time the API server writes (2026-12-01T10:00:00.123456Z)
// without time.Parse, and anything else with it.
func parseMicroTime(b []byte) (time.Time, bool) {
	if len(b) == 27 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' &&
		b[19] == '.' && b[26] == 'Z' {
		year, ok1 := digits(b[0:4])
		month, ok2 := digits(b[5:7])
		day, ok3 := digits(b[8:10])
		hour, ok4 := digits(b[11:13])
		minute, ok5 := digits(b[14:16])
		sec, ok6 := digits(b[17:19])
		usec, ok7 := digits(b[20:26])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && month >= 1 && month <= 12 && day >= 1 &&
			day <= 28 && hour < 24 && minute < 60 && sec < 60 {
			return time.Date(year, time.Month(month), day, hour, minute, sec, usec*1000, time.UTC), true
		}
	}
	t, err := time.Parse(rfc3339Micro, string(b))
	if err != nil {
		// Not as the API server writes it (hand-written logs, other exporters): any
		// RFC 3339 time, as time.Time reads it.
		t, err = time.Parse(time.RFC3339, string(b))
	}
	return t, err == nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// annotations reads a map[string]string as encoding/json does: into the map already
// there, a null value stored as "".
func (d *Decoder) annotations(dst *map[string]string) error {
	s := &d.s
	switch c := s.peek(); c {
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case '{':
	case 0:
		return s.eof()
	default:
		return d.mismatch("annotations", "object", c)
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	if *dst == nil {
		*dst = make(map[string]string, 4)
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		k := d.intern(key)
		var v string
		if err := d.str(&v, "annotations", true); err != nil {
			return err
		}
		(*dst)[k] = v
	}
}
