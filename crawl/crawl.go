// Package crawl keeps a documentation site: one Refresh reads the site's
// pages from its sitemap or by following its links, and hands over only what
// was added or changed since the previous refresh, whose state the caller
// keeps. It knows nothing of Discord, storage or the index; every request
// goes through a Fetcher (ingest's, with footnote's fetch rules: http and
// https only, no internal address unless allowed, bounded size and time).
//
// # What a source is
//
// A source's URL is a sitemap (its last path segment ends in .xml or
// .xml.gz: a <urlset>, a <sitemapindex>, gzip or not, or a text sitemap) or
// a start page. The source's scope is its host (either scheme) and its path
// prefix, the URL's path up to and including its last '/': nothing outside
// it is ever fetched or kept, whether it comes as a sitemap entry, a link,
// a redirect (refused before it is followed) or a <link rel="canonical">
// (ignored: the page keeps its own URL). A URL with userinfo (a user name
// alone too) is dropped wherever it comes from, and so is one whose path,
// once cleaned, still hides a dot segment or a slash in its escaping
// (/docs/%2e%2e/admin, /docs/a%2Fb): the scope, the patterns and robots.txt
// are checked on the decoded path, which a server would not take as the
// one requested. For a start page, the Sitemap:
// lines of robots.txt (on the same host) are read first and their entries
// used; without any sitemap, or without an entry in scope, the site is
// crawled breadth first from the start page through its <a href> links, in
// scope only. Include and Exclude are path globs ('*' within a segment, '?'
// one character, '**' across segments; relative ones are relative to the
// prefix) that every URL must pass before it is fetched; a start page they
// leave out is still read for its links. MaxPages caps the URLs taken (the
// first in sorted order from sitemaps, the first reached when crawling) and
// MaxBytes the bytes read in one refresh (checked before each request, so
// overshot by at most the requests in flight). Sitemaps nest at most three
// deep (the one named first is the first level), at most 50 are read, and
// robots.txt and sitemaps are fetched from the source's host only. Of one
// sitemap at most 50,000 entries (the protocol's limit) are taken: the rest
// are skipped and the sitemap named in Result.Errors (the refresh is still
// complete). Only the MaxPages smallest URLs are kept as sitemaps are read.
//
// # Politeness
//
// robots.txt is fetched once per refresh and obeyed, the group for
// "footnote" or else "*": a disallowed URL is never requested (its rules
// are matched against the decoded path and the escaped one; either
// disallowing it refuses it), and a Crawl-delay slower than Options.Rate
// lowers the rate, down to one request a minute: a longer Crawl-delay is
// taken as 60 s and named in Result.Errors (under robots.txt's URL), so a
// hostile one cannot stall the host. A robots.txt that is
// missing (4xx) allows everything; one that fails (5xx, a transport error,
// the guard) stops the refresh, as does one that disallows the start page.
// Every request to a host (robots.txt, sitemaps and each redirect hop
// included) waits for that host's token bucket (Options.Rate per second,
// burst 1) and holds one of its Options.Concurrency slots; both are shared
// by every refresh of the Crawler. The crawler follows redirects itself
// (at most five hops; the Fetcher is stopped at each one its rules let
// through), each hop a request of its own, so the wait for a hop's token is
// not counted against the Fetcher's per-request timeout. Requests carry
// UserAgent.
//
// # Identity and change
//
// A page is named by Canonical of its final URL, or of its rel=canonical
// link when that is in scope. Two URLs with the same bytes (SHA-256) are one
// page: URLs are processed in a fixed order (sorted sitemap entries, or
// breadth-first order), whatever order their fetches finish in, and the
// first one's name wins; the others are remembered as the page's Aliases.
// A known URL whose sitemap <lastmod> is not after the one remembered for
// it (the page's Lastmod for the URL it was fetched from, an Alias's for
// the others) is not requested at all; any other known page is requested
// with If-None-Match and If-Modified-Since, and a 304 or the same hash
// leaves it unchanged. Only article content types (ingest's: HTML,
// Markdown, text, PDF) are pages: a new URL of another type is skipped
// silently, and links to files whose extension says they are not articles
// (images, scripts, archives…) are not followed. Added and changed pages go to the sink, one at a time, in that
// same order, as soon as they are fetched, so a refresh holds at most a few
// pages in memory (Options.Concurrency × 4).
//
// # Disappearing and failing pages
//
// A page no complete refresh found (not in the sitemap, not reached, 404 or
// 410, redirected out of scope) is missed; missed in two complete refreshes
// in a row, it is removed. A page that failed otherwise (5xx, a timeout, a
// rate wait its context cannot afford, a content type that is not an
// article, the sink's error) keeps its previous state and is named in
// Result.Errors; when crawling, the links remembered of it are followed as
// after a 304, so what it leads to is still found. A refresh that stops
// part-way (its context ends, the byte cap, a sitemap that cannot be read)
// is not complete, nor is a crawl whose start page failed so (what only it
// leads to was not reached): it removes nothing and keeps every previous
// page. No error, Result.Errors entry or log line names a URL with its
// userinfo (see ingest.Redact).
package crawl

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/footnote-bot/footnote/ingest"
)

