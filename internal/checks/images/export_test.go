package images

import "time"

// SetNow replaces the clock PAL-128 judges against and returns a function that
// restores it.
func SetNow(t time.Time) (restore func()) {
	prev := now
	now = func() time.Time { return t }
	return func() { now = prev }
}
