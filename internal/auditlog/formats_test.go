package auditlog

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// eksFilterLogEvents is `aws logs filter-log-events --log-group-name
// /aws/eks/prod/cluster --log-stream-name-prefix kube-apiserver-audit` output.
var eksFilterLogEvents = `{
    "events": [
        {
            "logStreamName": "kube-apiserver-audit-0a1b2c3d4e5f",
            "timestamp": 1764583200000,
            "message": ` + quote(ev("k1")) + `,
            "ingestionTime": 1764583201000,
            "eventId": "38000000000000000000000000000000000000000000000000000001"
        },
        {
            "logStreamName": "kube-apiserver-audit-0a1b2c3d4e5f",
            "timestamp": 1764583200001,
            "message": ` + quote(ev("k2")) + `,
            "ingestionTime": 1764583201001,
            "eventId": "38000000000000000000000000000000000000000000000000000002"
        }
    ],
    "searchedLogStreams": [],
    "nextToken": "Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCrI"
}
`

func subscription(ids ...string) string {
	var evs []string
	for i, id := range ids {
		evs = append(evs, `{"id":"3`+strings.Repeat("0", 54)+string(rune('0'+i))+`","timestamp":1764583200000,"message":`+quote(ev(id))+`}`)
	}
	return `{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/eks/prod/cluster","logStream":"kube-apiserver-audit-0a1b2c3d4e5f","subscriptionFilters":["palisade"],"logEvents":[` + strings.Join(evs, ",") + `]}`
}

const eksControl = `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1764583200000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`

func TestReadEKS(t *testing.T) {
	dir := t.TempDir()
	// filter-log-events output, pretty-printed.
	write(t, filepath.Join(dir, "filter.json"), []byte(eksFilterLogEvents))
	// Records one per line (jq -c '.events[]').
	rec := func(id string) string {
		return `{"logStreamName":"kube-apiserver-audit-0a1b","timestamp":1764583200000,"message":` + quote(ev(id)) + `,"ingestionTime":1764583201000,"eventId":"1"}`
	}
	write(t, filepath.Join(dir, "records.jsonl"), []byte(rec("r1")+"\n"+`{"message":"not an event"}`+"\n"+rec("r2")+"\n"))
	// Subscription payloads as Firehose writes them to S3: gzipped, concatenated.
	write(t, filepath.Join(dir, "firehose.gz"), gz(t, subscription("s1", "s2")+eksControl+subscription("s3")))
	// The same, one payload per line.
	write(t, filepath.Join(dir, "lines.log"), []byte(subscription("l1")+"\n"+eksControl+"\n"+subscription("l2", "l3")+"\n"))

	for _, c := range []struct {
		file  string
		ids   []string
		errs  int
		check func(t *testing.T, errs []string)
	}{
		{file: "filter.json", ids: []string{"k1", "k2"}},
		{file: "records.jsonl", ids: []string{"r1", "r2"}, errs: 1, check: func(t *testing.T, errs []string) {
			if !strings.Contains(errs[0], "records.jsonl:2: CloudWatch Logs message: not an audit event") {
				t.Fatal(errs)
			}
		}},
		{file: "firehose.gz", ids: []string{"s1", "s2", "s3"}},
		{file: "lines.log", ids: []string{"l1", "l2", "l3"}},
	} {
		r, err := readEvents(t, filepath.Join(dir, c.file), Options{})
		ids, errs := r.ids, r.errs
		if err != nil || !slices.Equal(ids, c.ids) || len(errs) != c.errs {
			t.Fatalf("%s: got %v %q %v", c.file, ids, errs, err)
		}
		for _, e := range r.events {
			if e.Source.Format != FormatEKS {
				t.Fatalf("%s: format %q", c.file, e.Source.Format)
			}
		}
		if c.check != nil {
			c.check(t, errs)
		}
	}
	// Forced: an events file read as EKS is an error per line.
	_, errs := readAll(t, []string{filepath.Join(dir, "records.jsonl")}, Options{Format: FormatGKE})
	if len(errs) != 3 {
		t.Fatalf("forced gke on eks: %q", errs)
	}
}

type read struct {
	ids    []string
	errs   []string
	events []*Event
}

func readEvents(t *testing.T, path string, opts Options) (read, error) {
	var out read
	ids, errs := readAll(t, []string{path}, opts)
	out.ids, out.errs = ids, errs
	r, err := Open(t.Context(), []string{path}, opts)
	if err != nil {
		return out, err
	}
	for {
		e, err := r.Next()
		if e != nil {
			out.events = append(out.events, e)
		}
		if err != nil && !isInputError(err) {
			break
		}
	}
	return out, nil
}

