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
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/footnote-bot/footnote/crawl"
	"github.com/footnote-bot/footnote/internal/redact"
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
	LeaseSource(ctx context.Context, sourceID int64, holder string, now, until time.Time) (bool, error)
	ReleaseSource(ctx context.Context, sourceID int64, holder string) error
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
	// Holder names this process in the store's leases (default: host,
	// process ID and a random part).
	Holder string
}

// Manager adds, refreshes, lists and removes sources.
type Manager struct {
	opt Options
	log *slog.Logger

	mu      sync.Mutex
	running map[int64]chan struct{} // claimed here → stops the lease's renewal
	holder  string                  // this process, for leases
	// changed is when pages changed recently (doc ID → time), for
	// answers' source lines.
	changed map[string]time.Time
	// wake tells Run to look at the schedule again.
	wake       chan struct{}
	guildLocks map[string]*sync.Mutex
	// started counts the refreshes Start runs, for Wait.
	started sync.WaitGroup
}

// Wait waits for the refreshes Start began (cancel their context first to
// make them stop).
func (m *Manager) Wait() { m.started.Wait() }

// Errors.
var (
	ErrBusy       = errors.New("a refresh of this source is already running")
	ErrConfigured = errors.New("this source comes from the config file; change it there")
	ErrAdded      = errors.New("not taken from the config file")
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
	if opt.Holder == "" {
		host, _ := os.Hostname()
		var r [4]byte
		rand.Read(r[:])
		opt.Holder = fmt.Sprintf("%s/%d/%x", host, os.Getpid(), r)
	}
	return &Manager{opt: opt, log: opt.Logger, running: map[int64]chan struct{}{}, holder: opt.Holder, changed: map[string]time.Time{}, guildLocks: map[string]*sync.Mutex{}, wake: make(chan struct{}, 1)}
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
		// Not repeated: what was typed may hold a password.
		return "", errors.New("that is not a web address (want http:// or https:// and a host)")
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
		if h.URL != src.URL {
			continue
		}
		known = true
		if h.Configured != src.Configured {
			if h.Configured {
				return store.Source{}, ErrConfigured
			}
			return store.Source{}, fmt.Errorf("%w: source %d, added by an admin, has this address", ErrAdded, h.ID)
		}
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
		if errors.Is(err, ErrAdded) {
			// An admin's source stays theirs (and removable by them).
			m.log.Warn("configured source skipped: a server's admin added it", "url", redact.URL(s.URL), "guild", s.Guild, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("configured source %s: %w", redact.URL(s.URL), err)
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
				return fmt.Errorf("removing source %s, no longer configured: %w", redact.URL(s.URL), err)
			}
			m.log.Info("source removed: no longer in the config file", "source", s.ID, "url", redact.URL(s.URL), "guild", s.Guild)
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
		_, running := m.running[s.ID]
		out[i] = Status{Source: s, Running: running, Next: m.next(s)}
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
	unlock := m.lockGuild(src.Guild)
	defer unlock()
	_, pages, err := m.opt.Store.RemoveSource(ctx, src.Guild, src.ID)
	if err != nil {
		return 0, err
	}
	others, err := m.othersDocs(ctx, src)
	if err != nil {
		return 0, err
	}
	b := lib.Batch(sourceBy(src.ID))
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

// claim takes a source for this process: not running here, and leased
// in the store (so not running in another process sharing it, a serve
// replica or a `footnote crawl` from cron). The lease is renewed while
// the claim is held, and lapses after a crash.
func (m *Manager) claim(id int64) bool {
	m.mu.Lock()
	if _, busy := m.running[id]; busy {
		m.mu.Unlock()
		return false
	}
	stop := make(chan struct{})
	m.running[id] = stop
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := m.opt.Now()
	ok, err := m.opt.Store.LeaseSource(ctx, id, m.holder, now, now.Add(leaseFor))
	if err != nil || !ok {
		if err != nil {
			m.log.Warn("could not lease a source for its refresh", "source", id, "err", err)
		}
		m.mu.Lock()
		delete(m.running, id)
		m.mu.Unlock()
		return false
	}
	go func() {
		t := time.NewTicker(leaseFor / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				now := m.opt.Now()
				if ok, err := m.opt.Store.LeaseSource(ctx, id, m.holder, now, now.Add(leaseFor)); err != nil || !ok {
					m.log.Warn("could not renew a source's lease", "source", id, "renewed", ok, "err", err)
				}
				cancel()
			}
		}
	}()
	return true
}

// leaseFor is how long a source's lease lasts unless renewed.
const leaseFor = 10 * time.Minute

func (m *Manager) release(id int64) {
	m.mu.Lock()
	stop := m.running[id]
	delete(m.running, id)
	m.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.opt.Store.ReleaseSource(ctx, id, m.holder); err != nil {
		m.log.Warn("could not release a source's lease", "source", id, "err", err)
	}
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
		m.log.Warn("source refresh failed", "source", r.Source.ID, "url", redact.URL(r.Source.URL), "guild", r.Source.Guild, "err", err)
		return
	}
	m.log.Info("source refreshed", "source", r.Source.ID, "url", redact.URL(r.Source.URL), "guild", r.Source.Guild, "added", r.Added, "changed", r.Changed,
		"removed", r.Removed, "unchanged", r.Unchanged, "skipped", len(r.Errors), "requests", r.Requests, "complete", r.Complete, "took", r.Took)
}