// UserAgent is sent with every request of the crawler.
const UserAgent = "footnote-crawler/1 (+https://github.com/footnote-bot/footnote)"

// Defaults of Source and Options.
const (
	DefaultMaxPages    = 2000
	DefaultMaxBytes    = 256 << 20
	DefaultRate        = 2.0
	DefaultConcurrency = 2
)

// Source is one documentation site to keep.
type Source struct {
	// URL is a sitemap (…/sitemap.xml, a sitemap index, .xml.gz), or a start
	// page. For a start page footnote first reads robots.txt's Sitemap: lines
	// and uses those sitemaps (their URLs filtered to the start page's host and
	// path prefix); without any it crawls links from the start page within
	// its host and path prefix (the prefix is the start URL's path up to and
	// including its last '/').
	URL              string
	Include, Exclude []string // path patterns (glob, '*' within a segment, '**' across); empty Include = all
	MaxPages         int      // default 2000
	MaxBytes         int64    // total bytes fetched per refresh, default 256 MiB
}

// PageState is what is remembered of one page between refreshes.
type PageState struct {
	URL          string    // the page's canonical URL (its identity)
	FetchedURL   string    // the URL it was last fetched from (for conditional requests)
	ETag         string    // the ETag header as sent
	LastModified string    // the Last-Modified header as sent
	Lastmod      time.Time // the sitemap's <lastmod> when it was last fetched (zero if none)
	Hash         string    // hex SHA-256 of the page's bytes
	Links        []string  // in crawl mode: the in-scope links it had (a 304 has no body to read them from)
	Misses       int       // consecutive complete refreshes that did not find it
	// Aliases are the other URLs taken as this page last time (the same
	// bytes, a rel=canonical to it, a redirect, its own URL when it was
	// fetched from another), each with its sitemap <lastmod>, so that they
	// are not requested again while their <lastmod> stays. Optional: without
	// them those URLs are requested conditionally.
	Aliases []Alias
}

// Alias is a URL found to be another's page.
type Alias struct {
	URL     string    // canonical
	Lastmod time.Time // its sitemap <lastmod> then (zero if none)
}

// Page is a page added or changed by a refresh, handed to the sink as soon as it is fetched.
type Page struct {
	URL         string // canonical URL (what citations link to)
	Name        string // file name whose extension picks the parser (as ingest.Page.Name)
	ContentType string
	Data        []byte
	New         bool // false: a page known before whose content changed
}

// PageError names a page (or a sitemap) a refresh skipped, and why.
type PageError struct {
	URL string
	Err error
}

func (e PageError) Error() string { return ingest.Redact(e.URL + ": " + e.Err.Error()) }

func (e PageError) Unwrap() error { return e.Err }

// Result of one refresh.
type Result struct {
	Added, Changed, Unchanged, Removed []string    // canonical URLs, sorted
	State                              []PageState // the state to keep for next time (includes pages missed once, Misses=1), sorted by URL
	Errors                             []PageError // pages skipped (each named); the rest goes on
	Requests                           int         // HTTP requests made (robots.txt, sitemaps and redirect hops included)
	Bytes                              int64       // bytes of bodies read (sitemaps decompressed)
	// Complete is false when the refresh stopped part-way (ctx ended, byte
	// cap, sitemap unreadable) or a crawl's start page failed; then nothing
	// is Removed and every previous page is kept in State.
	Complete bool
}

// Fetcher fetches within footnote's rules; *ingest.Fetcher is one.
type Fetcher interface {
	FetchPage(ctx context.Context, r ingest.Request) (ingest.Page, error)
	FetchFile(ctx context.Context, r ingest.Request) (ingest.File, error)
}

// Options configure a Crawler.
type Options struct {
	Fetcher     Fetcher          // default ingest.New(ingest.Options{}): public addresses only
	Rate        float64          // requests per second per host, default 2
	Concurrency int              // requests in flight per host, default 2
	Logger      *slog.Logger     // default: discard
	Now         func() time.Time // for tests; default time.Now
}

// Crawler refreshes sources. It is safe for concurrent use; refreshes of
// sources on one host share that host's rate and concurrency.
type Crawler struct {
	opt   Options
	mu    sync.Mutex
	hosts map[string]*hostLimit
}

// hostLimit is one host's budget: a token bucket and request slots.
type hostLimit struct {
	lim   *rate.Limiter
	slots chan struct{}
}

// New returns a Crawler.
func New(opt Options) *Crawler {
	if opt.Fetcher == nil {
		opt.Fetcher = ingest.New(ingest.Options{})
	}
	if opt.Rate <= 0 {
		opt.Rate = DefaultRate
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Crawler{opt: opt, hosts: map[string]*hostLimit{}}
}

func (c *Crawler) host(h string) *hostLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	hl := c.hosts[h]
	if hl == nil {
		hl = &hostLimit{lim: rate.NewLimiter(rate.Limit(c.opt.Rate), 1), slots: make(chan struct{}, c.opt.Concurrency)}
		c.hosts[h] = hl
	}
	return hl
}

