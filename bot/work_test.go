package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/openaitest"
)

// waiters is how many handlers wait for a slot.
func (w *work) waiters() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, q := range w.waiting {
		n += len(q)
	}
	return n
}

// queue starts a handler for key that waits for a slot, reports its name
// on got once it has one and releases it when hold closes; it returns
// once the handler waits.
func queue(t *testing.T, w *work, key, name string, got chan<- string, hold <-chan struct{}) {
	t.Helper()
	before := w.waiters()
	go func() {
		s, err := w.acquire(context.Background(), key)
		if err != nil {
			t.Error(err)
			return
		}
		got <- name
		<-hold
		s.release()
	}()
	eventually(t, func() bool { return w.waiters() == before+1 }, name+" waits")
}

// TestWorkSlotsTakeTurnsAcrossServers: with every slot taken, a server
// with many questions waiting and another with one take turns: the other
// server's question gets the next slot, not the last.
func TestWorkSlotsTakeTurnsAcrossServers(t *testing.T) {
	w := newWork(1)
	first, err := w.acquire(context.Background(), "flood")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 8)
	names := []struct{ key, name string }{{"flood", "f1"}, {"flood", "f2"}, {"flood", "f3"}, {"other", "o1"}, {"flood", "f4"}, {"third", "t1"}}
	hold := map[string]chan struct{}{}
	for _, n := range names {
		hold[n.name] = make(chan struct{})
		queue(t, w, n.key, n.name, got, hold[n.name])
	}
	first.release()
	var order []string
	for range names {
		name := <-got
		order = append(order, name)
		close(hold[name])
	}
	// Round-robin in the order the servers first waited, first come
	// first served within one.
	want := []string{"f1", "o1", "t1", "f2", "f3", "f4"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("slots went to %v, want %v", order, want)
		}
	}
}

// TestWorkSlotPauseAndCancel: a paused slot goes to the next waiter and
// is taken back after; a waiter whose context ends leaves the queue, and
// the slot count stays whole.
func TestWorkSlotPauseAndCancel(t *testing.T) {
	w := newWork(1)
	a, _ := w.acquire(context.Background(), "a")
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := w.acquire(ctx, "b")
		gaveUp <- err
	}()
	eventually(t, func() bool { return w.waiters() == 1 }, "b waits")
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with an ended context = %v", err)
	}
	if n := w.waiters(); n != 0 {
		t.Fatalf("%d waiting after the cancel", n)
	}
	// a pauses: c gets the slot; a resumes once c is done.
	cGot := make(chan *slot, 1)
	go func() {
		c, _ := w.acquire(context.Background(), "c")
		cGot <- c
	}()
	eventually(t, func() bool { return w.waiters() == 1 }, "c waits")
	a.pause()
	c := <-cGot
	resumed := make(chan struct{})
	go func() {
		_ = a.resume(context.Background())
		close(resumed)
	}()
	eventually(t, func() bool { return w.waiters() == 1 }, "a waits to resume")
	c.release()
	<-resumed
	a.release()
	// Both slots' worth is back: one acquire succeeds at once, a
	// second with an ended context does not.
	s, err := w.acquire(context.Background(), "d")
	if err != nil || !s.held {
		t.Fatalf("slot not free after everyone released: %v", err)
	}
	done, stop := context.WithTimeout(context.Background(), time.Millisecond)
	defer stop()
	if _, err := w.acquire(done, "e"); err == nil {
		t.Fatal("two slots handed out of one")
	}
}

// TestLanguageModelWaitHoldsNoWorkSlot: with one work slot, a server's
// answer waiting on the language model does not keep another server's
// question waiting: the slot is given up while the model writes. The
// model's answer for the first server is held until the second server's
// answer is delivered, so if the wait held the slot, the second would wait
// for a minute (the answer budget) and the test would fail.
func TestLanguageModelWaitHoldsNoWorkSlot(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	writing := make(chan struct{}, 1)
	var requests atomic.Int32
	llm := openaitest.New(t, func(openaitest.Request) openaitest.Reply {
		if requests.Add(1) == 1 { // the first server's question
			writing <- struct{}{}
			<-release
		}
		return openaitest.Reply{Content: "Members with Manage Server can run /reload [1]."}
	})
	h := start(t, setup{llm: llm, llmTimeout: time.Minute, opt: Options{Workers: 1, AnswerBudget: time.Minute, EditInterval: time.Hour}})
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	t.Cleanup(letGo) // before the harness stops, on a failure
	id, tok := h.ask("How do I reload the articles?", nil)
	if cb := h.callback(id, tok); cb["type"].(float64) != 5 {
		t.Fatalf("LLM answers must be deferred: %v", cb)
	}
	<-writing
	bid, btok := h.ask("Who can run admin commands?", func(m map[string]any) { m["guild_id"] = "222222222222222222" })
	h.callback(bid, btok)
	if e := h.waitEdit(btok, true); len(embeds(e)) == 0 {
		t.Fatalf("the other server's answer = %v", e)
	}
	letGo()
	if e := h.waitEdit(tok, true); !strings.Contains(embeds(e)[0]["description"].(string), "/reload") {
		t.Errorf("the first server's answer = %v", e)
	}
}
