package crawl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/footnote-bot/footnote/ingest"
)

// wrapFetcher wraps a Fetcher: it records every URL asked for, fails the
// paths in fail with their error instead of asking, and calls after (when
// set) when a fetch returns.
type wrapFetcher struct {
	Fetcher
	fail  map[string]error // by path
	after func(r ingest.Request)

	mu    sync.Mutex
	asked []string
}

func (f *wrapFetcher) ask(r ingest.Request) error {
	f.mu.Lock()
	f.asked = append(f.asked, r.URL)
	f.mu.Unlock()
	if u, err := url.Parse(r.URL); err == nil {
		return f.fail[u.Path]
	}
	return nil
}

func (f *wrapFetcher) FetchPage(ctx context.Context, r ingest.Request) (ingest.Page, error) {
	if err := f.ask(r); err != nil {
		return ingest.Page{}, err
	}
	p, err := f.Fetcher.FetchPage(ctx, r)
	if f.after != nil {
		f.after(r)
	}
	return p, err
}

func (f *wrapFetcher) FetchFile(ctx context.Context, r ingest.Request) (ingest.File, error) {
	if err := f.ask(r); err != nil {
		return ingest.File{}, err
	}
	file, err := f.Fetcher.FetchFile(ctx, r)
	if f.after != nil {
		f.after(r)
	}
	return file, err
}

func (f *wrapFetcher) askedFor() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

func loopbackFetcher() Fetcher { return ingest.New(ingest.Options{Allow: loopback}) }

// TestFailingPagesKeepWhatTheyLeadTo: in crawl mode a known page that
// fails (5xx, a timeout) has the links remembered of it followed, so the
// pages it leads to are still found; a failing start page makes the
// refresh incomplete. Two such refreshes in a row remove nothing.
func TestFailingPagesKeepWhatTheyLeadTo(t *testing.T) {
	timeout := fmt.Errorf("fetch: %w", context.DeadlineExceeded)
	tests := []struct {
		name     string
		status   map[string]int   // path → status the site answers
		fail     map[string]error // path → error the fetcher returns
		first    bool             // the first refresh (no previous state)
		complete bool
		failed   []string // paths named in Errors
	}{
		{name: "start page 503", status: map[string]int{"/docs/": 503}, complete: false, failed: []string{"/docs"}},
		{name: "start page times out", fail: map[string]error{"/docs/": timeout}, complete: false, failed: []string{"/docs"}},
		{name: "section 503", status: map[string]int{"/docs/s3": 503}, complete: true, failed: []string{"/docs/s3"}},
		{name: "section times out", fail: map[string]error{"/docs/s3": timeout}, complete: true, failed: []string{"/docs/s3"}},
		{name: "section and one of its pages 500", status: map[string]int{"/docs/s3": 500, "/docs/s3/p1": 500}, complete: true, failed: []string{"/docs/s3", "/docs/s3/p1"}},
		{name: "start page 503 on the first refresh", status: map[string]int{"/docs/": 503}, first: true, complete: false, failed: []string{"/docs"}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := crawlSite(t)
			wf := &wrapFetcher{Fetcher: loopbackFetcher()}
			c := New(Options{Fetcher: wf, Rate: 1000, Concurrency: testConc})
			src := Source{URL: s.url("/docs/")}
			var prev []PageState
			if !tt.first {
				first, err := c.Refresh(ctx, src, nil, (&collector{}).sink)
				if err != nil || !first.Complete || len(first.Added) != 61 {
					t.Fatalf("first refresh: complete %v, %d added, %v", first.Complete, len(first.Added), err)
				}
				prev = first.State
			}
			s.change(func() { maps.Copy(s.status, tt.status) })
			wf.fail = tt.fail
			var want []string
			for _, st := range prev {
				if !slices.Contains(tt.failed, strings.TrimPrefix(st.URL, s.srv.URL)) {
					want = append(want, st.URL)
				}
			}
			for round := range 2 { // two in a row: nothing may be removed
				res, err := c.Refresh(ctx, src, prev, (&collector{}).sink)
				if err != nil {
					t.Fatal(err)
				}
				if res.Complete != tt.complete {
					t.Errorf("round %d: complete %v, want %v", round, res.Complete, tt.complete)
				}
				equal(t, fmt.Sprintf("round %d: Unchanged", round), res.Unchanged, want)
				if len(res.Removed)+len(res.Added)+len(res.Changed) != 0 {
					t.Errorf("round %d: removed %q, added %q, changed %q", round, res.Removed, res.Added, res.Changed)
				}
				var named []string
				for _, e := range res.Errors {
					named = append(named, strings.TrimPrefix(e.URL, s.srv.URL))
				}
				slices.Sort(named)
				equal(t, fmt.Sprintf("round %d: Errors", round), named, tt.failed)
				if len(res.State) != len(prev) {
					t.Errorf("round %d: %d pages kept, want %d", round, len(res.State), len(prev))
				}
				for _, st := range res.State {
					if st.Misses != 0 {
						t.Errorf("round %d: %s missed %d times", round, st.URL, st.Misses)
					}
				}
				prev = res.State
			}
		})
	}
}

