package auditrules_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// The fixtures are audit events as the API server writes them: each line decodes
// strictly (no unknown field) into the official audit.k8s.io/v1 Event, with the
// fields every real event has.
func TestFixturesAreAuditEvents(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "PAL-9*", "*.jsonl"))
	for _, file := range files {
		for i, line := range linesOf(t, file) {
			var ev auditv1.Event
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Errorf("%s:%d: %v", file, i+1, err)
				continue
			}
			if ev.Kind != "Event" || ev.APIVersion != "audit.k8s.io/v1" || ev.AuditID == "" || ev.Stage == "" || ev.Level == "" ||
				ev.RequestURI == "" || ev.Verb == "" || ev.User.Username == "" || len(ev.SourceIPs) == 0 || ev.UserAgent == "" ||
				ev.RequestReceivedTimestamp.IsZero() || ev.StageTimestamp.IsZero() {
				t.Errorf("%s:%d: incomplete event", file, i+1)
			}
			if ev.Stage != auditv1.StageRequestReceived && ev.ResponseStatus == nil {
				t.Errorf("%s:%d: no response status at stage %s", file, i+1, ev.Stage)
			}
			if (ev.RequestObject != nil) && ev.Level != auditv1.LevelRequest && ev.Level != auditv1.LevelRequestResponse {
				t.Errorf("%s:%d: a request body at level %s", file, i+1, ev.Level)
			}
			if ev.ResponseObject != nil && ev.Level != auditv1.LevelRequestResponse {
				t.Errorf("%s:%d: a response body at level %s", file, i+1, ev.Level)
			}
		}
	}
}