// errOutOfScope refuses a redirect that leaves the source (or that
// robots.txt or the patterns rule out).
var errOutOfScope = errors.New("outside the source")

// Refresh runs one refresh of src against the previous state (nil the first time).
// sink is called for every added or changed page, one at a time (never concurrently), as soon as it is fetched,
// so pages are not all held in memory; a sink error for one page records it in Errors and the crawl goes on.
// Refresh returns an error only when nothing could be done: a bad source
// URL, robots.txt refused by the guard or unreadable, robots.txt disallowing
// the start page, or ctx ended before anything.
func (c *Crawler) Refresh(ctx context.Context, src Source, prev []PageState, sink func(context.Context, Page) error) (Result, error) {
	res, err := c.refresh(ctx, src, prev, sink)
	return res, ingest.RedactError(err)
}

func (c *Crawler) refresh(ctx context.Context, src Source, prev []PageState, sink func(context.Context, Page) error) (Result, error) {
	name := ingest.Redact(src.URL) // as messages name it
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("crawl %s: %w", name, err)
	}
	if src.MaxPages <= 0 {
		src.MaxPages = DefaultMaxPages
	}
	if src.MaxBytes <= 0 {
		src.MaxBytes = DefaultMaxBytes
	}
	start, err := clean(src.URL)
	if err != nil {
		return Result{}, fmt.Errorf("crawl: source: %w", err)
	}
	began := c.opt.Now()
	r := &run{
		c: c, src: src, sink: sink, start: start, log: c.opt.Logger.With("source", name),
		sc: newScope(start, src.Include, src.Exclude), host: c.host(start.Host), window: 4 * c.opt.Concurrency,
		seen: map[string]bool{}, claimed: map[string]*claim{}, byHash: map[string]string{}, errored: map[string]bool{},
		complete: true,
	}
	r.indexPrev(prev)

	rob, err := r.fetchRobots(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("crawl %s: %w", name, err)
	}
	r.sc.robots = rob
	lim, err := hostRate(rob.crawlDelay(), c.opt.Rate)
	if err != nil {
		r.log.Warn("robots.txt asks for a longer Crawl-delay than footnote honours", "err", err)
		r.addErr(r.robotsURL(), err)
	}
	r.host.lim.SetLimit(lim)

	if isSitemapURL(start) {
		r.fromSitemaps(ctx, []string{start.String()})
	} else {
		if !rob.allowed(start) {
			return Result{}, fmt.Errorf("crawl %s: robots.txt disallows the start page", name)
		}
		var maps []string
		for _, m := range rob.sitemaps {
			if u, err := clean(m); err == nil && u.Host == r.sc.host {
				maps = append(maps, u.String())
			} else {
				r.log.Debug("a robots.txt sitemap on another host is not read", "sitemap", ingest.Redact(m))
			}
		}
		if len(maps) > 0 {
			r.fromSitemaps(ctx, maps)
		}
		if len(r.targets) == 0 {
			if len(maps) > 0 {
				r.log.Info("no sitemap entry is within the start page's prefix; crawling links instead", "prefix", r.sc.prefix)
			}
			r.crawlMode = true
			r.enqueue(start.String(), true)
		}
	}
	r.walk(ctx)
	res := r.finish()
	r.log.Info("refresh", "complete", res.Complete, "added", len(res.Added), "changed", len(res.Changed),
		"unchanged", len(res.Unchanged), "removed", len(res.Removed), "errors", len(res.Errors),
		"requests", res.Requests, "bytes", res.Bytes, "took", c.opt.Now().Sub(began))
	return res, nil
}

// maxCrawlDelay is the longest Crawl-delay honoured: a longer one (a day
// would stall every source on the host) is taken as this.
const maxCrawlDelay = 60 * time.Second

// hostRate is the host's rate: Options.Rate, or slower when robots.txt's
// Crawl-delay d asks it, though never slower than one request per
// maxCrawlDelay; err names a Crawl-delay over that. (A negative d is a
// delay too large for a Duration.)
func hostRate(d time.Duration, optRate float64) (lim rate.Limit, err error) {
	if d < 0 || d > maxCrawlDelay {
		asked := "of over 292 years"
		if d > 0 {
			asked = d.String()
		}
		err = fmt.Errorf("robots.txt: Crawl-delay %s is over the %v footnote honours; taken as %v", asked, maxCrawlDelay, maxCrawlDelay)
		d = maxCrawlDelay
	}
	if d > 0 && 1/d.Seconds() < optRate {
		return rate.Limit(1 / d.Seconds()), err
	}
	return rate.Limit(optRate), err
}

func isSitemapURL(u *url.URL) bool {
	p := strings.ToLower(u.Path)
	return strings.HasSuffix(p, ".xml") || strings.HasSuffix(p, ".xml.gz")
}

