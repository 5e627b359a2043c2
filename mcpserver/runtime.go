package mcpserver

import "runtime/debug"

// gcPercent is the server's GOGC. A tool call allocates a few hundred
// kilobytes that die at once (the decoded page and its rendering), while
// the live heap stays a few megabytes; at the default GOGC=100 the
// collector took a quarter of the CPU of a call. Letting the heap grow to
// four times the live size trades memory the server has to spare for CPU.
// Under 32 concurrent HTTP callers, 300 and 400 gave the same throughput
// with peak RSS of 44 and 52 MiB: 300 keeps a margin below 60 MB.
const gcPercent = 300

// memoryLimit is the server's soft memory limit (GOMEMLIMIT). GOGC=300
// alone lets the heap grow to four times what is live: after a burst of
// calls holding large PostHog answers (each up to the client's 32 MiB
// cap), that is gigabytes of garbage before the next collection. Near the
// limit the collector runs as often as it must instead, so the garbage of
// finished calls is reclaimed while the burst goes on. It is far above the
// server's ordinary heap (a few MB; ~30 MB of generated logs with
// --sandbox), where GOGC=300 keeps governing.
const memoryLimit = 512 << 20

// TuneGC applies the server's collector settings unless the operator set
// GOGC or GOMEMLIMIT, which always win.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
