package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/retrieval"
)

func adminCommand(name string, options []any, resolved map[string]any) func(m map[string]any) {
	return func(m map[string]any) {
		d := map[string]any{"id": "1", "name": name, "type": 1}
		if options != nil {
			d["options"] = options
		}
		if resolved != nil {
			d["resolved"] = resolved
		}
		m["data"] = d
		m["member"].(map[string]any)["permissions"] = "32" // Manage Server
	}
}

func TestIngestForgetAndStats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# Apples\n\nApples are red and crisp.\n"), 0o644)
	h := start(t, setup{corpusDir: dir})
	run := func(name string, options []any, resolved map[string]any) string {
		t.Helper()
		id, tok := h.interaction("interaction_ask.json", adminCommand(name, options, resolved))
		cb := h.callback(id, tok)
		if cb["type"].(float64) == 4 {
			return data(cb)["content"].(string)
		}
		e := h.waitEdit(tok, false)
		assertNoPings(t, e)
		return e["content"].(string)
	}
	// A URL on loopback is refused (SSRF), with the reason.
	loopback := strings.Replace(h.d.APIURL(), "127.0.0.1", "127.0.0.2", 1) + "/gateway"
	if got := run("ingest", []any{map[string]any{"name": "url", "type": 3, "value": loopback}}, nil); !strings.Contains(got, "Not added") || !strings.Contains(got, "loopback") {
		t.Errorf("loopback URL: %q", got)
	}
	// Uploads (issue 14, item 6): only from the CDN host, within ingest_max_bytes.
	ingestFile := func(id string, att map[string]any) string {
		return run("ingest", []any{map[string]any{"name": "file", "type": 11, "value": id}},
			map[string]any{"attachments": map[string]any{id: att}})
	}
	big := h.d.AddAttachment("1800000000000000003", "big.md", "text/markdown", []byte("# Big\n\n"+strings.Repeat("Big files are refused. ", 4000)))
	if got := ingestFile("1800000000000000003", big); !strings.Contains(got, "Not added") || !strings.Contains(got, fmt.Sprintf("over the %d-byte limit", testIngestMaxBytes)) {
		t.Errorf("upload over ingest_max_bytes: %q", got)
	}
	big["size"] = 100 // Discord's size is not trusted either
	if got := ingestFile("1800000000000000003", big); !strings.Contains(got, "Not added") || !strings.Contains(got, fmt.Sprintf("over the %d-byte limit", testIngestMaxBytes)) {
		t.Errorf("upload over ingest_max_bytes, declared small: %q", got)
	}
	for _, u := range []string{loopback, "http://169.254.169.254/latest/meta-data/x.md", "file:///etc/passwd"} {
		off := map[string]any{"id": "1800000000000000004", "filename": "x.md", "size": 10, "url": u, "proxy_url": u, "content_type": "text/markdown"}
		if got := ingestFile("1800000000000000004", off); !strings.Contains(got, "Not added") || !(strings.Contains(got, "only from 127.0.0.1") || strings.Contains(got, "only http and https")) {
			t.Errorf("upload from %s: %q", u, got)
		}
	}
	// An attached Markdown file whose title pings @everyone is added; the reply pings nobody.
	att := h.d.AddAttachment("1800000000000000001", "pears.md", "text/markdown", []byte("# @everyone Pears\n\nPears are sweet and grainy.\n"))
	got := run("ingest", []any{map[string]any{"name": "file", "type": 11, "value": "1800000000000000001"}},
		map[string]any{"attachments": map[string]any{"1800000000000000001": att}})
	if !strings.Contains(got, "Added") || !strings.Contains(got, "ingested/pears") || !strings.Contains(got, "1 passages") {
		t.Errorf("attachment: %q", got)
	}
	// Another upload named pears.md (issue 14, item 4) does not replace it.
	other := h.d.AddAttachment("1800000000000000005", "pears.md", "text/markdown", []byte("# Other pears\n\nThese pears are someone else's.\n"))
	if got := ingestFile("1800000000000000005", other); !strings.Contains(got, "Not added") || !strings.Contains(got, "already called ingested/pears") {
		t.Errorf("second pears.md: %q", got)
	}
	// A "PDF" that is not one is refused.
	bad := h.d.AddAttachment("1800000000000000002", "report.pdf", "application/pdf", []byte("<html>nope</html>"))
	got = run("ingest", []any{map[string]any{"name": "file", "type": 11, "value": "1800000000000000002"}},
		map[string]any{"attachments": map[string]any{"1800000000000000002": bad}})
	if !strings.Contains(got, "Not added") || !strings.Contains(got, "not a PDF") {
		t.Errorf("fake PDF: %q", got)
	}
	// Questions and votes for /stats.
	aid, atok := h.ask("Are pears sweet?", nil)
	if d := data(h.callback(aid, atok)); !strings.Contains(embeds(d)[0]["description"].(string), "Pears are sweet") {
		t.Errorf("ingested article not answered from: %v", d)
	}
	for i, q := range []string{"How do I bake bread?", "how do i bake BREAD", "What is quantum gravity?"} {
		id, tok := h.ask(q, func(m map[string]any) { setUser(m, "15000000000000001"+string(rune('0'+i))) })
		h.callback(id, tok)
	}
	vid, vtok := h.interaction("interaction_component.json", func(m map[string]any) {
		m["data"].(map[string]any)["custom_id"] = "vote:down:" + aid
	})
	h.callback(vid, vtok) // sent once the vote is stored
	// The observer hears of a question once it is logged (and answered).
	eventually(t, func() bool { return h.obs.get("ask/answered")+h.obs.get("ask/abstained") == 4 }, "the four questions logged")
	sid, stok := h.interaction("interaction_ask.json", adminCommand("stats", nil, nil))
	e := embeds(data(h.callback(sid, stok)))[0]
	if !strings.Contains(e["description"].(string), "**4** questions") || !strings.Contains(e["description"].(string), "👎 1") {
		t.Errorf("stats = %v", e["description"])
	}
	fields := e["fields"].([]any)
	un := fields[0].(map[string]any)["value"].(string)
	if !strings.HasPrefix(un, "2× ") || !strings.Contains(un, "bake") {
		t.Errorf("unanswered, grouped = %q", un)
	}
	if cited := fields[1].(map[string]any)["value"].(string); !strings.Contains(cited, "Pears") {
		t.Errorf("most cited = %q", cited)
	}
	if worst := fields[2].(map[string]any)["value"].(string); !strings.Contains(worst, "Are pears sweet?") || !strings.Contains(worst, "ingested/pears#1") {
		t.Errorf("worst rated = %q", worst)
	}
	// /forget: autocomplete offers it, then it is gone.
	cid, ctok := h.interaction("interaction_autocomplete.json", func(m map[string]any) {
		m["data"] = map[string]any{"id": "2", "name": "forget", "type": 1, "options": []any{
			map[string]any{"name": "article", "type": 3, "value": "pear", "focused": true}}}
	})
	choices := data(h.callback(cid, ctok))["choices"].([]any)
	if len(choices) != 1 || choices[0].(map[string]any)["value"] != "ingested/pears" {
		t.Errorf("forget choices = %v", choices)
	}
	if got := run("forget", []any{map[string]any{"name": "article", "type": 3, "value": "ingested/pears"}}, nil); !strings.Contains(got, "Removed") {
		t.Errorf("forget: %q", got)
	}
	aid, atok = h.ask("Are pears sweet?", func(m map[string]any) { setUser(m, "1500000000000000099") })
	if d := data(h.callback(aid, atok)); strings.Contains(embeds(d)[0]["description"].(string), "Pears are sweet") {
		t.Error("forgotten article still answered from")
	}
	// Non-admins cannot ingest.
	nid, ntok := h.interaction("interaction_ask.json", func(m map[string]any) {
		adminCommand("ingest", []any{map[string]any{"name": "url", "type": 3, "value": "https://example.com"}}, nil)(m)
		m["member"].(map[string]any)["permissions"] = "0"
	})
	if d := data(h.callback(nid, ntok)); !strings.Contains(d["content"].(string), "Only members") {
		t.Errorf("non-admin ingest: %v", d)
	}
}

