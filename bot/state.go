package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/footnote-bot/footnote/answer"
)

// State is what the replicas of one deployment share: per-user cooldowns,
// the answers behind buttons and follow-ups (conversation memory) and the
// answer cache. The default, NewLocalState, keeps it in this process;
// package redisstate keeps it in Redis so that every shard sees it.
type State interface {
	// Cooldown starts a cooldown of d for key unless one is running, and
	// returns what is left of the running one (0: it started now).
	Cooldown(ctx context.Context, key string, d time.Duration) (time.Duration, error)
	// Remember keeps an answer under key (an interaction, message or
	// channel) for its buttons and follow-ups.
	Remember(ctx context.Context, key string, m Memory) error
	// Recall returns what Remember kept, and whether there was anything.
	Recall(ctx context.Context, key string) (Memory, bool, error)
	// CacheAnswer keeps an answer for ttl under a cache key.
	CacheAnswer(ctx context.Context, key string, a answer.Answer, ttl time.Duration) error
	// CachedAnswer returns a cached answer, and whether there was one.
	CachedAnswer(ctx context.Context, key string) (answer.Answer, bool, error)
}

// Memory is an answer remembered for its buttons and follow-ups.
type Memory struct {
	Question string        `json:"question"`
	Answer   answer.Answer `json:"answer"`
}

// LocalState is State in this process: cooldowns in a map, answers in
// bounded LRUs.
type LocalState struct {
	mu      sync.Mutex
	lastAsk map[string]time.Time // key → when the cooldown ends
	recent  *lru[Memory]
	cache   *lru[cached]
	now     func() time.Time
}

type cached struct {
	a       answer.Answer
	expires time.Time
}

// NewLocalState keeps up to n remembered and n cached answers.
func NewLocalState(n int) *LocalState {
	return &LocalState{lastAsk: map[string]time.Time{}, recent: newLRU[Memory](n), cache: newLRU[cached](n), now: time.Now}
}

// Cooldown implements State.
func (s *LocalState) Cooldown(_ context.Context, key string, d time.Duration) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if end, ok := s.lastAsk[key]; ok && now.Before(end) {
		return end.Sub(now), nil
	}
	s.lastAsk[key] = now.Add(d)
	// Forget cooldowns that have run out, so the map stays small.
	if len(s.lastAsk) > 10000 {
		for k, end := range s.lastAsk {
			if !now.Before(end) {
				delete(s.lastAsk, k)
			}
		}
	}
	return 0, nil
}

// Remember implements State.
func (s *LocalState) Remember(_ context.Context, key string, m Memory) error {
	s.recent.put(key, m)
	return nil
}

// Recall implements State.
func (s *LocalState) Recall(_ context.Context, key string) (Memory, bool, error) {
	m, ok := s.recent.get(key)
	return m, ok, nil
}

// CacheAnswer implements State.
func (s *LocalState) CacheAnswer(_ context.Context, key string, a answer.Answer, ttl time.Duration) error {
	s.cache.put(key, cached{a: a, expires: s.now().Add(ttl)})
	return nil
}

// CachedAnswer implements State.
func (s *LocalState) CachedAnswer(_ context.Context, key string) (answer.Answer, bool, error) {
	c, ok := s.cache.get(key)
	if !ok || !s.now().Before(c.expires) {
		return answer.Answer{}, false, nil
	}
	return c.a, true, nil
}

// cachingAnswerer answers from the cache when it can. Follow-ups (with
// earlier context) are never cached; the key includes the index version,
// so a reload or ingestion starts afresh.
type cachingAnswerer struct {
	next    Answerer
	state   State
	ttl     time.Duration
	version func() string
	onError func(error)
}

// AnswerCacheKey is the cache key of a question against an index version.
func AnswerCacheKey(version string, req answer.Request) string {
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.Join(strings.Fields(req.Question), " "))))
	for _, d := range req.Docs {
		h.Write([]byte{0})
		h.Write([]byte(d))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sources is not cached: Find source is rare and answered fast.
func (c cachingAnswerer) Sources(ctx context.Context, claim string) (answer.Answer, error) {
	return c.next.Sources(ctx, claim)
}

func (c cachingAnswerer) Answer(ctx context.Context, req answer.Request) (answer.Answer, error) {
	if len(req.Context) > 0 {
		return c.next.Answer(ctx, req)
	}
	key := AnswerCacheKey(c.version(), req)
	a, ok, err := c.state.CachedAnswer(ctx, key)
	if err != nil {
		c.onError(err)
	} else if ok {
		return a, nil
	}
	a, err = c.next.Answer(ctx, req)
	if err != nil {
		return a, err
	}
	if err := c.state.CacheAnswer(ctx, key, a, c.ttl); err != nil {
		c.onError(err)
	}
	return a, nil
}

// remember keeps an answer in the shared state; a failure is logged, and
// only costs the buttons and follow-ups of that answer.
func (b *Bot) remember(ctx context.Context, key string, m Memory) {
	if err := b.state.Remember(ctx, key, m); err != nil {
		b.log.Warn("answer not remembered", "key", key, "err", err)
	}
}

// recall reads a remembered answer; a failure is logged and reads as none.
func (b *Bot) recall(ctx context.Context, key string) (Memory, bool) {
	m, ok, err := b.state.Recall(ctx, key)
	if err != nil {
		b.log.Warn("answer not recalled", "key", key, "err", err)
		return Memory{}, false
	}
	return m, ok
}
