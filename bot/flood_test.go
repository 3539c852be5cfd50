package bot

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/discordtest"
)

// stopAndWait shuts the bot down and waits for Run to return: it returns
// only once every interaction in flight is handled, so what the fake
// recorded by then is all the bot sent.
func (h *harness) stopAndWait() {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		h.t.Fatal("Run did not return")
	}
}

// messagesFor counts the messages posted for an interaction: its callback
// and its follow-ups.
func (h *harness) messagesFor(id, token string) int {
	n := 0
	for _, c := range h.d.Calls() {
		if c.Method == "POST" && c.Status/100 == 2 && (c.Path == "/api/v10/interactions/"+id+"/"+token+"/callback" ||
			strings.HasPrefix(c.Path, "/api/v10/webhooks/") && strings.Contains(c.Path, "/"+token)) {
			n++
		}
	}
	return n
}

func (h *harness) command(name string, user string, opts ...any) (id, token string) {
	return h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": name, "type": 1, "options": opts}
		if user != "" {
			setUser(m, user)
		}
	})
}

func option(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

// TestCiteLongPassageIsCappedAndPaced: /cite of a 200 KB passage (50
// public messages before; 255 for the 1 MB one reported) posts one message
// with the passage attached as a file; a second /cite (or /lookup, /sources) inside the cooldown is
// refused politely; another user is not held back.
func TestCiteLongPassageIsCappedAndPaced(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Widgets need care and regular cleaning with a dry cloth. ", 3500) + "The end."
	docs := []corpus.Document{{ID: "manual", Title: "Widget manual", URL: "https://docs.example.com/manual",
		Passages: []corpus.Passage{{ID: "manual#1", DocID: "manual", Title: "Widget manual", URL: "https://docs.example.com/manual", Paragraph: 1, Text: long}}}}
	h := start(t, setup{docs: docs, opt: Options{Cooldown: time.Minute}})

	id, tok := h.command(cmdCite, "", option("passage", "manual#1"))
	c, ok := h.d.WaitCall(eventWait, func(c discordtest.Call) bool {
		return c.Method == "POST" && c.Path == "/api/v10/interactions/"+id+"/"+tok+"/callback"
	})
	if !ok {
		t.Fatal("no reply to /cite")
	}
	d := data(c.JSON())
	assertNoPings(t, d)
	if flags, _ := d["flags"].(float64); int(flags)&64 != 0 {
		t.Error("/cite should stay public")
	}
	if content, _ := d["content"].(string); !strings.Contains(content, "too long to quote here in full") || !strings.Contains(content, "manual-1.txt") {
		t.Errorf("content = %q, want a note naming the attached file", content)
	}
	if es := embeds(d); len(es) != 1 || es[0]["title"] != "Widget manual" || !strings.HasPrefix(es[0]["description"].(string), "> Widgets need care") {
		t.Errorf("embeds = %v, want the passage's beginning", es)
	}
	if len(c.Files) != 1 || c.Files[0].Name != "manual-1.txt" || !strings.HasPrefix(c.Files[0].ContentType, "text/plain") {
		t.Fatalf("files = %+v, want manual-1.txt", c.Files)
	}
	if f := string(c.Files[0].Data); !strings.Contains(f, long) || !strings.HasPrefix(f, "Widget manual, ¶1\nPassage: manual#1\nSource: https://docs.example.com/manual") {
		t.Errorf("the file does not hold the whole passage with its source (%d bytes): %.200q", len(f), f)
	}

	// Inside the cooldown: refused, politely and only to the user.
	for _, cmd := range []struct {
		name string
		opts []any
	}{{cmdCite, []any{option("passage", "manual#1")}}, {cmdLookup, []any{option("query", "widgets")}}, {cmdSources, nil}} {
		rid, rtok := h.command(cmd.name, "", cmd.opts...)
		rd := data(h.callback(rid, rtok))
		if flags, _ := rd["flags"].(float64); int(flags)&64 == 0 || !strings.Contains(fmt.Sprint(rd["content"]), "Please wait") {
			t.Errorf("/%s inside the cooldown = %v, want an ephemeral request to wait", cmd.name, rd)
		}
	}
	// Another user is not held back by this one's cooldown.
	oid, otok := h.command(cmdCite, "1500000000000000077", option("passage", "manual#1"))
	if od := data(h.callback(oid, otok)); len(embeds(od)) != 1 {
		t.Errorf("another user's /cite = %v", od)
	}

	h.stopAndWait()
	if n := h.messagesFor(id, tok); n != 1 {
		t.Errorf("/cite posted %d messages, want 1 (the cap is %d)", n, maxReplyMessages)
	}
	eventually(t, func() bool { return h.obs.get("cite/refused") == 1 && h.obs.get("lookup/refused") == 1 }, "refusals observed")
}

// TestRepliesAreCappedAtThreeMessages: Show quotes of a cited passage ten
// messages long posts at most three, the last saying what was cut.
func TestRepliesAreCappedAtThreeMessages(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Gadgets need care and regular oiling of their gears. ", 450) // 24,000 characters
	var docs []corpus.Document
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("g%d", i)
		docs = append(docs, corpus.Document{ID: id, Title: "Gadgets " + id, Passages: []corpus.Passage{{ID: id + "#1", DocID: id, Paragraph: 1, Text: long}}})
	}
	// The answer is the reply itself however slow the machine (-race).
	h := start(t, setup{docs: docs, opt: Options{AnswerBudget: time.Minute}})
	id, tok := h.ask("How do gadgets need care and oiling?", nil)
	if d := data(h.callback(id, tok)); len(customIDs(d)) == 0 {
		t.Fatalf("no answer with quotes: %v", d)
	}
	qid, qtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "quotes:" + id
	})
	h.callback(qid, qtok)
	h.stopAndWait()
	if n := h.messagesFor(qid, qtok); n != maxReplyMessages {
		t.Fatalf("Show quotes posted %d messages, want the cap, %d", n, maxReplyMessages)
	}
	var last discordtest.Call
	for _, c := range h.d.Calls() {
		if c.Method == "POST" && strings.Contains(c.Path, "/webhooks/") && strings.Contains(c.Path, "/"+qtok) {
			last = c
		}
	}
	if content, _ := last.JSON()["content"].(string); !strings.Contains(content, "more messages were not sent") {
		t.Errorf("last message = %v, want a note on the cut", last.JSON())
	}
}

