package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
)

// fakeSources records what /source asks of it.
type fakeSources struct {
	mu      sync.Mutex
	added   []SourceSpec
	started []string // guild/id
	busy    bool
	list    []SourceInfo
	changed time.Time
}

func (f *fakeSources) Add(_ context.Context, guild string, s SourceSpec) (SourceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasPrefix(s.URL, "https://") {
		return SourceInfo{}, fmt.Errorf("%q is not a web address", s.URL)
	}
	f.added = append(f.added, s)
	return SourceInfo{ID: int64(len(f.added)), URL: s.URL}, nil
}

func (f *fakeSources) Start(_ context.Context, guild string, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy {
		return ErrSourceBusy
	}
	f.started = append(f.started, fmt.Sprintf("%s/%d", guild, id))
	return nil
}

func (f *fakeSources) List(context.Context, string) ([]SourceInfo, error) { return f.list, nil }

func (f *fakeSources) Remove(_ context.Context, guild string, id int64) (SourceInfo, int, error) {
	if id != 1 {
		return SourceInfo{}, 0, errors.New("this server has no source 9")
	}
	return SourceInfo{ID: 1, URL: "https://docs.example.org/sitemap.xml"}, 42, nil
}

func (f *fakeSources) Changes(context.Context, string, int64, int) ([]SourceChange, error) {
	return []SourceChange{{Source: 1, At: time.Now().Add(-2 * time.Hour), URL: "https://docs.example.org/install", Kind: "changed"}}, nil
}

func (f *fakeSources) Changed(string) (time.Time, bool) { return f.changed, !f.changed.IsZero() }

// TestSourceCommand: /source's subcommands through the real discordgo
// client and the in-process Discord: add starts a background refresh and
// says so at once, list shows the pages, last refresh and an error (as
// text), refresh refuses while one runs, remove and changes report; a
// member without Manage Server is refused; and an answer citing an
// article that changed today says so in its source line.
func TestSourceCommand(t *testing.T) {
	t.Parallel()
	src := &fakeSources{changed: time.Now().Add(-3 * time.Hour)}
	h := start(t, setup{opt: Options{Sources: src}})
	run := func(sub string, options []any, admin bool) map[string]any {
		t.Helper()
		o := map[string]any{"name": sub, "type": 1}
		if options != nil {
			o["options"] = options
		}
		id, tok := h.interaction("interaction_ask.json", func(m map[string]any) {
			adminCommand("source", []any{o}, nil)(m)
			if !admin {
				m["member"].(map[string]any)["permissions"] = "0"
			}
		})
		cb := data(h.callback(id, tok))
		assertNoPings(t, cb)
		if cb["flags"].(float64) != 64 {
			t.Errorf("/source %s reply is not ephemeral: %v", sub, cb)
		}
		return cb
	}
	text := func(m map[string]any) string {
		out := fmt.Sprint(m["content"])
		for _, e := range embeds(m) {
			out += "\n" + fmt.Sprint(e["description"])
		}
		return out
	}

	got := text(run("add", []any{map[string]any{"name": "url", "type": 3, "value": "https://docs.example.org/sitemap.xml"},
		map[string]any{"name": "exclude", "type": 3, "value": "/blog/**, /old/*"}, map[string]any{"name": "max_pages", "type": 4, "value": 300}}, true))
	if !strings.Contains(got, "Added source 1") || !strings.Contains(got, "being fetched now") {
		t.Errorf("/source add: %q", got)
	}
	src.mu.Lock()
	if len(src.added) != 1 || src.added[0].MaxPages != 300 || fmt.Sprint(src.added[0].Exclude) != "[/blog/** /old/*]" || len(src.started) != 1 || src.started[0] != discordtest.GuildID+"/1" {
		t.Errorf("added %+v, started %v", src.added, src.started)
	}
	src.mu.Unlock()
	if got := text(run("add", []any{map[string]any{"name": "url", "type": 3, "value": "ftp://x"}}, true)); !strings.Contains(got, "Not added") {
		t.Errorf("/source add ftp: %q", got)
	}

	src.list = []SourceInfo{{ID: 1, URL: "https://docs.example.org/sitemap.xml", Pages: 297, RefreshedAt: time.Now().Add(-90 * time.Minute),
		LastError: "3 pages skipped (first: https://docs.example.org/[x](https://evil.example) 500)"}, {ID: 2, URL: "https://wiki.example.org/", Running: true, Configured: true}}
	got = text(run("list", nil, true))
	for _, want := range []string{"297 pages", "refreshed 1 h ago", "refreshing now", "from the config file", "3 pages skipped"} {
		if !strings.Contains(got, want) {
			t.Errorf("/source list lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "](https://evil") {
		t.Errorf("/source list shows an error's link syntax as a link:\n%s", got)
	}

	src.busy = true
	if got := text(run("refresh", []any{map[string]any{"name": "id", "type": 4, "value": 1}}, true)); !strings.Contains(got, "being refreshed already") {
		t.Errorf("/source refresh while busy: %q", got)
	}
	if got := text(run("remove", []any{map[string]any{"name": "id", "type": 4, "value": 1}}, true)); !strings.Contains(got, "its 42 pages") {
		t.Errorf("/source remove: %q", got)
	}
	if got := text(run("remove", []any{map[string]any{"name": "id", "type": 4, "value": 9}}, true)); !strings.Contains(got, "Not removed") {
		t.Errorf("/source remove of an unknown source: %q", got)
	}
	if got := text(run("changes", nil, true)); !strings.Contains(got, "changed `https://docs.example.org/install` · source 1 · 2 h ago") {
		t.Errorf("/source changes: %q", got)
	}
	if got := text(run("list", nil, false)); !strings.Contains(got, "Only members with the Manage Server permission") {
		t.Errorf("/source list by a member: %q", got)
	}

	id, tok := h.ask("What is footnote?", nil)
	cb := data(h.callback(id, tok))
	if cb == nil {
		cb = h.waitEdit(tok, true)
	}
	var sources string
	for _, e := range embeds(cb) {
		if fs, ok := e["fields"].([]any); ok {
			for _, f := range fs {
				sources += fmt.Sprint(f.(map[string]any)["value"])
			}
		}
	}
	if !strings.Contains(sources, "page updated 3 h ago") {
		t.Errorf("an answer citing a page changed today does not say so:\n%s", sources)
	}
}
