// Package sites keeps documentation sites in footnote's articles: a
// source is a sitemap or a start page (see package crawl for what is
// fetched and how politely); each refresh crawls it against what was seen
// last time, saves the pages that are new or changed as ingested articles
// of the server the source belongs to (one rebuild for the whole refresh,
// so /forget, /sources, reloads and the watcher see them like any other
// article), removes the pages that disappeared, and records what changed.
//
// State lives in the store: the sources, what was last seen of each page
// (validators for conditional requests, the sitemap's lastmod, a content
// hash, the article it is served as) and a bounded history of changes.
// A refresh that fails part-way keeps what was there: nothing is removed
// and pages that could not be fetched keep their previous state.
//
// One refresh of a source runs at a time; Run refreshes the sources that
// are due, one after another, so a deployment's crawling is bounded by one
// crawler's rate and memory however many sources it has.
package sites

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/footnote-bot/footnote/crawl"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/store"
)

// Store is what sites keeps in the store.
type Store interface {
	AddSource(ctx context.Context, src store.Source) (store.Source, error)
	Sources(ctx context.Context, guild string) ([]store.Source, error)
	Source(ctx context.Context, guild string, id int64) (store.Source, error)
	RemoveSource(ctx context.Context, guild string, id int64) (store.Source, []store.SitePage, error)
	SitePages(ctx context.Context, sourceID int64) ([]store.SitePage, error)
	SaveRefresh(ctx context.Context, sourceID int64, r store.Refreshed) error
	SaveRefreshError(ctx context.Context, sourceID int64, at time.Time, failure error) error
	SiteChanges(ctx context.Context, guild string, sourceID int64, since time.Time, limit int) ([]store.SiteChange, error)
}

// Crawler runs one refresh of a source (*crawl.Crawler).
type Crawler interface {
	Refresh(ctx context.Context, src crawl.Source, prev []crawl.PageState, sink func(context.Context, crawl.Page) error) (crawl.Result, error)
}

// Options configure a Manager.
type Options struct {
	Crawler Crawler
	Store   Store
	// Library returns the library a server's pages go to (guild "" for
	// the shared articles).
	Library func(ctx context.Context, guild string) (*library.Library, error)
	// Refresh is how often a source is refreshed when it does not say
	// (default 24h).
	Refresh time.Duration
	// MaxSources bounds the sources of one server (default 20).
	MaxSources int
	Logger     *slog.Logger
	Now        func() time.Time
	// Done, when set, is told every refresh's outcome (metrics, tests).
	Done func(Report, error)
}

// Manager adds, refreshes, lists and removes sources.
type Manager struct {
	opt Options
	log *slog.Logger

	mu      sync.Mutex
	running map[int64]bool
	// changed is when pages changed recently (doc ID → time), for
	// answers' source lines.
	changed map[string]time.Time
	// wake tells Run to look at the schedule again.
	wake chan struct{}
	// started counts the refreshes Start runs, for Wait.
	started sync.WaitGroup
}

// Wait waits for the refreshes Start began (cancel their context first to
// make them stop).
func (m *Manager) Wait() { m.started.Wait() }

// Errors.
var (
	ErrBusy       = errors.New("a refresh of this source is already running")
	ErrConfigured = errors.New("this source comes from the config file; remove it there")
)

