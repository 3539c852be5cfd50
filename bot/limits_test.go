package bot

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestLimitsStayBounded(t *testing.T) {
	ctx := context.Background()
	st := NewLocalState(16)
	l := newLimits(Options{GuildConcurrency: 2}, st, slog.New(slog.DiscardHandler))
	for i := 0; i < 20000; i++ {
		release, _, busy, _ := l.take(ctx, "g", string(rune(i)), nil, nil)
		if busy || release == nil {
			t.Fatal("refused with no cooldown and a free slot")
		}
		release()
	}
	if len(st.lastAsk) != 0 || len(l.guilds) != 0 {
		t.Errorf("without a cooldown nothing should be remembered: %d users, %d guilds", len(st.lastAsk), len(l.guilds))
	}
	st = NewLocalState(16)
	l = newLimits(Options{GuildConcurrency: 2, Cooldown: time.Second}, st, slog.New(slog.DiscardHandler))
	now := time.Now()
	st.now = func() time.Time { return now }
	for i := 0; i < 10001; i++ {
		r, _, _, _ := l.take(ctx, "g", string(rune(i)), nil, nil)
		r()
	}
	now = now.Add(time.Minute)
	r, _, _, _ := l.take(ctx, "g", "late", nil, nil)
	r()
	if len(st.lastAsk) > 10 {
		t.Errorf("expired cooldowns kept: %d", len(st.lastAsk))
	}
}

func TestLimitsCooldownAndBusy(t *testing.T) {
	ctx := context.Background()
	st := NewLocalState(16)
	l := newLimits(Options{GuildConcurrency: 1, GuildQueue: 0, Cooldown: time.Minute}, st, slog.New(slog.DiscardHandler))
	r1, _, _, _ := l.take(ctx, "g", "alice", nil, nil)
	if r1 == nil {
		t.Fatal("first question refused")
	}
	if r, _, busy, _ := l.take(ctx, "g", "bob", nil, nil); r != nil || !busy {
		t.Fatal("second question while the guild's one slot is taken, with no queue, should be busy")
	}
	r1()
	if r, wait, busy, _ := l.take(ctx, "g", "alice", nil, nil); r != nil || busy || wait <= 0 || wait > time.Minute {
		t.Fatalf("alice again: release %v, wait %v, busy %v; want a cooldown", r != nil, wait, busy)
	}
	// The refused question gave its slot back.
	if r, _, _, _ := l.take(ctx, "g", "bob", nil, nil); r == nil {
		t.Fatal("bob refused after alice's cooldown refusal")
	} else {
		r()
	}
}

// TestLimitsQueue: past a guild's concurrency, questions wait for a turn
// in the order they came (each told once that it waits), a released turn
// goes to the first waiting, a question that gives up leaves the queue, a
// full queue is busy, a user in their cooldown takes no place, and another
// guild is not held up.
func TestLimitsQueue(t *testing.T) {
	ctx := context.Background()
	l := newLimits(Options{GuildConcurrency: 1, GuildQueue: 2, Cooldown: time.Minute}, NewLocalState(16), slog.New(slog.DiscardHandler))
	first, _, _, _ := l.take(ctx, "g", "u0", nil, nil)
	if first == nil {
		t.Fatal("first question refused")
	}
	type taken struct {
		user    string
		release func()
		err     error
	}
	got := make(chan taken, 4)
	waiting := make(chan string, 4)
	ask := func(ctx context.Context, user string) {
		go func() {
			r, _, busy, err := l.take(ctx, "g", user, nil, func(func() int) { waiting <- user })
			if busy {
				err = errors.New("busy")
			}
			got <- taken{user, r, err}
		}()
		if w := <-waiting; w != user { // in the queue before the next asks
			t.Errorf("%s told it waits, want %s", w, user)
		}
	}
	ask(ctx, "u1")
	gaveUp, cancel := context.WithCancel(ctx)
	ask(gaveUp, "u2")
	// The queue holds two: a third is busy, at once, without waiting.
	if r, _, busy, _ := l.take(ctx, "g", "u3", nil, func(func() int) { t.Error("u3 waited in a full queue") }); r != nil || !busy {
		t.Fatal("a third waiting question should be busy")
	}
	// Another guild has turns of its own.
	if r, _, _, _ := l.take(ctx, "h", "u9", nil, func(func() int) { t.Error("another guild waited") }); r == nil {
		t.Fatal("another guild refused")
	} else {
		r()
	}
	cancel()
	if g := <-got; g.user != "u2" || g.release != nil || !errors.Is(g.err, context.Canceled) {
		t.Fatalf("u2 gave up: %+v", g)
	}
	// u1 came first and is still waiting: the released turn is its.
	first()
	g := <-got
	if g.user != "u1" || g.release == nil || g.err != nil {
		t.Fatalf("after the first question: %+v, want u1's turn", g)
	}
	// u0 is in its cooldown: refused, and it takes no place in the queue.
	if r, wait, _, _ := l.take(ctx, "g", "u0", nil, func(func() int) { t.Error("u0 waited during its cooldown") }); r != nil || wait <= 0 {
		t.Fatalf("u0 in its cooldown: release %v, wait %v", r != nil, wait)
	}
	ask(ctx, "u4")
	g.release()
	if g := <-got; g.user != "u4" || g.release == nil {
		t.Fatalf("after u1: %+v, want u4's turn", g)
	} else {
		g.release()
	}
	if len(l.guilds) != 0 {
		t.Errorf("guilds left: %v", l.guilds)
	}
	// A turn that does not come before the deadline.
	hold, _, _, _ := l.take(ctx, "g", "u5", nil, nil)
	short, stop := context.WithTimeout(ctx, time.Millisecond)
	defer stop()
	if _, _, _, err := l.take(short, "g", "u6", nil, nil); !errors.Is(err, errQueueWait) {
		t.Errorf("a turn past the deadline: %v, want errQueueWait", err)
	}
	hold()
	if len(l.guilds) != 0 {
		t.Errorf("guilds left after the deadline: %v", l.guilds)
	}
}
