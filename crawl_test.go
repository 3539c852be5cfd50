package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// docsSite serves a small documentation site on loopback: robots.txt, a
// sitemap of two pages with lastmod, and the pages with ETags (304 when
// the client's matches). version changes the install page.
func docsSite(t *testing.T, version *atomic.Int32) (srv *httptest.Server, requests, private *atomic.Int32) {
	t.Helper()
	requests, private = new(atomic.Int32), new(atomic.Int32)
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprintf(w, "User-agent: *\nDisallow: /docs/private/\nSitemap: %s/sitemap.xml\n", srv.URL)
	})
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>%[1]s/docs/install</loc><lastmod>2026-11-%02[2]dT10:00:00Z</lastmod></url>
<url><loc>%[1]s/docs/retention</loc><lastmod>2026-11-01T10:00:00Z</lastmod></url>
<url><loc>%[1]s/docs/private/keys</loc></url>
</urlset>`, srv.URL, 10+version.Load())
	})
	page := func(title, text func() string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			body := "<html><head><title>" + title() + "</title></head><body><main><h1>" + title() + "</h1><p>" + text() + "</p></main></body></html>"
			etag := fmt.Sprintf(`"%x"`, len(body)+int(version.Load()))
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/docs/install", page(func() string { return "Installing Widgetron" }, func() string {
		if version.Load() > 0 {
			return "Install Widgetron with the brew formula widgetron-ng, which replaced the old package in version 2."
		}
		return "Install Widgetron with the apt package widgetron; it needs no configuration to start."
	}))
	mux.HandleFunc("/docs/retention", page(func() string { return "Data retention" }, func() string {
		return "Widgetron keeps samples for fifteen days unless the retention flag says otherwise."
	}))
	keys := page(func() string { return "Keys" }, func() string { return "The signing key is hunter2." })
	mux.HandleFunc("/docs/private/keys", func(w http.ResponseWriter, r *http.Request) {
		private.Add(1)
		keys(w, r)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, requests, private
}

// TestCrawlThenAsk: `footnote crawl` keeps a docs site (sitemap on
// loopback, allowed by ingest_allow_private) in the data folder; `ask
// --data-dir` answers from it, citing the page's own URL; a second crawl
// with no URL refreshes the stored source and finds nothing changed with
// 304s; a changed page is re-indexed and reported; the disallowed page is
// never fetched; without ingest_allow_private the loopback site is
// refused.
func TestCrawlThenAsk(t *testing.T) {
	var version atomic.Int32
	srv, requests, private := docsSite(t, &version)
	dir := t.TempDir()
	env := map[string]string{"FOOTNOTE_DATA_DIR": dir, "FOOTNOTE_INGEST_ALLOW_PRIVATE": "true", "FOOTNOTE_CRAWL_RATE": "50", "FOOTNOTE_LOG_LEVEL": "warn"}

	out, errOut, err := runCLI(t, env, "crawl", srv.URL+"/sitemap.xml")
	if err != nil {
		t.Fatalf("crawl: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "2 pages added, 0 changed, 0 removed") || strings.Contains(out, "private") {
		t.Errorf("first crawl:\n%s", out)
	}
	out, _, err = runCLI(t, env, "ask", "--data-dir", dir, "--json", "how long are samples kept?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "fifteen days") || !strings.Contains(out, `"url": "`+srv.URL+"/docs/retention") {
		t.Errorf("ask after the crawl does not answer from the page, citing it:\n%s", out)
	}

	before := requests.Load()
	out, errOut, err = runCLI(t, env, "crawl")
	if err != nil {
		t.Fatalf("second crawl: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "0 pages added, 0 changed, 0 removed, 2 unchanged") {
		t.Errorf("second crawl, nothing changed:\n%s", out)
	}
	// robots.txt and the sitemap; the pages' lastmod did not move, so
	// they are not requested at all.
	if n := requests.Load() - before; n > 4 {
		t.Errorf("an unchanged refresh made %d requests; want at most robots.txt, the sitemap and one a page", n)
	}

	version.Store(1)
	out, errOut, err = runCLI(t, env, "crawl")
	if err != nil {
		t.Fatalf("third crawl: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "0 pages added, 1 changed, 0 removed") || !strings.Contains(out, "changed "+srv.URL+"/docs/install") {
		t.Errorf("third crawl, the install page changed:\n%s", out)
	}
	out, _, _ = runCLI(t, env, "ask", "--data-dir", dir, "How do I install Widgetron?")
	if !strings.Contains(out, "widgetron-ng") {
		t.Errorf("ask after the page changed does not answer from its new text:\n%s", out)
	}
	if n := private.Load(); n != 0 {
		t.Errorf("the page robots.txt disallows was requested %d times", n)
	}

	// The report shows the source and what its refreshes changed.
	out, _, err = runCLI(t, env, "report", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Documentation sites\n  1 " + srv.URL + "/sitemap.xml  2 pages, refreshed", "changed " + srv.URL + "/docs/install", "added   " + srv.URL + "/docs/retention"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	env["FOOTNOTE_INGEST_ALLOW_PRIVATE"] = "false"
	env["FOOTNOTE_DATA_DIR"] = t.TempDir()
	_, _, err = runCLI(t, env, "crawl", srv.URL+"/sitemap.xml")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("crawling loopback without ingest_allow_private: %v; want it refused", err)
	}
}
