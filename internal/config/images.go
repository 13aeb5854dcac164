package config

// Applies reports whether the images policy judges images at all: a requirement, or
// a deny default. Without one, PAL-115 and PAL-116 check nothing and nothing is
// verified.
func (i *Images) Applies() bool {
	return len(i.Verify) > 0 || i.Default == "deny"
}
