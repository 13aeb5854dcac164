package auditlog

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// realEvent is an event as kube-apiserver writes it at RequestResponse level.
const realEvent = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0f3a2c6e-9d7b-4b1e-8a55-3c1f7e2d9b10","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict","verb":"create","user":{"username":"kubernetes-admin","groups":["kubeadm:cluster-admins","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["X509SHA256=4d0e8f"]}},"impersonatedUser":{"username":"system:serviceaccount:kube-system:deployer","groups":["system:serviceaccounts"]},"sourceIPs":["172.18.0.1","10.0.0.7"],"userAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abc1234","objectRef":{"resource":"pods","namespace":"default","name":"web-0","uid":"4c1e0a8e-7f5d-4f5e-b0b6-2f1f0a4a7c11","apiVersion":"v1","resourceVersion":"1234"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","namespace":"default","annotations":{"note":"caf\u00e9 \"quoted\" \\ back"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","securityContext":{"privileged":true},"resources":{"limits":{"cpu":0.5,"memory":1e9}}}],"hostPID":true,"volumes":[{"name":"root","hostPath":{"path":"/"}}]}},"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","uid":"4c1e0a8e-7f5d-4f5e-b0b6-2f1f0a4a7c11"},"status":{"phase":"Pending","podIPs":null}},"requestReceivedTimestamp":"2026-12-01T10:00:00.123456Z","stageTimestamp":"2026-12-01T10:00:00.234567Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"kubeadm:cluster-admins\" of ClusterRole \"cluster-admin\" to Group \"kubeadm:cluster-admins\"","pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}`

const metadataEvent = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef","verb":"get","user":{"username":"system:serviceaccount:kube-system:reader","uid":"u-1","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"],"extra":{"authentication.kubernetes.io/pod-name":["reader-5d9c"],"authentication.kubernetes.io/pod-uid":["p-1"]}},"sourceIPs":["10.244.0.5"],"userAgent":"curl/8.5.0","objectRef":{"resource":"secrets","namespace":"kube-system","name":"bootstrap-token-abcdef","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"secrets \"bootstrap-token-abcdef\" is forbidden: User \"system:serviceaccount:kube-system:reader\" cannot get resource \"secrets\"","reason":"Forbidden","details":{"name":"bootstrap-token-abcdef","kind":"secrets"},"code":403},"requestReceivedTimestamp":"2026-12-01T10:00:01.000001Z","stageTimestamp":"2026-12-01T10:00:01.000900Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}`

// differential holds Decode to encoding/json into the official type: on an input
// the official decode rejects, Decode fails too; on one it accepts with an auditID
// and a stage, Decode returns the same event, field by field.
func differential(t testing.TB, b []byte) {
	t.Helper()
	var ref refEvent
	werr := json.Unmarshal(b, &ref)
	want := ref.Event
	want.RequestReceivedTimestamp.Time, want.StageTimestamp.Time = ref.RequestReceivedTimestamp.Time, ref.StageTimestamp.Time
	got, gerr := Decode(b, Location{File: "f", Line: 1})
	switch {
	case werr != nil:
		if gerr == nil {
			t.Fatalf("Decode accepts what encoding/json rejects (%v): %q", werr, b)
		}
	case want.AuditID == "" || want.Stage == "":
		if gerr == nil {
			t.Fatalf("Decode accepts an event without auditID or stage: %q", b)
		}
	default:
		if gerr != nil {
			t.Fatalf("Decode rejects what encoding/json accepts: %v: %q", gerr, b)
		}
		compare(t, b, fromOfficial(&want), got)
	}
}

// refEvent is the official Event with one difference Decode makes on purpose: its
// times may have any RFC 3339 precision (metav1.MicroTime wants exactly six
// fractional digits, as the API server writes them; hand-written logs and other
// exporters do not).
type refEvent struct {
	auditv1.Event
	RequestReceivedTimestamp refTime `json:"requestReceivedTimestamp"`
	StageTimestamp           refTime `json:"stageTimestamp"`
}

type refTime struct{ time.Time }

func (t *refTime) UnmarshalJSON(b []byte) error {
	var m metav1.MicroTime
	err := m.UnmarshalJSON(b)
	if err == nil {
		t.Time = m.Time
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return err
	}
	pt, err := time.Parse(time.RFC3339, s)
	t.Time = pt
	return err
}

