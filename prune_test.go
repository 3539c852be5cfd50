package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// prunes records each call's cutoff, failing the first Prune when
// failFirst.
type prunes struct {
	cutoffs, purges chan time.Time
	failFirst       bool
	calls           int
}

func (p *prunes) Prune(_ context.Context, before time.Time) (int64, int64, error) {
	p.calls++
	p.cutoffs <- before
	if p.failFirst && p.calls == 1 {
		return 0, 0, errors.New("database is locked")
	}
	return 1, 0, nil
}

func (p *prunes) PurgeLeft(_ context.Context, before time.Time) ([]string, error) {
	p.purges <- before
	return []string{"100"}, nil
}

// TestPruneLog: serve's pruning runs at once, then every interval (a
// failure waits for the next): questions and votes older than the
// retention, and the data of servers left more than the grace ago; it
// stops with its context.
func TestPruneLog(t *testing.T) {
	p := &prunes{cutoffs: make(chan time.Time), purges: make(chan time.Time), failFirst: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r := retention{keep: 90 * 24 * time.Hour, grace: 7 * 24 * time.Hour}
	go func() {
		pruneLog(ctx, p, r, 10*time.Millisecond, slog.New(slog.DiscardHandler), nil)
		close(done)
	}()
	near := func(what string, at time.Time, ago time.Duration) {
		if d := time.Since(at) - ago; d < 0 || d > time.Minute {
			t.Errorf("%s: cutoff %v, want %v before now", what, at, ago)
		}
	}
	for n := range 3 {
		for _, c := range []struct {
			what string
			ch   chan time.Time
			ago  time.Duration
		}{{"prune", p.cutoffs, r.keep}, {"purge", p.purges, r.grace}} {
			select {
			case at := <-c.ch:
				near(c.what, at, c.ago)
			case <-time.After(time.Minute):
				t.Fatalf("%s %d never ran", c.what, n+1)
			}
		}
	}
	cancel()
	// A round under way may be finishing: take its calls, then the loop ends.
	for {
		select {
		case <-p.cutoffs:
		case <-p.purges:
		case <-done:
			// With keep 0 (for ever) only the servers left are purged.
			p = &prunes{cutoffs: make(chan time.Time), purges: make(chan time.Time)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go pruneLog(ctx, p, retention{grace: time.Hour}, time.Hour, slog.New(slog.DiscardHandler), nil)
			select {
			case <-p.cutoffs:
				t.Error("pruned with question_log_days 0")
			case at := <-p.purges:
				near("purge, keep for ever", at, time.Hour)
			case <-time.After(time.Minute):
				t.Fatal("purge never ran")
			}
			return
		case <-time.After(time.Minute):
			t.Fatal("pruneLog did not stop with its context")
		}
	}
}
