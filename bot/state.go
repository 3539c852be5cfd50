package bot

import (
	"context"
	"sync"
	"time"

	"github.com/footnote-bot/footnote/answer/cited"
)

// State is what the replicas of one deployment share: per-user cooldowns
// and the answers behind buttons and follow-ups (conversation memory).
// The default, NewLocalState, keeps it in this process; package
// redisstate keeps it in Redis so that every shard sees it. (The answer
// cache is the answer service's: see answer.Cache.)
type State interface {
	// Cooldown starts a cooldown of d for key unless one is running, and
	// returns what is left of the running one (0: it started now).
	Cooldown(ctx context.Context, key string, d time.Duration) (time.Duration, error)
	// Remember keeps an answer under key (an interaction, message or
	// channel) for its buttons and follow-ups.
	Remember(ctx context.Context, key string, m Memory) error
	// Recall returns what Remember kept, and whether there was anything.
	Recall(ctx context.Context, key string) (Memory, bool, error)
}

// Memory is an answer remembered for its buttons and follow-ups.
type Memory = cited.Memory

// LocalState is State in this process: cooldowns in a map, answers in a
// bounded LRU.
type LocalState struct {
	mu      sync.Mutex
	lastAsk map[string]time.Time // key → when the cooldown ends
	recent  *lru[Memory]
	now     func() time.Time
}

var _ State = (*LocalState)(nil)

// NewLocalState keeps up to n remembered answers.
func NewLocalState(n int) *LocalState {
	return &LocalState{lastAsk: map[string]time.Time{}, recent: newLRU[Memory](n), now: time.Now}
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
