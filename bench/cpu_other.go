//go:build !unix

package bench

import "time"

// ProcessCPU is not measured on this system: it always returns 0.
func ProcessCPU() time.Duration { return 0 }