func compare(t testing.TB, input []byte, want, got *Event) {
	t.Helper()
	if !want.RequestReceivedTimestamp.Equal(got.RequestReceivedTimestamp) || !want.StageTimestamp.Equal(got.StageTimestamp) {
		t.Fatalf("times differ: want %v %v, got %v %v: %q", want.RequestReceivedTimestamp, want.StageTimestamp,
			got.RequestReceivedTimestamp, got.StageTimestamp, input)
	}
	w, g := *want, *got
	w.RequestReceivedTimestamp, w.StageTimestamp, g.RequestReceivedTimestamp, g.StageTimestamp = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.Source, g.Source = Location{}, Location{}
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("events differ on %q\nwant %s\ngot  %s", input, dump(&w), dump(&g))
	}
}

func dump(e *Event) string { return fmt.Sprintf("%#v", *e) }

// fromOfficial converts the official type to Event, keeping nil and empty apart.
func fromOfficial(o *auditv1.Event) *Event {
	e := &Event{
		Level: string(o.Level), AuditID: string(o.AuditID), Stage: string(o.Stage),
		RequestURI: o.RequestURI, Verb: o.Verb, User: userOf(o.User), SourceIPs: o.SourceIPs,
		UserAgent: o.UserAgent, Annotations: o.Annotations,
		RequestReceivedTimestamp: o.RequestReceivedTimestamp.Time, StageTimestamp: o.StageTimestamp.Time,
	}
	if o.ImpersonatedUser != nil {
		u := userOf(*o.ImpersonatedUser)
		e.ImpersonatedUser = &u
	}
	if o.AuthenticationMetadata != nil {
		e.AuthenticationMetadata = &AuthenticationMetadata{ImpersonationConstraint: o.AuthenticationMetadata.ImpersonationConstraint}
	}
	if r := o.ObjectRef; r != nil {
		e.ObjectRef = &ObjectRef{Resource: r.Resource, Namespace: r.Namespace, Name: r.Name, UID: string(r.UID),
			APIGroup: r.APIGroup, APIVersion: r.APIVersion, ResourceVersion: r.ResourceVersion, Subresource: r.Subresource}
	}
	if s := o.ResponseStatus; s != nil {
		e.ResponseStatus = &Status{Status: s.Status, Message: s.Message, Reason: string(s.Reason), Code: s.Code}
	}
	if o.RequestObject != nil {
		e.RequestObject = json.RawMessage(o.RequestObject.Raw)
	}
	if o.ResponseObject != nil {
		e.ResponseObject = json.RawMessage(o.ResponseObject.Raw)
	}
	return e
}

func userOf(u authnv1.UserInfo) UserInfo {
	out := UserInfo{Username: u.Username, UID: u.UID, Groups: u.Groups}
	if u.Extra != nil {
		out.Extra = map[string][]string{}
		for k, v := range u.Extra {
			out.Extra[k] = []string(v)
		}
	}
	return out
}