// TestNoUserinfoInErrorsOrLogs: URLs with userinfo (a user name alone
// too) in robots.txt's Sitemap: lines, sitemap indexes, sitemaps, links
// and redirects are never requested, and neither Refresh's error, nor
// Result.Errors, nor any log line names the userinfo.
func TestNoUserinfoInErrorsOrLogs(t *testing.T) {
	s := newSite(t)
	withCreds := strings.Replace(s.srv.URL, "http://", "http://tok3n:s3cret@", 1)
	withUser := strings.Replace(s.srv.URL, "http://", "http://tok3n@", 1)
	s.change(func() {
		s.robots = "User-agent: *\nDisallow: /docs/private/\n\nSitemap: " + withCreds + "/sitemap.xml\nSitemap: {base}/docs/index.xml\n"
		s.extra["/docs/index.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%s/docs/hidden.xml</loc></sitemap><sitemap><loc>%s/docs/pages.xml</loc></sitemap></sitemapindex>`, withUser, s.srv.URL)
		}
		s.extra["/docs/pages.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "%[1]s/docs/a\n%[2]s/docs/b\n%[3]s/docs/c\n%[1]s/docs/to-creds\n%[1]s/docs/broken\n", s.srv.URL, withCreds, withUser)
		}
		for _, p := range []string{"/docs/a", "/docs/b", "/docs/c", "/docs/hidden.xml", "/sitemap.xml"} {
			s.pages[p] = &sitePage{body: htmlPage(p, "Text.", withCreds+"/docs/b", withUser+"/docs/c"), modified: day0}
		}
		s.pages["/docs/"] = &sitePage{body: htmlPage("Start", "Start.", withCreds+"/docs/b", withUser+"/docs/c", "/docs/a", "/docs/to-creds"), modified: day0}
		s.redirects["/docs/to-creds"] = withUser + "/docs/c"
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	wf := &wrapFetcher{Fetcher: loopbackFetcher(),
		fail: map[string]error{"/docs/broken": fmt.Errorf("a fetcher quoting %s/docs/broken", withCreds)}}
	c := New(Options{Fetcher: wf, Rate: 1000, Logger: logger})
	ctx := context.Background()
	leaks := func(what, text string) {
		t.Helper()
		if strings.Contains(text, "tok3n") || strings.Contains(text, "s3cret") {
			t.Errorf("%s names the userinfo: %s", what, text)
		}
	}
	check := func(name string, res Result, wantAdded []string) {
		t.Helper()
		equal(t, name+": Added", res.Added, wantAdded)
		for _, e := range res.Errors {
			leaks(name+": PageError", e.Error())
			leaks(name+": PageError.URL", e.URL)
			leaks(name+": PageError.Err", fmt.Sprint(e.Err))
		}
	}

	// Sitemaps: robots.txt's, an index's and the entries with userinfo are dropped.
	res, err := c.Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	check("sitemaps", res, []string{s.url("/docs/a")})
	if !slices.ContainsFunc(res.Errors, func(e PageError) bool { return e.URL == s.url("/docs/to-creds") }) ||
		!slices.ContainsFunc(res.Errors, func(e PageError) bool { return e.URL == s.url("/docs/broken") }) {
		t.Errorf("sitemaps: errors %v, want the refused redirect and the fetcher's error named", res.Errors)
	}

	// Crawl mode: links with userinfo are dropped, a redirect to one refused.
	s.change(func() { s.robots = "User-agent: *\nDisallow: /docs/private/\n" })
	res, err = c.Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	check("crawl", res, []string{s.url("/docs"), s.url("/docs/a")})
	if len(res.Errors) != 1 || res.Errors[0].URL != s.url("/docs/to-creds") || !errors.Is(res.Errors[0].Err, ingest.ErrRefused) {
		t.Errorf("crawl: errors %v, want the redirect to credentials refused", res.Errors)
	}

	// Sources with userinfo are refused without naming it.
	for _, src := range []string{withCreds + "/docs/", withUser + "/docs/", withCreds + "/docs/%zz", withUser + "/docs/%2e%2e/x"} {
		_, err := c.Refresh(ctx, Source{URL: src}, nil, (&collector{}).sink)
		if err == nil {
			t.Errorf("Refresh(%s) took a source with userinfo", src)
			continue
		}
		leaks("Refresh's error", err.Error())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Refresh(cctx, Source{URL: withCreds + "/docs/"}, nil, (&collector{}).sink); err == nil {
		t.Error("Refresh with an ended context: no error")
	} else {
		leaks("Refresh's error with an ended context", err.Error())
	}

	for _, u := range wf.askedFor() {
		leaks("a request", u)
	}
	leaks("the log", logs.String())
	if !strings.Contains(logs.String(), "another host is not read") {
		t.Errorf("the log does not mention the sitemaps not read: %s", logs.String())
	}
}

// TestHostRate: robots.txt's Crawl-delay slows the host down to at most
// one request per minute; a longer one is named and taken as a minute.
func TestHostRate(t *testing.T) {
	tests := []struct {
		delay time.Duration
		rate  float64
		want  rate.Limit
		err   string
	}{
		{0, 2, 2, ""},
		{100 * time.Millisecond, 2, 2, ""}, // faster than the rate: the rate
		{time.Second, 2, 1, ""},
		{10 * time.Second, 2, 0.1, ""},
		{60 * time.Second, 2, rate.Limit(1.0 / 60), ""},
		{61 * time.Second, 2, rate.Limit(1.0 / 60), "Crawl-delay 1m1s is over the 1m0s"},
		{86400 * time.Second, 2, rate.Limit(1.0 / 60), "Crawl-delay 24h0m0s is over the 1m0s"},
		{-1, 2, rate.Limit(1.0 / 60), "over the 1m0s"}, // a delay past a Duration's range
	}
	for _, tt := range tests {
		got, err := hostRate(tt.delay, tt.rate)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("hostRate(%v, %v) = %v, %v; want %v, an error with %q", tt.delay, tt.rate, got, err, tt.want, tt.err)
		}
	}
}

// TestHostileCrawlDelay: a Crawl-delay of a day is named in Errors and the
// host's rate set to one request a minute, not one a day.
func TestHostileCrawlDelay(t *testing.T) {
	s := docsSite(t)
	s.robots = "User-agent: *\nCrawl-delay: 86400\n\nSitemap: {base}/sitemap_index.xml\n"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wf := &wrapFetcher{Fetcher: loopbackFetcher(), after: func(r ingest.Request) {
		if strings.HasSuffix(r.URL, "/robots.txt") {
			cancel() // the next request would wait a minute: stop there
		}
	}}
	c := New(Options{Fetcher: wf, Rate: 1000})
	res, err := c.Refresh(ctx, Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || len(res.Errors) != 1 || res.Errors[0].URL != s.url("/robots.txt") || !strings.Contains(res.Errors[0].Error(), "Crawl-delay 24h0m0s") {
		t.Errorf("complete %v, errors %v; want the Crawl-delay named", res.Complete, res.Errors)
	}
	if got, want := c.host(strings.TrimPrefix(s.srv.URL, "http://")).lim.Limit(), rate.Limit(1.0/60); got != want {
		t.Errorf("the host's rate is %v, want %v", got, want)
	}
}

// TestRedirectHopOutsideTheTimeout: a redirect hop waits for the host's
// rate outside the fetcher's per-request timeout (here shorter than the
// wait), and at most five hops are followed.
func TestRedirectHopOutsideTheTimeout(t *testing.T) {
	s := newSite(t)
	s.change(func() {
		s.extra["/docs/sitemap.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "%s/docs/old\n", s.srv.URL)
		}
		s.redirects["/docs/old"] = "/docs/new"
		s.pages["/docs/new"] = &sitePage{body: htmlPage("New", "Moved here."), modified: day0}
	})
	// At 3/s each request waits about 333ms for its token, longer than
	// the 200ms a request may take.
	c := New(Options{Fetcher: ingest.New(ingest.Options{Allow: loopback, Timeout: 200 * time.Millisecond}), Rate: 3})
	res, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/sitemap.xml")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Added", res.Added, []string{s.url("/docs/new")})
	if len(res.Errors) != 0 || !res.Complete || res.Requests != 4 {
		t.Errorf("errors %v, complete %v, %d requests (want robots.txt, the sitemap, /docs/old and /docs/new)", res.Errors, res.Complete, res.Requests)
	}
	if st := stateOf(res, s.url("/docs/new")); st == nil || st.FetchedURL != s.url("/docs/old") {
		t.Errorf("state %+v, want fetched from /docs/old", st)
	}

	s = newSite(t)
	s.change(func() {
		for i := range 7 {
			s.redirects[fmt.Sprintf("/docs/r%d", i)] = fmt.Sprintf("/docs/r%d", i+1)
		}
		s.pages["/docs/r7"] = &sitePage{body: htmlPage("End", "The end."), modified: day0}
		s.pages["/docs/"] = &sitePage{body: htmlPage("Start", "Start.", "/docs/r0", "/docs/r2"), modified: day0}
	})
	res, err = newCrawler(t, 1000, testConc).Refresh(context.Background(), Source{URL: s.url("/docs/")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	// r0 is six redirects from r7; r2 four.
	equal(t, "redirect chains: Added", res.Added, []string{s.url("/docs"), s.url("/docs/r7")})
	if len(res.Errors) != 1 || res.Errors[0].URL != s.url("/docs/r0") || !strings.Contains(res.Errors[0].Error(), "more than 5 redirects") {
		t.Errorf("redirect chains: errors %v", res.Errors)
	}
}

// TestRobotsPathForms: robots.txt rules are matched against the decoded
// path (the form the scope is checked on) and the escaped one.
func TestRobotsPathForms(t *testing.T) {
	rb, err := parseRobots([]byte("User-agent: *\nDisallow: /docs/%7Epriv/\nDisallow: /docs/ünï\nDisallow: /admin/\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url     string
		allowed bool
	}{
		{"https://h.example/docs/guide", true},
		{"https://h.example/docs/%7Epriv/x", false},     // the escaped path matches
		{"https://h.example/docs/%C3%BCn%C3%AF", false}, // the decoded path matches
		{"https://h.example/docs/ünï", false},
		{"https://h.example/docs/%C3%BCnx", true},
		{"https://h.example/admin/x", false},
	}
	for _, tt := range tests {
		u, err := clean(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := rb.allowed(u); got != tt.allowed {
			t.Errorf("allowed(%s) = %v, want %v", tt.url, got, tt.allowed)
		}
	}
}

// TestEncodedDotSegments: links and sitemap entries whose path hides a dot
// segment or a slash in its escaping (/docs/%2e%2e/admin/secret) are
// dropped, never requested; robots.txt is checked on the decoded path.
func TestEncodedDotSegments(t *testing.T) {
	sneaky := []string{"/docs/%2e%2e/admin/secret", "/docs/%2E%2E/admin/secret", "/docs/.%2e/admin/secret", "/docs/x/%2e%2e/%2e%2e/admin/secret",
		"/docs/..%2fadmin/secret", "/docs/a%2Fb", "/docs/%2e/ok"}
	s := newSite(t)
	s.change(func() {
		s.robots = "User-agent: *\nDisallow: /admin/\nDisallow: /docs/ünï/\n"
		links := append(slices.Clone(sneaky), "/docs/ok", "/docs/%C3%BCn%C3%AF/x")
		s.pages["/docs/"] = &sitePage{body: htmlPage("Start", "Start.", links...), modified: day0}
		s.pages["/docs/ok"] = &sitePage{body: htmlPage("OK", "Fine."), modified: day0}
		s.pages["/admin/secret"] = &sitePage{body: htmlPage("Secret", "Not for anyone."), modified: day0}
		s.pages["/docs/ünï/x"] = &sitePage{body: htmlPage("Disallowed", "Not for robots."), modified: day0}
		s.extra["/docs/sitemap.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for _, l := range links {
				fmt.Fprintf(w, "%s%s\n", s.srv.URL, l)
			}
		}
	})
	c := newCrawler(t, 1000, testConc)
	for _, src := range []struct{ path, want string }{{"/docs/", "/docs"}, {"/docs/sitemap.xml", ""}} {
		s.reset()
		res, err := c.Refresh(context.Background(), Source{URL: s.url(src.path)}, nil, (&collector{}).sink)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{s.url("/docs/ok")}
		if src.want != "" {
			want = append([]string{s.url(src.want)}, want...)
		}
		equal(t, src.path+": Added", res.Added, want)
		s.mu.Lock()
		for p := range s.hits {
			if p != "/robots.txt" && p != "/docs/" && p != "/docs/ok" && p != src.path {
				t.Errorf("%s: %s was requested", src.path, p)
			}
		}
		s.mu.Unlock()
	}
}

// TestSitemapEntryCaps: a sitemap's entries beyond the protocol's 50,000
// are skipped and the sitemap named; parsing stops when ctx ends.
func TestSitemapEntryCaps(t *testing.T) {
	var text, xml bytes.Buffer
	xml.WriteString("<urlset>")
	for i := range maxSitemapEntries + 3 {
		fmt.Fprintf(&text, "https://h.example/docs/p%06d\n", i)
		fmt.Fprintf(&xml, "<url><loc>https://h.example/docs/p%06d</loc></url>", i)
	}
	xml.WriteString("</urlset>")
	index := "<sitemapindex>" + strings.Repeat("<sitemap><loc>https://h.example/s.xml</loc></sitemap>", maxSitemapEntries+2) + "</sitemapindex>"
	tests := []struct {
		name              string
		doc               []byte
		pages, maps, over int
	}{
		{"text", text.Bytes(), maxSitemapEntries, 0, 3},
		{"urlset", xml.Bytes(), maxSitemapEntries, 0, 3},
		{"index", []byte(index), 0, maxSitemapEntries, 2},
	}
	for _, tt := range tests {
		pages, maps, over, err := parseSitemap(context.Background(), tt.doc)
		if err != nil || len(pages) != tt.pages || len(maps) != tt.maps || over != tt.over {
			t.Errorf("%s: %d pages, %d sitemaps, %d over, %v", tt.name, len(pages), len(maps), over, err)
		}
		if tt.pages > 0 && pages[len(pages)-1].loc != fmt.Sprintf("https://h.example/docs/p%06d", maxSitemapEntries-1) {
			t.Errorf("%s: the last entry taken is %q", tt.name, pages[len(pages)-1].loc)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, _, err := parseSitemap(ctx, tt.doc); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with an ended context: err = %v", tt.name, err)
		}
	}
}

// TestSmallest: the bounded set keeps the n smallest keys offered, in any
// order, with each kept key's latest <lastmod>.
func TestSmallest(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 10, 100, 2000} {
		s := &smallest{n: n, byKey: map[string]*target{}}
		latest := map[string]time.Time{}
		for range 5000 {
			k := fmt.Sprintf("k%04d", rnd.IntN(1500))
			lm := day0.Add(time.Duration(rnd.IntN(100)) * time.Hour)
			if lm.After(latest[k]) {
				latest[k] = lm
			}
			s.offer(&target{key: k, lastmod: lm})
			if len(s.heap) > n || len(s.byKey) != len(s.heap) {
				t.Fatalf("n=%d: holds %d (%d by key)", n, len(s.heap), len(s.byKey))
			}
		}
		want := slices.Sorted(func(yield func(string) bool) {
			for k := range latest {
				if !yield(k) {
					return
				}
			}
		})
		want = want[:min(n, len(want))]
		var got []string
		for _, t2 := range s.sorted() {
			got = append(got, t2.key)
			if !t2.lastmod.Equal(latest[t2.key]) {
				t.Errorf("n=%d: %s has lastmod %v, want %v", n, t2.key, t2.lastmod, latest[t2.key])
			}
		}
		equal(t, fmt.Sprintf("n=%d", n), got, want)
		if s.dropped != (len(latest) > n) {
			t.Errorf("n=%d: dropped %v with %d keys", n, s.dropped, len(latest))
		}
	}
}

// TestSitemapCapsInARefresh: the refresh takes the first MaxPages URLs in
// sorted order across sitemaps, names a sitemap over 50,000 entries (its
// excess skipped, the refresh still complete) and reads at most 50
// sitemaps (the rest named, the refresh not complete).
func TestSitemapCapsInARefresh(t *testing.T) {
	s := newSite(t)
	s.change(func() {
		s.extra["/docs/index.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%[1]s/docs/big.txt.xml</loc></sitemap><sitemap><loc>%[1]s/docs/small.xml</loc></sitemap></sitemapindex>`, s.srv.URL)
		}
		s.extra["/docs/big.txt.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			for i := maxSitemapEntries; i > 0; i-- { // descending: the smallest come last
				fmt.Fprintf(w, "%s/docs/p%06d\n", s.srv.URL, i)
			}
			fmt.Fprintf(w, "%s/docs/a-skipped\n", s.srv.URL) // the 50,001st: skipped
		}
		s.extra["/docs/small.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<urlset><url><loc>%[1]s/docs/p000002x</loc></url><url><loc>%[1]s/docs/zz</loc></url></urlset>`, s.srv.URL)
		}
		for _, p := range []string{"/docs/p000001", "/docs/p000002", "/docs/p000002x", "/docs/a-skipped"} {
			s.pages[p] = &sitePage{body: htmlPage(p, "Text of "+p), modified: day0}
		}
	})
	c := newCrawler(t, 1000, testConc)
	res, err := c.Refresh(context.Background(), Source{URL: s.url("/docs/index.xml"), MaxPages: 3}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Added", res.Added, []string{s.url("/docs/p000001"), s.url("/docs/p000002"), s.url("/docs/p000002x")})
	if !res.Complete || len(res.Errors) != 1 || res.Errors[0].URL != s.url("/docs/big.txt.xml") || !strings.Contains(res.Errors[0].Error(), "1 entries over the protocol's 50000") {
		t.Errorf("complete %v, errors %v", res.Complete, res.Errors)
	}
	if n := s.hitsOf("/docs/a-skipped"); n != 0 {
		t.Errorf("an entry past the cap was requested %d times", n)
	}

	s = newSite(t)
	s.change(func() {
		s.extra["/docs/index.xml"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte("<sitemapindex>"))
			for i := range 60 {
				fmt.Fprintf(w, "<sitemap><loc>%s/docs/s%02d.xml</loc></sitemap>", s.srv.URL, i)
			}
			w.Write([]byte("</sitemapindex>"))
		}
		for i := range 60 {
			s.extra[fmt.Sprintf("/docs/s%02d.xml", i)] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				fmt.Fprintf(w, "%s/docs/p%02d\n", s.srv.URL, i)
			}
			s.pages[fmt.Sprintf("/docs/p%02d", i)] = &sitePage{body: htmlPage("P", fmt.Sprint("Page ", i)), modified: day0}
		}
	})
	res, err = newCrawler(t, 1000, testConc).Refresh(context.Background(), Source{URL: s.url("/docs/index.xml")}, nil, (&collector{}).sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || len(res.Added) != 49 || len(res.Errors) != 1 || res.Errors[0].URL != s.url("/docs/s49.xml") || !strings.Contains(res.Errors[0].Error(), "more than 50 sitemaps") {
		t.Errorf("60 sitemaps: complete %v, %d added, errors %v", res.Complete, len(res.Added), res.Errors)
	}
	if n := s.hitsOf("/docs/s49.xml") + s.hitsOf("/docs/s59.xml"); n != 0 {
		t.Errorf("sitemaps past the 50th were requested %d times", n)
	}
}