func isInputError(err error) bool {
	_, ok := err.(*InputError)
	return ok
}

// gkeSample is a Cloud Audit Logs LogEntry of a GKE cluster: an exec into a pod.
const gkeSample = `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@example.com"},"authorizationInfo":[{"granted":true,"permission":"io.k8s.core.v1.pods.exec.create","resource":"core/v1/namespaces/default/pods/web/exec"}],"methodName":"io.k8s.core.v1.pods.exec.create","requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abc1234"},"resourceName":"core/v1/namespaces/default/pods/web/exec","serviceName":"k8s.io","status":{}},"insertId":"4b1c2d3e-0000-4f5a-9b8c-1d2e3f4a5b6c","resource":{"type":"k8s_cluster","labels":{"cluster_name":"prod","location":"europe-west1","project_id":"acme"}},"timestamp":"2026-12-01T10:00:00.123456789Z","labels":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"admins\" of ClusterRole \"cluster-admin\" to User \"alice@example.com\""},"logName":"projects/acme/logs/cloudaudit.googleapis.com%2Factivity","operation":{"id":"4b1c2d3e-0000-4f5a-9b8c-1d2e3f4a5b6c","producer":"k8s.io","first":true,"last":true},"receiveTimestamp":"2026-12-01T10:00:01.5Z"}`

// gkeDenied: a RoleBinding create denied (gRPC PERMISSION_DENIED), with its request.
const gkeDenied = `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"system:serviceaccount:dev:builder"},"authorizationInfo":[{"granted":false,"permission":"io.k8s.authorization.rbac.v1.rolebindings.create"}],"methodName":"io.k8s.authorization.rbac.v1.rolebindings.create","requestMetadata":{"callerIp":"10.4.0.9"},"resourceName":"rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings","serviceName":"k8s.io","status":{"code":7,"message":"Forbidden"},"request":{"@type":"rbac.authorization.k8s.io/v1.RoleBinding","kind":"RoleBinding","roleRef":{"kind":"ClusterRole","name":"admin"}}},"insertId":"i-2","timestamp":"2026-12-01T10:00:02Z","operation":{"id":"op-2","producer":"k8s.io","first":true,"last":true}}`

// gkeCluster: an entry of the GKE API itself, not of the Kubernetes API.
const gkeCluster = `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"google.container.v1.ClusterManager.UpdateCluster","serviceName":"container.googleapis.com","resourceName":"projects/acme/locations/europe-west1/clusters/prod"},"insertId":"c-1","timestamp":"2026-12-01T10:00:03Z"}`