// New returns a Manager.
func New(opt Options) *Manager {
	if opt.Refresh <= 0 {
		opt.Refresh = 24 * time.Hour
	}
	if opt.MaxSources <= 0 {
		opt.MaxSources = 20
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Manager{opt: opt, log: opt.Logger, running: map[int64]bool{}, changed: map[string]time.Time{}, wake: make(chan struct{}, 1)}
}

// RecentDays is how long an answer's source line says a page changed.
const RecentDays = 1

// Load reads the changes of the last day, for Changed.
func (m *Manager) Load(ctx context.Context) error {
	ch, err := m.opt.Store.SiteChanges(ctx, store.AllGuilds, 0, m.opt.Now().Add(-RecentDays*24*time.Hour), 100000)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range ch {
		if c.Kind == store.ChangeChanged && c.At.After(m.changed[c.DocID]) {
			m.changed[c.DocID] = c.At
		}
	}
	return nil
}

// Changed reports when an article from a source last changed, if that was
// within the last day (a page new in the source does not count: it has no
// earlier version).
func (m *Manager) Changed(docID string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at, ok := m.changed[docID]
	if !ok || m.opt.Now().Sub(at) > RecentDays*24*time.Hour {
		return time.Time{}, false
	}
	return at, true
}

// Check validates a source's URL: http or https, a host, no user name or
// password in it.
func Check(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not a web address (want http:// or https://)", raw)
	}
	if u.User != nil {
		return "", errors.New("a source's address may not carry a user name or password")
	}
	u.Fragment = ""
	return u.String(), nil
}

// Add records a source for guild (not refreshed yet: see Start and
// Refresh). The same URL again updates its settings.
func (m *Manager) Add(ctx context.Context, src store.Source) (store.Source, error) {
	clean, err := Check(src.URL)
	if err != nil {
		return store.Source{}, err
	}
	src.URL = clean
	have, err := m.opt.Store.Sources(ctx, src.Guild)
	if err != nil {
		return store.Source{}, err
	}
	known := false
	for _, h := range have {
		known = known || h.URL == src.URL
	}
	if !known && len(have) >= m.opt.MaxSources && !src.Configured {
		return store.Source{}, fmt.Errorf("this server has %d sources, the most it may have; remove one first", len(have))
	}
	out, err := m.opt.Store.AddSource(ctx, src)
	if err != nil {
		return store.Source{}, err
	}
	m.poke()
	return out, nil
}

// Configure makes the store's configured sources the given ones: new ones
// are added (refreshed by Run when due), changed settings taken, and
// configured sources no longer in the list removed with their pages.
func (m *Manager) Configure(ctx context.Context, srcs []store.Source) error {
	want := map[string]bool{}
	for _, s := range srcs {
		s.Configured = true
		added, err := m.Add(ctx, s)
		if err != nil {
			return fmt.Errorf("configured source %s: %w", s.URL, err)
		}
		want[fmt.Sprint(added.ID)] = true
	}
	all, err := m.opt.Store.Sources(ctx, store.AllGuilds)
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.Configured && !want[fmt.Sprint(s.ID)] {
			if _, err := m.remove(ctx, s); err != nil {
				return fmt.Errorf("removing source %s, no longer configured: %w", s.URL, err)
			}
			m.log.Info("source removed: no longer in the config file", "source", s.ID, "url", s.URL, "guild", s.Guild)
		}
	}
	return nil
}

// Status is a source as /source list shows it.
type Status struct {
	store.Source
	Running bool
	Next    time.Time // when Run refreshes it next
}

// List lists guild's sources.
func (m *Manager) List(ctx context.Context, guild string) ([]Status, error) {
	srcs, err := m.opt.Store.Sources(ctx, guild)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, len(srcs))
	for i, s := range srcs {
		out[i] = Status{Source: s, Running: m.running[s.ID], Next: m.next(s)}
	}
	return out, nil
}

// Changes lists guild's newest page changes (sourceID 0: every source's).
func (m *Manager) Changes(ctx context.Context, guild string, sourceID int64, limit int) ([]store.SiteChange, error) {
	return m.opt.Store.SiteChanges(ctx, guild, sourceID, time.Time{}, limit)
}

// Remove removes one of guild's sources and its pages' articles.
func (m *Manager) Remove(ctx context.Context, guild string, id int64) (store.Source, int, error) {
	src, err := m.opt.Store.Source(ctx, guild, id)
	if err != nil {
		return store.Source{}, 0, err
	}
	if src.Configured {
		return store.Source{}, 0, ErrConfigured
	}
	n, err := m.remove(ctx, src)
	return src, n, err
}

