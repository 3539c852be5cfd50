package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/openaitest"
	"github.com/footnote-bot/footnote/internal/servicetest"
	_ "modernc.org/sqlite"
)

const (
	guildA = discordtest.GuildID // "1200000000000000001"
	guildB = "1200000000000000002"
)

// serveFor runs footnote serve with env and a config file until the test
// (or stop) ends it.
func serveFor(t *testing.T, d *discordtest.Server, env map[string]string) (stop func(), logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	}
	t.Cleanup(stop)
	return stop, logs
}

// command is a slash command (or, with kind 4, its autocomplete) in a
// guild, by an admin when admin is set.
func command(guild, token, name string, opts []any, admin bool) map[string]any {
	m := discordtest.AskInGuild(guild, discordtest.Snowflake(), token, "1500000000000000009", "")
	m["data"] = map[string]any{"id": "1", "name": name, "type": 1, "options": opts}
	if admin {
		m["member"].(map[string]any)["permissions"] = "32" // Manage Server
	}
	return m
}

func opt(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

// replyTo waits for the bot's final reply to an interaction token: the
// callback, or the edit of a deferred one.
func replyTo(t *testing.T, d *discordtest.Server, token string) string {
	t.Helper()
	c, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool {
		return strings.Contains(c.Path, "/"+token+"/callback") && !strings.Contains(string(c.Body), `"type":5`) ||
			c.Method == "PATCH" && strings.Contains(c.Path, "/"+token+"/messages/@original")
	})
	if !ok {
		t.Fatalf("no reply to %s", token)
	}
	return string(c.Body)
}

// TestTwoServersKeepTheirOwnArticles (issue 16): an article configured for
// server A and one ingested in A are cited in A and never in B; B's
// /sources, /lookup, /cite, autocomplete and Find source never show them;
// /stats in B shows none of A's questions; /forget in B cannot remove A's
// article; both still answer from the shared articles; after footnote is
// removed from A and the grace period, A's rows and files are gone.
func TestTwoServersKeepTheirOwnArticles(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testTwoServers(t, nil) })
	t.Run("postgres+redis+weaviate", func(t *testing.T) {
		// The store in PostgreSQL, cooldowns, follow-ups and the answer
		// cache in Redis, the shared articles in a Weaviate collection.
		env := map[string]string{"FOOTNOTE_DATABASE_URL": servicetest.DatabaseURL(t), "FOOTNOTE_REDIS_URL": servicetest.RedisURL(t),
			"FOOTNOTE_RETRIEVER": "weaviate", "FOOTNOTE_WEAVIATE_URL": servicetest.WeaviateURL(t),
			"FOOTNOTE_WEAVIATE_COLLECTION": servicetest.Name("Servers")}
		testTwoServers(t, env)
	})
}

