package nodes

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/nodeconfig"
)

// valueOf is the effective value at path (nil when unset).
func valueOf(e *nodeconfig.Effective, path string) any {
	v, _ := e.Value(path)
	return v
}

// boolOr is v, or false when unset: for messages about a boolean whose default is
// false.
func boolOr(v any) any {
	if v == nil {
		return false
	}
	return v
}

// asBool reads a boolean value: a JSON boolean, or the text of a flag.
func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

// asInt reads a whole number: a JSON number (float64 or json.Number), a Go
// integer, or the text of a flag.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// asDuration reads a duration as metav1.Duration writes it ("4h0m0s").
func asDuration(v any) (time.Duration, bool) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(x))
		return d, err == nil
	case float64:
		return time.Duration(x), x == math.Trunc(x)
	case int64:
		return time.Duration(x), true
	}
	return 0, false
}

// stringList reads a list of strings (a JSON list, or a flag's comma-separated
// text).
func stringList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	case []string:
		return x
	case string:
		var out []string
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