// run is one refresh. Workers touch only the fields marked so; everything
// else belongs to Refresh's goroutine.
type run struct {
	c      *Crawler
	src    Source
	sink   func(context.Context, Page) error
	start  *url.URL
	log    *slog.Logger
	sc     *scope     // read by workers once set up
	host   *hostLimit // shared by workers
	window int        // URLs dispatched but not yet processed

	requests, bytes atomic.Int64 // counted by workers

	crawlMode bool // set before the walk; read by workers
	targets   []*target
	seen      map[string]bool // canonical URLs queued (crawl mode)
	truncated bool

	prev      []PageState
	prevIndex map[string]int        // canonical URL, fetched URL or alias → index in prev
	prevByURL map[string]int        // identity → index in prev
	lastmods  map[string]remembered // canonical URL → its <lastmod> remembered (fetched URLs and aliases)

	claimed  map[string]*claim // identities found this refresh
	byHash   map[string]string // content hash → identity claimed with it
	errored  map[string]bool   // previous identities whose fetch or sink failed
	errs     []PageError
	complete bool
}

// target is one URL to take.
type target struct {
	key       string     // canonical
	url       string     // the form fetched
	lastmod   time.Time  // the sitemap's
	prev      *PageState // the page it was last time, if known
	known     time.Time  // its <lastmod> remembered with prev (zero if none)
	linksOnly bool       // a start page outside Include/Exclude: read for links
	start     bool       // the start page of a crawl
}

type kind int

const (
	skipped     kind = iota // not requested: the sitemap's lastmod is not newer
	notModified             // 304
	fetched                 // 200, read
	missing                 // 404, 410, or redirected out of the source
	ignored                 // not an article, and not known: skipped silently
	failed                  // named in Errors; a known page keeps its state
)

// outcome is what became of one target.
type outcome struct {
	seq   int
	t     *target
	kind  kind
	page  ingest.Page
	id    string   // identity of a fetched page
	hash  string   // of a fetched page
	links []string // in-scope links of a fetched HTML page (crawl mode)
	err   error
}

// claim is a page found this refresh.
type claim struct {
	st      PageState
	urls    map[string]time.Time // canonical URLs taken as the page → their <lastmod>
	status  kind                 // fetched (see added), or skipped/notModified: not fetched this time, unchanged
	added   bool
	changed bool
}

// remembered is a URL's <lastmod> as the page prev[i] remembers it.
type remembered struct {
	i       int
	lastmod time.Time
}

func (r *run) indexPrev(prev []PageState) {
	r.prevIndex, r.prevByURL, r.lastmods = map[string]int{}, map[string]int{}, map[string]remembered{}
	for _, p := range prev {
		if _, dup := r.prevByURL[p.URL]; dup || p.URL == "" {
			continue
		}
		r.prevByURL[p.URL] = len(r.prev)
		r.prev = append(r.prev, p)
	}
	for i, p := range r.prev {
		urls := []Alias{{URL: p.FetchedURL, Lastmod: p.Lastmod}}
		for _, a := range append(urls, p.Aliases...) {
			if k, err := Canonical(a.URL); err == nil {
				if _, ok := r.prevIndex[k]; !ok {
					r.prevIndex[k], r.lastmods[k] = i, remembered{i, a.Lastmod}
				}
			}
		}
	}
	for i, p := range r.prev { // a page's own URL beats another's alias
		r.prevIndex[p.URL] = i
		if k, err := Canonical(p.URL); err == nil {
			r.prevIndex[k] = i
		}
	}
}

// match fills in what was known of a target's URL.
func (r *run) match(t *target) {
	if i, ok := r.prevIndex[t.key]; ok {
		t.prev = &r.prev[i]
		if lm, ok := r.lastmods[t.key]; ok && lm.i == i {
			t.known = lm.lastmod
		}
	}
}