// refreshClaimed runs a refresh of a source this goroutine has claimed.
//
// The crawl runs under ctx; what comes after it (the rebuild that serves
// the pages, forgetting vanished ones, recording the state) runs to the
// end even when ctx ends meanwhile (shutdown), bounded by bookkeeping, so
// that no page is saved without the source knowing it. That part is
// serialised per server, so two sources of one server that share a page
// see each other's state.
func (m *Manager) refreshClaimed(ctx context.Context, src store.Source) (Report, error) {
	start := m.opt.Now()
	rep := Report{Source: src}
	after, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeeping)
	defer cancel()
	fail := func(err error) (Report, error) {
		if serr := m.opt.Store.SaveRefreshError(after, src.ID, start, errors.New(redact.Secrets(err.Error()))); serr != nil {
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
		return fail(err)
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
	b := lib.Batch(sourceBy(src.ID))
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
	res, crawlErr := m.opt.Crawler.Refresh(ctx, crawl.Source{URL: src.URL, Include: src.Include, Exclude: src.Exclude, MaxPages: src.MaxPages, MaxBytes: src.MaxBytes}, prev, sink)

	unlock := m.lockGuild(src.Guild)
	defer unlock()
	if crawlErr != nil {
		// Pages saved before the failure: served and remembered as
		// they are, the rest of the state unchanged.
		res = crawl.Result{State: prev}
		for u := range docOf {
			if _, known := before[u]; known {
				res.Changed = append(res.Changed, u)
			} else {
				// Remembered without validators: fetched again next time.
				res.Added = append(res.Added, u)
				res.State = append(res.State, crawl.PageState{URL: u})
			}
		}
	}
	others, err := m.othersDocs(after, src)
	if err != nil {
		if _, _, cerr := b.Commit(after); cerr != nil {
			m.log.Warn("rebuild after a failed refresh", "source", src.ID, "err", cerr)
		}
		return fail(err)
	}
	removedDocs := map[string]string{}
	for _, u := range res.Removed {
		if d := before[u].DocID; d != "" && !others[d] {
			if err := b.Remove(after, d); err != nil {
				m.log.Warn("a vanished page was not forgotten", "url", redact.URL(u), "doc", d, "err", err)
				continue
			}
			removedDocs[u] = d
		}
	}
	summary, notServed, err := b.Commit(after)
	if err != nil {
		return fail(err)
	}
	dropped := map[string]bool{} // saved, but not served: nothing of it is kept
	for _, id := range notServed {
		for u, d := range docOf {
			if d == id {
				delete(docOf, u)
				dropped[u] = true
				res.Errors = append(res.Errors, crawl.PageError{URL: u, Err: errors.New("no article text found in it")})
			}
		}
	}

	now := m.opt.Now()
	ix := lib.Index()
	var keep []store.SitePage
	for _, st := range res.State {
		old, known := before[st.URL]
		p := store.SitePage{URL: st.URL, FetchedURL: st.FetchedURL, ETag: st.ETag, LastModified: st.LastModified, Lastmod: st.Lastmod,
			Hash: st.Hash, Links: st.Links, Misses: st.Misses, DocID: old.DocID, ChangedAt: old.ChangedAt}
		for _, a := range st.Aliases {
			p.Aliases = append(p.Aliases, store.Alias{URL: a.URL, Lastmod: a.Lastmod})
		}
		if d, ok := docOf[st.URL]; ok {
			p.DocID, p.ChangedAt = d, now
		}
		switch {
		case dropped[st.URL]:
			// Fetched fine but no article: its old article went too
			// (its file was replaced); fetched again next time.
			p = store.SitePage{URL: st.URL, Links: st.Links}
		case failed[st.URL] && known:
			// Fetched but not saved: the last good version stays,
			// and the next refresh fetches it again.
			p = old
		case failed[st.URL]:
			p = store.SitePage{URL: st.URL, Links: st.Links}
		}
		if p.DocID != "" {
			if _, served := ix.Doc(p.DocID); !served {
				// Forgotten (/forget) since: not served again until
				// the page changes on the site.
				p.DocID = ""
			}
		}
		keep = append(keep, p)
	}
	var changes []store.SiteChange
	note := func(kind string, urls []string, doc func(string) string) []string {
		var done []string
		for _, u := range urls {
			if failed[u] || dropped[u] {
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
	case crawlErr != nil:
		errText = crawlErr.Error()
	case !res.Complete:
		errText = "stopped part-way"
		if len(res.Errors) > 0 {
			errText += fmt.Sprintf("; %d pages skipped (first: %s: %v)", len(res.Errors), redact.URL(res.Errors[0].URL), res.Errors[0].Err)
		}
	case len(res.Errors) > 0:
		errText = fmt.Sprintf("%d pages skipped (first: %s: %v)", len(res.Errors), redact.URL(res.Errors[0].URL), res.Errors[0].Err)
	}
	errText = redact.Secrets(errText) // a page's error may quote a URL with credentials
	if err := m.opt.Store.SaveRefresh(after, src.ID, store.Refreshed{At: now, Error: errText, Pages: keep, Changes: changes}); err != nil {
		return rep, err
	}
	m.mu.Lock()
	for _, c := range changes {
		if c.Kind == store.ChangeChanged {
			m.changed[c.DocID] = c.At
		}
	}
	m.mu.Unlock()
	if crawlErr != nil {
		return rep, crawlErr
	}
	sort.Strings(rep.AddedURLs)
	rep.Added, rep.Changed, rep.Removed = len(rep.AddedURLs), len(rep.ChangedURLs), len(rep.RemovedURLs)
	rep.Unchanged, rep.Errors, rep.Requests, rep.Bytes = len(res.Unchanged), res.Errors, res.Requests, res.Bytes
	rep.Complete, rep.Summary, rep.Took = res.Complete, summary, m.opt.Now().Sub(start)
	rep.Source.RefreshedAt, rep.Source.LastError = now, errText
	return rep, nil
}

// bookkeeping bounds what a refresh does after its crawl.
const bookkeeping = 2 * time.Minute

// sourceBy is who a source's pages are recorded as added by.
func sourceBy(id int64) string { return library.SourcePrefix + fmt.Sprint(id) }

// lockGuild serialises the end of refreshes (and removals) in one server.
func (m *Manager) lockGuild(guild string) func() {
	m.mu.Lock()
	l, ok := m.guildLocks[guild]
	if !ok {
		l = &sync.Mutex{}
		m.guildLocks[guild] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
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
	if s.LastError != "" {
		// A failed or partial refresh is tried again within the hour.
		every = min(every, retryFailed)
	}
	return s.RefreshedAt.Add(every)
}

// retryFailed is how soon a refresh that failed is tried again.
const retryFailed = time.Hour

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
