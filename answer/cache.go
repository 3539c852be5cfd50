package answer

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Cache keeps answers for a while, so that the same question against the
// same articles is answered once (Options.Cache). LocalCache keeps them in
// this process; package redisstate in Redis, shared by every replica.
type Cache interface {
	// CacheAnswer keeps an answer for ttl under a cache key.
	CacheAnswer(ctx context.Context, key string, a Answer, ttl time.Duration) error
	// CachedAnswer returns a cached answer, and whether there was one.
	CachedAnswer(ctx context.Context, key string) (Answer, bool, error)
}

// AnswerCacheKey is the cache key of a question against an index version:
// the question with case and spacing folded, and the articles it keeps to.
func AnswerCacheKey(version string, req Request) string {
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

// cachedAnswer answers from the cache when it can (version: the index's,
// read only when the cache is on), else with answer,
// whose answer it then caches. Follow-ups (with earlier context) are never
// cached; the key includes the index version, so a reload or ingestion
// starts afresh. A cache that fails costs a log line, not the answer.
func (s *Service) cachedAnswer(ctx context.Context, version func() string, req Request, answer func() (Answer, error)) (Answer, error) {
	if s.opt.Cache == nil || s.opt.CacheTTL <= 0 || req.Context != "" {
		return answer()
	}
	key := AnswerCacheKey(version(), req)
	a, ok, err := s.opt.Cache.CachedAnswer(ctx, key)
	if err != nil {
		s.log.Warn("answer cache", "err", err)
	} else if ok {
		return a, nil
	}
	a, err = answer()
	if err != nil || a.Notice != "" {
		// A fallback (the LLM down, slow, or over a budget) is this
		// moment's answer, and one server's or user's: not kept.
		return a, err
	}
	if err := s.opt.Cache.CacheAnswer(ctx, key, a, s.opt.CacheTTL); err != nil {
		s.log.Warn("answer cache", "err", err)
	}
	return a, nil
}

// LocalCache is a Cache in this process: the n answers used last. Safe
// for concurrent use.
type LocalCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // of *cacheEntry, most recently used first
	items map[string]*list.Element
	now   func() time.Time
}

type cacheEntry struct {
	key     string
	a       Answer
	expires time.Time
}

var _ Cache = (*LocalCache)(nil)

// NewLocalCache keeps up to n answers.
func NewLocalCache(n int) *LocalCache {
	return &LocalCache{max: max(n, 1), ll: list.New(), items: map[string]*list.Element{}, now: time.Now}
}

// CacheAnswer implements Cache.
func (c *LocalCache) CacheAnswer(_ context.Context, key string, a Answer, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: key, a: a, expires: c.now().Add(ttl)}
	if el, ok := c.items[key]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return nil
	}
	c.items[key] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
	return nil
}

// CachedAnswer implements Cache.
func (c *LocalCache) CachedAnswer(_ context.Context, key string) (Answer, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Answer{}, false, nil
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		return Answer{}, false, nil
	}
	c.ll.MoveToFront(el)
	return e.a, true, nil
}