// TestUndecodableInteractionIsLogged: interactions discordgo cannot decode
// (app_permissions as a number, which it drops; options that are not a
// list) are logged with their ID and answered with an ephemeral note, once,
// with no panic.
func TestUndecodableInteractionIsLogged(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	h := start(t, setup{opt: Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}})
	var ids [][2]string
	for _, tt := range []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"app_permissions as a number", func(m map[string]any) { m["app_permissions"] = 8 }},
		{"options not a list", func(m map[string]any) { m["data"].(map[string]any)["options"] = "what is footnote?" }},
	} {
		id, tok := h.interaction("interaction_ask.json", tt.mutate)
		d := data(h.callback(id, tok))
		if flags, _ := d["flags"].(float64); int(flags)&64 == 0 || !strings.Contains(fmt.Sprint(d["content"]), "could not read this request") {
			t.Errorf("%s: reply = %v, want an ephemeral note", tt.name, d)
		}
		eventually(t, func() bool { return strings.Contains(logs.String(), "interaction="+id) }, tt.name+": logged")
		ids = append(ids, [2]string{id, tok})
	}
	h.stopAndWait()
	for _, it := range ids {
		if n := h.messagesFor(it[0], it[1]); n != 1 {
			t.Errorf("interaction %s: %d replies, want 1", it[0], n)
		}
	}
	l := logs.String()
	if n := strings.Count(l, `msg="interaction not decoded, so not answered"`); n != 2 {
		t.Errorf("%d log lines for 2 undecodable interactions:\n%s", n, l)
	}
	if strings.Contains(l, "panic") || strings.Contains(l, "what is footnote?") {
		t.Errorf("log has a panic or the interaction's text:\n%s", l)
	}
}
