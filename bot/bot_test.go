package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/ingest"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/openaitest"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/llm"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/store"
)

// eventWait bounds the waits for what the bot sends: they return as soon as
// it arrives, so a long bound costs passing tests nothing and keeps a
// loaded machine (-race, several packages at once) from failing them.
const eventWait = 20 * time.Second

// counts is an Observer that counts what the bot reports.
type counts struct {
	mu        sync.Mutex
	questions map[string]int
	votes     int
	reconnect int
	limited   int
	queues    []string // "guild=n", as the queue lengths changed
	waited    map[string]int
}

func (c *counts) Queue(guild string, n int) {
	c.mu.Lock()
	c.queues = append(c.queues, fmt.Sprintf("%s=%d", guild, n))
	c.mu.Unlock()
}

func (c *counts) Waited(guild string, _ time.Duration) {
	c.mu.Lock()
	if c.waited == nil {
		c.waited = map[string]int{}
	}
	c.waited[guild]++
	c.mu.Unlock()
}

func (c *counts) Question(cmd, outcome string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.questions == nil {
		c.questions = map[string]int{}
	}
	c.questions[cmd+"/"+outcome]++
}
func (c *counts) Vote(bool)          { c.mu.Lock(); c.votes++; c.mu.Unlock() }
func (c *counts) Reconnect()         { c.mu.Lock(); c.reconnect++; c.mu.Unlock() }
func (c *counts) RateLimited(string) { c.mu.Lock(); c.limited++; c.mu.Unlock() }
func (c *counts) get(k string) int   { c.mu.Lock(); defer c.mu.Unlock(); return c.questions[k] }
func (c *counts) getLimited() int    { c.mu.Lock(); defer c.mu.Unlock(); return c.limited }
func (c *counts) getVotes() int      { c.mu.Lock(); defer c.mu.Unlock(); return c.votes }
func (c *counts) getReconnects() int { c.mu.Lock(); defer c.mu.Unlock(); return c.reconnect }

type harness struct {
	t      *testing.T
	d      *discordtest.Server
	b      *Bot
	obs    *counts
	live   *retrieval.Live
	cancel context.CancelFunc
	done   chan error
}

// testIngestMaxBytes is ingest_max_bytes in the bot tests' library.
const testIngestMaxBytes = 64 << 10

type setup struct {
	fake discordtest.Options
	opt  Options
	docs []corpus.Document
	llm  *openaitest.Server
	// corpusDir, when set, serves a real library over this folder (with a
	// store in a temporary data folder) for /reload, /ingest, /forget and
	// /stats.
	corpusDir string
	// answerDelay slows every answer by this much (the answer service
	// waits for the index), for tests of the answer budget.
	answerDelay time.Duration
	// llmTimeout replaces the answer service's 5s LLM timeout.
	llmTimeout time.Duration
	// syncEvents runs the bot's event handlers one at a time, in the
	// order the gateway delivered the events (discordgo's SyncEvents), so
	// that the reply to a later event proves an earlier one was handled in
	// full: to show that the bot did not answer something, without
	// waiting a while for nothing. By default each event's handlers run on
	// their own goroutine, and nothing orders them.
	syncEvents bool
	// wrap, when set, stands between the bot and the answer service.
	wrap func(Answerer) Answerer
}