// TestIngestURLsKeepTheirOwnNames (issue 14, item 4) runs /ingest url:
// twice with pages whose last path segment is the same: two articles, each
// answered from; the same page again is an update, not a third article.
func TestIngestURLsKeepTheirOwnNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# Apples\n\nApples are red and crisp.\n"), 0o644)
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/markdown")
		team := strings.Split(r.URL.Path, "/")[1]
		fmt.Fprintf(w, "# Handbook of %s\n\nThe %s handbook says releases ship on day %d.\n", team, team, len(team))
	}))
	t.Cleanup(pages.Close)
	h := start(t, setup{corpusDir: dir})
	run := func(url string) string {
		t.Helper()
		id, tok := h.interaction("interaction_ask.json", adminCommand("ingest", []any{map[string]any{"name": "url", "type": 3, "value": url}}, nil))
		h.callback(id, tok)
		e := h.waitEdit(tok, false)
		assertNoPings(t, e)
		return e["content"].(string)
	}
	host := strings.NewReplacer(".", "-", ":", "-").Replace(strings.TrimPrefix(pages.URL, "http://"))
	a := run(pages.URL + "/team-a/handbook")
	b := run(pages.URL + "/team-bb/handbook/")
	if !strings.HasPrefix(a, "Added") || !strings.Contains(a, "ingested/"+host+"-team-a-handbook") {
		t.Errorf("first: %q", a)
	}
	if !strings.HasPrefix(b, "Added") || !strings.Contains(b, "ingested/"+host+"-team-bb-handbook") {
		t.Errorf("second: %q", b)
	}
	if again := run(pages.URL + "/team-a/handbook/"); !strings.HasPrefix(again, "Updated") || !strings.Contains(again, "ingested/"+host+"-team-a-handbook") {
		t.Errorf("the same page again: %q", again)
	}
	ix := h.live.Load()
	if n := len(ix.Docs()); n != 3 {
		t.Errorf("%d articles, want 3", n)
	}
	for _, team := range []string{"team-a", "team-bb"} {
		if hits := ix.Search("handbook releases "+team, 1, retrieval.Options{Docs: []string{"ingested/" + host + "-" + team + "-handbook"}}); len(hits) == 0 {
			t.Errorf("%s's handbook is not served", team)
		}
	}
}