// acquire takes one of the host's request slots.
func (r *run) acquire(ctx context.Context) error {
	select {
	case r.host.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *run) release() { <-r.host.slots }

// take waits for the host's rate and counts a request.
func (r *run) take(ctx context.Context) error {
	if err := r.host.lim.Wait(ctx); err != nil {
		return err
	}
	r.requests.Add(1)
	return nil
}

// maxRedirects is how many redirect hops one URL's fetch follows
// (ingest's default).
const maxRedirects = 5

// hopError stops the fetcher at a redirect its rule lets through: follow
// requests the target itself.
type hopError struct{ url string }

func (e *hopError) Error() string { return "redirect to " + e.url + ", followed by the crawler" }

// follow makes a request through do and follows its redirects itself, at
// most maxRedirects, each hop the rule lets through a request of its own:
// do's CheckRedirect refuses what rule refuses, and stops the fetcher at
// what it lets through, whose target follow requests after waiting for the
// host's rate. So that wait (up to maxCrawlDelay) is never counted against
// the fetcher's per-request timeout, as it would be inside the fetcher's
// redirect check. The caller has taken a token for the first request.
func (r *run) follow(ctx context.Context, raw string, rule func(*url.URL) error, do func(raw string, check func(*url.URL) error) error) error {
	check := func(u *url.URL) error {
		if err := rule(u); err != nil {
			return err
		}
		return &hopError{url: u.String()}
	}
	for hops := 0; ; hops++ {
		err := do(raw, check)
		var hop *hopError
		if !errors.As(err, &hop) {
			return err
		}
		if hops == maxRedirects {
			return fmt.Errorf("%w: %s: more than %d redirects", ingest.ErrRefused, ingest.Redact(raw), maxRedirects)
		}
		if err := r.take(ctx); err != nil {
			return err
		}
		raw = hop.url
	}
}

// pageRule keeps a page's redirects within the source.
func (r *run) pageRule(u *url.URL) error {
	cu, err := cleanURL(u)
	switch {
	case err != nil:
		return fmt.Errorf("%w: redirect: %v", errOutOfScope, err)
	case !r.sc.contains(cu):
		return fmt.Errorf("%w: redirect to %s, outside %s%s", errOutOfScope, ingest.RedactURL(cu), r.sc.host, r.sc.prefix)
	case !r.sc.allowed(cu):
		return fmt.Errorf("%w: redirect to %s, which robots.txt disallows", errOutOfScope, ingest.RedactURL(cu))
	case !r.sc.wanted(cu):
		return fmt.Errorf("%w: redirect to %s, which Include/Exclude leave out", errOutOfScope, ingest.RedactURL(cu))
	}
	return nil
}

// sameHost keeps robots.txt and sitemaps on the source's host.
func (r *run) sameHost(u *url.URL) error {
	cu, err := cleanURL(u)
	if err != nil || cu.Host != r.sc.host {
		return fmt.Errorf("%w: redirect to %s, another host", errOutOfScope, ingest.RedactURL(u))
	}
	return nil
}

// fetchFile fetches robots.txt or a sitemap within the host's limits.
func (r *run) fetchFile(ctx context.Context, raw string) (ingest.File, error) {
	if err := r.acquire(ctx); err != nil {
		return ingest.File{}, err
	}
	defer r.release()
	if err := r.take(ctx); err != nil {
		return ingest.File{}, err
	}
	var f ingest.File
	err := r.follow(ctx, raw, r.sameHost, func(raw string, check func(*url.URL) error) error {
		var err error
		f, err = r.c.opt.Fetcher.FetchFile(ctx, ingest.Request{URL: raw, UserAgent: UserAgent, CheckRedirect: check})
		return err
	})
	if err != nil {
		return ingest.File{}, ingest.RedactError(err)
	}
	r.bytes.Add(int64(len(f.Data)))
	return f, nil
}

func (r *run) robotsURL() string {
	ru := url.URL{Scheme: r.start.Scheme, Host: r.start.Host, Path: "/robots.txt"}
	return ru.String()
}

// fetchRobots reads the source host's robots.txt (see the package doc).
func (r *run) fetchRobots(ctx context.Context) (*robots, error) {
	f, err := r.fetchFile(ctx, r.robotsURL())
	var cte *ingest.ContentTypeError
	switch {
	case errors.As(err, &cte):
		r.log.Warn("robots.txt is not text; taking everything as allowed", "content_type", cte.ContentType)
		return &robots{}, nil
	case err != nil:
		return nil, fmt.Errorf("robots.txt: %w", err)
	case f.StatusCode == http.StatusOK:
		rb, err := parseRobots(f.Data)
		if err != nil {
			return nil, fmt.Errorf("robots.txt: %w", err)
		}
		return rb, nil
	case f.StatusCode >= 400 && f.StatusCode < 500:
		return &robots{}, nil // no robots.txt: everything allowed
	default:
		return nil, fmt.Errorf("robots.txt: status %d; not crawling until it can be read", f.StatusCode)
	}
}

// fromSitemaps reads the sitemaps (indexes followed to maxSitemapDepth, at
// most maxSitemaps, at most maxSitemapEntries entries each) and makes their
// in-scope entries the targets, sorted, at most MaxPages: the smallest
// MaxPages URLs are kept as the sitemaps are read, so no more than that is
// held whatever they list. A sitemap that cannot be read is named in Errors
// and makes the refresh incomplete; one with more entries than the protocol
// allows is named, its excess skipped.
func (r *run) fromSitemaps(ctx context.Context, roots []string) {
	type item struct {
		loc   string
		depth int
	}
	var queue []item
	seen := map[string]bool{}
	fail := func(loc string, err error) {
		r.addErr(loc, err)
		r.complete = false
	}
	planned, tooMany := 0, false
	add := func(loc string, depth int) {
		if planned == maxSitemaps {
			if !tooMany {
				fail(loc, fmt.Errorf("sitemap: more than %d sitemaps; not read", maxSitemaps))
			}
			tooMany = true
			return
		}
		planned++
		queue = append(queue, item{loc, depth})
	}
	for _, m := range roots {
		if !seen[m] {
			seen[m] = true
			add(m, 1)
		}
	}
	kept := &smallest{n: r.src.MaxPages, byKey: map[string]*target{}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if ctx.Err() != nil {
			r.complete = false
			break
		}
		if r.bytes.Load() >= r.src.MaxBytes {
			fail(it.loc, fmt.Errorf("sitemap: not read: the refresh's %d-byte cap is reached", r.src.MaxBytes))
			break
		}
		f, err := r.fetchFile(ctx, it.loc)
		if err == nil && f.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", f.StatusCode)
		}
		if err != nil {
			fail(it.loc, fmt.Errorf("sitemap: %w", err))
			continue
		}
		pages, maps, over, err := parseSitemap(ctx, f.Data)
		if err != nil {
			fail(it.loc, err)
			continue
		}
		if over > 0 {
			r.addErr(it.loc, fmt.Errorf("sitemap: %d entries over the protocol's %d skipped", over, maxSitemapEntries))
		}
		for _, e := range pages {
			u, err := clean(e.loc) // a URL with userinfo is dropped here
			if err != nil || !r.sc.contains(u) || !r.sc.allowed(u) || !r.sc.wanted(u) || notAnArticle(u) {
				continue
			}
			kept.offer(&target{key: identity(u), url: u.String(), lastmod: e.lastmod})
		}
		for _, m := range maps {
			u, err := clean(m.loc)
			if err != nil || u.Host != r.sc.host {
				r.log.Debug("a sitemap on another host is not read", "sitemap", ingest.Redact(m.loc))
				continue
			}
			if seen[u.String()] {
				continue
			}
			seen[u.String()] = true
			if it.depth >= maxSitemapDepth {
				fail(u.String(), fmt.Errorf("sitemap: nested more than %d deep; not read", maxSitemapDepth))
				continue
			}
			add(u.String(), it.depth+1)
		}
	}
	if kept.dropped {
		r.log.Warn("the sitemaps list more pages than the source takes", "max_pages", r.src.MaxPages)
	}
	for _, t := range kept.sorted() {
		r.match(t)
		r.targets = append(r.targets, t)
	}
}