func testTwoServers(t *testing.T, engines map[string]string) {
	dir := t.TempDir()
	write := func(path, text string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "shared", "brewing.md"), "# Brewing\n\nGreen tea is brewed at 80 degrees, below boiling.\n")
	write(filepath.Join(dir, "a", "runbook.md"), "# Runbook\n\nWhen the pager fires, call the falcon rotation first.\n")
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>Escalation</title></head><body><p>The escalation manager for incidents is Priya Raman.</p></body></html>")
	}))
	defer page.Close()
	cfgFile := filepath.Join(dir, "footnote.yaml")
	write(cfgFile, fmt.Sprintf("guilds:\n  %q:\n    corpus: [%q]\n", guildA, filepath.Join(dir, "a")))
	data := filepath.Join(dir, "data")
	d := discordtest.New(t, discordtest.Options{})
	env := map[string]string{
		"FOOTNOTE_CONFIG": cfgFile, "FOOTNOTE_CORPUS": filepath.Join(dir, "shared"), "FOOTNOTE_DATA_DIR": data,
		"FOOTNOTE_WATCH": "false", "FOOTNOTE_INGEST_ALLOW_PRIVATE": "true", "FOOTNOTE_COOLDOWN": "0s",
		"DISCORD_TOKEN": discordtest.Token, "FOOTNOTE_DISCORD_API_URL": d.APIURL(),
	}
	for k, v := range engines {
		env[k] = v
	}
	if engines["FOOTNOTE_RETRIEVER"] == "weaviate" {
		if out, _, err := runCLI(t, env, "index", "--corpus", filepath.Join(dir, "shared"), "--to", "weaviate"); err != nil {
			t.Fatalf("index --to weaviate: %v\n%s", err, out)
		}
	}
	stop, logs := serveFor(t, d, env)
	if !d.WaitIdentified(1, serveWait) {
		t.Fatalf("never identified; logs:\n%s", logs.String())
	}
	n := 0
	do := func(m map[string]any) string {
		n++
		tok := fmt.Sprintf("tok-%d", n)
		m["token"] = tok
		d.Dispatch("INTERACTION_CREATE", m)
		return replyTo(t, d, tok)
	}
	ask := func(guild, q string) string {
		return do(discordtest.AskInGuild(guild, discordtest.Snowflake(), "", "1500000000000000009", q))
	}
	cites := func(reply, id string) bool { return strings.Contains(reply, id) }
	abstains := func(reply string) bool { return !strings.Contains(reply, "`[1]`") }

	// A's configured article, and one A ingests.
	if r := do(command(guildA, "", "ingest", []any{opt("url", page.URL+"/escalation")}, true)); !strings.Contains(r, "Added") {
		t.Fatalf("/ingest in A: %s", r)
	}
	for q, want := range map[string]string{"Who do we call when the pager fires?": "call the falcon rotation first",
		"Who is the escalation manager for incidents?": "Priya Raman"} {
		if r := ask(guildA, q); !strings.Contains(r, want) || abstains(r) {
			t.Errorf("A: %q not answered from A's articles: %s", q, r)
		}
		if r := ask(guildB, q); !abstains(r) || strings.Contains(r, "falcon") || strings.Contains(r, "Priya") {
			t.Errorf("B: %q answered from A's articles: %s", q, r)
		}
	}
	// Both share the shared articles.
	for _, g := range []string{guildA, guildB} {
		if r := ask(g, "What temperature is green tea brewed at?"); !strings.Contains(r, "80 degrees") {
			t.Errorf("server %s: no answer from the shared articles: %s", g, r)
		}
	}
	leaks := func(what, r string) {
		t.Helper()
		for _, s := range []string{guildA + "/", "call the falcon rotation", "Priya", "Escalation", "Runbook"} {
			if strings.Contains(r, s) {
				t.Errorf("B's %s shows A's %q: %s", what, s, r)
			}
		}
	}
	if r := do(command(guildA, "", "sources", nil, false)); !strings.Contains(r, "Runbook") || !strings.Contains(r, "Escalation") || !strings.Contains(r, "Brewing") {
		t.Errorf("A's /sources: %s", r)
	}
	r := do(command(guildB, "", "sources", nil, false))
	leaks("/sources", r)
	if !strings.Contains(r, "Brewing") {
		t.Errorf("B's /sources lacks the shared article: %s", r)
	}
	leaks("/lookup", do(command(guildB, "", "lookup", []any{opt("query", "pager rotation escalation manager")}, false)))
	leaks("/cite", do(command(guildB, "", "cite", []any{opt("passage", guildA+"/runbook#1")}, false)))
	ac := command(guildB, "", "cite", []any{map[string]any{"name": "passage", "type": 3, "value": "falcon", "focused": true}}, false)
	ac["type"] = 4
	leaks("autocomplete", do(ac))
	fs := command(guildB, "", "Find source", nil, false)
	msg := map[string]any{"id": "1300000000000000555", "channel_id": "1400000000000000001", "content": "call the falcon rotation first when the pager fires",
		"author":    map[string]any{"id": "1500000000000000004", "username": "dave", "discriminator": "0", "avatar": nil},
		"timestamp": "2026-11-26T00:00:00.000000+00:00", "edited_timestamp": nil, "tts": false, "mention_everyone": false,
		"mentions": []any{}, "mention_roles": []any{}, "attachments": []any{}, "embeds": []any{}, "pinned": false, "type": 0}
	fs["data"] = map[string]any{"id": "1600000000000000007", "name": "Find source", "type": 3, "target_id": "1300000000000000555",
		"resolved": map[string]any{"messages": map[string]any{"1300000000000000555": msg}}}
	leaks("Find source", do(fs))
	// /stats counts a server's own questions: A asked 3, B 3 and a Find
	// source.
	for g, want := range map[string]string{guildA: "**3** questions answered", guildB: "**4** questions answered"} {
		if r := do(command(g, "", "stats", nil, true)); !strings.Contains(r, want) {
			t.Errorf("server %s's /stats does not count its own questions only (want %s): %s", g, want, r)
		}
	}
	// B cannot forget A's article; A still answers from it.
	if r := do(command(guildB, "", "forget", []any{opt("article", guildA+"/runbook")}, true)); !strings.Contains(r, "Not removed") {
		t.Errorf("/forget in B of A's article: %s", r)
	}
	if r := ask(guildA, "Who do we call when the pager fires?"); !cites(r, guildA+"/runbook#1") {
		t.Errorf("A lost its article to B's /forget: %s", r)
	}

	// Footnote is removed from A; after the grace period (0 here) its
	// data goes: the next start purges it.
	d.Dispatch("GUILD_DELETE", map[string]any{"id": guildA})
	waitFor(t, func() bool { return strings.Contains(logs.String(), "removed from a server") }, "removal recorded", logs)
	stop()
	env["FOOTNOTE_GUILD_DATA_GRACE"] = "0s"
	_, logs2 := serveFor(t, d, env)
	waitFor(t, func() bool {
		return strings.Contains(logs2.String(), "deleted the questions, votes and articles of servers footnote left")
	}, "A's data purged", logs2)
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(data, "guilds", guildA)); return os.IsNotExist(err) }, "A's files deleted", logs2)
	db, err := sql.Open("sqlite", filepath.Join(data, "footnote.db"))
	if u := engines["FOOTNOTE_DATABASE_URL"]; u != "" {
		db, err = sql.Open("pgx", u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`SELECT COUNT(*) FROM questions WHERE guild = $1`, `SELECT COUNT(*) FROM ingested WHERE guild = $1`} {
		var rows int
		if err := db.QueryRow(q, guildA).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("%s: %d rows, %v; want none", q, rows, err)
		}
	}
	var bRows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM questions WHERE guild = $1`, guildB).Scan(&bRows); err != nil || bRows == 0 {
		t.Errorf("B's questions went with A's: %d, %v", bRows, err)
	}
}

// waitFor polls cond (state another process or goroutine changes) until
// it holds or serveWait passes.
func waitFor(t *testing.T, cond func() bool, what string, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(serveWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s; logs:\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLLMBudgetThroughDiscord (issue 16): with a 1,000-token server budget
// against the local OpenAI-compatible server (each answer costs 600 by its
// count), the first /ask is the model's; the one that would exceed the
// budget gets the template answer with the notice; /quota reports the
// tokens used, and /metrics counts them by server.
func TestLLMBudgetThroughDiscord(t *testing.T) {
	llmSrv := openaitest.New(t, func(openaitest.Request) openaitest.Reply {
		return openaitest.Reply{Content: "An admin runs /reload to read the articles again [1].", PromptTokens: 450, CompletionTokens: 150}
	})
	d := discordtest.New(t, discordtest.Options{})
	addr := freeAddr(t)
	env := map[string]string{
		"FOOTNOTE_DATA_DIR": t.TempDir(), "FOOTNOTE_WATCH": "false", "FOOTNOTE_COOLDOWN": "0s", "FOOTNOTE_HTTP_ADDR": addr,
		"DISCORD_TOKEN": discordtest.Token, "FOOTNOTE_DISCORD_API_URL": d.APIURL(),
		"FOOTNOTE_LLM_BASE_URL": llmSrv.BaseURL(), "FOOTNOTE_LLM_MODEL": "test-model",
		// A short context (about 300 tokens of prompt): the budget fits one question.
		"FOOTNOTE_LLM_CONTEXT_CHARS": "800", "FOOTNOTE_LLM_DAILY_TOKENS_PER_GUILD": "1000",
	}
	_, logs := serveFor(t, d, env)
	if !d.WaitIdentified(1, serveWait) {
		t.Fatalf("never identified; logs:\n%s", logs.String())
	}
	final := func(tok string) string {
		c, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool {
			return c.Method == "PATCH" && strings.Contains(c.Path, "/"+tok+"/messages/@original") && strings.Contains(string(c.Body), "custom_id")
		})
		if !ok {
			t.Fatalf("no final answer for %s; logs:\n%s", tok, logs.String())
		}
		return string(c.Body)
	}
	d.Dispatch("INTERACTION_CREATE", discordtest.AskInGuild(guildA, discordtest.Snowflake(), "tok-llm1", "1500000000000000009", "How do I reload the articles?"))
	if r := final("tok-llm1"); !strings.Contains(r, "Written by a language model") {
		t.Errorf("first /ask not the model's: %s", r)
	}
	d.Dispatch("INTERACTION_CREATE", discordtest.AskInGuild(guildA, discordtest.Snowflake(), "tok-llm2", "1500000000000000008", "What does /reload do?"))
	if r := final("tok-llm2"); !strings.Contains(r, "daily language-model budget (600 of 1000 tokens used) would be exceeded") ||
		strings.Contains(r, "Written by a language model") {
		t.Errorf("the /ask over budget: %s", r)
	}
	m := command(guildA, "tok-quota", "quota", nil, false)
	d.Dispatch("INTERACTION_CREATE", m)
	if r := replyTo(t, d, "tok-quota"); !strings.Contains(r, "**600** of **1000** tokens") {
		t.Errorf("/quota: %s", r)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `footnote_llm_tokens_total{guild="`+guildA+`"} 600`) {
		t.Errorf("/metrics lacks the server's tokens:\n%s", body)
	}
	if len(llmSrv.Requests()) != 1 {
		t.Errorf("the model was asked %d times, want once", len(llmSrv.Requests()))
	}
}