// TestStatsShowsOneServer: /stats in a server summarises that server's
// questions only; another server's questions (and the articles they
// cited) are not its admins'.
func TestStatsShowsOneServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# Apples\n\nApples are red and crisp.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p.md"), []byte("# Pears\n\nPears are sweet and soft.\n"), 0o644)
	h := start(t, setup{corpusDir: dir})
	const other = "1300000000000000777"
	inGuild := func(g string) func(m map[string]any) {
		return func(m map[string]any) { m["guild_id"] = g }
	}
	id, tok := h.ask("Are apples crisp?", nil)
	h.callback(id, tok)
	for i, q := range []string{"Are pears sweet?", "What do pears taste of in the secret project?"} {
		id, tok := h.ask(q, func(m map[string]any) {
			inGuild(other)(m)
			setUser(m, "15000000000000009"+string(rune('0'+i)))
		})
		h.callback(id, tok)
	}
	eventually(t, func() bool { return h.obs.get("ask/answered")+h.obs.get("ask/abstained") == 3 }, "the three questions logged")
	stats := func(g string) string {
		t.Helper()
		id, tok := h.interaction("interaction_ask.json", func(m map[string]any) {
			adminCommand("stats", nil, nil)(m)
			inGuild(g)(m)
		})
		e := embeds(data(h.callback(id, tok)))[0]
		out := fmt.Sprint(e["description"])
		for _, f := range e["fields"].([]any) {
			out += "\n" + fmt.Sprint(f.(map[string]any)["value"])
		}
		return out
	}
	mine := stats(discordtest.GuildID)
	if !strings.Contains(mine, "**1** questions") && !strings.Contains(mine, "**1** question") {
		t.Errorf("/stats here counts other servers' questions:\n%s", mine)
	}
	if strings.Contains(mine, "Pears") || strings.Contains(mine, "secret project") {
		t.Errorf("/stats here shows another server's questions or citations:\n%s", mine)
	}
	theirs := stats(other)
	if !strings.Contains(theirs, "**2** questions") || strings.Contains(theirs, "Apples") {
		t.Errorf("/stats in the other server:\n%s", theirs)
	}
}

// memberships records what the bot tells its Membership.
type memberships chan string

func (m memberships) GuildLeft(_ context.Context, g string) error { m <- "left " + g; return nil }
func (m memberships) GuildBack(_ context.Context, g string) error { m <- "back " + g; return nil }

// TestGuildRemovalIsRecorded: GUILD_DELETE without "unavailable" (footnote
// was removed) is recorded, so that the server's data goes after the grace
// period; an outage (unavailable: true) is not; GUILD_CREATE (footnote is
// in the server, again) is.
func TestGuildRemovalIsRecorded(t *testing.T) {
	t.Parallel()
	m := make(memberships, 16)
	h := start(t, setup{opt: Options{Membership: m}, syncEvents: true})
	h.d.Dispatch("GUILD_DELETE", map[string]any{"id": "1300000000000000001", "unavailable": true})
	h.d.Dispatch("GUILD_DELETE", map[string]any{"id": "1300000000000000002"})
	h.d.Dispatch("GUILD_CREATE", map[string]any{"id": "1300000000000000002", "name": "back again", "unavailable": false,
		"roles": []any{}, "emojis": []any{}, "features": []any{}, "channels": []any{}, "members": []any{}})
	// The events are handled in order (syncEvents): the outage, if it were
	// recorded, would come first.
	for _, want := range []string{"left 1300000000000000002", "back 1300000000000000002"} {
		select {
		case got := <-m:
			if got != want {
				t.Errorf("recorded %q, want %q", got, want)
			}
		case <-time.After(eventWait):
			t.Fatalf("%q never recorded", want)
		}
	}
}