// decodeCases are varied events: real-looking ones, escapes, unicode, numbers,
// nulls, missing and duplicated fields, case-folded names, and invalid inputs.
var decodeCases = []string{
	realEvent,
	metadataEvent,
	`{"auditID":"x","stage":"RequestReceived"}`,
	`  {"auditID":"x","stage":"RequestReceived"}  ` + "\n",
	`{"auditID":"x"}`,
	`{"stage":"x"}`,
	`{}`,
	`null`,
	`[]`,
	`"event"`,
	`42`,
	``,
	`{`,
	`{"auditID":"x","stage":"s"`,
	`{"auditID":"x","stage":"s"}}`,
	`{"auditID":"x","stage":"s"} {}`,
	`{"auditID":"x","stage":"s",}`,
	`{"auditID":"x" "stage":"s"}`,
	`{"auditID":"x","stage":"s","level":nul}`,
	`{"auditID":"x","stage":"s","level":truex}`,
	// Escapes and unicode.
	`{"auditID":"\u0041\u00e9\u4e16\ud83d\ude00","stage":"\"\\\/\b\f\n\r\t"}`,
	`{"auditID":"lone \ud800 high","stage":"lone \udc00 low \ud800\u0041"}`,
	"{\"auditID\":\"bad utf8 \xff\xfe \xed\xa0\x80\",\"stage\":\"s\",\"user\":{\"username\":\"\xc3\"}}",
	"{\"auditID\":\"ctl \x01\",\"stage\":\"s\"}",
	`{"auditID":"x\q","stage":"s"}`,
	`{"auditID":"x\u12","stage":"s"}`,
	`{"auditID":"x\u12G4","stage":"s"}`,
	`{"\u0061uditID":"x","st\u0061ge":"s"}`,
	// Case-insensitive names, as encoding/json matches them.
	`{"AUDITID":"x","Stage":"s","VERB":"get","objectref":{"RESOURCE":"pods"}}`,
	"{\"auditID\":\"x\",\"\u017ftage\":\"s\",\"\u212aind\":\"Event\"}",
	`{"auditID":"x","stage":"s","auditId":"y"}`,
	// Nulls.
	`{"auditID":"x","stage":"s","level":null,"user":null,"impersonatedUser":null,"sourceIPs":null,"objectRef":null,"responseStatus":null,"requestObject":null,"responseObject":null,"requestReceivedTimestamp":null,"stageTimestamp":null,"annotations":null,"authenticationMetadata":null}`,
	`{"auditID":"x","stage":"s","user":{"username":null,"groups":null,"extra":null}}`,
	`{"auditID":"x","stage":"s","user":{"groups":["a",null,"b"],"extra":{"k":null,"j":[],"i":["v",null]}}}`,
	`{"auditID":"x","stage":"s","annotations":{"a":null,"b":"c"}}`,
	`{"auditID":"x","stage":"s","sourceIPs":[],"annotations":{},"user":{"groups":[],"extra":{}}}`,
	// Duplicated keys: last wins, objects and maps merge, slices decode over.
	`{"auditID":"x","stage":"s","verb":"get","verb":"list","verb":null}`,
	`{"auditID":"x","stage":"s","objectRef":{"resource":"pods","name":"a"},"objectRef":{"namespace":"n","name":"b"}}`,
	`{"auditID":"x","stage":"s","objectRef":{"resource":"pods"},"objectRef":null,"objectRef":{"name":"b"}}`,
	`{"auditID":"x","stage":"s","user":{"groups":["a","b","c"]},"user":{"groups":["x"]},"user":{"groups":[null,null,null]}}`,
	`{"auditID":"x","stage":"s","user":{"groups":["a","b"]},"user":{"groups":[]}}`,
	`{"auditID":"x","stage":"s","annotations":{"a":"1"},"annotations":{"b":"2","a":"3"}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":1},"requestObject":null}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":1},"requestObject":[1, 2 ,3]}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:00.123456Z","requestReceivedTimestamp":null}`,
	`{"auditID":"x","stage":"s","impersonatedUser":{"username":"a"},"impersonatedUser":{"uid":"b"}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":200},"responseStatus":{"message":"m"}}`,
	// Bodies of any JSON type, with white space inside.
	`{"auditID":"x","stage":"s","requestObject":"a string","responseObject":12.5e-3}`,
	`{"auditID":"x","stage":"s","requestObject":{ "a" : [ 1 , { } , [ ] , true , false , null ] } }`,
	`{"auditID":"x","stage":"s","requestObject":{"a":}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":01}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":1.}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":-}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":.5}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":1e}}`,
	`{"auditID":"x","stage":"s","requestObject":{"a":[1,]}}`,
	`{"auditID":"x","stage":"s","requestObject":{1:2}}`,
	"{\"auditID\":\"x\",\"stage\":\"s\",\"requestObject\":{\"bad\":\"\xff\"}}",
	// Numbers in the code.
	`{"auditID":"x","stage":"s","responseStatus":{"code":-0}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":2e2}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":200.0}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":2147483647}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":2147483648}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":-2147483648}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":"200"}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"code":null}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"kind":"Status","apiVersion":"v1","metadata":{"remainingItemCount":5},"details":{"causes":[{"reason":"r","field":"f"}],"retryAfterSeconds":3}}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"metadata":{"remainingItemCount":"5"}}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"details":{"retryAfterSeconds":1.5}}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"details":[]}}`,
	`{"auditID":"x","stage":"s","responseStatus":{"details":null,"metadata":null}}`,
	// Type mismatches.
	`{"auditID":1,"stage":"s"}`,
	`{"auditID":"x","stage":"s","user":"alice"}`,
	`{"auditID":"x","stage":"s","user":{"groups":"g"}}`,
	`{"auditID":"x","stage":"s","user":{"groups":[1]}}`,
	`{"auditID":"x","stage":"s","user":{"extra":{"k":"v"}}}`,
	`{"auditID":"x","stage":"s","sourceIPs":"1.2.3.4"}`,
	`{"auditID":"x","stage":"s","objectRef":[]}`,
	`{"auditID":"x","stage":"s","annotations":{"a":1}}`,
	`{"auditID":"x","stage":"s","annotations":[]}`,
	`{"auditID":"x","stage":"s","kind":5}`,
	`{"auditID":"x","stage":"s","apiVersion":{}}`,
	`{"auditID":"x","stage":"s","authenticationMetadata":{"impersonationConstraint":"impersonate:user-info"}}`,
	`{"auditID":"x","stage":"s","authenticationMetadata":{"impersonationConstraint":true}}`,
	`{"auditID":"x","stage":"s","user":true,"verb":"get"}`,
	`{"auditID":"x","stage":"s","user":"alice","verb":}`,
	// Times.
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:00.123Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:00.123456789Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:00Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:00.123456+02:00"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2028-02-29T23:59:59.999999Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-02-29T10:00:00.000000Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-13-01T10:00:00.000000Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T24:00:00.000000Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01T10:00:60.000000Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"2026-12-01t10:00:00.000000z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":"\u0032026-12-01T10:00:00.000000Z"}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":1764583200}`,
	`{"auditID":"x","stage":"s","requestReceivedTimestamp":""}`,
	// Unknown fields of any type are ignored.
	`{"auditID":"x","stage":"s","items":[{"a":1}],"extra":{"deep":[[[["x"]]]]},"n":-1.5E+10}`,
}

func TestDecodeMatchesOfficial(t *testing.T) {
	for i, c := range decodeCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { differential(t, []byte(c)) })
	}
}

func TestDecodeNesting(t *testing.T) {
	for _, depth := range []int{maxDepth - 2, maxDepth - 1, maxDepth, maxDepth + 1} {
		b := []byte(`{"auditID":"x","stage":"s","requestObject":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
		differential(t, b)
	}
}

