package bot

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestLimitsStayBounded(t *testing.T) {
	ctx := context.Background()
	st := NewLocalState(16)
	l := newLimits(Options{GuildConcurrency: 2}, st, slog.New(slog.DiscardHandler))
	for i := 0; i < 20000; i++ {
		release, _, busy := l.take(ctx, "g", string(rune(i)))
		if busy || release == nil {
			t.Fatal("refused with no cooldown and a free slot")
		}
		release()
	}
	if len(st.lastAsk) != 0 || len(l.inFlight) != 0 {
		t.Errorf("without a cooldown nothing should be remembered: %d users, %d guilds", len(st.lastAsk), len(l.inFlight))
	}
	st = NewLocalState(16)
	l = newLimits(Options{GuildConcurrency: 2, Cooldown: time.Second}, st, slog.New(slog.DiscardHandler))
	now := time.Now()
	st.now = func() time.Time { return now }
	for i := 0; i < 10001; i++ {
		r, _, _ := l.take(ctx, "g", string(rune(i)))
		r()
	}
	now = now.Add(time.Minute)
	r, _, _ := l.take(ctx, "g", "late")
	r()
	if len(st.lastAsk) > 10 {
		t.Errorf("expired cooldowns kept: %d", len(st.lastAsk))
	}
}

func TestLimitsCooldownAndBusy(t *testing.T) {
	ctx := context.Background()
	st := NewLocalState(16)
	l := newLimits(Options{GuildConcurrency: 1, Cooldown: time.Minute}, st, slog.New(slog.DiscardHandler))
	r1, _, _ := l.take(ctx, "g", "alice")
	if r1 == nil {
		t.Fatal("first question refused")
	}
	if r, _, busy := l.take(ctx, "g", "bob"); r != nil || !busy {
		t.Fatal("second question while the guild's one slot is taken should be busy")
	}
	r1()
	if r, wait, busy := l.take(ctx, "g", "alice"); r != nil || busy || wait <= 0 || wait > time.Minute {
		t.Fatalf("alice again: release %v, wait %v, busy %v; want a cooldown", r != nil, wait, busy)
	}
	// The refused question gave its slot back.
	if r, _, _ := l.take(ctx, "g", "bob"); r == nil {
		t.Fatal("bob refused after alice's cooldown refusal")
	} else {
		r()
	}
}
