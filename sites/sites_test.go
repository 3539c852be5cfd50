package sites

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/crawl"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/store"
)

// scripted is a crawler that hands the sink the pages of its next round
// and returns the round's result, recording the state it was given.
type scripted struct {
	mu     sync.Mutex
	rounds []round
	got    [][]crawl.PageState
	ran    chan struct{} // gets a value after each refresh
}

type round struct {
	pages []crawl.Page
	res   crawl.Result
	err   error
}

func (s *scripted) Refresh(ctx context.Context, src crawl.Source, prev []crawl.PageState, sink func(context.Context, crawl.Page) error) (crawl.Result, error) {
	s.mu.Lock()
	if len(s.rounds) == 0 {
		s.mu.Unlock()
		return crawl.Result{}, errors.New("no more rounds scripted")
	}
	r := s.rounds[0]
	s.rounds = s.rounds[1:]
	s.got = append(s.got, slices.Clone(prev))
	s.mu.Unlock()
	defer func() {
		if s.ran != nil {
			s.ran <- struct{}{}
		}
	}()
	if r.err != nil {
		return crawl.Result{}, r.err
	}
	for _, p := range r.pages {
		if err := sink(ctx, p); err != nil {
			r.res.Errors = append(r.res.Errors, crawl.PageError{URL: p.URL, Err: err})
		}
	}
	return r.res, nil
}

func page(path, title, text string, isNew bool) crawl.Page {
	return crawl.Page{URL: "https://docs.example.org" + path, Name: "page.html", ContentType: "text/html", New: isNew,
		Data: []byte("<html><head><title>" + title + "</title></head><body><p>" + text + "</p></body></html>")}
}

func state(path, hash string, misses int) crawl.PageState {
	return crawl.PageState{URL: "https://docs.example.org" + path, FetchedURL: "https://docs.example.org" + path, ETag: `"` + hash + `"`, Hash: hash, Misses: misses}
}

func u(path string) string { return "https://docs.example.org" + path }

type fixture struct {
	m     *Manager
	st    *store.DB
	lib   *library.Library
	crawl *scripted
	now   time.Time
}

func newFixture(t *testing.T, rounds ...round) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	corpusDir := filepath.Join(dir, "corpus")
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corpusDir, "base.md"), []byte("# Base\n\nBase text about widgets.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := library.Open(ctx, library.Options{Corpus: []string{corpusDir}, DataDir: dir, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, lib: lib, crawl: &scripted{rounds: rounds}, now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	f.m = New(Options{Crawler: f.crawl, Store: st, Now: func() time.Time { return f.now },
		Library: func(ctx context.Context, guild string) (*library.Library, error) {
			if guild != "" {
				return nil, fmt.Errorf("no server %s here", guild)
			}
			return lib, nil
		}})
	return f
}

func (f *fixture) says(t *testing.T, docID, text string) {
	t.Helper()
	if _, ok := f.lib.Index().Doc(docID); !ok {
		t.Errorf("%s is not served", docID)
		return
	}
	for _, p := range f.lib.Index().DocPassages(docID) {
		if strings.Contains(p.Text, text) {
			return
		}
	}
	t.Errorf("%s does not say %q", docID, text)
}

