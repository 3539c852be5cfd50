package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"strings"
)

// oneShotHeap is how much a one-shot command may allocate before its
// first collection. A question over an index file allocates a few MiB
// (package init, the documents' table, snippets; 33 MiB at 1M passages,
// nearly all of it live) and the runtime's first goal is 4 MiB, so one
// collection ran in nearly every 'search' and 'ask' of SciFact's index
// (~4 ms of a ~21 ms process) and two at 1M passages (~5 ms), freeing
// next to nothing.
const oneShotHeap = 64 << 20

// oneShot reports whether a command line answers one question and exits
// (ask, or search without --queries): its heap is short-lived, so
// collecting it early is wasted work. serve, batches and builds keep the
// runtime's defaults, as do runs that set GOGC or GOMEMLIMIT themselves.
func oneShot(args []string, getenv func(string) string) bool {
	if len(args) == 0 || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	switch args[0] {
	case "ask":
	case "search":
		for _, a := range args[1:] {
			if a == "--" {
				break
			}
			if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "queries" {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// heapFloor lets the process allocate floor bytes before its first
// collection, then restores the runtime's defaults (GOGC 100, no memory
// limit): collection is off with floor as the memory limit, so the first
// collection comes when the heap reaches it, and that collection frees a
// sentinel whose finalizer puts the defaults back. So a large command
// still collects as usual after its first floor bytes; it cannot spin
// against the limit. restored, if not nil, runs after the defaults are
// back (for tests).
func heapFloor(floor int64, restored func()) {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floor)
	sentinel := &struct {
		p *int // pointers and 16+ bytes: its own allocation, not a tiny block shared with others
		_ [2]int64
	}{}
	runtime.SetFinalizer(sentinel, func(any) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		if restored != nil {
			restored()
		}
	})
}
