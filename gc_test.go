package main

import (
	"math"
	"runtime/debug"
	"testing"
	"time"
)

func TestOneShot(t *testing.T) {
	none := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{[]string{"ask", "What is footnote?"}, nil, true},
		{[]string{"ask", "--index", "f.idx", "--json", "q"}, nil, true},
		{[]string{"search", "--index", "f.idx", "reload"}, nil, true},
		{[]string{"search", "--index", "f.idx", "--queries", "q.jsonl", "--trec"}, nil, false},
		{[]string{"search", "-queries=q.jsonl"}, nil, false},
		{[]string{"search", "--", "--queries"}, nil, true}, // a query, not the flag
		{[]string{"serve"}, nil, false},
		{[]string{"index", "--corpus", "c", "--out", "f.idx"}, nil, false},
		{[]string{"eval", "--index", "f.idx"}, nil, false},
		{nil, nil, false},
		{[]string{"ask", "q"}, map[string]string{"GOGC": "50"}, false},
		{[]string{"ask", "q"}, map[string]string{"GOMEMLIMIT": "1GiB"}, false},
	} {
		getenv := none
		if tt.env != nil {
			getenv = func(k string) string { return tt.env[k] }
		}
		if got := oneShot(tt.args, getenv); got != tt.want {
			t.Errorf("oneShot(%q, %v) = %v, want %v", tt.args, tt.env, got, tt.want)
		}
	}
}

// sink keeps allocations from being optimised away.
var sink []byte

// heapFloor turns collection off up to the floor, and its first
// collection puts the defaults back.
func TestHeapFloorRestoresDefaults(t *testing.T) {
	gogc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gogc); debug.SetMemoryLimit(limit) })

	restored := make(chan struct{})
	heapFloor(8<<20, func() { close(restored) })
	if got := debug.SetMemoryLimit(-1); got != 8<<20 {
		t.Fatalf("memory limit %d, want the floor", got)
	}
	deadline := time.After(time.Minute)
	for done := false; !done; {
		select {
		case <-restored:
			done = true
		case <-deadline:
			t.Fatal("no collection restored the defaults")
		default:
			sink = make([]byte, 1<<20) // garbage until the heap reaches the floor
		}
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d after the first collection, want 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d after the first collection, want none", got)
	}
}
