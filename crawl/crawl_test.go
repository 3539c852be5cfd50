package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/ingest"
)

const (
	testRate = 200.0 // requests per second, high so the tests run fast
	testConc = 2
)

// TestSitemapRefreshes runs four refreshes of the sitemap site and shows
// the first ingests exactly the allowed, distinct pages; the second, with
// nothing changed, asks only for what the sitemap cannot vouch for and gets
// 304s; a changed page is re-fetched and Changed, a failing one kept, and a
// vanished one missed once and then removed; and that all along the host's
// concurrency and rate were never exceeded.
func TestSitemapRefreshes(t *testing.T) {
	s := docsSite(t)
	c := newCrawler(t, testRate, testConc)
	ctx := context.Background()
	src := Source{URL: s.url("/docs/")}
	col := &collector{}

	// 1. The first refresh.
	res, err := c.Refresh(ctx, src, nil, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	want := docsWant(s)
	if !res.Complete || len(res.Errors) != 0 {
		t.Errorf("first refresh: complete %v, errors %v", res.Complete, res.Errors)
	}
	equal(t, "first refresh: Added", res.Added, want)
	var sunk []string
	for _, p := range col.take() {
		if !p.New || p.ContentType != "text/html" || !strings.HasSuffix(p.Name, ".html") || len(p.Data) == 0 {
			t.Errorf("sink got %s new=%v type=%q name=%q", p.URL, p.New, p.ContentType, p.Name)
		}
		sunk = append(sunk, p.URL)
	}
	slices.Sort(sunk)
	equal(t, "first refresh: pages handed to the sink", sunk, want)
	for _, p := range []string{"/docs/private/secret", "/blog/outside", "/blog/landing"} {
		if n := s.hitsOf(p); n != 0 {
			t.Errorf("%s was requested %d times", p, n)
		}
	}
	for _, p := range []string{"/docs/p002", "/docs/p003", "/docs/p004", "/docs/away", "/docs/old", "/docs/new", "/docs/dup"} {
		if n := s.hitsOf(p); n != 1 {
			t.Errorf("%s was requested %d times, want once", p, n)
		}
	}
	if n := s.hitsOf("/docs/p003/"); n != 0 {
		t.Errorf("/docs/p003/ (also listed as /docs/p003) was requested %d times", n)
	}
	if st := stateOf(res, s.url("/docs/p001")); st == nil || !slices.Equal(st.Aliases, []Alias{{URL: s.url("/docs/dup"), Lastmod: day0}}) ||
		st.FetchedURL != s.url("/docs/p001") || !st.Lastmod.Equal(day0.Add(time.Minute)) {
		t.Errorf("the canonical duplicate: state %+v, want /docs/dup among its aliases", st)
	}
	if st := stateOf(res, s.url("/docs/new")); st == nil || st.FetchedURL != s.url("/docs/old") {
		t.Errorf("the moved page: state %+v, want it fetched from /docs/old", st)
	}
	if got := s.totalHits(); res.Requests != got {
		t.Errorf("Requests = %d, the server saw %d", res.Requests, got)
	}
	if len(res.State) != len(want) || len(res.Unchanged)+len(res.Changed)+len(res.Removed) != 0 {
		t.Errorf("first refresh: %d states, %d unchanged, %d changed, %d removed", len(res.State), len(res.Unchanged), len(res.Changed), len(res.Removed))
	}

	// 2. Nothing changed.
	s.reset()
	res, err = c.Refresh(ctx, src, res.State, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Added)+len(res.Changed)+len(res.Removed) != 0 || len(col.take()) != 0 {
		t.Errorf("second refresh: complete %v, added %q, changed %q, removed %q", res.Complete, res.Added, res.Changed, res.Removed)
	}
	equal(t, "second refresh: Unchanged", res.Unchanged, want)
	s.mu.Lock()
	for p, n := range s.hits {
		switch {
		case n > 1:
			t.Errorf("second refresh: %s requested %d times", p, n)
		case strings.HasPrefix(p, "/docs/p") && s.pages[p].sitemap == "a":
			t.Errorf("second refresh: %s requested although its lastmod is unchanged", p)
		case strings.HasPrefix(p, "/docs/p") && !slices.Equal(s.codes[p], []int{http.StatusNotModified}):
			t.Errorf("second refresh: %s answered %v, want a 304", p, s.codes[p])
		}
	}
	for _, p := range []string{"/docs/p150", "/docs/p299", "/robots.txt", "/sitemap_index.xml", "/sitemaps/a.xml", "/sitemaps/b.xml.gz"} {
		if s.hits[p] != 1 {
			t.Errorf("second refresh: %s requested %d times, want once", p, s.hits[p])
		}
	}
	for _, p := range []string{"/docs/p000", "/docs/dup", "/docs/old"} {
		if s.hits[p] != 0 {
			t.Errorf("second refresh: %s requested %d times, want none", p, s.hits[p])
		}
	}
	s.mu.Unlock()
	// robots, 3 sitemaps, 150 pages without lastmod, and /docs/away (never a page).
	if got := s.totalHits(); res.Requests != got || got != 4+150+1 {
		t.Errorf("second refresh: %d requests (the server saw %d), want %d", res.Requests, got, 4+150+1)
	}

	// 3. Two pages change (one with a new lastmod, one without any), one is
	// added, one vanishes (out of the sitemap, and 404), one fails.
	s.change(func() {
		p := s.pages["/docs/p010"]
		p.body, p.lastmod, p.modified = htmlPage("Page 10", "Rewritten."), day0.Add(48*time.Hour), day0.Add(48*time.Hour)
		p = s.pages["/docs/p160"]
		p.body, p.modified = htmlPage("Page 160", "Rewritten too."), day0.Add(48*time.Hour)
		s.pages["/docs/p300"] = &sitePage{body: htmlPage("Page 300", "Brand new."), sitemap: "a", lastmod: day0.Add(48 * time.Hour), modified: day0}
		delete(s.pages, "/docs/p020")
		s.status["/docs/p170"] = http.StatusServiceUnavailable
	})
	s.reset()
	prev := res.State
	res, err = c.Refresh(ctx, src, prev, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "third refresh: Changed", res.Changed, []string{s.url("/docs/p010"), s.url("/docs/p160")})
	equal(t, "third refresh: Added", res.Added, []string{s.url("/docs/p300")})
	if len(res.Removed) != 0 || !res.Complete {
		t.Errorf("third refresh: removed %q, complete %v; want nothing removed after one miss", res.Removed, res.Complete)
	}
	got := map[string]bool{}
	for _, p := range col.take() {
		got[p.URL] = p.New
		if p.URL == s.url("/docs/p010") && !strings.Contains(string(p.Data), "Rewritten.") {
			t.Errorf("p010 handed over with %q", p.Data)
		}
	}
	if len(got) != 3 || got[s.url("/docs/p010")] || got[s.url("/docs/p160")] || !got[s.url("/docs/p300")] {
		t.Errorf("third refresh: sink got %v, want p010 and p160 with New=false, p300 with New=true", got)
	}
	if st := stateOf(res, s.url("/docs/p020")); st == nil || st.Misses != 1 {
		t.Errorf("the vanished page: state %+v, want Misses=1", st)
	}
	if s.hitsOf("/docs/p020") != 0 {
		t.Error("the page no longer in the sitemap was requested")
	}
	if len(res.Errors) != 1 || res.Errors[0].URL != s.url("/docs/p170") || !strings.Contains(res.Errors[0].Error(), "503") {
		t.Errorf("third refresh: errors %v, want p170's 503 named", res.Errors)
	}
	if st, was := stateOf(res, s.url("/docs/p170")), stateOf(Result{State: prev}, s.url("/docs/p170")); st == nil || st.Hash != was.Hash || st.Misses != 0 {
		t.Errorf("the failing page: state %+v, want its previous state %+v", st, was)
	}
	if n := s.hitsOf("/docs/p010"); n != 1 {
		t.Errorf("the page with a new lastmod was requested %d times", n)
	}

	// 4. The vanished page is missed a second time and removed; the failing
	// one is back.
	s.change(func() { delete(s.status, "/docs/p170") })
	s.reset()
	res, err = c.Refresh(ctx, src, res.State, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "fourth refresh: Removed", res.Removed, []string{s.url("/docs/p020")})
	if stateOf(res, s.url("/docs/p020")) != nil || len(res.Added)+len(res.Changed)+len(res.Errors) != 0 || !res.Complete {
		t.Errorf("fourth refresh: p020 state kept, or added %q changed %q errors %v", res.Added, res.Changed, res.Errors)
	}
	equal(t, "fourth refresh: Unchanged", res.Unchanged, slices.DeleteFunc(docsWant(s, s.url("/docs/p300")), func(u string) bool { return u == s.url("/docs/p020") }))

	if col.overlap {
		t.Error("the sink was called concurrently")
	}
	checkPoliteness(t, s, testRate, testConc)
}

// TestPoliteness measures a wider crawler on the same site: four requests
// in flight allowed at 100/s, and at most that is seen; a Crawl-delay
// slower than the rate slows it.
func TestPoliteness(t *testing.T) {
	s := docsSite(t)
	const rate, conc = 100.0, 4
	res, err := newCrawler(t, rate, conc).Refresh(context.Background(), Source{URL: s.url("/docs/"), MaxPages: 60}, nil, (&collector{}).sink)
	if err != nil || len(res.Added) < 50 {
		t.Fatalf("refresh: %d added, %v", len(res.Added), err)
	}
	checkPoliteness(t, s, rate, conc)

	s = docsSite(t)
	s.robots = "User-agent: footnote\nCrawl-delay: 0.02\nDisallow: /docs/private/\n\nSitemap: {base}/sitemap_index.xml\n"
	began := time.Now()
	res, err = newCrawler(t, 1000, conc).Refresh(context.Background(), Source{URL: s.url("/docs/"), MaxPages: 20}, nil, (&collector{}).sink)
	if err != nil || len(res.Added) < 15 {
		t.Fatalf("refresh with a Crawl-delay: %d added, %v", len(res.Added), err)
	}
	// robots.txt goes at the full rate; the rest at 50/s.
	if took, need := time.Since(began), time.Duration(res.Requests-2)*20*time.Millisecond; took < need {
		t.Errorf("%d requests took %v; a Crawl-delay of 20ms needs at least %v", res.Requests, took, need)
	}
	checkPoliteness(t, s, 50, conc)
}

// TestRefusedPrivate: without AllowPrivate or an Allow for loopback, the
// guard refuses the test server and Refresh says so; nothing reaches it.
func TestRefusedPrivate(t *testing.T) {
	s := docsSite(t)
	c := New(Options{Fetcher: ingest.New(ingest.Options{}), Rate: testRate})
	_, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err == nil || !errors.Is(err, ingest.ErrRefused) || !strings.Contains(err.Error(), "internal address") {
		t.Errorf("Refresh of a loopback source: err = %v, want the guard's refusal", err)
	}
	if n := s.totalHits(); n != 0 {
		t.Errorf("the refused server got %d requests", n)
	}
	if _, err := New(Options{Fetcher: ingest.New(ingest.Options{AllowPrivate: true}), Rate: testRate}).Refresh(context.Background(),
		Source{URL: s.url("/docs/"), MaxPages: 5}, nil, (&collector{}).sink); err != nil {
		t.Errorf("with AllowPrivate: %v", err)
	}
}

// crawlSite has no sitemap: a start page /docs/ linking to ten sections
// that link to five pages each, plus links outside /docs/, into a section
// robots.txt disallows for footnote, with tracking parameters and
// fragments, and to an image.
func crawlSite(t *testing.T) *site {
	s := newSite(t)
	s.robots = "User-agent: *\nDisallow: /\n\nUser-agent: footnote\nDisallow: /docs/secret/\n"
	var top []string
	for i := range 10 {
		sec := fmt.Sprintf("/docs/s%d", i)
		top = append(top, sec, sec+"?utm_source=nav#top")
		var sub []string
		for j := range 5 {
			sub = append(sub, fmt.Sprintf("%s/p%d", sec, j))
			s.pages[fmt.Sprintf("%s/p%d", sec, j)] = &sitePage{body: htmlPage(fmt.Sprintf("S%d P%d", i, j), "Leaf.", "/docs/", "../s0", "/docs/logo.png"), modified: day0}
		}
		s.pages[sec] = &sitePage{body: htmlPage(fmt.Sprintf("Section %d", i), "Section.", append(sub, "/blog/elsewhere", "/docs/secret/x")...), modified: day0}
	}
	s.pages["/docs/"] = &sitePage{body: htmlPage("Docs", "Start here.", append(top, "http://example.invalid/docs/x", "/docs/secret/plans", "/docs/logo.png")...), modified: day0}
	s.pages["/docs/secret/x"] = &sitePage{body: htmlPage("Secret", "Not for robots."), modified: day0}
	s.pages["/docs/secret/plans"] = &sitePage{body: htmlPage("Plans", "Not for robots."), modified: day0}
	s.pages["/blog/elsewhere"] = &sitePage{body: htmlPage("Blog", "Outside."), modified: day0}
	return s
}

// TestCrawlMode: without a sitemap the start page's links are followed
// breadth first within /docs/, obeying robots.txt, up to MaxPages; a second
// refresh follows the links remembered of the pages that answer 304.
func TestCrawlMode(t *testing.T) {
	s := crawlSite(t)
	c := newCrawler(t, testRate, testConc)
	ctx := context.Background()
	res, err := c.Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{s.url("/docs")}
	for i := range 10 {
		want = append(want, s.url(fmt.Sprintf("/docs/s%d", i)))
		for j := range 5 {
			want = append(want, s.url(fmt.Sprintf("/docs/s%d/p%d", i, j)))
		}
	}
	slices.Sort(want)
	equal(t, "crawl: Added", res.Added, want)
	if !res.Complete || len(res.Errors) != 0 {
		t.Errorf("crawl: complete %v, errors %v", res.Complete, res.Errors)
	}
	for _, p := range []string{"/docs/secret/x", "/docs/secret/plans", "/blog/elsewhere", "/docs/logo.png"} {
		if n := s.hitsOf(p); n != 0 {
			t.Errorf("%s was requested %d times", p, n)
		}
	}
	s.mu.Lock()
	for p, n := range s.hits {
		if n != 1 {
			t.Errorf("%s was requested %d times, want once", p, n)
		}
	}
	s.mu.Unlock()
	if st := stateOf(res, s.url("/docs/s3")); st == nil || len(st.Links) != 6 {
		t.Errorf("section 3 remembers links %v, want its 5 pages, /blog/… dropped, /docs/secret/x kept for robots.txt to judge each time", st)
	}

	s.reset()
	res, err = c.Refresh(ctx, Source{URL: s.url("/docs/")}, res.State, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "second crawl: Unchanged", res.Unchanged, want)
	if len(res.Added)+len(res.Changed)+len(res.Removed) != 0 || res.Requests != 1+len(want) {
		t.Errorf("second crawl: added %q changed %q removed %q, %d requests (want %d)", res.Added, res.Changed, res.Removed, res.Requests, 1+len(want))
	}
	s.mu.Lock()
	for p, codes := range s.codes {
		if p != "/robots.txt" && !slices.Equal(codes, []int{http.StatusNotModified}) {
			t.Errorf("second crawl: %s answered %v, want one 304", p, codes)
		}
	}
	s.mu.Unlock()

	s = crawlSite(t)
	res, err = newCrawler(t, testRate, testConc).Refresh(ctx, Source{URL: s.url("/docs/"), MaxPages: 15}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	// Breadth first: the start page, its ten sections, then the first
	// section's pages.
	if len(res.Added) != 15 || !slices.Contains(res.Added, s.url("/docs/s9")) || !slices.Contains(res.Added, s.url("/docs/s0/p3")) ||
		slices.Contains(res.Added, s.url("/docs/s0/p4")) {
		t.Errorf("MaxPages 15: added %q", res.Added)
	}
	if n := s.totalHits(); n != 16 {
		t.Errorf("MaxPages 15: %d requests, want robots.txt and 15 pages", n)
	}
	checkPoliteness(t, s, testRate, testConc)

	tests := []struct {
		name             string
		include, exclude []string
		want             func(path string) bool
	}{
		{"exclude a section and every p4", nil, []string{"s1/**", "/docs/*/p4"}, func(p string) bool {
			return !strings.HasPrefix(p, "/docs/s1") && !strings.HasSuffix(p, "/p4")
		}},
		{"include one section (the start page is read for its links only)", []string{"s2/**"}, nil, func(p string) bool {
			return strings.HasPrefix(p, "/docs/s2")
		}},
	}
	for _, tt := range tests {
		s := crawlSite(t)
		res, err := newCrawler(t, testRate, testConc).Refresh(ctx, Source{URL: s.url("/docs/"), Include: tt.include, Exclude: tt.exclude}, nil, (&collector{}).sink)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if tt.want("/docs/") {
			want = append(want, s.url("/docs"))
		}
		for _, u := range slices.Sorted(func(yield func(string) bool) {
			for p := range s.pages {
				if strings.HasPrefix(p, "/docs/s") && !strings.Contains(p, "secret") && !yield(p) {
					return
				}
			}
		}) {
			if tt.want(u) {
				want = append(want, s.url(u))
			}
		}
		equal(t, tt.name, res.Added, want)
	}

	s.robots = "User-agent: footnote\nDisallow: /docs/\n"
	if _, err := newCrawler(t, testRate, testConc).Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink); err == nil || !strings.Contains(err.Error(), "disallows the start page") {
		t.Errorf("a start page robots.txt disallows: err = %v", err)
	}
}

// TestCancel: cancelling the context mid-refresh returns promptly, not
// complete, removing nothing and keeping every previous page.
func TestCancel(t *testing.T) {
	s := docsSite(t)
	const rate = 20.0 // slow, so that finishing instead of stopping would show
	ctx := context.Background()
	first, err := newCrawler(t, 1000, testConc).Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	s.change(func() { // every page changes, so every page is fetched
		for _, p := range s.pages {
			p.body += "<!-- v2 -->"
			if !p.lastmod.IsZero() {
				p.lastmod = p.lastmod.Add(time.Hour)
			}
		}
		delete(s.pages, "/docs/p005") // a page gone, which must not be missed by an incomplete refresh
	})
	s.reset()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cancelled time.Time
	var hitsAtCancel int
	col := &collector{after: func(n int) {
		if n == 3 {
			hitsAtCancel, cancelled = s.totalHits(), time.Now()
			cancel()
		}
	}}
	res, err := newCrawler(t, rate, testConc).Refresh(cctx, Source{URL: s.url("/docs/")}, first.State, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(cancelled); cancelled.IsZero() || took > time.Second {
		t.Errorf("Refresh returned %v after the cancel", took)
	}
	if extra := s.totalHits() - hitsAtCancel; extra > testConc {
		t.Errorf("%d requests after the cancel, want at most the %d in flight", extra, testConc)
	}
	if res.Complete || len(res.Removed) != 0 || len(res.Changed) != 3 {
		t.Errorf("cancelled refresh: complete %v, removed %q, changed %q", res.Complete, res.Removed, res.Changed)
	}
	for _, p := range first.State {
		st := stateOf(res, p.URL)
		if st == nil || st.Misses != 0 {
			t.Errorf("%s: state %+v after the cancelled refresh, want it kept", p.URL, st)
		}
	}
	if _, err := New(Options{}).Refresh(cctx, Source{URL: s.url("/docs/")}, nil, col.sink); !errors.Is(err, context.Canceled) {
		t.Errorf("Refresh with a cancelled context: err = %v", err)
	}
}

// TestSinkError: a page the sink refuses is named and not remembered (so
// the next refresh offers it again); the others go on.
func TestSinkError(t *testing.T) {
	s := docsSite(t)
	bad := s.url("/docs/p005")
	col := &collector{fail: map[string]error{bad: errors.New("disk full")}}
	src := Source{URL: s.url("/docs/"), MaxPages: 10}
	c := newCrawler(t, testRate, testConc)
	res, err := c.Refresh(context.Background(), src, nil, col.sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].URL != bad || !strings.Contains(res.Errors[0].Error(), "disk full") || slices.Contains(res.Added, bad) || stateOf(res, bad) != nil {
		t.Errorf("errors %v, added %q", res.Errors, res.Added)
	}
	// The first ten sorted URLs: /docs/away (a redirect out), /docs/dup
	// (p001's duplicate), /docs/old (→ /docs/new), p000 to p006.
	if len(res.Added) != 7 {
		t.Errorf("added %d pages %q, want 7", len(res.Added), res.Added)
	}
	col.fail = nil
	res, err = c.Refresh(context.Background(), src, res.State, col.sink)
	if err != nil || !slices.Equal(res.Added, []string{bad}) {
		t.Errorf("next refresh: added %q, %v; want the refused page", res.Added, err)
	}
}

// TestSitemapErrors: a sitemap index with a gzip sitemap, a sitemap that
// is not XML, one over the fetcher's size limit, a missing one, and one on
// another host: each unreadable one is named, the readable entries are
// taken, and the refresh is not complete.
func TestSitemapErrors(t *testing.T) {
	s := newSite(t)
	big := strings.Repeat("<url><loc>x</loc></url>", 200)
	s.change(func() {
		s.pages["/docs/a"] = &sitePage{body: htmlPage("A", "Page A."), modified: day0}
		s.extra["/docs/sitemap.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%[1]s/docs/good.xml</loc></sitemap><sitemap><loc>%[1]s/docs/bad.xml</loc></sitemap>
<sitemap><loc>%[1]s/docs/big.xml</loc></sitemap><sitemap><loc>%[1]s/docs/missing.xml</loc></sitemap>
<sitemap><loc>http://example.invalid/sitemap.xml</loc></sitemap></sitemapindex>`, s.srv.URL)
		}
		s.extra["/docs/good.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<urlset><url><loc>%s/docs/a</loc><lastmod>2024-05-01T10:00Z</lastmod></url></urlset>`, s.srv.URL)
		}
		s.extra["/docs/bad.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte("<urlset><url><loc>oops"))
		}
		s.extra["/docs/big.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte("<urlset>" + big + "</urlset>"))
		}
	})
	c := New(Options{Fetcher: ingest.New(ingest.Options{Allow: loopback, MaxBytes: 2048}), Rate: testRate})
	res, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/sitemap.xml")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Added", res.Added, []string{s.url("/docs/a")})
	if res.Complete {
		t.Error("a refresh with unreadable sitemaps is complete")
	}
	wantErr := map[string]string{s.url("/docs/bad.xml"): "sitemap XML", s.url("/docs/big.xml"): "limit", s.url("/docs/missing.xml"): "404"}
	for _, e := range res.Errors {
		if w, ok := wantErr[e.URL]; !ok || !strings.Contains(e.Error(), w) {
			t.Errorf("error %v", e)
		}
		delete(wantErr, e.URL)
	}
	if len(wantErr) != 0 {
		t.Errorf("not named: %v", wantErr)
	}
}

// TestByteCap: a refresh stops at the source's byte cap, incomplete,
// naming where it stopped and removing nothing.
func TestByteCap(t *testing.T) {
	s := docsSite(t)
	c := newCrawler(t, 1000, testConc)
	first, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/"), MaxPages: 50}, nil, (&collector{}).sink)
	if err != nil || !first.Complete {
		t.Fatalf("first refresh: complete %v, %v", first.Complete, err)
	}
	s.change(func() { // every page changes, so every page is fetched again
		for _, p := range s.pages {
			p.body += "<!-- v2 -->"
			if !p.lastmod.IsZero() {
				p.lastmod = p.lastmod.Add(time.Hour)
			}
		}
		delete(s.pages, "/docs/p000")
	})
	limit := first.Bytes - 3000 // about ten pages short
	res, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/"), MaxPages: 50, MaxBytes: limit}, first.State, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || len(res.Removed) != 0 || res.Bytes < limit || len(res.Changed) > 45 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "byte cap") {
		t.Errorf("capped refresh: complete %v, removed %q, %d bytes, errors %v", res.Complete, res.Removed, res.Bytes, res.Errors)
	}
	if st := stateOf(res, s.url("/docs/p000")); st == nil || st.Misses != 0 {
		t.Errorf("a page gone in an incomplete refresh: %+v, want it kept as it was", st)
	}
}

