package cli

import (
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

// byteSize is a size flag written as bytes or a Kubernetes quantity (64Mi, 1G).
type byteSize int64

func (b *byteSize) String() string {
	return resource.NewQuantity(int64(*b), resource.BinarySI).String()
}

func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("not a size (such as 64Mi or 1000000): %q", s)
	}
	v, ok := q.AsInt64()
	if !ok || v <= 0 {
		return fmt.Errorf("must be a whole number of bytes above zero: %q", s)
	}
	*b = byteSize(v)
	return nil
}
