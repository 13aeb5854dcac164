package admission

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limits bound what one review may cost, so that no request, however it is built,
// takes a replica's memory or its CPU past the deadline. A review past a limit is
// answered with an error (a LimitError), to which the API server applies the
// webhook's failurePolicy; findings past MaxFindings and MaxListed are summarised,
// never dropped from the decision.
type Limits struct {
	// MaxReviewBytes bounds the body of a review. The API server refuses requests
	// over 3 MiB, and an update's review carries the object twice.
	MaxReviewBytes int
	// MaxValues bounds the JSON values (objects, arrays, strings, numbers, booleans
	// and nulls) of a review, counted before it is decoded: decoded objects take
	// memory by value, not by byte.
	MaxValues int
	// MaxContainers bounds the containers of a pod template (init, regular and
	// ephemeral together), and the images of an ImageReview.
	MaxContainers int
	// MaxFindings bounds the findings kept for one object; those past it are counted
	// by rule, and decide like the first of their rule.
	MaxFindings int
	// MaxListed bounds the findings a denial message lists and the warnings a
	// response carries; the rest are summarised ("... and 9,990 more").
	MaxListed int

	// policyObjects is the number of ValidatingAdmissionPolicies and bindings an
	// evaluator applies (set by NewWithOptions): each adds policyCost to Cost.
	policyObjects int
}

// DefaultLimits are well above any object a cluster stores: etcd refuses objects
// over 1.5 MiB, and real pods have tens of containers.
var DefaultLimits = Limits{
	MaxReviewBytes: 7 << 20,
	MaxValues:      150_000,
	MaxContainers:  500,
	MaxFindings:    1000,
	MaxListed:      20,
}

// orDefault fills the unset (zero or negative) limits from DefaultLimits.
func (l Limits) orDefault() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxReviewBytes, DefaultLimits.MaxReviewBytes)
	def(&l.MaxValues, DefaultLimits.MaxValues)
	def(&l.MaxContainers, DefaultLimits.MaxContainers)
	def(&l.MaxFindings, DefaultLimits.MaxFindings)
	def(&l.MaxListed, DefaultLimits.MaxListed)
	return l
}

// Cost bounds the memory that a review of size bytes holding values JSON values
// takes at its peak: its body, the decoded objects (each value decoded generically,
// then into the typed object the rules read), and the kept findings and messages.
// The webhook reserves it from its review memory budget before reading a body
// (with values not counted yet: CostOf) and returns the excess once it has counted
// them.
func (l Limits) Cost(size, values int) int64 {
	l = l.orDefault()
	c := int64(size)*bytesCost + int64(values)*valueCost + int64(l.MaxFindings)*findingCost + fixedCost
	// The policies' evaluation state. (They also decode the object once more into
	// its typed form, for the API server's code, which valueCost does not count
	// twice: the largest review would then not fit the default review memory.)
	return c + int64(l.policyObjects)*policyCost
}

// CostOf bounds Cost for a body of size bytes whose values are not counted yet: a
// value takes at least two bytes ("0,").
func (l Limits) CostOf(size int) int64 {
	l = l.orDefault()
	return l.Cost(size, min(l.MaxValues, size/2+1))
}

// The terms of Cost, measured by TestReviewCost on the most expensive shapes per
// byte and per value (one-entry objects, empty volumes, privileged containers).
const (
	// bytesCost: the body, and the strings decoded from it.
	bytesCost = 3
	// valueCost: a value decoded generically and into its typed struct, with the
	// findings it may bring: at most about 400 bytes, for an empty Volume ({}).
	valueCost = 448
	// findingCost: a kept finding and its verdict.
	findingCost = 2 << 10
	// fixedCost: the engine's per-review state, the response and the log line.
	fixedCost = 256 << 10
	// policyCost: a ValidatingAdmissionPolicy or binding evaluated on a review (its
	// activation, variables, messages, warnings and audit annotations; the object
	// is shared, not copied, for a built-in kind decoded once into its typed
	// form): BenchmarkReviewWithPolicies allocates about 6 KiB per policy and
	// binding.
	policyCost = 16 << 10
)

// CountValues counts the JSON values of data without decoding it: every value but
// the first follows a '[', a '{' or a ',' outside strings. For data that is not
// JSON it is an upper bound.
func CountValues(data []byte) int {
	n := 1
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{', ',':
			n++
		}
	}
	return n
}

// check refuses a body over the size or value limits, before it is decoded.
func (l Limits) check(data []byte, what string) error {
	l = l.orDefault()
	if len(data) > l.MaxReviewBytes {
		return &LimitError{What: what + " bytes", Got: len(data), Max: l.MaxReviewBytes, Flag: "max-review-bytes"}
	}
	if n := CountValues(data); n > l.MaxValues {
		return &LimitError{What: what + " JSON values", Got: n, Max: l.MaxValues, Flag: "max-review-values"}
	}
	return nil
}

// A LimitError is a review refused because it exceeds one of its Limits.
type LimitError struct {
	// What is counted ("containers in the pod template").
	What     string
	Got, Max int
	// Flag is the `palisade webhook serve` flag that sets the limit.
	Flag string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s %s: a review takes at most %s (webhook serve --%s)", thousands(e.Got), e.What, thousands(e.Max), e.Flag)
}

// ErrInvalid marks a review whose object is not what the API server sends for the
// kind of its request: the answer is an error, never an admission.
var ErrInvalid = errors.New("invalid object")

// thousands writes n with thousands separators: 9,990.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
