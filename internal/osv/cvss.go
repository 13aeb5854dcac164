package osv

import (
	"fmt"
	"math"
	"strings"
)

// Rating is a qualitative severity rating of a CVSS score (the FIRST scale).
type Rating string

// Ratings.
const (
	RatingNone     Rating = "none"
	RatingLow      Rating = "low"
	RatingMedium   Rating = "medium"
	RatingHigh     Rating = "high"
	RatingCritical Rating = "critical"
)

// RatingOf is the FIRST rating of a score: 0 none, 0.1-3.9 low, 4.0-6.9 medium,
// 7.0-8.9 high, 9.0-10.0 critical (the same scale in CVSS v3.x and v4.0).
func RatingOf(score float64) Rating {
	switch {
	case score >= 9.0:
		return RatingCritical
	case score >= 7.0:
		return RatingHigh
	case score >= 4.0:
		return RatingMedium
	case score > 0:
		return RatingLow
	}
	return RatingNone
}

// CVSS is a parsed CVSS vector.
type CVSS struct {
	// Version is "3.0", "3.1" or "4.0".
	Version string
	// Metrics maps each metric of the vector to its value ("AV" -> "N").
	Metrics map[string]string
	// Score is the base score (v4.0: CVSS-B, or CVSS-BT/BE/BTE when the vector has
	// threat or environmental metrics; v3.x: the base score, temporal and environmental
	// metrics are parsed and ignored). Scored is false when the score is not computed.
	Score  float64
	Scored bool
}

// Rating is the FIRST rating of the score, "" if not scored.
func (c *CVSS) Rating() Rating {
	if !c.Scored {
		return ""
	}
	return RatingOf(c.Score)
}

// v3 metric values (CVSS v3.1 specification, section 7.4).
var cvss3Values = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"PR": {"N": 0.85, "L": 0.62, "H": 0.27}, // scope changed: L 0.68, H 0.5
	"UI": {"N": 0.85, "R": 0.62},
	"S":  {"U": 0, "C": 0},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// the optional v3 metrics and their allowed values.
var cvss3Optional = map[string]string{
	"E": "XUPFH", "RL": "XOTWU", "RC": "XURC",
	"CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
	"MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC",
	"MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
}

// v4 metrics: allowed values, base metrics first (CVSS v4.0 specification, section 7).
var cvss4Values = map[string]string{
	"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
	"VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN",
	"E": "XAPU", "CR": "XHML", "IR": "XHML", "AR": "XHML",
	"MAV": "XNALP", "MAC": "XLH", "MAT": "XNP", "MPR": "XNLH", "MUI": "XNPA",
	"MVC": "XNLH", "MVI": "XNLH", "MVA": "XNLH", "MSC": "XNLH", "MSI": "XNLHS", "MSA": "XNLHS",
	"S": "XNP", "AU": "XNY", "R": "XAUI", "V": "XDC", "RE": "XLMH", "U": "XClearGreenAmberRed",
}

var cvss4Base = []string{"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"}

// ParseCVSS parses a CVSS v3.0, v3.1 or v4.0 vector ("CVSS:3.1/AV:N/...") and computes
// its base score. Every base metric is required once; an unknown metric, a repeated one
// or a value outside the metric's set is an error.
func ParseCVSS(vector string) (*CVSS, error) {
	if len(vector) > 1024 {
		return nil, fmt.Errorf("CVSS vector longer than 1024 bytes")
	}
	parts := strings.Split(vector, "/")
	c := &CVSS{Metrics: map[string]string{}}
	switch parts[0] {
	case "CVSS:3.0", "CVSS:3.1", "CVSS:4.0":
		c.Version = strings.TrimPrefix(parts[0], "CVSS:")
	default:
		return nil, fmt.Errorf("CVSS vector %q: unknown version prefix %q", vector, parts[0])
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("CVSS vector %q: malformed metric %q", vector, p)
		}
		if _, dup := c.Metrics[k]; dup {
			return nil, fmt.Errorf("CVSS vector %q: metric %s repeated", vector, k)
		}
		if !validMetric(c.Version, k, v) {
			return nil, fmt.Errorf("CVSS vector %q: invalid metric %s:%s", vector, k, v)
		}
		c.Metrics[k] = v
	}
	base := cvss4Base
	if c.Version != "4.0" {
		base = []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"}
	}
	for _, k := range base {
		if _, ok := c.Metrics[k]; !ok {
			return nil, fmt.Errorf("CVSS vector %q: base metric %s missing", vector, k)
		}
	}
	if c.Version == "4.0" {
		score, err := cvss4Score(c.Metrics)
		if err != nil {
			return nil, fmt.Errorf("CVSS vector %q: %w", vector, err)
		}
		c.Score, c.Scored = score, true
		return c, nil
	}
	c.Score, c.Scored = cvss3Base(c.Metrics), true
	return c, nil
}

func validMetric(version, k, v string) bool {
	if version == "4.0" {
		set, ok := cvss4Values[k]
		if !ok {
			return false
		}
		if k == "U" {
			return v == "X" || v == "Clear" || v == "Green" || v == "Amber" || v == "Red"
		}
		return len(v) == 1 && strings.Contains(set, v)
	}
	if vals, ok := cvss3Values[k]; ok {
		_, ok := vals[v]
		return ok
	}
	set, ok := cvss3Optional[k]
	return ok && len(v) == 1 && strings.Contains(set, v)
}

// cvss3Base is the base score of CVSS v3.1, section 7.1 (v3.0 has the same formula; its
// round-up is the v3.1 one, which removes v3.0's floating-point artefacts).
func cvss3Base(m map[string]string) float64 {
	changed := m["S"] == "C"
	pr := cvss3Values["PR"][m["PR"]]
	if changed {
		switch m["PR"] {
		case "L":
			pr = 0.68
		case "H":
			pr = 0.5
		}
	}
	iss := 1 - (1-cvss3Values["C"][m["C"]])*(1-cvss3Values["I"][m["I"]])*(1-cvss3Values["A"][m["A"]])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	exploitability := 8.22 * cvss3Values["AV"][m["AV"]] * cvss3Values["AC"][m["AC"]] * pr * cvss3Values["UI"][m["UI"]]
	if impact <= 0 {
		return 0
	}
	if changed {
		return roundup(math.Min(1.08*(impact+exploitability), 10))
	}
	return roundup(math.Min(impact+exploitability, 10))
}

// roundup is CVSS v3.1 Appendix A's Roundup: the smallest number, to one decimal place,
// equal to or higher than its input, computed on integers.
func roundup(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