// smallest keeps the targets of the n smallest keys offered, a key offered
// again keeping its latest <lastmod>: a max-heap on the key, so a smaller
// key evicts the largest.
type smallest struct {
	n       int
	byKey   map[string]*target
	heap    []*target // heap[0] has the largest key
	dropped bool      // a key was left out
}

func (s *smallest) offer(t *target) {
	if k, ok := s.byKey[t.key]; ok {
		if t.lastmod.After(k.lastmod) {
			k.lastmod = t.lastmod
		}
		return
	}
	switch {
	case len(s.heap) < s.n:
		s.heap = append(s.heap, t)
		s.up(len(s.heap) - 1)
	case s.n > 0 && t.key < s.heap[0].key:
		delete(s.byKey, s.heap[0].key)
		s.heap[0] = t
		s.down(0)
		s.dropped = true
	default:
		s.dropped = true
		return
	}
	s.byKey[t.key] = t
}

func (s *smallest) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p].key >= s.heap[i].key {
			return
		}
		s.heap[p], s.heap[i] = s.heap[i], s.heap[p]
		i = p
	}
}

func (s *smallest) down(i int) {
	for {
		l, big := 2*i+1, i
		if l < len(s.heap) && s.heap[l].key > s.heap[big].key {
			big = l
		}
		if l+1 < len(s.heap) && s.heap[l+1].key > s.heap[big].key {
			big = l + 1
		}
		if big == i {
			return
		}
		s.heap[i], s.heap[big] = s.heap[big], s.heap[i]
		i = big
	}
}

// sorted is what was kept, by key.
func (s *smallest) sorted() []*target {
	out := slices.Clone(s.heap)
	slices.SortFunc(out, func(a, b *target) int { return cmp.Compare(a.key, b.key) })
	return out
}

// enqueue adds a link to the crawl, once, if it is in scope, allowed,
// wanted (or the start page) and under MaxPages.
func (r *run) enqueue(raw string, startPage bool) {
	u, err := clean(raw)
	if err != nil {
		return
	}
	key := identity(u)
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	wanted := r.sc.wanted(u)
	if !r.sc.contains(u) || !r.sc.allowed(u) || notAnArticle(u) || (!wanted && !startPage) {
		return
	}
	if len(r.targets) >= r.src.MaxPages {
		if !r.truncated {
			r.log.Warn("the crawl reached the source's page limit", "max_pages", r.src.MaxPages)
		}
		r.truncated = true
		return
	}
	t := &target{key: key, url: u.String(), linksOnly: !wanted, start: startPage}
	r.match(t)
	r.targets = append(r.targets, t)
}