func guideDocs(t testing.TB) []corpus.Document {
	res, err := corpus.LoadFS(context.Background(), guide.FS, guide.Root, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Documents
}

// start runs a real bot (discordgo inside) against the in-process Discord.
func start(t *testing.T, s setup) *harness {
	t.Helper()
	d := discordtest.New(t, s.fake)
	if s.docs == nil {
		s.docs = guideDocs(t)
	}
	var live *retrieval.Live
	var lib *library.Library
	var st *store.DB
	if s.corpusDir != "" {
		dataDir := t.TempDir()
		var err error
		st, err = store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		// The in-process Discord serves attachments on loopback: its
		// address stands in for Discord's CDN, and the SSRF guard lets
		// that one address through (127.0.0.2 and the rest are refused).
		lib, err = library.Open(context.Background(), library.Options{Corpus: []string{s.corpusDir}, DataDir: dataDir, Store: st,
			Fetcher: ingest.New(ingest.Options{MaxBytes: testIngestMaxBytes, AttachmentHosts: []string{"127.0.0.1"},
				Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})})
		if err != nil {
			t.Fatal(err)
		}
		live = lib.Live()
	} else {
		ix, err := retrieval.Build(s.docs, retrieval.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		live = retrieval.NewLive(ix)
	}
	p, _ := prompts.Load("")
	aopt := answer.Options{LLMTimeout: 5 * time.Second}
	if s.llmTimeout > 0 {
		aopt.LLMTimeout = s.llmTimeout
	}
	if s.llm != nil {
		aopt.Model = llm.New(llm.Config{BaseURL: s.llm.BaseURL(), Model: "m"})
		s.opt.Streaming = true
	}
	index := live.Load
	if s.answerDelay > 0 {
		index = func() *retrieval.Index {
			time.Sleep(s.answerDelay)
			return live.Load()
		}
	}
	svc := answer.New(index, p, aopt)
	obs := &counts{}
	opt := s.opt
	opt.Token = discordtest.Token
	opt.APIURL = d.APIURL()
	opt.GuildID = discordtest.GuildID
	opt.RegisterCommands = true
	opt.Observer = obs
	if lib != nil {
		opt.Library = testLibrary{lib}
		opt.Log = testLog{st}
	}
	if opt.GuildConcurrency == 0 {
		opt.GuildConcurrency = 4
	}
	if opt.Logger == nil && os.Getenv("FOOTNOTE_TEST_LOG") != "" {
		opt.Logger = testLogger(t)
	}
	var a Answerer = svc
	if s.wrap != nil {
		a = s.wrap(svc)
	}
	b, err := New(opt, a)
	if err != nil {
		t.Fatal(err)
	}
	b.s.SyncEvents = s.syncEvents
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, d: d, b: b, obs: obs, live: live, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(eventWait):
			t.Error("bot did not shut down")
		}
	})
	if !d.WaitIdentified(1, eventWait) {
		t.Fatal("bot never identified")
	}
	if _, ok := d.WaitCall(eventWait, func(c discordtest.Call) bool { return c.Method == "PUT" }); !ok {
		t.Fatal("commands never registered")
	}
	return h
}

func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// interaction dispatches an INTERACTION_CREATE built from a fixture.
func (h *harness) interaction(name string, mutate func(m map[string]any)) (id, token string) {
	m := fixture(h.t, name)
	id = discordtest.Snowflake()
	token = "tok-" + id
	m["id"], m["token"] = id, token
	if mutate != nil {
		mutate(m)
	}
	h.d.Dispatch("INTERACTION_CREATE", m)
	return id, token
}

func (h *harness) ask(question string, mutate func(m map[string]any)) (id, token string) {
	return h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"].(map[string]any)["options"] = []any{map[string]any{"name": "question", "type": 3, "value": question}}
		if mutate != nil {
			mutate(m)
		}
	})
}

func setUser(m map[string]any, id string) {
	m["member"].(map[string]any)["user"].(map[string]any)["id"] = id
}

// callback waits for the interaction's callback and decodes it.
func (h *harness) callback(id, token string) map[string]any {
	h.t.Helper()
	c, ok := h.d.WaitCall(eventWait, func(c discordtest.Call) bool {
		return c.Method == "POST" && c.Path == "/api/v10/interactions/"+id+"/"+token+"/callback"
	})
	if !ok {
		h.t.Fatalf("no callback for interaction %s", id)
	}
	return c.JSON()
}

// edits returns the PATCHes of the interaction's original response.
func (h *harness) edits(token string) []map[string]any {
	var out []map[string]any
	for _, c := range h.d.Calls() {
		if c.Method == "PATCH" && strings.Contains(c.Path, "/"+token+"/messages/@original") && c.Status == 200 {
			out = append(out, c.JSON())
		}
	}
	return out
}

func (h *harness) waitEdit(token string, final bool) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		for _, e := range h.edits(token) {
			if !final || len(components(e)) > 0 || strings.Contains(fmt.Sprint(e), "Reload") {
				return e
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("no edit of the original response for %s", token)
	return nil
}

func data(cb map[string]any) map[string]any {
	d, _ := cb["data"].(map[string]any)
	return d
}

func embeds(m map[string]any) []map[string]any {
	var out []map[string]any
	es, _ := m["embeds"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any))
	}
	return out
}

func components(m map[string]any) []any {
	c, _ := m["components"].([]any)
	return c
}

