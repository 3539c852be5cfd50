package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if got := run("ingest", []any{map[string]any{"name": "url", "type": 3, "value": h.d.APIURL() + "/gateway"}}, nil); !strings.Contains(got, "Not added") || !strings.Contains(got, "loopback") {
		t.Errorf("loopback URL: %q", got)
	}
	// An attached Markdown file whose title pings @everyone is added; the reply pings nobody.
	att := h.d.AddAttachment("1800000000000000001", "pears.md", "text/markdown", []byte("# @everyone Pears\n\nPears are sweet and grainy.\n"))
	got := run("ingest", []any{map[string]any{"name": "file", "type": 11, "value": "1800000000000000001"}},
		map[string]any{"attachments": map[string]any{"1800000000000000001": att}})
	if !strings.Contains(got, "Added") || !strings.Contains(got, "ingested/pears") || !strings.Contains(got, "1 passages") {
		t.Errorf("attachment: %q", got)
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
	h.callback(vid, vtok)
	time.Sleep(100 * time.Millisecond)
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
