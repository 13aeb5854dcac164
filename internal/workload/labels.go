package workload

import "strings"

// HasAnyLabel reports whether the pod template or the workload object of w carries
// one of the labels, each written "key=value", or "key" for any value.
func HasAnyLabel(specs []string, w *Workload) bool {
	for _, s := range specs {
		key, val, withVal := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		for _, labels := range []map[string]string{w.Meta.Labels, w.Object.Labels} {
			if v, ok := labels[key]; ok && (!withVal || v == strings.TrimSpace(val)) {
				return true
			}
		}
	}
	return false
}