// TestDecodeErrorsDoNotQuote: an error says where and what, never the input's text.
func TestDecodeErrorsDoNotQuote(t *testing.T) {
	for _, c := range []string{
		`{"auditID":"x","stage":"s","requestObject":{"data":{"token":"c2VjcmV0LXRva2Vu"x}}}`,
		`{"auditID":"x","stage":"s","user":"c2VjcmV0LXRva2Vu"}`,
		`{"auditID":"x","stage":"s","requestReceivedTimestamp":"c2VjcmV0LXRva2Vu"}`,
		`{"auditID":"x","stage":"s","responseStatus":{"details":{"name":5,"x":"c2VjcmV0LXRva2Vu"}}}`,
	} {
		_, err := Decode([]byte(c), Location{})
		if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error %v on %s", err, c)
		}
	}
}

func TestDecodeKeepsNoInputBuffer(t *testing.T) {
	line := []byte(realEvent)
	ev, err := Decode(line, Location{})
	if err != nil {
		t.Fatal(err)
	}
	want := string(ev.RequestObject) + ev.AuditID + ev.User.Username + ev.ObjectRef.Name
	for i := range line {
		line[i] = 'x'
	}
	if got := string(ev.RequestObject) + ev.AuditID + ev.User.Username + ev.ObjectRef.Name; got != want {
		t.Fatalf("event shares the input buffer: %q", got)
	}
}

func TestDecoderInterns(t *testing.T) {
	d := NewDecoder()
	a, _ := d.Decode([]byte(metadataEvent), Location{})
	b, _ := d.Decode([]byte(metadataEvent), Location{})
	if a == nil || b == nil {
		t.Fatal("no event")
	}
	if unsafeData(a.User.Username) != unsafeData(b.User.Username) || unsafeData(a.UserAgent) != unsafeData(b.UserAgent) {
		t.Fatal("repeated strings are not shared")
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		differential(t, b)
		// An Event that decodes also decodes through a Decoder reused across calls.
		d := NewDecoder()
		d.Decode([]byte(realEvent), Location{})
		e1, err1 := d.Decode(b, Location{})
		e2, err2 := Decode(b, Location{})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("a reused Decoder disagrees: %v, %v", err1, err2)
		}
		if err1 == nil {
			compare(t, b, e2, e1)
		}
	})
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// TestDecodeMutations: the differential on inputs derived from the cases by seeded
// random edits (deletions, insertions of JSON tokens and tricky fragments, byte
// changes), as a fuzzer would, but on every run.
func TestDecodeMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	frags := []string{"{", "}", "[", "]", `"`, ",", ":", `\`, `\u`, "null", "1", "\n", " ", "\xff", `\ud800`,
		"\u017f", `"auditID":"a",`, `"stage":"s",`, `"user":{"groups":[null]},`, `"objectRef":{},`, `"LEVEL":`,
		`"code":`, "1e3", "-0", `"2026-12-01T10:00:00.000000Z"`, `"requestObject":`, `"annotations":{"a":null},`}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		b := []byte(decodeCases[rng.IntN(len(decodeCases))])
		for k := rng.IntN(5) + 1; k > 0; k-- {
			p := rng.IntN(len(b) + 1)
			switch rng.IntN(4) {
			case 0:
				if p < len(b) {
					b = append(b[:p:p], b[p+1:]...)
				}
			case 1, 2:
				b = append(b[:p:p], append([]byte(frags[rng.IntN(len(frags))]), b[p:]...)...)
			case 3:
				if p < len(b) {
					b[p] = byte(rng.IntN(256))
				}
			}
		}
		differential(t, b)
	}
}
