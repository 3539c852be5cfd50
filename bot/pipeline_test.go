package bot

import (
	"context"
	"errors"
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
