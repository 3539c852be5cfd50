package crawl

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/ingest"
)

// site is a documentation site on loopback that records every request:
// hits per path, statuses, in-flight requests (the most at once) and
// arrival times, and User-Agents.
type site struct {
	srv *httptest.Server

	mu        sync.Mutex
	robots    string                      // "{base}" is replaced by the server's URL
	pages     map[string]*sitePage        // by path
	redirects map[string]string           // path → location
	status    map[string]int              // path → a status to answer instead
	sitemaps  map[string]string           // path → sitemap name the pages name ("" for none)
	index     bool                        // serve /sitemap_index.xml over the sitemaps
	listed    map[string][]string         // sitemap name → extra <loc>s (paths) listed in it
	extra     map[string]http.HandlerFunc // path → its own handler (run with mu held)
	lastmods  map[string]time.Time        // <lastmod> of listed paths that are not pages

	hits        map[string]int // by path
	codes       map[string][]int
	inflight    int
	maxInflight int
	times       []time.Time
	agents      map[string]bool
}

type sitePage struct {
	body     string
	sitemap  string    // the sitemap listing it: "a", "b", or "" (not listed)
	lastmod  time.Time // its <lastmod> (zero: none)
	modified time.Time // its Last-Modified
}

func (p *sitePage) etag() string {
	sum := sha256.Sum256([]byte(p.body))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func newSite(t *testing.T) *site {
	s := &site{pages: map[string]*sitePage{}, redirects: map[string]string{}, status: map[string]int{},
		sitemaps: map[string]string{}, listed: map[string][]string{}, extra: map[string]http.HandlerFunc{}, lastmods: map[string]time.Time{}, hits: map[string]int{}, codes: map[string][]int{},
		agents: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// rec is a ResponseWriter that remembers the status.
type rec struct {
	http.ResponseWriter
	code int
}

func (r *rec) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now() // before waiting for the lock another request may hold
	s.mu.Lock()
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	s.times = append(s.times, arrived)
	s.hits[r.URL.Path]++
	s.agents[r.UserAgent()] = true
	s.mu.Unlock()
	rw := &rec{ResponseWriter: w, code: http.StatusOK}
	defer func() { // before the response is flushed, so the client cannot overlap it
		s.mu.Lock()
		s.inflight--
		s.codes[r.URL.Path] = append(s.codes[r.URL.Path], rw.code)
		s.mu.Unlock()
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond(rw, r)
}

// respond answers with s.mu held.
func (s *site) respond(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if h, ok := s.extra[p]; ok {
		h(w, r)
		return
	}
	if code, ok := s.status[p]; ok {
		http.Error(w, "status", code)
		return
	}
	if to, ok := s.redirects[p]; ok {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
		return
	}
	switch {
	case p == "/robots.txt" && s.robots != "":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.ReplaceAll(s.robots, "{base}", s.srv.URL))
		return
	case p == "/sitemap_index.xml" && s.index:
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>%[1]s/sitemaps/a.xml</loc><lastmod>2024-05-01</lastmod></sitemap>
<sitemap><loc>%[1]s/sitemaps/b.xml.gz</loc><lastmod>2024-05-01T10:00:00+02:00</lastmod></sitemap>
</sitemapindex>`, s.srv.URL)
		return
	case p == "/sitemaps/a.xml" && s.index:
		w.Header().Set("Content-Type", "application/xml")
		w.Write(s.urlset("a"))
		return
	case p == "/sitemaps/b.xml.gz" && s.index:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(s.urlset("b"))
		zw.Close()
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(buf.Bytes())
		return
	}
	page, ok := s.pages[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag, lastMod := page.etag(), page.modified.UTC().Format(http.TimeFormat)
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", lastMod)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !page.modified.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, page.body)
}

// urlset is the sitemap named name, with s.mu held.
func (s *site) urlset(name string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	var paths []string
	for p, pg := range s.pages {
		if pg.sitemap == name {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range append(paths, s.listed[name]...) {
		b.WriteString("<url><loc>" + s.srv.URL + strings.ReplaceAll(p, "&", "&amp;") + "</loc>")
		lm := s.lastmods[p]
		if pg := s.pages[p]; pg != nil {
			lm = pg.lastmod
		}
		if !lm.IsZero() {
			b.WriteString("<lastmod>" + lm.Format(time.RFC3339) + "</lastmod>")
		}
		b.WriteString("</url>\n")
	}
	b.WriteString("</urlset>\n")
	return b.Bytes()
}

func (s *site) url(p string) string { return s.srv.URL + p }

// reset forgets the requests recorded so far (not the measures).
func (s *site) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits, s.codes = map[string]int{}, map[string][]int{}
}

func (s *site) hitsOf(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[p]
}

func (s *site) totalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

func (s *site) change(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func htmlPage(title, text string, links ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>%s</title></head><body><h1>%s</h1><p>%s</p>", title, title, text)
	for _, l := range links {
		fmt.Fprintf(&b, `<a href="%s">%s</a> `, l, l)
	}
	b.WriteString("</body></html>")
	return b.String()
}

var (
	day0     = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
)

// docsSite is the sitemap site: robots.txt naming a sitemap index and
// disallowing /docs/private/ for footnote; sitemap a (with <lastmod>) and
// b.xml.gz (without) listing 300 pages under /docs/, plus a disallowed page,
// a page outside /docs/, a 301 to a new page, a redirect out of /docs/, a
// rel=canonical duplicate and URLs with tracking parameters, a fragment and
// a trailing slash.
func docsSite(t *testing.T) *site {
	s := newSite(t)
	s.index = true
	s.robots = "User-agent: *\nDisallow: /\n\nUser-agent: footnote\nDisallow: /docs/private/\n\nSitemap: {base}/sitemap_index.xml\n"
	for i := range 300 {
		p := &sitePage{body: htmlPage(fmt.Sprintf("Page %d", i), fmt.Sprintf("Text of page %d, version 1.", i)), modified: day0}
		if i < 150 {
			p.sitemap, p.lastmod = "a", day0.Add(time.Duration(i)*time.Minute)
		} else {
			p.sitemap = "b"
		}
		s.pages[fmt.Sprintf("/docs/p%03d", i)] = p
	}
	canonical := `<link rel="canonical" href="/docs/p001">`
	s.pages["/docs/p001"].body = strings.Replace(s.pages["/docs/p001"].body, "<title>", canonical+"<title>", 1)
	s.pages["/docs/dup"] = &sitePage{body: s.pages["/docs/p001"].body, sitemap: "a", lastmod: day0, modified: day0}
	s.pages["/docs/private/secret"] = &sitePage{body: htmlPage("Secret", "Not for robots."), sitemap: "a", modified: day0}
	s.pages["/blog/outside"] = &sitePage{body: htmlPage("Blog", "Outside the docs."), sitemap: "a", modified: day0}
	s.pages["/blog/landing"] = &sitePage{body: htmlPage("Landing", "Where /docs/away leads."), modified: day0}
	s.pages["/docs/new"] = &sitePage{body: htmlPage("New", "The moved page."), modified: day0}
	s.redirects["/docs/old"] = "/docs/new"
	s.redirects["/docs/away"] = "/blog/landing"
	s.lastmods["/docs/old"] = day0
	s.listed["a"] = []string{"/docs/old", "/docs/away", "/docs/p002?utm_source=sitemap&utm_medium=feed", "/docs/p003/", "/docs/p004#part"}
	return s
}

func docsWant(s *site, extra ...string) []string {
	var want []string
	for i := range 300 {
		want = append(want, s.url(fmt.Sprintf("/docs/p%03d", i)))
	}
	want = append(want, s.url("/docs/new"))
	want = append(want, extra...)
	slices.Sort(want)
	return want
}

// collector is a sink that records pages and checks it is never called
// concurrently.
type collector struct {
	mu      sync.Mutex
	busy    bool
	overlap bool
	pages   []Page
	fail    map[string]error
	after   func(n int) // called after the nth page
}

func (c *collector) sink(ctx context.Context, p Page) error {
	c.mu.Lock()
	if c.busy {
		c.overlap = true
	}
	c.busy = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.busy = false
		c.mu.Unlock()
	}()
	if err := c.fail[p.URL]; err != nil {
		return err
	}
	c.mu.Lock()
	c.pages = append(c.pages, p)
	n := len(c.pages)
	c.mu.Unlock()
	if c.after != nil {
		c.after(n)
	}
	return nil
}

func (c *collector) take() []Page {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pages
	c.pages = nil
	return p
}

func newCrawler(t *testing.T, rate float64, conc int) *Crawler {
	return New(Options{Fetcher: ingest.New(ingest.Options{Allow: loopback}), Rate: rate, Concurrency: conc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d %q\nwant %d %q", what, len(got), got, len(want), want)
	}
}

func stateOf(res Result, u string) *PageState {
	for i := range res.State {
		if res.State[i].URL == u {
			return &res.State[i]
		}
	}
	return nil
}

// checkPoliteness holds the measured requests to the crawler's limits:
// never more than conc in flight, and over any run of requests no faster
// than rate allows after the limiter's burst (one): n requests span at
// least (n-1-burst-slack)/rate. The slack of two intervals absorbs arrival
// jitter (a request that reaches the handler late, the next one on time);
// a limiter that let requests through early would still show, since the
// check holds over every run, hundreds of requests long.
func checkPoliteness(t *testing.T, s *site, rate float64, conc int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxInflight > conc {
		t.Errorf("%d requests were in flight at once; Concurrency is %d", s.maxInflight, conc)
	}
	times := slices.Clone(s.times)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	const burst, slack = 1, 2
	worst := ""
	for i := range times {
		for j := i + burst + slack + 1; j < len(times); j++ {
			need := time.Duration(float64(j-i-burst-slack) / rate * float64(time.Second))
			if got := times[j].Sub(times[i]); got < need && worst == "" {
				worst = fmt.Sprintf("requests %d..%d came in %v; at %.0f/s they need at least %v", i, j, got, rate, need)
			}
		}
	}
	if worst != "" {
		t.Error(worst)
	}
	for ua := range s.agents {
		if ua != UserAgent {
			t.Errorf("User-Agent %q, want %q", ua, UserAgent)
		}
	}
}
