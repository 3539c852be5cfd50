package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// logBuffer captures slog output for assertions.
type logBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

func TestMissedHeartbeatAcksReidentify(t *testing.T) {
	t.Parallel()
	h := start(t, setup{fake: discordtest.Options{HeartbeatInterval: 40 * time.Millisecond}})
	h.d.AckHeartbeats(false)
	// discordgo gives up after five intervals without an ACK and closes with
	// 1000, which ends the session on Discord: it must identify again.
	eventually(t, func() bool {
		for _, c := range h.d.ClientCloses() {
			if !c.Reply && (c.Code == 1000 || c.Code == 1001) {
				return true
			}
		}
		return false
	}, "client closed the dead connection")
	h.d.AckHeartbeats(true)
	if !h.d.WaitIdentified(2, 15*time.Second) {
		t.Fatal("bot did not identify again after its resume was refused")
	}
	id, tok := h.ask("What is footnote?", nil)
	h.callback(id, tok)
}

func TestBadTokenIsFatalWithClearError(t *testing.T) {
	t.Parallel()
	d := discordtest.New(t, discordtest.Options{})
	ix, _ := retrieval.Build(guideDocs(t), retrieval.DefaultParams())
	live := retrieval.NewLive(ix)
	p, _ := prompts.Load("")
	b, err := New(Options{Token: "wrong-token", APIURL: d.APIURL()}, answer.New(live.Load, p, answer.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "4004") || !strings.Contains(err.Error(), "Reset Token") || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
			t.Errorf("err = %v, want a clear 4004 error saying to reset the token", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept retrying a rejected token")
	}
}

// TestConnectErrorsSayWhatToDo: a token the REST API refuses (401) and an
// API address nothing answers at are reported as what they are, naming
// the address footnote really dialled (not discordgo's discord.com).
func TestConnectErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	ix, _ := retrieval.Build(guideDocs(t), retrieval.DefaultParams())
	p, _ := prompts.Load("")
	svc := answer.New(retrieval.NewLive(ix).Load, p, answer.Options{})

	d := discordtest.New(t, discordtest.Options{})
	d.Fail(discordtest.Failure{Method: "GET", PathPrefix: "/gateway", Status: 401, Times: 10})
	b, err := New(Options{Token: "revoked", APIURL: d.APIURL()}, svc)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Reset Token") || strings.Contains(err.Error(), "revoked") {
		t.Errorf("401: err = %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/api/v10"
	ln.Close() // nothing listens there now
	b, err = New(Options{Token: "t", APIURL: dead}, svc)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) || strings.Contains(err.Error(), "discord.com/api/v9") {
		t.Errorf("unreachable: err = %v, want the address dialled", err)
	}
}

func TestServerErrorOnEditIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 50*time.Millisecond, 0), opt: Options{EditInterval: time.Hour}})
	h.d.Fail(discordtest.Failure{Method: "PATCH", PathPrefix: "/webhooks/", Status: 500, Times: 2})
	id, tok := h.ask("How do I reload the articles?", nil)
	h.callback(id, tok)
	if e := h.waitEdit(tok, true); !strings.Contains(embeds(e)[0]["description"].(string), "/reload") {
		t.Errorf("answer not delivered after two 500s: %v", e)
	}
}

func TestGlobalRateLimitOnCallbackIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.d.Fail(discordtest.Failure{Method: "POST", PathPrefix: "/interactions/", Status: 429, RetryAfter: 0.2, Global: true})
	id, tok := h.ask("What is footnote?", nil)
	if cb := h.callback(id, tok); len(embeds(data(cb))) == 0 {
		t.Errorf("callback after a global 429 = %v", cb)
	}
}

