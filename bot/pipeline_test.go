package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer/cited"
)

// failingAnswers fails every question with err; the rest of the service
// is the real one.
type failingAnswers struct {
	Answerer
	err error
}

func (f failingAnswers) Answer(context.Context, cited.Request) (cited.Answer, error) {
	return cited.Answer{}, f.err
}

// waitCount waits for the observer to have counted k questions of key.
func waitCount(t *testing.T, obs *counts, key string, k int) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for obs.get(key) < k {
		if time.Now().After(deadline) {
			t.Fatalf("%s counted %d times, want %d", key, obs.get(key), k)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAskAndMentionsShareOnePipeline: /ask and a mention go through the
// same pipeline, so an internal error reads the same in both (the user is
// told it was internal and logged; the error's text, which may hold
// details, is not shown) and is counted as an error, not a refusal.
func TestAskAndMentionsShareOnePipeline(t *testing.T) {
	t.Parallel()
	secret := errors.New("postgres at 10.0.0.7 said: relation questions does not exist")
	h := start(t, setup{opt: Options{MessageContent: true}, syncEvents: true,
		wrap: func(a Answerer) Answerer { return failingAnswers{a, secret} }})
	id, tok := h.ask("What is footnote?", nil)
	d := h.callback(id, tok)["data"].(map[string]any)
	askText := d["content"].(string)
	if !strings.Contains(askText, "internal error") || strings.Contains(askText, "10.0.0.7") {
		t.Errorf("/ask on an internal error: %q", askText)
	}
	msg := h.messageCreate("<@1100000000000000001> What is footnote?", nil)
	_, body := h.channelReply(msg)
	if got := body["content"].(string); got != askText {
		t.Errorf("a mention on an internal error: %q, want /ask's %q", got, askText)
	}
	waitCount(t, h.obs, "ask/error", 1)
	waitCount(t, h.obs, "mention/error", 1)
	if n := h.obs.get("mention/refused"); n != 0 {
		t.Errorf("the mention's internal error was counted as refused (%d)", n)
	}
}

// panickingAnswers panics on every question, after a delay.
type panickingAnswers struct {
	Answerer
	after time.Duration
}

func (p panickingAnswers) Answer(context.Context, cited.Request) (cited.Answer, error) {
	time.Sleep(p.after)
	panic("index corrupt at block 7")
}

// TestPanicWhileAnsweringIsAnInternalError: a panic in the answer service
// is one question's internal error, in /ask (answered in time or deferred
// and then edited: the one responder knows which) and in a mention, and
// the bot goes on answering.
func TestPanicWhileAnsweringIsAnInternalError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		after    time.Duration
		deferred bool
	}{{"in time", 0, false}, {"after the deferral", 200 * time.Millisecond, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &logBuffer{}
			h := start(t, setup{opt: Options{MessageContent: true, AnswerBudget: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))},
				syncEvents: true, wrap: func(a Answerer) Answerer { return panickingAnswers{a, tc.after} }})
			id, tok := h.ask("What is footnote?", nil)
			cb := h.callback(id, tok)
			reply := data(cb)
			if tc.deferred {
				if cb["type"].(float64) != 5 {
					t.Fatalf("callback type = %v, want 5 (deferred)", cb["type"])
				}
				reply = h.waitEdit(tok, false)
			}
			if text, _ := reply["content"].(string); !strings.Contains(text, "internal error") || strings.Contains(text, "block 7") {
				t.Errorf("/ask reply after a panic: %v", reply)
			}
			msg := h.messageCreate("<@1100000000000000001> What is footnote?", nil)
			if _, body := h.channelReply(msg); !strings.Contains(body["content"].(string), "internal error") {
				t.Errorf("mention reply after a panic: %v", body)
			}
			waitCount(t, h.obs, "ask/error", 1)
			waitCount(t, h.obs, "mention/error", 1)
			if !strings.Contains(logs.String(), "panic while answering: index corrupt at block 7") {
				t.Errorf("the panic is not logged:\n%s", logs.String())
			}
		})
	}
}
