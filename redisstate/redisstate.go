// Package redisstate keeps the state footnote's replicas share (per-user
// cooldowns, remembered answers for buttons and follow-ups, the answer
// cache) in Redis, so that every shard and replica sees the same. It
// implements bot.State and answer.Cache (its tests check the first: this
// package does not import the bot).
package redisstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/quota"
)

// Options tune the keys.
type Options struct {
	// Prefix starts every key (default "footnote:"), so deployments can
	// share a Redis.
	Prefix string
	// MemoryTTL is how long remembered answers live (default 24h).
	MemoryTTL time.Duration
}

// State is bot.State and answer.Cache in Redis. Safe for concurrent use.
type State struct {
	rdb *redis.Client
	opt Options
}

var _ answer.Cache = (*State)(nil)

// Open connects to the Redis at url (redis://[:password@]host:port/db) and
// checks that it answers.
func Open(ctx context.Context, url string, opt Options) (*State, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: bad URL: %w", err) // the URL may hold a password: not echoed
	}
	if opt.Prefix == "" {
		opt.Prefix = "footnote:"
	}
	if opt.MemoryTTL <= 0 {
		opt.MemoryTTL = 24 * time.Hour
	}
	rdb := redis.NewClient(o)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", o.Addr, err)
	}
	return &State{rdb: rdb, opt: opt}, nil
}

// Close closes the connections.
func (s *State) Close() error { return s.rdb.Close() }

// Cooldown implements bot.State: SET NX with the cooldown as expiry, so
// the first shard to see a question starts it and every shard honours it.
func (s *State) Cooldown(ctx context.Context, key string, d time.Duration) (time.Duration, error) {
	k := s.opt.Prefix + "cooldown:" + key
	ok, err := s.rdb.SetNX(ctx, k, 1, d).Result()
	if err != nil {
		return 0, fmt.Errorf("redis cooldown: %w", err)
	}
	if ok {
		return 0, nil
	}
	left, err := s.rdb.PTTL(ctx, k).Result()
	if err != nil {
		return 0, fmt.Errorf("redis cooldown: %w", err)
	}
	if left <= 0 { // expired between the two calls: let the question through
		return 0, nil
	}
	return left, nil
}

// Remember implements bot.State.
func (s *State) Remember(ctx context.Context, key string, m cited.Memory) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("redis remember: %w", err)
	}
	if err := s.rdb.Set(ctx, s.opt.Prefix+"memory:"+key, data, s.opt.MemoryTTL).Err(); err != nil {
		return fmt.Errorf("redis remember: %w", err)
	}
	return nil
}

// Recall implements bot.State.
func (s *State) Recall(ctx context.Context, key string) (cited.Memory, bool, error) {
	var m cited.Memory
	ok, err := s.getJSON(ctx, s.opt.Prefix+"memory:"+key, &m)
	return m, ok, err
}

// CacheAnswer implements answer.Cache.
func (s *State) CacheAnswer(ctx context.Context, key string, a answer.Answer, ttl time.Duration) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("redis cache: %w", err)
	}
	if err := s.rdb.Set(ctx, s.opt.Prefix+"answer:"+key, data, ttl).Err(); err != nil {
		return fmt.Errorf("redis cache: %w", err)
	}
	return nil
}

// CachedAnswer implements answer.Cache.
func (s *State) CachedAnswer(ctx context.Context, key string) (answer.Answer, bool, error) {
	var a answer.Answer
	ok, err := s.getJSON(ctx, s.opt.Prefix+"answer:"+key, &a)
	return a, ok, err
}

func (s *State) getJSON(ctx context.Context, key string, v any) (bool, error) {
	data, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("redis get: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("redis get %s: %w", key, err)
	}
	return true, nil
}

// Counter is a quota.Counter in Redis: the LLM token counts every replica
// adds to (INCRBY, then EXPIREAT, in one round trip).
func (s *State) Counter() quota.Counter { return counter{s} }

type counter struct{ s *State }

var _ quota.Counter = counter{}

func (c counter) Add(ctx context.Context, key string, n int64, expires time.Time) (int64, error) {
	k := c.s.opt.Prefix + key
	var incr *redis.IntCmd
	_, err := c.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.IncrBy(ctx, k, n)
		p.ExpireAt(ctx, k, expires)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redis: count %s: %w", key, err)
	}
	return incr.Val(), nil
}

func (c counter) Get(ctx context.Context, key string) (int64, error) {
	n, err := c.s.rdb.Get(ctx, c.s.opt.Prefix+key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: count %s: %w", key, err)
	}
	return n, nil
}