// TestSitemapLimits: sitemaps nest at most three deep (the one a source
// names is the first); deeper ones are named and not read.
func TestSitemapLimits(t *testing.T) {
	s := newSite(t)
	s.change(func() {
		for i := 1; i <= 4; i++ {
			s.extra[fmt.Sprintf("/docs/index%d.xml", i)] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%s/docs/index%d.xml</loc></sitemap><sitemap><loc>%s/docs/pages%d.xml</loc></sitemap></sitemapindex>`,
					s.srv.URL, i+1, s.srv.URL, i)
			}
			s.extra[fmt.Sprintf("/docs/pages%d.xml", i)] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprintf(w, `<urlset><url><loc>%s/docs/page%d</loc></url></urlset>`, s.srv.URL, i)
			}
			s.pages[fmt.Sprintf("/docs/page%d", i)] = &sitePage{body: htmlPage(fmt.Sprint("Page ", i), "Text."), modified: day0}
		}
	})
	res, err := newCrawler(t, 1000, testConc).Refresh(context.Background(), Source{URL: s.url("/docs/index1.xml")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	// Three sitemaps deep: index1 → index2 → index3 and pages2.xml are
	// read; what index3 names is a fourth level.
	equal(t, "Added", res.Added, []string{s.url("/docs/page1"), s.url("/docs/page2")})
	var named []string
	for _, e := range res.Errors {
		if strings.Contains(e.Error(), "nested more than 3 deep") {
			named = append(named, e.URL)
		}
	}
	slices.Sort(named)
	equal(t, "too deep", named, []string{s.url("/docs/index4.xml"), s.url("/docs/pages3.xml")})
	if res.Complete || len(res.Errors) != 2 || s.hitsOf("/docs/index4.xml")+s.hitsOf("/docs/pages3.xml") != 0 {
		t.Errorf("complete %v, errors %v; the too deep sitemaps requested %d times", res.Complete, res.Errors, s.hitsOf("/docs/index4.xml")+s.hitsOf("/docs/pages3.xml"))
	}
}
