package load

import "fmt"

// Limits bound what one input may cost, so that a hostile or broken input is an input
// error rather than a scan that runs out of memory or never ends. Zero fields take the
// defaults.
type Limits struct {
	// MaxDocumentBytes bounds one YAML document (DefaultMaxDocumentBytes if 0). The
	// splitter stops collecting a document that grows past it, and goes on with the
	// next one.
	MaxDocumentBytes int64
	// MaxInputBytes bounds what is read from one input: a file, standard input, a
	// rendered chart or overlay (DefaultMaxInputBytes if 0). Reading stops there.
	MaxInputBytes int64
	// MaxPathBytes bounds the total length of the field paths of one decoded object
	// (DefaultMaxPathBytes if 0), which grows with the square of the nesting depth.
	MaxPathBytes int64
}

const (
	// DefaultMaxDocumentBytes is far above any object the API server stores (etcd
	// refuses about 1.5 MiB) and leaves room for a List of a whole namespace.
	DefaultMaxDocumentBytes = 64 << 20
	// DefaultMaxInputBytes bounds one input, standard input and pipes included.
	DefaultMaxInputBytes = 1 << 30
	// DefaultMaxPathBytes is many times what the deepest real manifests need.
	DefaultMaxPathBytes = 256 << 20
)

func (l Limits) maxDocumentBytes() int64 {
	return orDefault(l.MaxDocumentBytes, DefaultMaxDocumentBytes)
}
func (l Limits) maxInputBytes() int64 { return orDefault(l.MaxInputBytes, DefaultMaxInputBytes) }
func (l Limits) maxPathBytes() int64  { return orDefault(l.MaxPathBytes, DefaultMaxPathBytes) }

func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// formatBytes writes a size the way the limits' flags take it ("64Mi", "1Gi", "300").
func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
