package osv

import (
	"fmt"
	"math"
	"strings"
)

// CVSS v4.0 scoring (specification section 8: macrovectors, their scores looked up, and
// interpolation by severity distance), written after FIRST's reference calculator
// (cvss_score.js, max_composed.js, max_severity.js at the commit of cvss4_lookup.go),
// including its choices where the prose is silent (the first highest vector at or
// above the scored one; unset E/CR/IR/AR as their worst case; modified metrics override
// base ones).

// value levels used for the severity distance.
var cvss4Levels = map[string]map[string]float64{
	"AV": {"N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3},
	"PR": {"N": 0.0, "L": 0.1, "H": 0.2},
	"UI": {"N": 0.0, "P": 0.1, "A": 0.2},
	"AC": {"L": 0.0, "H": 0.1},
	"AT": {"N": 0.0, "P": 0.1},
	"VC": {"H": 0.0, "L": 0.1, "N": 0.2},
	"VI": {"H": 0.0, "L": 0.1, "N": 0.2},
	"VA": {"H": 0.0, "L": 0.1, "N": 0.2},
	"SC": {"H": 0.1, "L": 0.2, "N": 0.3},
	"SI": {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	"SA": {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	"CR": {"H": 0.0, "M": 0.1, "L": 0.2},
	"IR": {"H": 0.0, "M": 0.1, "L": 0.2},
	"AR": {"H": 0.0, "M": 0.1, "L": 0.2},
}

// highest-severity vectors of each EQ level (max_composed.js).
var (
	cvss4MaxEQ1 = map[byte][]string{
		'0': {"AV:N/PR:N/UI:N/"},
		'1': {"AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"},
		'2': {"AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"},
	}
	cvss4MaxEQ2 = map[byte][]string{
		'0': {"AC:L/AT:N/"},
		'1': {"AC:H/AT:N/", "AC:L/AT:P/"},
	}
	cvss4MaxEQ3EQ6 = map[string][]string{
		"00": {"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"},
		"01": {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"},
		"10": {"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"},
		"11": {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"},
		"21": {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"},
	}
	cvss4MaxEQ4 = map[byte][]string{
		'0': {"SC:H/SI:S/SA:S/"},
		'1': {"SC:H/SI:H/SA:H/"},
		'2': {"SC:L/SI:L/SA:L/"},
	}
	cvss4MaxEQ5 = map[byte][]string{'0': {"E:A/"}, '1': {"E:P/"}, '2': {"E:U/"}}
)

// max severity distances of each EQ level, +1 (max_severity.js).
var (
	cvss4MaxSevEQ1    = map[byte]float64{'0': 1, '1': 4, '2': 5}
	cvss4MaxSevEQ2    = map[byte]float64{'0': 1, '1': 2}
	cvss4MaxSevEQ3EQ6 = map[string]float64{"00": 7, "01": 6, "10": 8, "11": 8, "21": 10}
	cvss4MaxSevEQ4    = map[byte]float64{'0': 6, '1': 5, '2': 4}
)

// cvss4Effective is the value a metric takes for scoring.
func cvss4Effective(m map[string]string, k string) string {
	v := m[k]
	switch k {
	case "E":
		if v == "" || v == "X" {
			return "A"
		}
		return v
	case "CR", "IR", "AR":
		if v == "" || v == "X" {
			return "H"
		}
		return v
	}
	if mv := m["M"+k]; mv != "" && mv != "X" {
		return mv
	}
	return v
}

func cvss4MacroVector(m map[string]string) string {
	e := func(k string) string { return cvss4Effective(m, k) }
	var eq [6]byte
	av, pr, ui := e("AV"), e("PR"), e("UI")
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = '0'
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = '1'
	default:
		eq[0] = '2'
	}
	if e("AC") == "L" && e("AT") == "N" {
		eq[1] = '0'
	} else {
		eq[1] = '1'
	}
	vc, vi, va := e("VC"), e("VI"), e("VA")
	switch {
	case vc == "H" && vi == "H":
		eq[2] = '0'
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = '1'
	default:
		eq[2] = '2'
	}
	switch {
	case e("MSI") == "S" || e("MSA") == "S":
		eq[3] = '0'
	case e("SC") == "H" || e("SI") == "H" || e("SA") == "H":
		eq[3] = '1'
	default:
		eq[3] = '2'
	}
	switch e("E") {
	case "A":
		eq[4] = '0'
	case "P":
		eq[4] = '1'
	default:
		eq[4] = '2'
	}
	if (e("CR") == "H" && vc == "H") || (e("IR") == "H" && vi == "H") || (e("AR") == "H" && va == "H") {
		eq[5] = '0'
	} else {
		eq[5] = '1'
	}
	return string(eq[:])
}

func cvss4Score(m map[string]string) (float64, error) {
	e := func(k string) string { return cvss4Effective(m, k) }
	if e("VC") == "N" && e("VI") == "N" && e("VA") == "N" && e("SC") == "N" && e("SI") == "N" && e("SA") == "N" {
		return 0, nil
	}
	mv := cvss4MacroVector(m)
	value, ok := cvss4Lookup[mv]
	if !ok {
		return 0, fmt.Errorf("no score for macrovector %s", mv)
	}
	with := func(i int, d byte) string {
		b := []byte(mv)
		b[i] += d
		return string(b)
	}
	lower := func(s string) (float64, bool) { v, ok := cvss4Lookup[s]; return v, ok }
	eq3, eq6 := mv[2], mv[5]
	var l36 float64
	var ok36 bool
	switch {
	case eq3 == '1' && eq6 == '1', eq3 == '0' && eq6 == '1':
		l36, ok36 = lower(with(2, 1))
	case eq3 == '1' && eq6 == '0':
		l36, ok36 = lower(with(5, 1))
	case eq3 == '0' && eq6 == '0':
		left, okl := lower(with(5, 1))
		right, okr := lower(with(2, 1))
		// JavaScript: left > right ? left : right, with undefined comparing false.
		if okl && okr && left > right {
			l36, ok36 = left, true
		} else {
			l36, ok36 = right, okr
		}
	default:
		ok36 = false // 21 -> 32 does not exist
	}
	l1, ok1 := lower(with(0, 1))
	l2, ok2 := lower(with(1, 1))
	l4, ok4 := lower(with(3, 1))
	l5, ok5 := lower(with(4, 1))

	// The highest-severity vectors of the macrovector, composed.
	var maxes []string
	for _, a := range cvss4MaxEQ1[mv[0]] {
		for _, b := range cvss4MaxEQ2[mv[1]] {
			for _, c := range cvss4MaxEQ3EQ6[string([]byte{eq3, eq6})] {
				for _, d := range cvss4MaxEQ4[mv[3]] {
					for _, f := range cvss4MaxEQ5[mv[4]] {
						maxes = append(maxes, a+b+c+d+f)
					}
				}
			}
		}
	}
	dist := map[string]float64{}
	for _, mx := range maxes {
		mm := map[string]string{}
		for _, p := range strings.Split(strings.TrimSuffix(mx, "/"), "/") {
			k, v, _ := strings.Cut(p, ":")
			mm[k] = v
		}
		neg := false
		for _, k := range []string{"AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"} {
			d := cvss4Levels[k][e(k)] - cvss4Levels[k][mm[k]]
			dist[k] = d
			neg = neg || d < 0
		}
		if !neg {
			break
		}
	}
	cur1 := dist["AV"] + dist["PR"] + dist["UI"]
	cur2 := dist["AC"] + dist["AT"]
	cur36 := dist["VC"] + dist["VI"] + dist["VA"] + dist["CR"] + dist["IR"] + dist["AR"]
	cur4 := dist["SC"] + dist["SI"] + dist["SA"]

	const step = 0.1
	n := 0
	var norm1, norm2, norm36, norm4, norm5 float64
	if ok1 {
		n++
		norm1 = (value - l1) * (cur1 / (cvss4MaxSevEQ1[mv[0]] * step))
	}
	if ok2 {
		n++
		norm2 = (value - l2) * (cur2 / (cvss4MaxSevEQ2[mv[1]] * step))
	}
	if ok36 {
		n++
		norm36 = (value - l36) * (cur36 / (cvss4MaxSevEQ3EQ6[string([]byte{eq3, eq6})] * step))
	}
	if ok4 {
		n++
		norm4 = (value - l4) * (cur4 / (cvss4MaxSevEQ4[mv[3]] * step))
	}
	if ok5 {
		n++
		norm5 = (value - l5) * 0
	}
	mean := 0.0
	if n > 0 {
		mean = (norm1 + norm2 + norm36 + norm4 + norm5) / float64(n)
	}
	value -= mean
	value = math.Max(0, math.Min(10, value))
	return math.Floor(value*10+0.5) / 10, nil
}
