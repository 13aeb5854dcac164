package osv

import (
	"encoding/json"
	"strings"
)

// Assessment is the severity to show for a vulnerable package.
type Assessment struct {
	Rating Rating
	// Score is the CVSS base score, when the assessment comes from a CVSS vector.
	Score  float64
	Scored bool
	// Type is where it comes from: CVSS_V4, CVSS_V3, Ubuntu, or "database_specific"
	// (the GitHub Advisory Database's severity word).
	Type string
	// Vector is the CVSS vector or the ecosystem's word, as the record spells it.
	Vector string
}

// Assess picks the severity of affected package a of record r: the affected package's
// own severities before the record's; among them a CVSS v4.0 vector before a v3.x one
// before an ecosystem rating (Ubuntu's priority); last, the severity word of the
// record's database_specific ("LOW", "MODERATE", "HIGH", "CRITICAL" in GitHub's
// records). Vectors that do not parse are skipped. ok is false when the record rates
// nothing (the Go database does not rate: its records carry no severity).
func Assess(r *Record, a *Affected) (Assessment, bool) {
	var lists [][]Severity
	if a != nil {
		lists = append(lists, a.Severity)
	}
	lists = append(lists, r.Severity)
	for _, list := range lists {
		for _, typ := range []string{SeverityCVSSv4, SeverityCVSSv3, SeverityUbuntu} {
			for _, s := range list {
				if s.Type != typ {
					continue
				}
				if typ == SeverityUbuntu {
					if rating, ok := ubuntuRating(s.Score); ok {
						return Assessment{Rating: rating, Type: typ, Vector: s.Score}, true
					}
					continue
				}
				c, err := ParseCVSS(s.Score)
				if err != nil {
					continue
				}
				return Assessment{Rating: c.Rating(), Score: c.Score, Scored: true, Type: typ, Vector: s.Score}, true
			}
		}
	}
	var ds struct {
		Severity string `json:"severity"`
	}
	if len(r.DatabaseSpecific) > 0 && json.Unmarshal(r.DatabaseSpecific, &ds) == nil {
		if rating, ok := wordRating(ds.Severity); ok {
			return Assessment{Rating: rating, Type: "database_specific", Vector: ds.Severity}, true
		}
	}
	return Assessment{}, false
}

// ubuntuRating maps Ubuntu's priorities; "negligible" is rated low (it is a known
// vulnerability), "untriaged" is no rating.
func ubuntuRating(s string) (Rating, bool) {
	if strings.EqualFold(s, "negligible") {
		return RatingLow, true
	}
	return wordRating(s)
}

func wordRating(s string) (Rating, bool) {
	switch strings.ToLower(s) {
	case "low":
		return RatingLow, true
	case "medium", "moderate":
		return RatingMedium, true
	case "high", "important":
		return RatingHigh, true
	case "critical":
		return RatingCritical, true
	}
	return "", false
}