func (m *Manager) remove(ctx context.Context, src store.Source) (int, error) {
	if !m.claim(src.ID) {
		return 0, ErrBusy
	}
	defer m.release(src.ID)
	lib, err := m.opt.Library(ctx, src.Guild)
	if err != nil {
		return 0, err
	}
	_, pages, err := m.opt.Store.RemoveSource(ctx, src.Guild, src.ID)
	if err != nil {
		return 0, err
	}
	others, err := m.othersDocs(ctx, src)
	if err != nil {
		return 0, err
	}
	b := lib.Batch("source:" + fmt.Sprint(src.ID))
	n := 0
	for _, p := range pages {
		if p.DocID == "" || others[p.DocID] {
			continue // another source of the server keeps this page
		}
		if err := b.Remove(ctx, p.DocID); err != nil {
			m.log.Warn("a removed source's page was not forgotten", "doc", p.DocID, "err", err)
			continue
		}
		n++
	}
	if _, _, err := b.Commit(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// othersDocs are the articles the server's other sources keep: a page
// two sources list is one article, removed only when neither has it.
func (m *Manager) othersDocs(ctx context.Context, src store.Source) (map[string]bool, error) {
	all, err := m.opt.Store.Sources(ctx, src.Guild)
	if err != nil {
		return nil, err
	}
	docs := map[string]bool{}
	for _, o := range all {
		if o.ID == src.ID {
			continue
		}
		pages, err := m.opt.Store.SitePages(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range pages {
			if p.DocID != "" {
				docs[p.DocID] = true
			}
		}
	}
	return docs, nil
}

func (m *Manager) claim(id int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running[id] {
		return false
	}
	m.running[id] = true
	return true
}

func (m *Manager) release(id int64) {
	m.mu.Lock()
	delete(m.running, id)
	m.mu.Unlock()
}

// Report is what one refresh did.
type Report struct {
	Source                              store.Source
	Added, Changed, Removed, Unchanged  int
	Errors                              []crawl.PageError
	Requests                            int
	Bytes                               int64
	Took                                time.Duration
	Complete                            bool
	Summary                             string // the library's, after the rebuild
	AddedURLs, ChangedURLs, RemovedURLs []string
}

func (r Report) String() string {
	s := fmt.Sprintf("%d pages added, %d changed, %d removed, %d unchanged; %d requests, %s, %s",
		r.Added, r.Changed, r.Removed, r.Unchanged, r.Requests, bytesText(r.Bytes), r.Took.Round(time.Millisecond))
	if len(r.Errors) > 0 {
		s += fmt.Sprintf("; %d pages skipped (first: %s: %v)", len(r.Errors), r.Errors[0].URL, r.Errors[0].Err)
	}
	if !r.Complete {
		s += "; stopped part-way, so nothing was removed"
	}
	return s
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Start refreshes one of guild's sources in the background (bounded by
// ctx, not by the caller's request), calling done with the outcome when
// it is set.
func (m *Manager) Start(ctx context.Context, guild string, id int64, done func(Report, error)) error {
	src, err := m.opt.Store.Source(ctx, guild, id)
	if err != nil {
		return err
	}
	if !m.claim(src.ID) {
		return ErrBusy
	}
	m.started.Add(1)
	go func() {
		defer m.started.Done()
		r, err := m.refreshClaimed(ctx, src)
		m.release(src.ID)
		m.logDone(r, err)
		if done != nil {
			done(r, err)
		}
	}()
	return nil
}

// Refresh refreshes one of guild's sources now.
func (m *Manager) Refresh(ctx context.Context, guild string, id int64) (Report, error) {
	src, err := m.opt.Store.Source(ctx, guild, id)
	if err != nil {
		return Report{}, err
	}
	if !m.claim(src.ID) {
		return Report{}, ErrBusy
	}
	defer m.release(src.ID)
	r, err := m.refreshClaimed(ctx, src)
	m.logDone(r, err)
	return r, err
}

func (m *Manager) logDone(r Report, err error) {
	if m.opt.Done != nil {
		defer m.opt.Done(r, err)
	}
	if err != nil {
		m.log.Warn("source refresh failed", "source", r.Source.ID, "url", r.Source.URL, "guild", r.Source.Guild, "err", err)
		return
	}
	m.log.Info("source refreshed", "source", r.Source.ID, "url", r.Source.URL, "guild", r.Source.Guild, "added", r.Added, "changed", r.Changed,
		"removed", r.Removed, "unchanged", r.Unchanged, "skipped", len(r.Errors), "requests", r.Requests, "complete", r.Complete, "took", r.Took)
}

// refreshClaimed runs a refresh of a source this goroutine has claimed.
func (m *Manager) refreshClaimed(ctx context.Context, src store.Source) (Report, error) {
	start := m.opt.Now()
	rep := Report{Source: src}
	fail := func(err error) (Report, error) {
		if serr := m.opt.Store.SaveRefreshError(ctx, src.ID, start, err); serr != nil {
			m.log.Warn("could not record a failed refresh", "source", src.ID, "err", serr)
		}
		return rep, err
	}
	lib, err := m.opt.Library(ctx, src.Guild)
	if err != nil {
		return fail(err)
	}
	pages, err := m.opt.Store.SitePages(ctx, src.ID)
	if err != nil {
		return rep, err
	}
	others, err := m.othersDocs(ctx, src)
	if err != nil {
		return rep, err
	}
	before := map[string]store.SitePage{}
	prev := make([]crawl.PageState, 0, len(pages))
	for _, p := range pages {
		before[p.URL] = p
		ps := crawl.PageState{URL: p.URL, FetchedURL: p.FetchedURL, ETag: p.ETag, LastModified: p.LastModified,
			Lastmod: p.Lastmod, Hash: p.Hash, Links: p.Links, Misses: p.Misses}
		for _, a := range p.Aliases {
			ps.Aliases = append(ps.Aliases, crawl.Alias{URL: a.URL, Lastmod: a.Lastmod})
		}
		prev = append(prev, ps)
	}
	b := lib.Batch("source:" + fmt.Sprint(src.ID))
	docOf := map[string]string{} // page → the article it was saved as this time
	failed := map[string]bool{}  // pages fetched but not saved
	sink := func(ctx context.Context, p crawl.Page) error {
		added, err := b.AddPage(ctx, p.URL, p.Name, p.Data)
		if err != nil {
			failed[p.URL] = true
			return err
		}
		docOf[p.URL] = added.DocID
		return nil
	}
	res, err := m.opt.Crawler.Refresh(ctx, crawl.Source{URL: src.URL, Include: src.Include, Exclude: src.Exclude, MaxPages: src.MaxPages, MaxBytes: src.MaxBytes}, prev, sink)
	if err != nil {
		// Pages saved before the failure are served by the next rebuild
		// and recorded: commit what there is.
		if _, _, cerr := b.Commit(ctx); cerr != nil {
			m.log.Warn("rebuild after a failed refresh", "source", src.ID, "err", cerr)
		}
		return fail(err)
	}
	removedDocs := map[string]string{}
	for _, u := range res.Removed {
		if d := before[u].DocID; d != "" && !others[d] {
			if err := b.Remove(ctx, d); err != nil {
				m.log.Warn("a vanished page was not forgotten", "url", u, "doc", d, "err", err)
				continue
			}
			removedDocs[u] = d
		}
	}
	summary, notServed, err := b.Commit(ctx)
	if err != nil {
		return fail(err)
	}
	for _, id := range notServed {
		for u, d := range docOf {
			if d == id {
				delete(docOf, u)
				failed[u] = true
				res.Errors = append(res.Errors, crawl.PageError{URL: u, Err: errors.New("no article text found in it")})
			}
		}
	}

	now := m.opt.Now()
	var keep []store.SitePage
	for _, st := range res.State {
		p := store.SitePage{URL: st.URL, FetchedURL: st.FetchedURL, ETag: st.ETag, LastModified: st.LastModified, Lastmod: st.Lastmod,
			Hash: st.Hash, Links: st.Links, Misses: st.Misses, DocID: before[st.URL].DocID, ChangedAt: before[st.URL].ChangedAt}
		for _, a := range st.Aliases {
			p.Aliases = append(p.Aliases, store.Alias{URL: a.URL, Lastmod: a.Lastmod})
		}
		if d, ok := docOf[st.URL]; ok {
			p.DocID, p.ChangedAt = d, now
		}
		if failed[st.URL] {
			// Fetched but not saved: keep what was seen before, so the
			// next refresh fetches it again.
			if old, ok := before[st.URL]; ok {
				p = old
			} else {
				p = store.SitePage{URL: st.URL, Links: st.Links}
			}
		}
		keep = append(keep, p)
	}
	var changes []store.SiteChange
	note := func(kind string, urls []string, doc func(string) string) []string {
		var done []string
		for _, u := range urls {
			if failed[u] {
				continue
			}
			changes = append(changes, store.SiteChange{SourceID: src.ID, At: now, URL: u, DocID: doc(u), Kind: kind})
			done = append(done, u)
		}
		return done
	}
	rep.AddedURLs = note(store.ChangeAdded, res.Added, func(u string) string { return docOf[u] })
	rep.ChangedURLs = note(store.ChangeChanged, res.Changed, func(u string) string { return docOf[u] })
	var removed []string
	for _, u := range res.Removed {
		if _, ok := removedDocs[u]; ok || before[u].DocID == "" || others[before[u].DocID] {
			removed = append(removed, u)
		}
	}
	rep.RemovedURLs = note(store.ChangeRemoved, removed, func(u string) string { return removedDocs[u] })
	errText := ""
	switch {
	case !res.Complete:
		errText = "stopped part-way"
		if len(res.Errors) > 0 {
			errText += fmt.Sprintf("; %d pages skipped (first: %s: %v)", len(res.Errors), res.Errors[0].URL, res.Errors[0].Err)
		}
	case len(res.Errors) > 0:
		errText = fmt.Sprintf("%d pages skipped (first: %s: %v)", len(res.Errors), res.Errors[0].URL, res.Errors[0].Err)
	}
	if err := m.opt.Store.SaveRefresh(ctx, src.ID, store.Refreshed{At: now, Error: errText, Pages: keep, Changes: changes}); err != nil {
		return rep, err
	}
	m.mu.Lock()
	for _, c := range changes {
		if c.Kind == store.ChangeChanged {
			m.changed[c.DocID] = c.At
		}
	}
	m.mu.Unlock()
	sort.Strings(rep.AddedURLs)
	rep.Added, rep.Changed, rep.Removed = len(rep.AddedURLs), len(rep.ChangedURLs), len(rep.RemovedURLs)
	rep.Unchanged, rep.Errors, rep.Requests, rep.Bytes = len(res.Unchanged), res.Errors, res.Requests, res.Bytes
	rep.Complete, rep.Summary, rep.Took = res.Complete, summary, m.opt.Now().Sub(start)
	rep.Source.RefreshedAt, rep.Source.LastError = now, errText
	return rep, nil
}

// next is when Run refreshes a source: its refresh interval after the
// last one, or now if it never ran. Callers hold mu.
func (m *Manager) next(s store.Source) time.Time {
	if s.RefreshedAt.IsZero() {
		return m.opt.Now()
	}
	every := s.Refresh
	if every <= 0 {
		every = m.opt.Refresh
	}
	return s.RefreshedAt.Add(every)
}

// poke makes Run look at the schedule again.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run refreshes every server's sources when they are due, one at a time,
// until ctx ends. A source being refreshed by Start or Refresh is left
// to it.
func (m *Manager) Run(ctx context.Context) error {
	for {
		wait := time.Hour
		srcs, err := m.opt.Store.Sources(ctx, store.AllGuilds)
		if err != nil {
			m.log.Warn("reading the sources to refresh", "err", err)
			wait = time.Minute
		}
		for _, s := range srcs {
			if ctx.Err() != nil {
				return nil
			}
			m.mu.Lock()
			due := m.next(s)
			m.mu.Unlock()
			if d := due.Sub(m.opt.Now()); d > 0 {
				wait = min(wait, d)
				continue
			}
			if !m.claim(s.ID) {
				continue
			}
			r, err := m.refreshClaimed(ctx, s)
			m.release(s.ID)
			m.logDone(r, err)
			every := s.Refresh
			if every <= 0 {
				every = m.opt.Refresh
			}
			wait = min(wait, every)
		}
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-m.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Go runs Run in the background; Wait waits for it too.
func (m *Manager) Go(ctx context.Context) {
	m.started.Add(1)
	go func() {
		defer m.started.Done()
		if err := m.Run(ctx); err != nil {
			m.log.Error("source refreshes stopped", "err", err)
		}
	}()
}
