package load

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"helm.sh/helm/v3/pkg/chartutil"
)

// Go's text/template cannot be stopped once it runs, and Helm's engine gives its
// templates functions that build values of any size from a few bytes of input
// (repeat 2000000000 "a", until, tpl recursion through values), so a chart could
// hold a render, and the scanner's memory, for ever. Palisade renders with its own
// copy of Helm's engine (helm_render.go) in which every way a template does work
// goes through a renderBudget:
//
//   - every function call checks the deadline, and the functions whose result size
//     their arguments set (repeat, until, indent, replace, toYaml of a shared
//     structure, ...) are refused before they run if the result would pass the limit;
//   - the size of every function's result is charged to the work budget, as is every
//     byte a template writes (through include and tpl too);
//   - every range iteration and every template entered ticks the deadline, since a
//     loop may call no function at all;
//   - the rendered output of the chart is capped.
//
// Exceeding any of them stops the render with an error that says which limit.

// renderBudget is what one chart may still spend.
type renderBudget struct {
	limits   RenderLimits
	deadline time.Time
	maxWork  int64
	work     int64 // bytes produced: function results and template text
	out      int64 // bytes of the rendered files
	nesting  int   // include and tpl calls in progress
	// err is the first limit exceeded; every later check fails with it.
	err error
}

func newRenderBudget(limits RenderLimits) *renderBudget {
	limits = limits.withDefaults()
	return &renderBudget{
		limits:   limits,
		deadline: time.Now().Add(limits.Timeout),
		maxWork:  limits.MaxBytes * WorkFactor,
	}
}

// limitError is a render stopped by a limit.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

func (b *renderBudget) fail(format string, args ...any) error {
	if b.err == nil {
		b.err = &limitError{msg: fmt.Sprintf(format, args...)}
	}
	return b.err
}

// check fails once a limit was exceeded or the time is up.
func (b *renderBudget) check() error {
	if b.err != nil {
		return b.err
	}
	if time.Now().After(b.deadline) {
		return b.fail("render took longer than %s (--render-timeout)", b.limits.Timeout)
	}
	return nil
}

// charge counts n bytes of work.
func (b *renderBudget) charge(n int64) error {
	if b.work += n; b.work > b.maxWork {
		return b.failWork()
	}
	return b.check()
}

func (b *renderBudget) failWork() error {
	return b.fail("templates did more than %s of work in all (%d times --render-max-bytes)", formatBytes(b.maxWork), WorkFactor)
}

// tickCost is what a range iteration or a template entered is charged: at least the
// variables it sets. A loop that calls no function is bounded by it too.
const tickCost = 16

func (b *renderBudget) tick() error { return b.charge(tickCost) }

// allow refuses, before it is built, a value of n bytes that what names: one value
// may not pass --render-max-bytes, nor the work left.
func (b *renderBudget) allow(what string, n int64) error {
	if n > b.limits.MaxBytes {
		return b.fail("%s would build a value over the limit of %s (--render-max-bytes)", what, formatBytes(b.limits.MaxBytes))
	}
	if b.work+n > b.maxWork {
		return b.failWork()
	}
	return b.check()
}

// maxNesting bounds include and tpl calls inside one another: each one is a new
// template execution on the goroutine stack, which Go cannot grow for ever.
const maxNesting = 1000

func (b *renderBudget) enter(what string) error {
	if b.nesting >= maxNesting {
		return b.fail("%s nested more than %d deep", what, maxNesting)
	}
	b.nesting++
	return b.check()
}

func (b *renderBudget) leave() { b.nesting-- }

// budgetWriter collects what a template writes, charging it; top marks the writer
// of a rendered file, whose bytes count towards the output cap.
type budgetWriter struct {
	b   *renderBudget
	top bool
	buf strings.Builder
}

func (w *budgetWriter) Write(p []byte) (int, error) {
	if err := w.b.charge(int64(len(p))); err != nil {
		return 0, err
	}
	if w.top {
		if w.b.out += int64(len(p)); w.b.out > w.b.limits.MaxBytes {
			return 0, w.b.fail("rendered output over the limit of %s (--render-max-bytes)", formatBytes(w.b.limits.MaxBytes))
		}
	} else if int64(w.buf.Len()+len(p)) > w.b.limits.MaxBytes {
		return 0, w.b.fail("an include or tpl would build a value over the limit of %s (--render-max-bytes)", formatBytes(w.b.limits.MaxBytes))
	}
	return w.buf.Write(p)
}

func (w *budgetWriter) String() string { return w.buf.String() }

// maxValueDepth bounds the nesting of a value that a function walks (to print it,
// copy it, compare it): Go's encoders and fmt recurse once per level. The YAML and
// JSON decoders stop at the same depth.
const maxValueDepth = 10000

var errTooDeep = errors.New("value nested too deeply")