// walk fetches the targets, at most window of them dispatched and not yet
// processed, and processes their outcomes in target order (so the result
// does not depend on which fetch finishes first); processing a crawled page
// may add targets.
func (r *run) walk(ctx context.Context) {
	results := make(chan outcome, r.window) // never blocks: at most window in flight
	pending := map[int]outcome{}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx) // a stop cancels what is in flight
	defer cancel()
	next, done := 0, 0
	stopped := false
	stop := func(why string) {
		if !stopped {
			r.log.Info("refresh stopped part-way", "why", why)
		}
		stopped, r.complete = true, false
	}
	for {
		for !stopped && next < len(r.targets) && next-done < r.window {
			if err := ctx.Err(); err != nil {
				stop(err.Error())
				break
			}
			if r.bytes.Load() >= r.src.MaxBytes {
				r.addErr(r.targets[next].key, fmt.Errorf("not fetched: the refresh's %d-byte cap is reached", r.src.MaxBytes))
				stop("byte cap")
				break
			}
			t, seq := r.targets[next], next
			next++
			if t.prev != nil && !t.lastmod.IsZero() && !t.known.IsZero() && !t.lastmod.After(t.known) {
				pending[seq] = outcome{seq: seq, t: t, kind: skipped}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- r.fetch(ctx, seq, t)
			}()
		}
		progressed := false
		for !stopped {
			o, ok := pending[done]
			if !ok {
				break
			}
			if err := ctx.Err(); err != nil {
				stop(err.Error())
				break
			}
			delete(pending, done)
			r.process(ctx, o)
			done++
			progressed = true
		}
		if stopped || (done == next && next == len(r.targets)) {
			return // what is still in flight is dropped (see the deferred Wait)
		}
		if progressed {
			continue // processing frees the window and may add targets
		}
		// Target done is being fetched (a skipped one would be pending).
		select {
		case o := <-results:
			pending[o.seq] = o
		case <-ctx.Done():
			stop(ctx.Err().Error())
			return
		}
	}
}

// fetch requests one target (a worker).
func (r *run) fetch(ctx context.Context, seq int, t *target) outcome {
	o := outcome{seq: seq, t: t, kind: failed}
	if o.err = r.acquire(ctx); o.err != nil {
		return o
	}
	defer r.release()
	if o.err = r.take(ctx); o.err != nil {
		return o
	}
	req := ingest.Request{URL: t.url, UserAgent: UserAgent}
	if p := t.prev; p != nil && (p.FetchedURL == t.url || p.URL == t.key) {
		req.ETag, req.LastModified = p.ETag, p.LastModified // sent to each hop too, as net/http would
	}
	var page ingest.Page
	err := r.follow(ctx, t.url, r.pageRule, func(raw string, check func(*url.URL) error) error {
		req.URL, req.CheckRedirect = raw, check
		var err error
		page, err = r.c.opt.Fetcher.FetchPage(ctx, req)
		return err
	})
	err = ingest.RedactError(err)
	var se *ingest.StatusError
	var cte *ingest.ContentTypeError
	switch {
	case errors.Is(err, errOutOfScope):
		o.kind, o.err = missing, err
	case errors.As(err, &se) && (se.StatusCode == http.StatusNotFound || se.StatusCode == http.StatusGone):
		o.kind, o.err = missing, err
	case errors.As(err, &cte) && t.prev == nil:
		o.kind, o.err = ignored, err
	case err != nil:
		o.err = err
	case page.NotModified && t.prev != nil:
		o.kind, o.page = notModified, page
	case page.NotModified:
		o.err = errors.New("304 Not Modified to an unconditional request")
	default:
		r.bytes.Add(int64(len(page.Data)))
		final, err := url.Parse(page.URL)
		if err == nil {
			final, err = cleanURL(final)
		}
		if err != nil {
			o.err = fmt.Errorf("final URL %q: %w", ingest.Redact(page.URL), err)
			return o
		}
		sum := sha256.Sum256(page.Data)
		o.kind, o.page, o.hash, o.id = fetched, page, hex.EncodeToString(sum[:]), identity(final)
		if isHTML(page.ContentType) {
			canon, links := parseHTML(page.Data, final)
			if canon != "" {
				if cu, err := clean(canon); err == nil && r.sc.contains(cu) {
					o.id = identity(cu)
				}
			}
			if r.crawlMode {
				o.links = r.scopedLinks(links)
			}
		}
	}
	return o
}

