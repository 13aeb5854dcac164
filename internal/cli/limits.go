package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/palisade-k8s/palisade/internal/load"
)

// registerRenderLimits adds the flags that bound the rendering of one Helm chart or
// Kustomize overlay.
func registerRenderLimits(f *pflag.FlagSet, l *load.RenderLimits) {
	l.Timeout, l.MaxBytes = load.DefaultRenderTimeout, load.DefaultRenderMaxBytes
	f.Var((*positiveDuration)(&l.Timeout), "render-timeout", "time one Helm chart may take to render")
	f.Var((*byteSize)(&l.MaxBytes), "render-max-bytes", fmt.Sprintf("largest output of one Helm chart or Kustomize overlay, and largest value a template may build (a chart's templates may do %d times as much work in all); a size such as 64Mi", load.WorkFactor))
}

// positiveDuration is a duration flag that must be above zero.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }
func (d *positiveDuration) Type() string   { return "duration" }

func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("must be above zero")
	}
	*d = positiveDuration(v)
	return nil
}

// registerLimits adds the flags that bound what one input may cost.
func registerLimits(f *pflag.FlagSet, l *load.Limits) {
	l.MaxDocumentBytes = load.DefaultMaxDocumentBytes
	l.MaxInputBytes = load.DefaultMaxInputBytes
	l.MaxPathBytes = load.DefaultMaxPathBytes
	f.Var((*byteSize)(&l.MaxDocumentBytes), "max-document-size", "largest YAML or JSON document read; a larger one is an input error (bytes, or a quantity such as 64Mi)")
	f.Var((*byteSize)(&l.MaxInputBytes), "max-input-size", "most read from one file, standard input, chart or overlay; reading stops there with an input error")
	f.Var((*byteSize)(&l.MaxPathBytes), "max-field-paths-size", "largest total length of the field paths of one object (deep nesting under long keys); past it the object is an input error")
}

// byteSize is a size flag written as a Kubernetes quantity ("64Mi", "1G", "1048576").
type byteSize int64

func (b *byteSize) String() string {
	return resource.NewQuantity(int64(*b), resource.BinarySI).String()
}

func (b *byteSize) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("not a size (bytes, or a quantity such as 64Mi): %q", s)
	}
	v, ok := q.AsInt64()
	if !ok {
		v = q.Value()
	}
	if v <= 0 {
		return errors.New("must be positive")
	}
	*b = byteSize(v)
	return nil
}

func (b *byteSize) Type() string { return "size" }
