package osv

import (
	"encoding/json"
	"testing"
)

func TestAssess(t *testing.T) {
	v3 := Severity{SeverityCVSSv3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}                    // 7.5
	v4 := Severity{SeverityCVSSv4, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"} // 9.3
	ubu := Severity{SeverityUbuntu, "negligible"}
	bad := Severity{SeverityCVSSv4, "CVSS:4.0/AV:N"}
	for _, tc := range []struct {
		name   string
		r      Record
		a      *Affected
		rating Rating
		typ    string
		score  float64
		ok     bool
	}{
		{"v4 before v3", Record{Severity: []Severity{v3, v4}}, nil, RatingCritical, SeverityCVSSv4, 9.3, true},
		{"affected before record", Record{Severity: []Severity{v4}}, &Affected{Severity: []Severity{v3}}, RatingHigh, SeverityCVSSv3, 7.5, true},
		{"unparsable skipped", Record{Severity: []Severity{bad, v3}}, nil, RatingHigh, SeverityCVSSv3, 7.5, true},
		{"ubuntu", Record{Severity: []Severity{ubu}}, &Affected{}, RatingLow, SeverityUbuntu, 0, true},
		{"ghsa word", Record{DatabaseSpecific: json.RawMessage(`{"severity":"MODERATE"}`)}, nil, RatingMedium, "database_specific", 0, true},
		{"nothing (Go database)", Record{DatabaseSpecific: json.RawMessage(`{"url":"x"}`)}, nil, "", "", 0, false},
	} {
		got, ok := Assess(&tc.r, tc.a)
		if ok != tc.ok || got.Rating != tc.rating || got.Type != tc.typ || got.Score != tc.score {
			t.Errorf("%s: %+v %v", tc.name, got, ok)
		}
	}
}