func TestReadGKE(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sink.jsonl"), []byte(gkeSample+"\n"+gkeCluster+"\n"+gkeDenied+"\n"))
	// gcloud logging read --format=json: a pretty array.
	var pretty []json.RawMessage
	json.Unmarshal([]byte("["+gkeSample+","+gkeCluster+","+gkeDenied+"]"), &pretty)
	arr, _ := json.MarshalIndent(pretty, "", "  ")
	write(t, filepath.Join(dir, "gcloud.json"), arr)
	for _, file := range []string{"sink.jsonl", "gcloud.json"} {
		r, err := Open(t.Context(), []string{filepath.Join(dir, file)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var evs []*Event
		for {
			e, err := r.Next()
			if err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
		if len(evs) != 2 || r.Skipped != 1 {
			t.Fatalf("%s: %d events, %d skipped", file, len(evs), r.Skipped)
		}
		exec, denied := evs[0], evs[1]
		if exec.Source.Format != FormatGKE || exec.AuditID != "4b1c2d3e-0000-4f5a-9b8c-1d2e3f4a5b6c" ||
			exec.Verb != "create" || exec.Resource() != "pods/exec" || exec.ObjectRef.Namespace != "default" ||
			exec.ObjectRef.Name != "web" || exec.ObjectRef.APIGroup != "" || exec.ObjectRef.APIVersion != "v1" ||
			exec.User.Username != "alice@example.com" || !slices.Equal(exec.SourceIPs, []string{"203.0.113.7"}) ||
			exec.Code() != 200 || !exec.Allowed() || exec.Stage != StageResponseComplete || exec.Level != LevelMetadata ||
			exec.RequestURI != "/api/v1/namespaces/default/pods/web/exec" ||
			!exec.Time().Equal(time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)) ||
			!strings.HasPrefix(exec.UserAgent, "kubectl/") {
			t.Fatalf("%s: exec %+v %+v", file, exec, exec.ObjectRef)
		}
		if denied.Code() != 403 || denied.Allowed() || denied.Resource() != "rolebindings" ||
			denied.ObjectRef.APIGroup != "rbac.authorization.k8s.io" || denied.ObjectRef.Namespace != "dev" ||
			denied.ObjectRef.Name != "" || denied.Level != LevelRequest || denied.AuditID != "op-2" ||
			!strings.Contains(string(denied.RequestObject), `"roleRef"`) || denied.ResponseStatus.Message != "Forbidden" {
			t.Fatalf("%s: denied %+v %+v", file, denied, denied.ObjectRef)
		}
	}
}

func TestGKEMethodOnly(t *testing.T) {
	verb, ref := gkeVerbAndObject("io.k8s.authorization.rbac.v1.clusterrolebindings.delete", "")
	if verb != "delete" || ref == nil || ref.APIGroup != "authorization.rbac" || ref.Resource != "clusterrolebindings" {
		t.Fatalf("%s %+v", verb, ref)
	}
	verb, ref = gkeVerbAndObject("io.k8s.core.v1.namespaces.get", "core/v1/namespaces/kube-system")
	if verb != "get" || ref.Resource != "namespaces" || ref.Name != "kube-system" || ref.Namespace != "kube-system" {
		t.Fatalf("%s %+v", verb, ref)
	}
}

func TestDecodeEKSAndGKE(t *testing.T) {
	e, err := DecodeEKS([]byte(`{"timestamp":1,"message":`+quote(ev("x"))+`}`), Location{File: "f"})
	if err != nil || e.AuditID != "x" || e.Source.Format != FormatEKS {
		t.Fatal(e, err)
	}
	if _, err := DecodeEKS([]byte(eksControl), Location{}); err == nil {
		t.Fatal("a container decoded as one record")
	}
	e, err = DecodeGKE([]byte(gkeSample), Location{File: "f"})
	if err != nil || e.Verb != "create" || e.Source.Format != FormatGKE {
		t.Fatal(e, err)
	}
	if _, err := DecodeGKE([]byte(gkeCluster), Location{}); err == nil {
		t.Fatal("a GKE API entry decoded")
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]Format{
		ev("a"):                           FormatEvents,
		eksFilterLogEvents:                FormatEKS,
		subscription("a"):                 FormatEKS,
		gkeSample:                         FormatGKE,
		"[" + gkeSample + "]":             FormatGKE,
		`{"kind":"EventList","items":[]}`: FormatEvents,
		`garbage`:                         FormatEvents,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%.40s) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeEKS: a record whose message is an event gives the event Decode gives.
func FuzzDecodeEKS(f *testing.F) {
	f.Add([]byte(eksFilterLogEvents))
	f.Add([]byte(subscription("a", "b")))
	f.Add([]byte(eksControl))
	f.Add([]byte(`{"message":` + quote(realEvent) + `}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder()
		var q []item
		d.eks(b, Location{File: "f", Format: FormatEKS}, 50, &q)
		for _, it := range q {
			if it.ev != nil && (it.ev.AuditID == "" || it.ev.Stage == "" || it.ev.Source.Format != FormatEKS) {
				t.Fatalf("bad event %+v", it.ev)
			}
			if it.err != nil && it.ev != nil {
				t.Fatal("both")
			}
		}
		if e, err := DecodeEKS(b, Location{}); err == nil {
			var rec struct{ Message string }
			if json.Unmarshal(b, &rec) != nil {
				t.Fatalf("DecodeEKS accepts what is not JSON: %q", b)
			}
			want, err := Decode([]byte(rec.Message), Location{})
			if err != nil {
				t.Fatalf("DecodeEKS accepts a message Decode rejects: %q", b)
			}
			compare(t, b, want, e)
		}
	})
}

func FuzzDecodeGKE(f *testing.F) {
	f.Add([]byte(gkeSample))
	f.Add([]byte(gkeDenied))
	f.Add([]byte(gkeCluster))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeGKE(b, Location{})
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("DecodeGKE accepts invalid JSON: %q", b)
		}
		if e.AuditID == "" || e.Stage == "" || e.ResponseStatus == nil || e.Source.Format != FormatGKE {
			t.Fatalf("bad event %+v", e)
		}
	})
}
