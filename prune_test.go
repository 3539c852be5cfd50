package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// prunes records each Prune's cutoff, failing the first when failFirst.
type prunes struct {
	cutoffs   chan time.Time
	failFirst bool
	calls     int
}

func (p *prunes) Prune(_ context.Context, before time.Time) (int64, int64, error) {
	p.calls++
	p.cutoffs <- before
	if p.failFirst && p.calls == 1 {
		return 0, 0, errors.New("database is locked")
	}
	return 1, 0, nil
}

// TestPruneLog: serve's pruning runs at once, then every interval (a
// failure waits for the next), with the cutoff its retention before now,
// and stops with its context.
func TestPruneLog(t *testing.T) {
	p := &prunes{cutoffs: make(chan time.Time), failFirst: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	const keep = 90 * 24 * time.Hour
	go func() {
		pruneLog(ctx, p, keep, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		close(done)
	}()
	for n := range 3 {
		select {
		case at := <-p.cutoffs:
			if d := time.Since(at) - keep; d < 0 || d > time.Minute {
				t.Errorf("prune %d: cutoff %v, want %v before now", n+1, at, keep)
			}
		case <-time.After(time.Minute):
			t.Fatalf("prune %d never ran", n+1)
		}
	}
	cancel()
	// A prune under way may be finishing: take its cutoff, then the loop ends.
	for {
		select {
		case <-p.cutoffs:
			continue
		case <-done:
			return
		case <-time.After(time.Minute):
			t.Fatal("pruneLog did not stop with its context")
		}
	}
}