// scopedLinks are a page's links in scope, cleaned, each once.
func (r *run) scopedLinks(links []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range links {
		u, err := clean(l)
		if err != nil || !r.sc.contains(u) || notAnArticle(u) {
			continue
		}
		if s := u.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// process takes one outcome, in target order.
func (r *run) process(ctx context.Context, o outcome) {
	t := o.t
	switch o.kind {
	case skipped, notModified:
		p := t.prev
		if r.alias(p.URL, t) {
			return
		}
		if other, ok := r.byHash[p.Hash]; ok && other != p.URL {
			r.alias(other, t)
			return
		}
		st := *p
		st.Misses, st.Aliases = 0, nil
		if o.kind == notModified {
			st.FetchedURL = t.url
			if o.page.ETag != "" {
				st.ETag = o.page.ETag
			}
			if o.page.LastModified != "" {
				st.LastModified = o.page.LastModified
			}
		}
		cl := &claim{st: st, urls: map[string]time.Time{}, status: o.kind}
		r.claimed[p.URL], r.byHash[p.Hash] = cl, p.URL
		cl.urls[t.key] = t.lastmod
		if r.crawlMode {
			for _, l := range p.Links {
				r.enqueue(l, false)
			}
		}
	case fetched:
		for _, l := range o.links {
			r.enqueue(l, false)
		}
		if t.linksOnly {
			return
		}
		r.takePage(ctx, o)
	case missing:
		r.log.Debug("page gone", "url", t.url, "err", ingest.RedactError(o.err))
	case ignored:
		r.log.Debug("not an article", "url", t.url, "err", ingest.RedactError(o.err))
	case failed:
		r.addErr(t.key, o.err)
		if t.prev != nil {
			r.errored[t.prev.URL] = true
			if r.crawlMode { // what it linked to last time is still reached, as after a 304
				for _, l := range t.prev.Links {
					r.enqueue(l, false)
				}
			}
		}
		if t.start {
			r.complete = false // what only the start page leads to was not reached
		}
	}
}

// alias records t as another URL of the page claimed as id, if it is
// claimed, and reports whether it is.
func (r *run) alias(id string, t *target) bool {
	cl := r.claimed[id]
	if cl == nil {
		return false
	}
	cl.urls[t.key] = t.lastmod
	return true
}

// takePage takes a fetched page: a duplicate of a page already taken, or
// unchanged, changed or new (then handed to the sink).
func (r *run) takePage(ctx context.Context, o outcome) {
	t, id := o.t, o.id
	cl := r.claimed[id]
	if cl != nil && cl.status == fetched {
		cl.urls[t.key] = t.lastmod
		if t.key == id && cl.st.FetchedURL != t.url { // fetch it from its own URL next time
			cl.st.FetchedURL, cl.st.ETag, cl.st.LastModified = t.url, o.page.ETag, o.page.LastModified
		}
		return // taken this refresh (a rel=canonical duplicate, or a redirect's target)
	}
	if cl == nil {
		if other, ok := r.byHash[o.hash]; ok && other != id {
			r.alias(other, t)
			return // the same bytes under another URL
		}
	}
	var pp *PageState
	if i, ok := r.prevByURL[id]; ok {
		pp = &r.prev[i]
	}
	nc := &claim{st: PageState{URL: id, FetchedURL: t.url, ETag: o.page.ETag, LastModified: o.page.LastModified,
		Hash: o.hash, Links: o.links}, urls: map[string]time.Time{}, status: fetched}
	if cl != nil { // taken unfetched under another URL; this fetch is newer
		if r.byHash[cl.st.Hash] == id {
			delete(r.byHash, cl.st.Hash)
		}
		maps.Copy(nc.urls, cl.urls)
	}
	if pp == nil || pp.Hash != o.hash {
		err := r.sink(ctx, Page{URL: id, Name: o.page.Name, ContentType: o.page.ContentType, Data: o.page.Data, New: pp == nil})
		if err != nil {
			r.addErr(id, fmt.Errorf("sink: %w", err))
			if pp != nil {
				r.errored[pp.URL] = true
			}
			return // an unfetched claim of it, if any, stands: the page as it was
		}
		nc.added, nc.changed = pp == nil, pp != nil
	}
	nc.urls[t.key] = t.lastmod
	r.claimed[id], r.byHash[o.hash] = nc, id
}

// finish assembles the result: the pages found, and the previous pages
// not found, kept or missed (see the package doc).
func (r *run) finish() Result {
	res := Result{Errors: r.errs, Requests: int(r.requests.Load()), Bytes: r.bytes.Load(), Complete: r.complete}
	for id, cl := range r.claimed {
		st := cl.st
		fk, _ := Canonical(st.FetchedURL)
		st.Lastmod = cl.urls[fk] // zero when the fetched URL was not a sitemap entry (a crawl)
		for k, lm := range cl.urls {
			if k != fk {
				st.Aliases = append(st.Aliases, Alias{URL: k, Lastmod: lm})
			}
		}
		slices.SortFunc(st.Aliases, func(a, b Alias) int { return cmp.Compare(a.URL, b.URL) })
		res.State = append(res.State, st)
		switch {
		case cl.added:
			res.Added = append(res.Added, id)
		case cl.changed:
			res.Changed = append(res.Changed, id)
		default:
			res.Unchanged = append(res.Unchanged, id)
		}
	}
	for _, p := range r.prev {
		if _, ok := r.claimed[p.URL]; ok {
			continue
		}
		if r.complete && !r.errored[p.URL] {
			p.Misses++
			if p.Misses >= 2 {
				res.Removed = append(res.Removed, p.URL)
				continue
			}
		}
		res.State = append(res.State, p)
	}
	for _, l := range [][]string{res.Added, res.Changed, res.Unchanged, res.Removed} {
		slices.Sort(l)
	}
	slices.SortFunc(res.State, func(a, b PageState) int { return cmp.Compare(a.URL, b.URL) })
	return res
}

// addErr names a page or sitemap in Result.Errors, without userinfo.
func (r *run) addErr(u string, err error) {
	r.errs = append(r.errs, PageError{URL: ingest.Redact(u), Err: ingest.RedactError(err)})
}
