package auditlog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// GKE writes the API server's audit events to Cloud Audit Logs as LogEntry records
// (resource.type "k8s_cluster") whose protoPayload is a google.cloud.audit.AuditLog
// with serviceName "k8s.io". The exports read here: one LogEntry per line (a Cloud
// Logging sink to Cloud Storage or Pub/Sub, `gcloud logging read --format=json` piped
// through jq -c '.[]') and the JSON array `gcloud logging read --format=json` prints.
// The mapping to audit.k8s.io/v1 Event is in docs/audit-inputs.md; entries of other
// services (the GKE API, serviceName container.googleapis.com) are skipped.

// grpcToHTTP maps google.rpc.Code to the HTTP status the API server answered.
var grpcToHTTP = map[int64]int32{
	0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400,
	10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

// gkeEntry is what a LogEntry says of a Kubernetes request.
type gkeEntry struct {
	insertID, timestamp, opID string
	opLast, hasOp             bool
	labels                    map[string]string
	service, method, resource string
	principal, subject        string
	callerIP, userAgent       string
	granted, denied           bool
	code                      int64
	hasStatus                 bool
	message                   string
	request, response         []byte
	hasRequest, hasResponse   bool
	hasPayload                bool
}

func (d *Decoder) gke(b []byte, loc Location, q *[]item) {
	ev, err := d.gkeEvent(b, loc)
	switch {
	case err == errSkipped:
	case err != nil:
		*q = append(*q, item{err: &InputError{Location: loc, Err: err}})
	default:
		*q = append(*q, item{ev: ev})
	}
}

// DecodeGKE reads one Cloud Audit Logs LogEntry of a GKE cluster as an Event. An
// entry of another service is an error.
func DecodeGKE(b []byte, loc Location) (*Event, error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	loc.Format = FormatGKE
	ev, err := d.gkeEvent(b, loc)
	if err == errSkipped {
		return nil, errors.New("not a Kubernetes audit entry: the entry is of another service")
	}
	return ev, err
}

// DecodeEKS reads one CloudWatch Logs record of an EKS cluster's audit log (its
// message is an Event). A control message is an error.
func DecodeEKS(b []byte, loc Location) (*Event, error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	loc.Format = FormatEKS
	var q []item
	if err := d.eksRecord(b, loc, 1, &q, maxEKSNesting); err != nil {
		return nil, err
	}
	if len(q) != 1 || q[0].ev == nil {
		return nil, errors.New("not a CloudWatch Logs record of an audit event")
	}
	return q[0].ev, nil
}

func (d *Decoder) gkeEvent(b []byte, loc Location) (*Event, error) {
	var s scanner
	s.reset(b)
	s.scratch = d.aux
	defer func() { d.aux = s.scratch[:0] }()
	var e gkeEntry
	if err := d.gkeEntry(&s, &e); err != nil {
		return nil, fmt.Errorf("not a Cloud Audit Logs entry: %w", err)
	}
	if err := s.end(); err != nil {
		return nil, fmt.Errorf("not a Cloud Audit Logs entry: %w", err)
	}
	if !e.hasPayload {
		return nil, errors.New("not a Cloud Audit Logs entry: no protoPayload")
	}
	if e.service != "k8s.io" || !strings.HasPrefix(e.method, "io.k8s.") {
		return nil, errSkipped
	}
	ev := &Event{Stage: StageResponseComplete, Level: LevelMetadata}
	ev.AuditID = e.opID
	if ev.AuditID == "" {
		ev.AuditID = e.insertID
	}
	if ev.AuditID == "" {
		return nil, errors.New("not a Cloud Audit Logs entry: no insertId or operation.id")
	}
	if e.hasOp && !e.opLast {
		ev.Stage = StageResponseStarted
	}
	switch {
	case e.hasResponse:
		ev.Level = LevelRequestResponse
	case e.hasRequest:
		ev.Level = LevelRequest
	}
	t, err := time.Parse(time.RFC3339Nano, e.timestamp)
	if err != nil {
		return nil, errors.New("not a Cloud Audit Logs entry: timestamp is not RFC 3339")
	}
	ev.RequestReceivedTimestamp, ev.StageTimestamp = t, t
	ev.User.Username = e.principal
	if ev.User.Username == "" {
		ev.User.Username = e.subject
	}
	if e.callerIP != "" {
		ev.SourceIPs = []string{e.callerIP}
	}
	ev.UserAgent = e.userAgent
	ev.Verb, ev.ObjectRef = gkeVerbAndObject(e.method, e.resource)
	ev.RequestURI = requestURI(ev.ObjectRef)
	code, ok := grpcToHTTP[e.code]
	if !ok {
		code = 500
	}
	ev.ResponseStatus = &Status{Code: code, Message: e.message}
	if code < 300 {
		ev.ResponseStatus.Status = "Success"
	} else {
		ev.ResponseStatus.Status = "Failure"
	}
	if len(e.labels) > 0 {
		ev.Annotations = e.labels
	}
	if _, ok := ev.Annotations[AnnotationDecision]; !ok && (e.granted || e.denied) {
		if ev.Annotations == nil {
			ev.Annotations = map[string]string{}
		}
		if e.denied {
			ev.Annotations[AnnotationDecision] = "forbid"
		} else {
			ev.Annotations[AnnotationDecision] = "allow"
		}
	}
	if n := len(e.request) + len(e.response); n > 0 {
		all := make([]byte, 0, n)
		all = append(all, e.request...)
		all = append(all, e.response...)
		if e.hasRequest {
			ev.RequestObject = all[:len(e.request):len(e.request)]
		}
		if e.hasResponse {
			ev.ResponseObject = all[len(e.request):]
		}
	}
	ev.Source = loc
	return ev, nil
}

// gkeVerbAndObject reads the verb from the method (io.k8s.core.v1.pods.exec.create:
// the last part) and the object from the resource name
// (core/v1/namespaces/default/pods/web/exec), or from the method when there is none.
func gkeVerbAndObject(method, resource string) (string, *ObjectRef) {
	parts := strings.Split(strings.TrimPrefix(method, "io.k8s."), ".")
	verb := parts[len(parts)-1]
	ref := &ObjectRef{}
	if resource != "" {
		segs := strings.Split(strings.Trim(resource, "/"), "/")
		if len(segs) >= 3 {
			ref.APIGroup, ref.APIVersion = segs[0], segs[1]
			rest := segs[2:]
			if rest[0] == "namespaces" && len(rest) >= 3 {
				ref.Namespace = rest[1]
				rest = rest[2:]
			} else if rest[0] == "namespaces" && len(rest) == 2 {
				ref.Namespace = rest[1]
			}
			ref.Resource = rest[0]
			if len(rest) > 1 {
				ref.Name = rest[1]
			}
			if len(rest) > 2 {
				ref.Subresource = strings.Join(rest[2:], "/")
			}
		}
	}
	if ref.Resource == "" && len(parts) >= 4 {
		// io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>, the group
		// with its parts reversed ("authorization.rbac" for rbac.authorization.k8s.io).
		v := -1
		for i := 0; i < len(parts)-2; i++ {
			if isVersion(parts[i]) {
				v = i
				break
			}
		}
		if v > 0 {
			ref.APIGroup, ref.APIVersion = strings.Join(parts[:v], "."), parts[v]
			ref.Resource = parts[v+1]
			if v+2 < len(parts)-1 {
				ref.Subresource = strings.Join(parts[v+2:len(parts)-1], "/")
			}
		}
	}
	if ref.APIGroup == "core" {
		ref.APIGroup = ""
	}
	if ref.Resource == "" {
		return verb, nil
	}
	return verb, ref
}

func isVersion(s string) bool {
	return len(s) >= 2 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9'
}

// requestURI rebuilds the request path of an object (GKE does not log it).
func requestURI(ref *ObjectRef) string {
	if ref == nil {
		return ""
	}
	var b strings.Builder
	if ref.APIGroup == "" {
		b.WriteString("/api/" + ref.APIVersion)
	} else {
		b.WriteString("/apis/" + ref.APIGroup + "/" + ref.APIVersion)
	}
	if ref.Namespace != "" && ref.Resource != "namespaces" {
		b.WriteString("/namespaces/" + ref.Namespace)
	}
	b.WriteString("/" + ref.Resource)
	if ref.Name != "" {
		b.WriteString("/" + ref.Name)
	}
	if ref.Subresource != "" {
		b.WriteString("/" + ref.Subresource)
	}
	return b.String()
}

// object calls fn for each key of an object (fn reads the value).
func object(s *scanner, fn func(key string) error) error {
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		if err := s.skip(); err != nil {
			return err
		}
		return fmt.Errorf("want object, got %s", kind(c))
	}
	if err := s.beginObject(); err != nil {
		return err
	}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		if err := fn(string(key)); err != nil {
			return err
		}
	}
}

