//go:build !unix

package main

import "time"

// processCPU is unavailable here: CPU columns read 0.
func processCPU() time.Duration { return 0 }