func customIDs(m map[string]any) []string {
	var out []string
	for _, row := range components(m) {
		for _, c := range row.(map[string]any)["components"].([]any) {
			if id, ok := c.(map[string]any)["custom_id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func assertNoPings(t *testing.T, m map[string]any) {
	t.Helper()
	am, ok := m["allowed_mentions"].(map[string]any)
	if !ok {
		t.Fatalf("no allowed_mentions in %v", m)
	}
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want []", am["parse"])
	}
	for k, v := range am {
		if k != "parse" && !(k == "replied_user" && v == false) {
			t.Errorf("allowed_mentions has %s = %v; want nothing allowed", k, v)
		}
	}
}

var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

func TestRegistersCommandsInOneBulkOverwrite(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	puts := h.d.Bodies("PUT", "/applications/")
	if len(puts) != 1 {
		t.Fatalf("PUTs = %d, want one bulk overwrite", len(puts))
	}
	c := h.d.Calls()
	for _, call := range c {
		if call.Method == "PUT" && call.Path != "/api/v10/applications/"+discordtest.AppID+"/guilds/"+discordtest.GuildID+"/commands" {
			t.Errorf("registered at %s, want the guild endpoint", call.Path)
		}
	}
	var cmds []map[string]any
	json.Unmarshal(puts[0], &cmds)
	names := map[string]bool{}
	for _, cmd := range cmds {
		name := cmd["name"].(string)
		names[name] = true
		typ, _ := cmd["type"].(float64)
		if (typ == 0 || typ == 1) && !commandName.MatchString(name) {
			t.Errorf("slash command name %q breaks Discord's rule (lowercase, 1-32, no spaces)", name)
		}
	}
	for _, want := range []string{"ask", "lookup", "cite", "sources", "help", "reload", "Find source"} {
		if !names[want] {
			t.Errorf("command %q not registered", want)
		}
	}
	// Identify: no privileged intent unless message content is enabled.
	intents := int(h.d.Identifies()[0]["intents"].(float64))
	if intents&(1<<15) != 0 {
		t.Errorf("MESSAGE_CONTENT intent requested while the setting is off: %b", intents)
	}
}

func TestAskAnswersWithCitationsAndButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, token := h.ask("How do I reload the articles?", nil)
	cb := h.callback(id, token)
	if cb["type"].(float64) != 4 {
		t.Fatalf("callback type %v, want 4 (an answer ready in time needs no deferral)", cb["type"])
	}
	d := data(cb)
	assertNoPings(t, d)
	es := embeds(d)
	if len(es) != 1 {
		t.Fatalf("embeds = %v", es)
	}
	desc := es[0]["description"].(string)
	if !strings.Contains(desc, "/reload") || !strings.Contains(desc, "[1]") {
		t.Errorf("description = %q", desc)
	}
	fields := es[0]["fields"].([]any)
	src := fields[0].(map[string]any)
	// The guide has no public page to link to (see answer's
	// TestGuideLinksLeadSomewhere): its sources name the passage instead.
	if src["name"] != "Sources" || !strings.Contains(src["value"].(string), "`[1]` Running the footnote bot › Updating and reloading the articles, ¶9 · `running-the-bot#9`") ||
		strings.Contains(src["value"].(string), "https://") {
		t.Errorf("sources field = %v", src)
	}
	ids := customIDs(d)
	if len(ids) != 3 || ids[0] != "quotes:"+id || ids[1] != "vote:up:"+id || ids[2] != "vote:down:"+id {
		t.Errorf("buttons = %v", ids)
	}
	if flags, _ := d["flags"].(float64); int(flags)&64 != 0 {
		t.Error("public answer sent as ephemeral")
	}
	eventually(t, func() bool { return h.obs.get("ask/answered") == 1 }, "observer saw the answer")
}

func TestAskPrivateIsEphemeral(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, token := h.ask("What is footnote?", func(m map[string]any) {
		opts := m["data"].(map[string]any)["options"].([]any)
		m["data"].(map[string]any)["options"] = append(opts, map[string]any{"name": "private", "type": 5, "value": true})
	})
	d := data(h.callback(id, token))
	if flags, _ := d["flags"].(float64); int(flags)&64 == 0 {
		t.Errorf("private answer not ephemeral: %v", d)
	}
}

func TestEveryoneInQuestionPingsNobody(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	q := "@everyone @here <@&1700000000000000001> <@1500000000000000009> what is footnote?"
	id, token := h.ask(q, nil)
	d := data(h.callback(id, token))
	assertNoPings(t, d)
	if !strings.Contains(embeds(d)[0]["description"].(string), "footnote is a Discord bot") {
		t.Errorf("answer = %v", embeds(d)[0]["description"])
	}
}

func TestAbstainsWithoutButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, token := h.ask("How do I bake sourdough bread?", nil)
	d := data(h.callback(id, token))
	if !strings.Contains(embeds(d)[0]["description"].(string), "couldn't find") || len(customIDs(d)) != 0 {
		t.Errorf("abstention = %v", d)
	}
	eventually(t, func() bool { return h.obs.get("ask/abstained") == 1 }, "observer saw the abstention")
}