// TestRefreshesKeepTheSiteInTheArticles: a first refresh serves the pages
// the crawler found, with one rebuild; the second serves a changed page's
// new text, notes that it changed (for answers' source lines), removes a
// vanished page, and hands the crawler the state the first one left; a
// page with no text is named and fetched again next time.
func TestRefreshesKeepTheSiteInTheArticles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t,
		round{pages: []crawl.Page{page("/install", "Install", "Install it with the package manager.", true),
			page("/config", "Config", "The config file is YAML.", true), page("/empty", "Empty", "", true)},
			res: crawl.Result{Added: []string{u("/config"), u("/empty"), u("/install")}, Complete: true, Requests: 5,
				State: []crawl.PageState{state("/config", "c1", 0), state("/empty", "e1", 0), state("/install", "i1", 0)}}},
		round{pages: []crawl.Page{page("/install", "Install", "Install it from source now.", false)},
			res: crawl.Result{Changed: []string{u("/install")}, Removed: []string{u("/config")}, Complete: true, Requests: 3,
				State: []crawl.PageState{state("/empty", "e1", 0), state("/install", "i2", 0)}}},
	)
	src, err := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/sitemap.xml", AddedBy: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.m.Refresh(ctx, "", src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Added != 2 || len(r.Errors) != 1 || r.Errors[0].URL != u("/empty") {
		t.Fatalf("first refresh: %s; want 2 added and /empty named", r)
	}
	install, config := "ingested/docs-example-org-install", "ingested/docs-example-org-config"
	f.says(t, install, "package manager")
	f.says(t, config, "YAML")
	pages, err := f.st.SitePages(ctx, src.ID)
	if err != nil || len(pages) != 3 {
		t.Fatalf("pages kept %v, %v", pages, err)
	}
	for _, p := range pages {
		switch p.URL {
		case u("/empty"):
			if p.Hash != "" || p.ETag != "" || p.DocID != "" {
				t.Errorf("a page not added keeps validators %+v: it would never be fetched again", p)
			}
		case u("/install"):
			if p.DocID != install || p.Hash != "i1" || !p.ChangedAt.Equal(f.now) {
				t.Errorf("kept %+v", p)
			}
		}
	}
	if _, ok := f.m.Changed(install); ok {
		t.Error("a page new in the source counts as changed")
	}

	f.now = f.now.Add(time.Hour)
	r, err = f.m.Refresh(ctx, "", src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Changed != 1 || r.Removed != 1 || r.Added != 0 || !r.Complete {
		t.Fatalf("second refresh: %s; want 1 changed, 1 removed", r)
	}
	f.says(t, install, "from source")
	if _, ok := f.lib.Index().Doc(config); ok {
		t.Errorf("%s still served after the page vanished", config)
	}
	// What the first refresh left is what the second was given.
	prev := f.crawl.got[1]
	if len(prev) != 3 || prev[2].URL != u("/install") || prev[2].Hash != "i1" || prev[2].ETag != `"i1"` || prev[1].Hash != "" {
		t.Errorf("second refresh given %+v", prev)
	}
	if at, ok := f.m.Changed(install); !ok || !at.Equal(f.now) {
		t.Errorf("Changed(%s) = %v, %v; want %v", install, at, ok, f.now)
	}
	ch, err := f.m.Changes(ctx, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range ch {
		kinds = append(kinds, c.Kind+" "+strings.TrimPrefix(c.URL, "https://docs.example.org"))
	}
	if want := []string{"removed /config", "changed /install", "added /install", "added /config"}; !slices.Equal(kinds, want) {
		// Within one refresh the order is the crawler's, by kind.
		slices.Sort(kinds)
		slices.Sort(want)
		if !slices.Equal(kinds, want) {
			t.Errorf("changes %v; want %v", kinds, want)
		}
	}
	// After a day the change is old news.
	f.now = f.now.Add(25 * time.Hour)
	if _, ok := f.m.Changed(install); ok {
		t.Error("a change of yesterday still counts as recent")
	}
	list, err := f.m.List(ctx, "")
	if err != nil || len(list) != 1 || list[0].Pages != 1 {
		t.Errorf("list %+v, %v; want the source with 1 page served", list, err)
	}
}

// TestFailedRefreshKeepsWhatWasThere: a refresh the crawler gives up on
// records its error and changes nothing.
func TestFailedRefreshKeepsWhatWasThere(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t,
		round{pages: []crawl.Page{page("/install", "Install", "Install it with the package manager.", true)},
			res: crawl.Result{Added: []string{u("/install")}, Complete: true, State: []crawl.PageState{state("/install", "i1", 0)}}},
		round{err: errors.New("robots.txt disallows everything")},
	)
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/"})
	if _, err := f.m.Refresh(ctx, "", src.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refresh(ctx, "", src.ID); err == nil {
		t.Fatal("a failed refresh reported no error")
	}
	f.says(t, "ingested/docs-example-org-install", "package manager")
	list, _ := f.m.List(ctx, "")
	if len(list) != 1 || !strings.Contains(list[0].LastError, "robots.txt") || list[0].Pages != 1 {
		t.Errorf("after a failed refresh: %+v", list)
	}
	pages, _ := f.st.SitePages(ctx, src.ID)
	if len(pages) != 1 || pages[0].Hash != "i1" {
		t.Errorf("pages after a failed refresh: %+v", pages)
	}
}

// TestRemoveSourceForgetsItsPages, and a configured source is removed by
// the config file only.
func TestRemoveSourceForgetsItsPages(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t,
		round{pages: []crawl.Page{page("/a", "A", "Alpha page text.", true), page("/b", "B", "Beta page text.", true)},
			res: crawl.Result{Added: []string{u("/a"), u("/b")}, Complete: true, State: []crawl.PageState{state("/a", "a", 0), state("/b", "b", 0)}}},
	)
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/"})
	if _, err := f.m.Refresh(ctx, "", src.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.lib.Index().Docs()); n != 3 {
		t.Fatalf("%d articles served; want base and two pages", n)
	}
	if _, n, err := f.m.Remove(ctx, "", src.ID); err != nil || n != 2 {
		t.Fatalf("Remove: %d pages, %v", n, err)
	}
	if n := len(f.lib.Index().Docs()); n != 1 {
		t.Errorf("%d articles served after the removal; want base only", n)
	}
	if list, _ := f.m.List(ctx, ""); len(list) != 0 {
		t.Errorf("sources after the removal: %+v", list)
	}

	if err := f.m.Configure(ctx, []store.Source{{URL: "https://wiki.example.org/"}}); err != nil {
		t.Fatal(err)
	}
	list, _ := f.m.List(ctx, "")
	if len(list) != 1 || !list[0].Configured {
		t.Fatalf("configured sources %+v", list)
	}
	if _, _, err := f.m.Remove(ctx, "", list[0].ID); !errors.Is(err, ErrConfigured) {
		t.Errorf("removing a configured source: %v; want ErrConfigured", err)
	}
	if err := f.m.Configure(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.m.List(ctx, ""); len(list) != 0 {
		t.Errorf("a source no longer configured is kept: %+v", list)
	}
}

// TestRunRefreshesDueSources: Start refuses a source that is being
// refreshed; Run refreshes a source never refreshed at once and schedules
// the next refresh one interval later.
func TestRunRefreshesDueSources(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFixture(t,
		round{pages: []crawl.Page{page("/a", "A", "Alpha page text.", true)},
			res: crawl.Result{Added: []string{u("/a")}, Complete: true, State: []crawl.PageState{state("/a", "a", 0)}}},
	)
	done := make(chan error, 1)
	f.m.opt.Done = func(_ Report, err error) { done <- err }
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/", Refresh: time.Hour})
	if !f.m.claim(src.ID) {
		t.Fatal("claim of an idle source failed")
	}
	if err := f.m.Start(ctx, "", src.ID, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("Start while a refresh runs: %v; want ErrBusy", err)
	}
	f.m.release(src.ID)
	f.m.Go(ctx)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cancel()
	f.m.Wait()
	f.says(t, "ingested/docs-example-org-a", "Alpha")
	list, _ := f.m.List(context.Background(), "")
	if len(list) != 1 || list[0].RefreshedAt.IsZero() || !list[0].Next.Equal(f.now.Add(time.Hour)) {
		t.Errorf("after Run: %+v; want refreshed, next in an hour", list)
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"https://docs.example.org/sitemap.xml#top", "https://docs.example.org/sitemap.xml", ""},
		{" http://wiki.example.org/team/ ", "http://wiki.example.org/team/", ""},
		{"ftp://docs.example.org/", "", "not a web address"},
		{"docs.example.org", "", "not a web address"},
		{"https://bot:hunter2@docs.example.org/", "", "user name or password"},
		{"htps://bot:hunter2@docs.example.org/", "", "not a web address"},
		{"https://bot:hunter2@docs.example.org/%zz", "", "not a web address"},
		{"https://bot:hunter2@[::1/", "", "not a web address"},
	} {
		got, err := Check(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Check(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Check's error shows the password: %v", err)
		}
	}
}

// TestPageOfTwoSources: a page two sources of a server list is one
// article, kept until neither source has it.
func TestPageOfTwoSources(t *testing.T) {
	ctx := context.Background()
	one := func(path string) round {
		return round{pages: []crawl.Page{page(path, "Shared", "Shared page text about gauges.", true)},
			res: crawl.Result{Added: []string{u(path)}, Complete: true, State: []crawl.PageState{state(path, "s", 0)}}}
	}
	f := newFixture(t, one("/shared"), one("/shared"),
		round{res: crawl.Result{Removed: []string{u("/shared")}, Complete: true}})
	a, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/sitemap.xml"})
	b, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/docs/"})
	for _, s := range []store.Source{a, b} {
		if _, err := f.m.Refresh(ctx, "", s.ID); err != nil {
			t.Fatal(err)
		}
	}
	doc := "ingested/docs-example-org-shared"
	f.says(t, doc, "gauges")
	// The page vanishes from the first source: the second still has it.
	r, err := f.m.Refresh(ctx, "", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Removed != 1 {
		t.Errorf("the vanished page is not reported removed from its source: %s", r)
	}
	f.says(t, doc, "gauges")
	if _, n, err := f.m.Remove(ctx, "", b.ID); err != nil || n != 1 {
		t.Fatalf("Remove: %d, %v", n, err)
	}
	if _, ok := f.lib.Index().Doc(doc); ok {
		t.Errorf("%s served after both sources dropped it", doc)
	}
}

// TestOneRefreshAcrossProcesses: a source refreshing in one process (a
// serve replica) is busy for another sharing the store (`footnote crawl`
// from cron), until the first is done.
func TestOneRefreshAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, round{res: crawl.Result{Complete: true}})
	other := New(Options{Crawler: f.crawl, Store: f.st, Now: func() time.Time { return f.now },
		Library: func(context.Context, string) (*library.Library, error) { return f.lib, nil }})
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/"})
	if !f.m.claim(src.ID) {
		t.Fatal("claim of an idle source failed")
	}
	if _, err := other.Refresh(ctx, "", src.ID); !errors.Is(err, ErrBusy) {
		t.Errorf("another process's refresh while one runs: %v; want ErrBusy", err)
	}
	if list, _ := f.m.List(ctx, ""); len(list) != 1 || !list[0].Running {
		t.Errorf("list while refreshing: %+v", list)
	}
	f.m.release(src.ID)
	if _, err := other.Refresh(ctx, "", src.ID); err != nil {
		t.Errorf("refresh after the first process is done: %v", err)
	}
}

