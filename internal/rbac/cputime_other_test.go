//go:build !unix

package rbac

import "time"

func cpuTime() time.Duration { return 0 }