func TestShowQuotesAndVotes(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, token := h.ask("How do I reload the articles?", nil)
	h.callback(id, token)
	qid, qtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "quotes:" + id
	})
	d := data(h.callback(qid, qtok))
	if flags, _ := d["flags"].(float64); int(flags)&64 == 0 {
		t.Error("quotes should be ephemeral")
	}
	es := embeds(d)
	if len(es) == 0 || !strings.HasPrefix(es[0]["title"].(string), "[1] Running the footnote bot") ||
		!strings.Contains(es[0]["description"].(string), "> You do not have to restart footnote") {
		t.Errorf("quotes = %v", es)
	}
	assertNoPings(t, d)
	vid, vtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "vote:up:" + id
	})
	if d := data(h.callback(vid, vtok)); !strings.Contains(d["content"].(string), "Thanks") {
		t.Errorf("vote reply = %v", d)
	}
	eventually(t, func() bool { return h.obs.getVotes() == 1 }, "observer saw the vote")
	// An unknown answer's quotes are reported as expired, not an error.
	xid, xtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "quotes:123"
	})
	if d := data(h.callback(xid, xtok)); !strings.Contains(d["content"].(string), "no longer available") {
		t.Errorf("expired quotes reply = %v", d)
	}
}

func TestLookupCiteSourcesHelp(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, tok := h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": "lookup", "type": 1, "options": []any{
			map[string]any{"name": "query", "type": 3, "value": "token"},
			map[string]any{"name": "article", "type": 3, "value": "running-the-bot"}}}
	})
	d := data(h.callback(id, tok))
	e := embeds(d)[0]
	if !strings.Contains(e["description"].(string), "**token**") || strings.Contains(e["description"].(string), "Asking footnote") {
		t.Errorf("lookup = %v", e["description"])
	}
	id, tok = h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": "cite", "type": 1, "options": []any{
			map[string]any{"name": "passage", "type": 3, "value": "running-the-bot#7"}}}
	})
	e = embeds(data(h.callback(id, tok)))[0]
	if e["title"] != "Running the footnote bot" || !strings.Contains(e["description"].(string), "> Members with the Manage Server") {
		t.Errorf("cite = %v", e)
	}
	id, tok = h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": "sources", "type": 1}
	})
	e = embeds(data(h.callback(id, tok)))[0]
	if e["title"] != "Articles (6)" || !strings.Contains(e["description"].(string), "**Getting started with the footnote bot**") {
		t.Errorf("sources = %v", e)
	}
	id, tok = h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": "help", "type": 1}
	})
	if e = embeds(data(h.callback(id, tok)))[0]; !strings.Contains(e["description"].(string), "/ask question:") {
		t.Errorf("help = %v", e)
	}
}

func TestAutocomplete(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, tok := h.interaction("interaction_autocomplete.json", nil)
	cb := h.callback(id, tok)
	if cb["type"].(float64) != 8 {
		t.Fatalf("type = %v, want 8", cb["type"])
	}
	choices := data(cb)["choices"].([]any)
	if len(choices) == 0 || len(choices) > 25 {
		t.Fatalf("choices = %d", len(choices))
	}
	for _, c := range choices {
		c := c.(map[string]any)
		if n := []rune(c["name"].(string)); len(n) > 100 || len(n) == 0 {
			t.Errorf("choice name length %d", len(n))
		}
		if !strings.Contains(c["value"].(string), "#") {
			t.Errorf("choice value %v is not a passage ID", c["value"])
		}
	}
	id, tok = h.interaction("interaction_autocomplete.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "2", "name": "lookup", "type": 1, "options": []any{
			map[string]any{"name": "query", "type": 3, "value": "x"},
			map[string]any{"name": "article", "type": 3, "value": "asking", "focused": true}}}
	})
	choices = data(h.callback(id, tok))["choices"].([]any)
	if len(choices) != 1 || choices[0].(map[string]any)["value"] != "asking-questions" {
		t.Errorf("article choices = %v", choices)
	}
}

func TestSourcesPaging(t *testing.T) {
	t.Parallel()
	var docs []corpus.Document
	for i := 0; i < 23; i++ {
		id := fmt.Sprintf("doc-%02d", i)
		docs = append(docs, corpus.Document{ID: id, Title: "Article " + id, Passages: []corpus.Passage{{ID: id + "#1", DocID: id, Paragraph: 1, Text: "Text of " + id}}})
	}
	h := start(t, setup{docs: docs})
	id, tok := h.interaction("interaction_ask.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "1", "name": "sources", "type": 1}
	})
	d := data(h.callback(id, tok))
	if ids := customIDs(d); len(ids) != 2 || ids[1] != "sources:1" {
		t.Fatalf("paging buttons = %v", ids)
	}
	pid, ptok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "sources:2"
	})
	cb := h.callback(pid, ptok)
	if cb["type"].(float64) != 7 {
		t.Errorf("page turn type = %v, want 7 (update message)", cb["type"])
	}
	e := embeds(data(cb))[0]
	if e["footer"].(map[string]any)["text"] != "Page 3 of 3" || !strings.Contains(e["description"].(string), "doc-22") {
		t.Errorf("page 3 = %v", e)
	}
}

