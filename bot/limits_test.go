package bot

import (
	"testing"
	"time"
)

func TestLimitsStayBounded(t *testing.T) {
	l := newLimits(Options{GuildConcurrency: 2})
	for i := 0; i < 20000; i++ {
		release, _, busy := l.take("g", string(rune(i)))
		if busy || release == nil {
			t.Fatal("refused with no cooldown and a free slot")
		}
		release()
	}
	if len(l.lastAsk) != 0 || len(l.inFlight) != 0 {
		t.Errorf("without a cooldown nothing should be remembered: %d users, %d guilds", len(l.lastAsk), len(l.inFlight))
	}
	l = newLimits(Options{GuildConcurrency: 2, Cooldown: time.Second})
	now := time.Now()
	l.now = func() time.Time { return now }
	for i := 0; i < 10001; i++ {
		r, _, _ := l.take("g", string(rune(i)))
		r()
	}
	now = now.Add(time.Minute)
	r, _, _ := l.take("g", "late")
	r()
	if len(l.lastAsk) > 10 {
		t.Errorf("expired cooldowns kept: %d", len(l.lastAsk))
	}
}
