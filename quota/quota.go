// Package quota keeps the language model's daily token budgets: what each
// server and each user used today (UTC), counted from the responses'
// usage, and whether a question may still use the model.
//
// A question is allowed when what is left covers its worst case: its
// prompt (estimated by the caller) plus the answer's bound (llm_max_tokens).
// So a budget is never overrun by more than the estimate's error, and the
// question that would exceed it gets the template answer instead. The
// counts live in a Counter: in process, or in Redis for every replica.
package quota

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Counter keeps counts that expire.
type Counter interface {
	// Add adds n to key (created to expire at expires) and returns the
	// new count.
	Add(ctx context.Context, key string, n int64, expires time.Time) (int64, error)
	// Get returns key's count (0 when there is none).
	Get(ctx context.Context, key string) (int64, error)
}

// Limits are the daily budgets, in tokens (0: unlimited).
type Limits struct {
	PerGuild, PerUser int64
	// AnswerTokens is the most an answer may use (llm_max_tokens).
	AnswerTokens int64
}

// Quota is the budgets over a Counter.
type Quota struct {
	lim Limits
	c   Counter
	log *slog.Logger
	now func() time.Time
	// spent, when set, is told the tokens each server used (metrics).
	spent func(guild string, tokens int)
}

// New keeps lim in c. spent may be nil.
func New(lim Limits, c Counter, log *slog.Logger, spent func(guild string, tokens int)) *Quota {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Quota{lim: lim, c: c, log: log, now: time.Now, spent: spent}
}

// day is the UTC day of t, and when it ends.
func day(t time.Time) (string, time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return start.Format("2006-01-02"), start.Add(24 * time.Hour)
}

func guildKey(d, guild string) string {
	if guild == "" {
		guild = "dm"
	}
	return "llm-tokens:" + d + ":guild:" + guild
}

func userKey(d, user string) string { return "llm-tokens:" + d + ":user:" + user }

// Use is one server's and one user's use today.
type Use struct {
	Guild, GuildLimit int64
	User, UserLimit   int64
	Resets            time.Time // when today's counts start again
}

// Used reports guild's and user's use today.
func (q *Quota) Used(ctx context.Context, guild, user string) (Use, error) {
	d, end := day(q.now())
	g, err := q.c.Get(ctx, guildKey(d, guild))
	if err != nil {
		return Use{}, fmt.Errorf("quota: %w", err)
	}
	var u int64
	if user != "" {
		if u, err = q.c.Get(ctx, userKey(d, user)); err != nil {
			return Use{}, fmt.Errorf("quota: %w", err)
		}
	}
	return Use{Guild: g, GuildLimit: q.lim.PerGuild, User: u, UserLimit: q.lim.PerUser, Resets: end}, nil
}

// Allow reports whether a question from user in guild, with a prompt of
// about promptTokens, may use the model; if not, why (for the reader). A
// counter that cannot be read allows it (logged): the budget is a cost
// control, not a reason to fail answers.
func (q *Quota) Allow(ctx context.Context, guild, user string, promptTokens int) (bool, string) {
	if q.lim.PerGuild <= 0 && q.lim.PerUser <= 0 {
		return true, ""
	}
	use, err := q.Used(ctx, guild, user)
	if err != nil {
		q.log.Warn("LLM budget not checked", "err", err)
		return true, ""
	}
	need := int64(promptTokens) + q.lim.AnswerTokens
	at := use.Resets.Format("15:04 UTC")
	if q.lim.PerGuild > 0 && use.Guild+need > q.lim.PerGuild {
		return false, fmt.Sprintf("this server's daily language-model budget (%d of %d tokens used) would be exceeded; it resets at %s, and /quota shows it", use.Guild, q.lim.PerGuild, at)
	}
	if q.lim.PerUser > 0 && user != "" && use.User+need > q.lim.PerUser {
		return false, fmt.Sprintf("your daily language-model budget (%d of %d tokens used) would be exceeded; it resets at %s", use.User, q.lim.PerUser, at)
	}
	return true, ""
}

// Spend records the tokens a question used.
func (q *Quota) Spend(ctx context.Context, guild, user string, tokens int) {
	if tokens <= 0 {
		return
	}
	d, end := day(q.now())
	// Kept a day past the day's end, for /quota near midnight elsewhere.
	expires := end.Add(24 * time.Hour)
	if _, err := q.c.Add(ctx, guildKey(d, guild), int64(tokens), expires); err != nil {
		q.log.Warn("LLM tokens not counted", "guild", guild, "err", err)
	}
	if user != "" {
		if _, err := q.c.Add(ctx, userKey(d, user), int64(tokens), expires); err != nil {
			q.log.Warn("LLM tokens not counted", "user", user, "err", err)
		}
	}
	if q.spent != nil {
		q.spent(guild, tokens)
	}
}

// Local is a Counter in this process.
type Local struct {
	mu  sync.Mutex
	m   map[string]localCount
	now func() time.Time // the clock counts expire by
}

type localCount struct {
	n       int64
	expires time.Time
}

// NewLocal returns an empty in-process Counter.
func NewLocal() *Local { return &Local{m: map[string]localCount{}, now: time.Now} }

// Add implements Counter.
func (l *Local) Add(_ context.Context, key string, n int64, expires time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k, c := range l.m {
		if now.After(c.expires) {
			delete(l.m, k)
		}
	}
	c := l.m[key]
	c.n += n
	c.expires = expires
	l.m[key] = c
	return c.n, nil
}

// Get implements Counter.
func (l *Local) Get(_ context.Context, key string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.m[key]
	if !ok || l.now().After(c.expires) {
		return 0, nil
	}
	return c.n, nil
}