func TestReloadPermissions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# A\n\nApples are red.\n"), 0o644)
	h := start(t, setup{corpusDir: dir})
	reload := func(perms string, roles []any, dm bool) (string, string) {
		if dm {
			return h.interaction("interaction_dm.json", nil)
		}
		return h.interaction("interaction_ask.json", func(m map[string]any) {
			m["data"] = map[string]any{"id": "1", "name": "reload", "type": 1}
			m["member"].(map[string]any)["permissions"] = perms
			m["member"].(map[string]any)["roles"] = roles
		})
	}
	// No Manage Server: refused.
	id, tok := reload("2048", []any{}, false)
	if d := data(h.callback(id, tok)); !strings.Contains(d["content"].(string), "Only members with the Manage Server") {
		t.Errorf("non-admin: %v", d)
	}
	// A DM: refused.
	id, tok = reload("", nil, true)
	if d := data(h.callback(id, tok)); !strings.Contains(d["content"].(string), "only work in a server") {
		t.Errorf("DM: %v", d)
	}
	// Manage Server (1<<5): deferred, then the summary, and the new file is served.
	os.WriteFile(filepath.Join(dir, "b.md"), []byte("# B\n\nBananas are yellow.\n"), 0o644)
	id, tok = reload("32", []any{}, false)
	if cb := h.callback(id, tok); cb["type"].(float64) != 5 {
		t.Errorf("admin reload not deferred: %v", cb)
	}
	if e := h.waitEdit(tok, true); !strings.Contains(e["content"].(string), "Reloaded: 2 articles") {
		t.Errorf("reload edit = %v", e)
	}
	// A failed reload (every file gone) says nothing changed; the old index serves.
	os.Remove(filepath.Join(dir, "a.md"))
	os.Remove(filepath.Join(dir, "b.md"))
	id, tok = reload("8", []any{}, false) // Administrator
	h.callback(id, tok)
	if e := h.waitEdit(tok, true); !strings.Contains(e["content"].(string), "nothing changed") || !strings.Contains(e["content"].(string), "no articles") {
		t.Errorf("failed reload edit = %v", e)
	}
	aid, atok := h.ask("Are bananas yellow?", nil)
	if d := data(h.callback(aid, atok)); !strings.Contains(embeds(d)[0]["description"].(string), "Bananas are yellow") {
		t.Errorf("old index not serving after a failed reload: %v", d)
	}
}

func TestCooldownAndAllowList(t *testing.T) {
	t.Parallel()
	h := start(t, setup{opt: Options{Cooldown: time.Minute, Guilds: map[string]Guild{
		discordtest.GuildID: {AllowedChannels: []string{"1400000000000000001"}}}}})
	id, tok := h.ask("What is footnote?", nil)
	if d := data(h.callback(id, tok)); len(embeds(d)) == 0 {
		t.Fatalf("first question not answered: %v", d)
	}
	id, tok = h.ask("What is a citation?", nil)
	d := data(h.callback(id, tok))
	if flags, _ := d["flags"].(float64); int(flags)&64 == 0 || !strings.Contains(d["content"].(string), "Please wait") {
		t.Errorf("cooldown reply = %v", d)
	}
	// Another user is not held back by Alice's cooldown.
	id, tok = h.ask("What is a citation?", func(m map[string]any) { setUser(m, "1500000000000000077") })
	if d := data(h.callback(id, tok)); len(embeds(d)) == 0 {
		t.Errorf("other user refused: %v", d)
	}
	// A channel outside the allow-list is refused.
	id, tok = h.ask("What is footnote?", func(m map[string]any) {
		setUser(m, "1500000000000000078")
		m["channel_id"] = "1400000000000000002"
	})
	if d := data(h.callback(id, tok)); !strings.Contains(d["content"].(string), "does not answer in this channel") {
		t.Errorf("allow-list reply = %v", d)
	}
	eventually(t, func() bool { return h.obs.get("ask/refused") == 2 }, "observer saw two refusals")
}