// valueSize estimates the bytes that printing or serializing v takes (what fmt, JSON
// and YAML write), counting a structure shared in several places each time it is
// reached, as the encoders do. It stops as soon as the estimate passes limit, at
// maxValueDepth levels, and at a value that contains itself.
func valueSize(v reflect.Value, limit int64) (size int64, err error) {
	s := sizer{limit: limit, onPath: map[uintptr]bool{}}
	err = s.walk(v, 0)
	return s.size, err
}

type sizer struct {
	limit, size int64
	onPath      map[uintptr]bool
}

var errTooBig = errors.New("too big")

// errCycle is a value that contains itself: printing it would never end.
var errCycle = errors.New("a value contains itself")

func (s *sizer) add(n int64) error {
	if s.size += n; s.size > s.limit {
		return errTooBig
	}
	return nil
}

// walkAny is walk for the types templates mostly hold, without reflection.
func (s *sizer) walkAny(x interface{}, depth int) error {
	if depth > maxValueDepth {
		return errTooDeep
	}
	switch x := x.(type) {
	case nil:
		return s.add(5)
	case string:
		return s.add(int64(len(x)) + 2)
	case bool, int, int64, float64:
		return s.add(8)
	case map[string]interface{}:
		return s.mapAny(x, depth)
	case renderValues:
		return s.mapAny(x, depth)
	case chartutil.Values:
		return s.mapAny(x, depth)
	case []interface{}:
		if len(x) == 0 {
			return s.add(2)
		}
		return s.container(uintptr(unsafe.Pointer(unsafe.SliceData(x))), func() error {
			for _, e := range x {
				if err := s.add(2); err != nil {
					return err
				}
				if err := s.walkAny(e, depth+1); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return s.walk(reflect.ValueOf(x), depth)
}

func (s *sizer) mapAny(m map[string]interface{}, depth int) error {
	p := reflect.ValueOf(m).Pointer()
	if len(m) == 0 {
		if s.onPath[p] {
			return errCycle
		}
		return s.add(2)
	}
	return s.container(p, func() error {
		for k, v := range m {
			if err := s.add(int64(len(k)) + 6); err != nil {
				return err
			}
			if err := s.walkAny(v, depth+1); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *sizer) walk(v reflect.Value, depth int) error {
	if depth > maxValueDepth {
		return errTooDeep
	}
	if !v.IsValid() {
		return s.add(5)
	}
	if v.CanInterface() {
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				return s.walkAny(v.Elem().Interface(), depth)
			}
		case reflect.Map, reflect.Slice:
			switch x := v.Interface().(type) {
			case map[string]interface{}, renderValues, chartutil.Values, []interface{}:
				return s.walkAny(x, depth)
			}
		}
	}
	switch v.Kind() {
	case reflect.String:
		return s.add(int64(v.Len()) + 2)
	case reflect.Interface:
		if v.IsNil() {
			return s.add(5)
		}
		return s.walk(v.Elem(), depth)
	case reflect.Pointer:
		if v.IsNil() {
			return s.add(5)
		}
		return s.container(v.Pointer(), func() error { return s.walk(v.Elem(), depth+1) })
	case reflect.Map:
		if v.IsNil() {
			return s.add(5)
		}
		if v.Len() == 0 {
			if s.onPath[v.Pointer()] {
				return errCycle
			}
			return s.add(2)
		}
		return s.container(v.Pointer(), func() error {
			it := v.MapRange()
			for it.Next() {
				if err := s.add(4); err != nil {
					return err
				}
				if err := s.walk(it.Key(), depth+1); err != nil {
					return err
				}
				if err := s.walk(it.Value(), depth+1); err != nil {
					return err
				}
			}
			return nil
		})
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return s.add(int64(v.Len())*4 + 2) // printed as numbers, or base64
		}
		walkElems := func() error {
			for i := 0; i < v.Len(); i++ {
				if err := s.add(2); err != nil {
					return err
				}
				if err := s.walk(v.Index(i), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if v.Kind() == reflect.Slice && v.Len() > 0 {
			return s.container(v.Pointer(), walkElems)
		}
		return walkElems()
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if err := s.add(int64(len(v.Type().Field(i).Name)) + 2); err != nil {
				return err
			}
			if err := s.walk(v.Field(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return s.add(24)
}

// container walks the contents of a map, slice or pointer at address p, refusing one
// that is being walked already (a cycle).
func (s *sizer) container(p uintptr, walk func() error) error {
	if s.onPath[p] {
		return errCycle
	}
	s.onPath[p] = true
	err := walk()
	delete(s.onPath, p)
	return err
}

// shallowSize is what a function's result is charged: the bytes of a string, the
// elements of a slice or map (not what they point to, which was charged when built).
func shallowSize(v reflect.Value) int64 {
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() {
		return 8
	}
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return int64(v.Len())
		}
		return int64(v.Len()) * 16
	case reflect.Map:
		return int64(v.Len()) * 48
	}
	return 8
}
