package quota

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestBudgets: a question is allowed while what is left covers its prompt
// and the answer's bound; the one that would exceed the server's (or the
// user's) budget is refused, saying whose and when it resets; the counts
// start again the next UTC day.
func TestBudgets(t *testing.T) {
	ctx := context.Background()
	spent := map[string]int{}
	// One fake clock for the budgets and the counter's expiry, so that the
	// test means the same on any day it runs.
	now := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	counter := NewLocal()
	counter.now = clock
	q := New(Limits{PerGuild: 1000, PerUser: 700, AnswerTokens: 400}, counter, nil, func(g string, n int) { spent[g] += n })
	q.now = clock
	if ok, why := q.Allow(ctx, "g1", "u1", 300); !ok {
		t.Fatalf("first question refused: %s", why)
	}
	q.Spend(ctx, "g1", "u1", 600)
	ok, why := q.Allow(ctx, "g1", "u2", 300) // 600 + 300 + 400 > 1000
	if ok || !strings.Contains(why, "this server's") || !strings.Contains(why, "600 of 1000") || !strings.Contains(why, "00:00 UTC") {
		t.Errorf("over the server's budget: %v %q", ok, why)
	}
	if ok, why := q.Allow(ctx, "g2", "u1", 0); ok || !strings.Contains(why, "your daily") { // u1: 600 + 400 > 700
		t.Errorf("over the user's budget in another server: %v %q", ok, why)
	}
	if ok, _ := q.Allow(ctx, "g2", "u3", 300); !ok {
		t.Error("another server's first question refused")
	}
	use, err := q.Used(ctx, "g1", "u1")
	if err != nil || use.Guild != 600 || use.User != 600 || use.GuildLimit != 1000 {
		t.Errorf("Used = %+v, %v", use, err)
	}
	if spent["g1"] != 600 {
		t.Errorf("spent = %v", spent)
	}
	now = now.Add(2 * time.Hour) // the next UTC day
	if ok, why := q.Allow(ctx, "g1", "u2", 300); !ok {
		t.Errorf("refused the next day: %s", why)
	}
	// No limits: everything is allowed, nothing read.
	if ok, _ := New(Limits{}, nil, nil, nil).Allow(ctx, "g", "u", 1e6); !ok {
		t.Error("no limits refused a question")
	}
}

// TestLocalExpires: an in-process count is gone once its expiry has
// passed on the counter's clock, and expired counts are dropped.
func TestLocalExpires(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	l := NewLocal()
	l.now = func() time.Time { return now }
	if n, _ := l.Add(ctx, "a", 5, now.Add(time.Hour)); n != 5 {
		t.Fatalf("Add = %d, want 5", n)
	}
	if n, _ := l.Add(ctx, "a", 2, now.Add(time.Hour)); n != 7 {
		t.Fatalf("second Add = %d, want 7", n)
	}
	now = now.Add(2 * time.Hour)
	if n, _ := l.Get(ctx, "a"); n != 0 {
		t.Errorf("Get after expiry = %d, want 0", n)
	}
	if n, _ := l.Add(ctx, "b", 1, now.Add(time.Hour)); n != 1 {
		t.Errorf("Add b = %d, want 1", n)
	}
	if _, kept := l.m["a"]; kept {
		t.Error("the expired count was kept")
	}
}