func TestFindSource(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	id, tok := h.interaction("interaction_find_source.json", nil)
	d := data(h.callback(id, tok))
	e := embeds(d)[0]
	if e["title"] != "Passages that support this" || !strings.Contains(e["description"].(string), "How footnote answers and cites") {
		t.Errorf("find source = %v", e)
	}
	assertNoPings(t, d)
	id, tok = h.interaction("interaction_find_source.json", func(m map[string]any) {
		msgs := m["data"].(map[string]any)["resolved"].(map[string]any)["messages"].(map[string]any)
		msgs["1300000000000000555"].(map[string]any)["content"] = "Quantum chromodynamics explains footnote's colour charge"
	})
	if e := embeds(data(h.callback(id, tok)))[0]; !strings.HasPrefix(e["title"].(string), "No passage clearly supports this") {
		t.Errorf("unsupported claim = %v", e["title"])
	}
}

func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("timed out waiting: %s", what)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// messageCreate dispatches a MESSAGE_CREATE built from the fixture.
func (h *harness) messageCreate(content string, mutate func(m map[string]any)) string {
	m := fixture(h.t, "message_create.json")
	id := discordtest.Snowflake()
	m["id"] = id
	m["content"] = content
	if mutate != nil {
		mutate(m)
	}
	h.d.Dispatch("MESSAGE_CREATE", m)
	return id
}

// channelReply waits for the bot's reply to a message.
func (h *harness) channelReply(msgID string) (discordtest.Call, map[string]any) {
	h.t.Helper()
	c, ok := h.d.WaitCall(eventWait, func(c discordtest.Call) bool {
		if c.Method != "POST" || !strings.HasSuffix(c.Path, "/messages") || !strings.HasPrefix(c.Path, "/api/v10/channels/") {
			return false
		}
		ref, _ := c.JSON()["message_reference"].(map[string]any)
		return ref != nil && ref["message_id"] == msgID
	})
	if !ok {
		h.t.Fatalf("no reply to message %s", msgID)
	}
	return c, c.JSON()
}

func TestMentionAndReplyFollowUp(t *testing.T) {
	t.Parallel()
	h := start(t, setup{opt: Options{MessageContent: true}, syncEvents: true})
	intents := int(h.d.Identifies()[0]["intents"].(float64))
	if intents&(1<<15) == 0 {
		t.Errorf("MESSAGE_CONTENT intent not requested: %b", intents)
	}
	id := h.messageCreate("<@1100000000000000001> How do I invite the bot to Discord? @everyone", nil)
	_, body := h.channelReply(id)
	assertNoPings(t, body)
	if !strings.Contains(embeds(body)[0]["description"].(string), "footnote invite") {
		t.Errorf("mention answer = %v", embeds(body)[0]["description"])
	}
	// Reply to the bot's answer: a follow-up that needs the earlier question.
	sent := h.lastCreatedMessageID()
	rid := h.messageCreate("Which scopes does it need?", func(m map[string]any) {
		m["mentions"] = []any{}
		m["referenced_message"] = map[string]any{"id": sent, "channel_id": "1400000000000000001",
			"author": discordtest.User(discordtest.BotID, "footnote", true), "content": "", "timestamp": "2026-11-26T00:00:00.000000+00:00",
			"edited_timestamp": nil, "tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
			"attachments": []any{}, "embeds": []any{}, "pinned": false, "type": 0, "flags": 0, "components": []any{}}
		m["message_reference"] = map[string]any{"type": 0, "message_id": sent, "channel_id": "1400000000000000001", "guild_id": discordtest.GuildID}
		m["type"] = 19
	})
	_, body = h.channelReply(rid)
	if !strings.Contains(embeds(body)[0]["description"].(string), "applications.commands") {
		t.Errorf("follow-up answer = %v", embeds(body)[0]["description"])
	}
	// A message that neither mentions nor replies to the bot is ignored:
	// once a mention sent after it is answered (the handlers run in
	// order), the only calls since are that answer's.
	before := len(h.d.Calls())
	h.messageCreate("just chatting about the bot", func(m map[string]any) { m["mentions"] = []any{} })
	later := h.messageCreate("<@1100000000000000001> What is footnote?", nil)
	h.channelReply(later)
	typing := 0
	for _, c := range h.d.Calls()[before:] {
		ref, _ := c.JSON()["message_reference"].(map[string]any)
		switch {
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/typing") && typing == 0:
			typing++
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/messages") && ref != nil && ref["message_id"] == later:
		default:
			t.Errorf("bot answered a message not addressed to it: %s %s %s", c.Method, c.Path, c.Body)
		}
	}
}

func (h *harness) lastCreatedMessageID() string {
	// The fake numbers messages in order; the bot's last channel message is
	// the highest ID handed out for a channel POST. Ask the fake directly.
	return h.d.LastMessageID()
}

func TestMentionsIgnoredWithoutMessageContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{syncEvents: true})
	h.messageCreate("<@1100000000000000001> How do I reload the articles?", nil)
	// The handlers run in order: once an /ask sent after the mention is
	// answered, the mention has been handled.
	id, tok := h.ask("What is footnote?", nil)
	h.callback(id, tok)
	for _, c := range h.d.Calls() {
		if strings.HasPrefix(c.Path, "/api/v10/channels/") {
			t.Errorf("answered a mention with MESSAGE_CONTENT off: %s %s", c.Method, c.Path)
		}
	}
}

// slowLLM is a local OpenAI-compatible server whose answers take a while.
func slowLLM(t *testing.T, delay time.Duration, chunkDelay time.Duration) *openaitest.Server {
	return openaitest.New(t, func(openaitest.Request) openaitest.Reply {
		return openaitest.Reply{Content: "Members with Manage Server can run /reload [1]. The old index keeps answering until the new one is ready [1].",
			Delay: delay, ChunkDelay: chunkDelay}
	})
}

// TestLLMAnswerIsDeferredAndStreamed: an LLM answer is deferred, edited in
// as it streams, and finished with the whole answer. The stream waits for
// the bot's partial edits (no timing): chunk n is sent once n partial
// edits have reached Discord. (It used to fail 3 runs in 5 under -race:
// each partial edit ran on the goroutine reading the stream, and the spec
// validation of those edits under the race detector held the stream past
// the 5s LLM timeout, so the final answer was the template one.)
func TestLLMAnswerIsDeferredAndStreamed(t *testing.T) {
	t.Parallel()
	var fake atomic.Pointer[discordtest.Server]
	partials := func() int {
		n := 0
		for _, c := range fake.Load().Calls() {
			if c.Method == "PATCH" && strings.Contains(c.Path, "/messages/@original") && c.Status == 200 && strings.Contains(string(c.Body), "Writing…") {
				n++
			}
		}
		return n
	}
	llm := openaitest.New(t, func(openaitest.Request) openaitest.Reply {
		return openaitest.Reply{Content: "Members with Manage Server can run /reload [1]. The old index keeps answering until the new one is ready [1].",
			BeforeChunk: func(n int) {
				if n == 0 || n > 2 {
					return
				}
				fake.Load().WaitCall(20*time.Second, func(discordtest.Call) bool { return partials() >= n })
			}}
	})
	h := start(t, setup{llm: llm, llmTimeout: time.Minute, opt: Options{EditInterval: 10 * time.Millisecond}})
	fake.Store(h.d)
	id, tok := h.ask("How do I reload the articles?", nil)
	if cb := h.callback(id, tok); cb["type"].(float64) != 5 {
		t.Fatalf("LLM answers must be deferred: %v", cb)
	}
	final := h.waitEdit(tok, true)
	assertNoPings(t, final)
	if d := embeds(final)[0]["description"].(string); !strings.Contains(d, "The old index keeps answering") || !strings.Contains(d, "[1]") {
		t.Errorf("final = %q", d)
	}
	edits := h.edits(tok)
	if len(edits) < 3 {
		t.Errorf("edits = %d, want partial edits while streaming and a final one", len(edits))
	}
	for _, e := range edits[:len(edits)-1] {
		if !strings.HasSuffix(embeds(e)[0]["description"].(string), "…") {
			t.Errorf("partial edit without the writing marker: %v", embeds(e)[0]["description"])
		}
	}
	if last := embeds(edits[len(edits)-1])[0]; strings.HasSuffix(last["description"].(string), "…") {
		t.Errorf("a partial edit came after the answer: %v", last["description"])
	}
}

func TestSlowTemplateAnswerIsDeferred(t *testing.T) {
	t.Parallel()
	// An answer that misses the budget is deferred, then edited in.
	h := start(t, setup{opt: Options{AnswerBudget: 10 * time.Millisecond}, answerDelay: 300 * time.Millisecond})
	id, tok := h.ask("How do I reload the articles?", nil)
	cb := h.callback(id, tok)
	if cb["type"].(float64) != 5 {
		t.Fatalf("callback type = %v, want 5 (deferred)", cb["type"])
	}
	if e := h.waitEdit(tok, true); !strings.Contains(embeds(e)[0]["description"].(string), "/reload") {
		t.Errorf("edit = %v", e)
	}
}

func TestRateLimitedEditIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 100*time.Millisecond, 0), opt: Options{EditInterval: time.Hour}})
	h.d.Fail(discordtest.Failure{Method: "PATCH", PathPrefix: "/webhooks/", Status: 429, RetryAfter: 0.4})
	id, tok := h.ask("How do I reload the articles?", nil)
	h.callback(id, tok)
	final := h.waitEdit(tok, true)
	if !strings.Contains(embeds(final)[0]["description"].(string), "/reload") {
		t.Errorf("final = %v", final)
	}
	var limited, ok time.Time
	for _, c := range h.d.Calls() {
		if c.Method == "PATCH" && strings.Contains(c.Path, tok) {
			if c.Status == 429 {
				limited = c.At
			} else if c.Status == 200 {
				ok = c.At
			}
		}
	}
	if limited.IsZero() || ok.Sub(limited) < 400*time.Millisecond {
		t.Errorf("retry came %s after the 429; retry_after was 0.4s", ok.Sub(limited))
	}
	if h.obs.getLimited() != 1 {
		t.Errorf("rate-limit hits observed = %d", h.obs.getLimited())
	}
}

func TestRateLimitedFollowUpIsRetried(t *testing.T) {
	t.Parallel()
	// Long quotes need follow-up messages; the first follow-up is limited.
	long := strings.Repeat("Widgets need care and regular cleaning with a dry cloth. ", 240)
	var docs []corpus.Document
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("w%d", i)
		docs = append(docs, corpus.Document{ID: id, Title: "Widgets " + id, Passages: []corpus.Passage{{ID: id + "#1", DocID: id, Paragraph: 1, Text: long}}})
	}
	h := start(t, setup{docs: docs})
	id, tok := h.ask("How do widgets need cleaning care?", nil)
	h.callback(id, tok)
	h.d.Fail(discordtest.Failure{Method: "POST", PathPrefix: "/webhooks/", Status: 429, RetryAfter: 0.3})
	qid, qtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "quotes:" + id
	})
	h.callback(qid, qtok)
	follow, ok := h.d.WaitCall(eventWait, func(c discordtest.Call) bool {
		return c.Method == "POST" && strings.Contains(c.Path, "/webhooks/") && strings.Contains(c.Path, qtok) && c.Status == 200
	})
	if !ok {
		t.Fatal("follow-up never delivered after the 429")
	}
	assertNoPings(t, follow.JSON())
	var limited time.Time
	for _, c := range h.d.Calls() {
		if c.Status == 429 {
			limited = c.At
		}
	}
	if follow.At.Sub(limited) < 300*time.Millisecond {
		t.Errorf("follow-up retried %s after the 429, before retry_after", follow.At.Sub(limited))
	}
}

func TestGatewayDropMidAnswerResumes(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 300*time.Millisecond, 0), opt: Options{EditInterval: time.Hour}})
	id, tok := h.ask("How do I reload the articles?", nil)
	h.callback(id, tok)
	h.d.DropConnection() // while the answer is being written
	if e := h.waitEdit(tok, true); !strings.Contains(embeds(e)[0]["description"].(string), "/reload") {
		t.Errorf("answer in flight lost: %v", e)
	}
	eventually(t, func() bool { return h.d.Resumes() >= 1 }, "bot resumed the session")
	// An event dispatched after the resume is answered.
	id2, tok2 := h.ask("What is footnote?", func(m map[string]any) { setUser(m, "1500000000000000042") })
	h.callback(id2, tok2)
	if len(h.d.Identifies()) != 1 {
		t.Errorf("identified %d times; a dropped connection should resume, not re-identify", len(h.d.Identifies()))
	}
	eventually(t, func() bool { return h.obs.getReconnects() >= 1 }, "reconnect observed")
}

func TestInvalidSessionReidentifies(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.d.InvalidateSession()
	h.d.DropConnection()
	if !h.d.WaitIdentified(2, 10*time.Second) {
		t.Fatal("bot did not identify again after op 9")
	}
	id, tok := h.ask("What is footnote?", nil)
	h.callback(id, tok)
}

func TestReconnectRequestOp7(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.d.SendOp(7, nil)
	eventually(t, func() bool { return h.d.Resumes() >= 1 }, "resume after op 7")
	id, tok := h.ask("What is footnote?", nil)
	h.callback(id, tok)
}

func TestGracefulShutdownFinishesAnswers(t *testing.T) {
	t.Parallel()
	h := start(t, setup{llm: slowLLM(t, 400*time.Millisecond, 0), opt: Options{EditInterval: time.Hour}})
	id, tok := h.ask("How do I reload the articles?", nil)
	h.callback(id, tok)
	h.cancel() // SIGTERM while the answer is in flight
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		h.done <- nil // for cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if e := h.edits(tok); len(e) == 0 || !strings.Contains(embeds(e[len(e)-1])[0]["description"].(string), "/reload") {
		t.Errorf("answer in flight not delivered before shutdown: %v", e)
	}
}