func (d *Decoder) gkeEntry(s *scanner, e *gkeEntry) error {
	str := func(dst *string) error { return d.strWith(s, dst, false) }
	istr := func(dst *string) error { return d.strWith(s, dst, true) }
	return object(s, func(key string) error {
		switch key {
		case "insertId":
			return str(&e.insertID)
		case "timestamp":
			return str(&e.timestamp)
		case "labels":
			e.labels = map[string]string{}
			return object(s, func(k string) error {
				var v string
				err := istr(&v)
				e.labels[d.intern([]byte(k))] = v
				return err
			})
		case "operation":
			e.hasOp = true
			e.opLast = true
			return object(s, func(k string) error {
				switch k {
				case "id":
					return str(&e.opID)
				case "last":
					return boolWith(s, &e.opLast)
				}
				return s.skip()
			})
		case "protoPayload":
			e.hasPayload = true
			return object(s, func(k string) error {
				switch k {
				case "serviceName":
					return istr(&e.service)
				case "methodName":
					return istr(&e.method)
				case "resourceName":
					return str(&e.resource)
				case "authenticationInfo":
					return object(s, func(k string) error {
						switch k {
						case "principalEmail":
							return istr(&e.principal)
						case "principalSubject":
							return istr(&e.subject)
						}
						return s.skip()
					})
				case "authorizationInfo":
					if ok, err := s.null(); ok || err != nil {
						return err
					}
					if err := s.beginArray(); err != nil {
						return err
					}
					for first := true; ; {
						ok, err := s.nextElem(&first)
						if err != nil || !ok {
							return err
						}
						granted := false
						if err := object(s, func(k string) error {
							if k == "granted" {
								return boolWith(s, &granted)
							}
							return s.skip()
						}); err != nil {
							return err
						}
						if granted {
							e.granted = true
						} else {
							e.denied = true
						}
					}
				case "requestMetadata":
					return object(s, func(k string) error {
						switch k {
						case "callerIp":
							return istr(&e.callerIP)
						case "callerSuppliedUserAgent":
							return istr(&e.userAgent)
						}
						return s.skip()
					})
				case "status":
					e.hasStatus = true
					return object(s, func(k string) error {
						switch k {
						case "code":
							if ok, err := s.null(); ok || err != nil {
								return err
							}
							if c := s.peek(); c != '-' && (c < '0' || c > '9') {
								return errors.New("status.code is not a number")
							}
							num, err := s.number()
							if err != nil {
								return err
							}
							n, ok := parseInt(num, 32)
							if !ok {
								return errors.New("status.code is not a 32-bit integer")
							}
							e.code = n
							return nil
						case "message":
							return str(&e.message)
						}
						return s.skip()
					})
				case "request":
					if ok, err := s.null(); ok || err != nil {
						return err
					}
					raw, err := s.raw()
					e.request, e.hasRequest = raw, err == nil
					return err
				case "response":
					if ok, err := s.null(); ok || err != nil {
						return err
					}
					raw, err := s.raw()
					e.response, e.hasResponse = raw, err == nil
					return err
				}
				return s.skip()
			})
		}
		return s.skip()
	})
}

func boolWith(s *scanner, dst *bool) error {
	switch c := s.peek(); c {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case 0:
		return s.eof()
	default:
		if err := s.skip(); err != nil {
			return err
		}
		return fmt.Errorf("want bool, got %s", kind(c))
	}
}