func TestExpiredTokenAnswerIsLoggedNotLost(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	h := start(t, setup{llm: slowLLM(t, 0, 0), opt: Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), EditInterval: time.Hour}})
	// An interaction created 16 minutes ago: its token no longer takes edits.
	old := (time.Now().Add(-16*time.Minute).UnixMilli() - 1420070400000) << 22
	id, tok := h.ask("How do I reload the articles?", func(m map[string]any) {
		m["id"] = strconv.FormatInt(old, 10)
	})
	_ = id
	eventually(t, func() bool { return strings.Contains(logs.String(), "reply not delivered") }, "undelivered answer logged")
	l := logs.String()
	if !strings.Contains(l, "question=\"How do I reload the articles?\"") || !strings.Contains(l, "expired") {
		t.Errorf("log lacks the question or the reason:\n%s", l)
	}
	if len(h.edits(tok)) != 0 {
		t.Error("edited with an expired token")
	}
}

func TestCloseCode4000Resumes(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.d.CloseWith(4000, "Unknown error")
	eventually(t, func() bool { return h.d.Resumes() >= 1 }, "resume after close 4000")
	id, tok := h.ask("What is footnote?", nil)
	h.callback(id, tok)
	if n := len(h.d.Identifies()); n != 1 {
		t.Errorf("identified %d times; 4000 is resumable", n)
	}
	// The bot answered the fake's close frame (discordgo answers with
	// 1000) and closed nothing on its own: the fake saw the whole closing
	// handshake, and the reply did not end the session.
	eventually(t, func() bool { return len(h.d.ClientCloses()) > 0 }, "the bot answered the close frame")
	if c := h.d.ClientCloses(); len(c) != 1 || !c[0].Reply {
		t.Errorf("client close frames = %+v, want one, the reply to the fake's 4000", c)
	}
}

func TestSlowDiscordStillDelivers(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.d.Fail(discordtest.Failure{Method: "POST", PathPrefix: "/interactions/", Delay: 800 * time.Millisecond})
	id, tok := h.ask("What is footnote?", nil)
	if cb := h.callback(id, tok); len(embeds(data(cb))) == 0 {
		t.Errorf("slow callback = %v", cb)
	}
}

// TestGuildConcurrencyQueue: a question over its server's concurrency
// waits for its turn: it is acknowledged at once (deferred) and answered
// once the question before it is; with no queue (guild_queue 0) it is
// refused instead.
func TestGuildConcurrencyQueue(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 700*time.Millisecond, 0), opt: Options{GuildConcurrency: 1, EditInterval: time.Hour}})
	id1, tok1 := h.ask("How do I reload the articles?", nil)
	h.callback(id1, tok1)
	id2, tok2 := h.ask("What is footnote?", func(m map[string]any) { setUser(m, "1500000000000000055") })
	if cb := h.callback(id2, tok2); cb["type"].(float64) != 5 {
		t.Errorf("the waiting question was not deferred: %v", cb)
	}
	first := h.waitEdit(tok1, true)
	second := h.waitEdit(tok2, true)
	for n, e := range []map[string]any{first, second} {
		if len(embeds(e)) == 0 {
			t.Errorf("question %d not answered: %v", n+1, e)
		}
	}

	h = start(t, setup{llm: slowLLM(t, 700*time.Millisecond, 0), opt: Options{GuildConcurrency: 1, GuildQueue: -1, EditInterval: time.Hour}})
	id1, tok1 = h.ask("How do I reload the articles?", nil)
	h.callback(id1, tok1)
	id2, tok2 = h.ask("What is footnote?", func(m map[string]any) { setUser(m, "1500000000000000055") })
	d := data(h.callback(id2, tok2))
	if flags, _ := d["flags"].(float64); int(flags)&64 == 0 || !strings.Contains(d["content"].(string), "too many questions from this server") {
		t.Errorf("second question with no queue: %v", d)
	}
	h.waitEdit(tok1, true) // the first still completes
}

func TestShardIdentifyAndRegistration(t *testing.T) {
	t.Parallel()
	h := start(t, setup{opt: Options{ShardID: 1, ShardCount: 2}})
	shard := h.d.Identifies()[0]["shard"].([]any)
	if shard[0].(float64) != 1 || shard[1].(float64) != 2 {
		t.Errorf("IDENTIFY shard = %v, want [1 2]", shard)
	}
}