// TestSourceLeavesManualArticlesAlone: a page someone added with /ingest
// is not taken over by a source listing the same URL, so removing the
// source leaves it; and a page /forget removed stays out while it is
// unchanged on the site.
func TestSourceLeavesManualArticlesAlone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t,
		round{pages: []crawl.Page{page("/manual", "Manual", "The site's version of the page.", true), page("/a", "A", "Alpha page text.", true)},
			res: crawl.Result{Added: []string{u("/a"), u("/manual")}, Complete: true, State: []crawl.PageState{state("/a", "a", 0), state("/manual", "m", 0)}}},
		round{res: crawl.Result{Unchanged: []string{u("/a")}, Complete: true, State: []crawl.PageState{state("/a", "a", 0), state("/manual", "m", 0)}}},
	)
	b := f.lib.Batch("admin")
	if _, err := b.AddPage(ctx, u("/manual"), "manual.html", page("/manual", "Manual", "The admin's own copy of the page.", true).Data); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/"})
	r, err := f.m.Refresh(ctx, "", src.ID)
	if err != nil {
		t.Fatal(err)
	}
	manual, a := "ingested/docs-example-org-manual", "ingested/docs-example-org-a"
	if r.Added != 1 || len(r.Errors) != 1 || !errors.Is(r.Errors[0].Err, library.ErrNotTheSources) {
		t.Errorf("refresh over a page ingested by hand: %s; want it skipped and named", r)
	}
	f.says(t, manual, "admin's own copy")
	// /forget a crawled page: not served again while unchanged.
	if _, err := f.lib.Forget(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refresh(ctx, "", src.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.lib.Index().Doc(a); ok {
		t.Errorf("%s served again after /forget", a)
	}
	if list, _ := f.m.List(ctx, ""); len(list) != 1 || list[0].Pages != 0 {
		t.Errorf("sources after /forget: %+v; want no page counted as served", list)
	}
	if _, _, err := f.m.Remove(ctx, "", src.ID); err != nil {
		t.Fatal(err)
	}
	f.says(t, manual, "admin's own copy")
}

// cancelling is a crawler that saves one page, then sees its context end
// (serve shutting down) and returns an incomplete result.
type cancelling struct{ cancel context.CancelFunc }

func (c cancelling) Refresh(ctx context.Context, src crawl.Source, prev []crawl.PageState, sink func(context.Context, crawl.Page) error) (crawl.Result, error) {
	if err := sink(ctx, page("/late", "Late", "Saved just before shutdown.", true)); err != nil {
		return crawl.Result{}, err
	}
	c.cancel()
	return crawl.Result{Added: []string{u("/late")}, State: []crawl.PageState{state("/late", "l", 0)}}, nil
}

// TestShutdownMidRefreshKeepsItsPages: a page saved before serve's
// context ended is served and remembered by its source, not orphaned.
func TestShutdownMidRefreshKeepsItsPages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFixture(t)
	f.m.opt.Crawler = cancelling{cancel}
	src, _ := f.m.Add(ctx, store.Source{URL: "https://docs.example.org/"})
	if _, err := f.m.Refresh(ctx, "", src.ID); err != nil {
		t.Fatal(err)
	}
	f.says(t, "ingested/docs-example-org-late", "before shutdown")
	pages, err := f.st.SitePages(context.Background(), src.ID)
	if err != nil || len(pages) != 1 || pages[0].DocID != "ingested/docs-example-org-late" {
		t.Errorf("pages after a refresh cut short: %+v, %v; want the saved page recorded", pages, err)
	}
}
