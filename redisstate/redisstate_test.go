package redisstate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/internal/servicetest"
	"github.com/footnote-bot/footnote/quota"
)

// State implements the bot's State; the check is here, not beside the
// methods, so that the package itself does not import the bot.
var _ bot.State = (*State)(nil)

// replicas opens two States on one Redis with a test's own prefix, as two
// shards of one deployment would.
func replicas(t *testing.T) (*State, *State) {
	t.Helper()
	url := servicetest.RedisURL(t)
	prefix := servicetest.Name("test:") + ":"
	var out [2]*State
	for i := range out {
		s, err := Open(context.Background(), url, Options{Prefix: prefix, MemoryTTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out[0], out[1]
}

func TestCooldownHoldsAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	if left, err := a.Cooldown(ctx, "g/u1", 2*time.Second); err != nil || left != 0 {
		t.Fatalf("first question: left %v, err %v", left, err)
	}
	left, err := b.Cooldown(ctx, "g/u1", 2*time.Second)
	if err != nil || left <= 0 || left > 2*time.Second {
		t.Fatalf("same user on the other replica: left %v, err %v; want a running cooldown", left, err)
	}
	if left, _ := b.Cooldown(ctx, "g/u2", 2*time.Second); left != 0 {
		t.Errorf("another user waits %v", left)
	}
	time.Sleep(2100 * time.Millisecond)
	if left, _ := b.Cooldown(ctx, "g/u1", 2*time.Second); left != 0 {
		t.Errorf("cooldown did not end: %v left", left)
	}
}

func TestMemoryAndCacheAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	ans := answer.Answer{Question: "q?", Text: "It is. [1]", Backend: answer.BackendTemplate,
		Citations: []answer.Citation{{N: 1, PassageID: "guide#1", Title: "Guide", Paragraph: 1, Text: "It is."}}}
	if err := a.Remember(ctx, "msg:1", cited.Memory{Question: "q?", Answer: ans}); err != nil {
		t.Fatal(err)
	}
	m, ok, err := b.Recall(ctx, "msg:1")
	if err != nil || !ok || m.Question != "q?" || len(m.Answer.Citations) != 1 || m.Answer.Citations[0].PassageID != "guide#1" {
		t.Fatalf("recall on the other replica: %+v %v %v", m, ok, err)
	}
	if _, ok, err := b.Recall(ctx, "msg:2"); ok || err != nil {
		t.Errorf("recalled an answer never remembered: %v %v", ok, err)
	}
	if err := a.CacheAnswer(ctx, "k", ans, time.Second); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.CachedAnswer(ctx, "k")
	if err != nil || !ok || got.Text != ans.Text {
		t.Fatalf("cached answer on the other replica: %+v %v %v", got, ok, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, ok, _ := b.CachedAnswer(ctx, "k"); ok {
		t.Error("cached answer outlived its TTL")
	}
}

func TestBadURLAndDeadServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := Open(ctx, "http://nope", Options{}); err == nil {
		t.Error("a non-Redis URL was accepted")
	}
	_, err := Open(ctx, "redis://:secretpw@127.0.0.1:1/0", Options{})
	if err == nil {
		t.Fatal("a dead Redis was accepted")
	}
	if strings.Contains(err.Error(), "secretpw") {
		t.Errorf("the password leaked into the error: %v", err)
	}
}

// TestTokenBudgetAcrossReplicas: the LLM token counts two replicas add to
// are one count; a server's budget spent on one replica refuses the next
// question on the other.
func TestTokenBudgetAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	qa := quota.New(quota.Limits{PerGuild: 1000, AnswerTokens: 400}, a.Counter(), nil, nil)
	qb := quota.New(quota.Limits{PerGuild: 1000, AnswerTokens: 400}, b.Counter(), nil, nil)
	qa.Spend(ctx, "g1", "u1", 600)
	if ok, _ := qb.Allow(ctx, "g1", "u2", 100); ok {
		t.Error("the other replica allowed a question over the server's budget")
	}
	use, err := qb.Used(ctx, "g1", "u1")
	if err != nil || use.Guild != 600 || use.User != 600 {
		t.Errorf("Used on the other replica = %+v, %v", use, err)
	}
	if ttl := a.rdb.TTL(ctx, a.opt.Prefix+"llm-tokens:"+time.Now().UTC().Format("2006-01-02")+":guild:g1").Val(); ttl <= 0 || ttl > 49*time.Hour {
		t.Errorf("count's TTL = %v, want until a day after today ends", ttl)
	}
}