// shard_count auto: the count comes from /gateway/bot.
func TestShardCountAuto(t *testing.T) {
	t.Parallel()
	h := start(t, setup{fake: discordtest.Options{RecommendedShards: 2}, opt: Options{ShardID: 1, ShardAuto: true}})
	shard := h.d.Identifies()[0]["shard"].([]any)
	if shard[0].(float64) != 1 || shard[1].(float64) != 2 {
		t.Errorf("IDENTIFY shard = %v, want [1 2] (count from /gateway/bot)", shard)
	}
}

func TestShardCountAutoTooFewShards(t *testing.T) {
	t.Parallel()
	d := discordtest.New(t, discordtest.Options{RecommendedShards: 2})
	ix, err := retrieval.Build(guideDocs(t), retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	live := retrieval.NewLive(ix)
	p, _ := prompts.Load("")
	b, err := New(Options{Token: discordtest.Token, APIURL: d.APIURL(), ShardID: 3, ShardAuto: true},
		answer.New(live.Load, p, answer.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "recommends 2 shards") {
		t.Errorf("Run = %v, want shard_id out of the recommended range", err)
	}
}

// TestFiftyAtOnceAllAnswered: 50 questions from 50 users arriving together
// in one server (4 answered at once) are all answered with citations, none
// refused: the rest wait for their turn (issue 16 measured 31 refusals).
func TestFiftyAtOnceAllAnswered(t *testing.T) {
	t.Parallel()
	h := start(t, setup{opt: Options{GuildConcurrency: 4, QueueNotice: time.Hour}})
	type q struct{ id, tok string }
	var qs []q
	for n := range 50 {
		id, tok := h.ask("How do I reload the articles?", func(m map[string]any) {
			setUser(m, fmt.Sprintf("15000000000001%05d", n))
		})
		qs = append(qs, q{id, tok})
	}
	deferred := 0
	for n, x := range qs {
		cb := h.callback(x.id, x.tok)
		answer := data(cb)
		if cb["type"].(float64) == 5 { // deferred: the answer is edited in
			deferred++
			answer = h.waitEdit(x.tok, true)
		}
		if len(embeds(answer)) == 0 || !strings.Contains(fmt.Sprint(embeds(answer)[0]["description"]), "[1]") {
			t.Errorf("question %d not answered with a citation: %v", n+1, answer)
		}
	}
	if n := h.obs.get("ask/refused"); n != 0 {
		t.Errorf("%d of 50 refused", n)
	}
	t.Logf("50 answered, %d of them deferred (waited for a turn or the answer budget)", deferred)
}

// TestQueuePositionAndMetrics: a question still waiting for its turn after
// QueueNotice is told its place ("1 question is ahead of yours") in its
// deferred reply, which the answer then replaces; the observer sees the
// queue grow and empty and the wait.
func TestQueuePositionAndMetrics(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 700*time.Millisecond, 0), opt: Options{GuildConcurrency: 1, EditInterval: time.Hour, QueueNotice: 50 * time.Millisecond}})
	id1, tok1 := h.ask("How do I reload the articles?", nil)
	h.callback(id1, tok1)
	id2, tok2 := h.ask("What is footnote?", func(m map[string]any) { setUser(m, "1500000000000000055") })
	h.callback(id2, tok2)
	eventually(t, func() bool {
		for _, e := range h.edits(tok2) {
			if c, _ := e["content"].(string); strings.Contains(c, "1 question is ahead of yours") {
				return true
			}
		}
		return false
	}, "the waiting question told its place")
	if e := h.waitEdit(tok2, true); len(embeds(e)) == 0 || e["content"] != "" {
		t.Errorf("the answer did not replace the notice: %v", e)
	}
	h.waitEdit(tok1, true)
	eventually(t, func() bool {
		h.obs.mu.Lock()
		defer h.obs.mu.Unlock()
		g := discordtest.GuildID
		return h.obs.waited[g] == 1 && slices.Contains(h.obs.queues, g+"=1") && slices.Contains(h.obs.queues, g+"=0")
	}, "queue length and wait observed")
}
