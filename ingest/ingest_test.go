package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html><head><title>T</title></head><body><p>Hello.</p></body></html>"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>padding padding padding</p>", 1000))
		for i := 0; i < 2000; i++ { // ~50 MB, no Content-Length
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/to-loopback2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "127.0.0.2", 1)+"/article", http.StatusFound)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	return srv
}

// onlyTestServer lets the test server's exact address through, so every
// other rule is exercised as in production.
var onlyTestServer = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func TestFetchAllowed(t *testing.T) {
	srv := server(t)
	f := New(Options{Allow: onlyTestServer})
	p, err := f.Fetch(context.Background(), srv.URL+"/article")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "article.html" || !strings.Contains(string(p.Data), "Hello.") {
		t.Errorf("page = %+v", p)
	}
}

func TestFetchRefusals(t *testing.T) {
	srv := server(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	strict := New(Options{})
	permitted := New(Options{MaxBytes: 1 << 20, Allow: onlyTestServer})
	tests := []struct {
		name string
		f    *Fetcher
		url  string
		want string
	}{
		{"loopback by name", strict, "http://localhost" + port + "/article", "loopback"},
		{"loopback by address", strict, srv.URL + "/article", "loopback"},
		{"redirect to another loopback address", permitted, srv.URL + "/to-loopback2", "127.0.0.2"},
		{"redirect into a private range", permitted, srv.URL + "/to-private", "10.0.0.1"},
		{"redirect to file://", permitted, srv.URL + "/to-file", "only http and https"},
		{"file URL", strict, "file:///etc/passwd", "only http and https"},
		{"ftp URL", strict, "ftp://example.com/x", "only http and https"},
		{"credentials", strict, "http://user:pw@example.com/", "credentials"},
		{"50 MB page", permitted, srv.URL + "/huge", "limit"},
		{"not an article", permitted, srv.URL + "/image", "content type"},
		{"not a URL", strict, "::::", "not a URL"},
	}
	for _, tt := range tests {
		_, err := tt.f.Fetch(context.Background(), tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrRefused) && tt.name != "not a URL" {
			t.Errorf("%s: %v is not marked refused", tt.name, err)
		}
	}
}

// TestInternal holds the guard to the IANA special-purpose registries: every
// form of an internal address is refused, however it is written, and public
// addresses (also when wrapped in a form that carries one) pass.
func TestInternal(t *testing.T) {
	tests := []struct {
		addr string
		want bool // internal
	}{
		// IPv4 blocks that are not globally reachable.
		{"0.0.0.0", true}, {"0.1.2.3", true}, {"10.1.2.3", true}, {"100.64.0.1", true}, {"100.127.255.254", true},
		{"127.0.0.1", true}, {"127.255.255.254", true}, {"169.254.169.254", true}, {"172.16.0.1", true}, {"172.31.255.1", true},
		{"192.0.0.1", true}, {"192.0.0.9", true}, {"192.0.0.170", true}, {"192.0.2.1", true}, {"192.88.99.1", true},
		{"192.168.1.1", true}, {"198.18.0.1", true}, {"198.19.255.1", true}, {"198.51.100.1", true}, {"203.0.113.1", true},
		{"224.0.0.1", true}, {"239.255.255.250", true}, {"240.0.0.1", true}, {"255.255.255.255", true},
		// IPv6 blocks that are not globally reachable.
		{"::", true}, {"::1", true}, {"fe80::1", true}, {"fe80::1%eth0", true}, {"fd00::1", true}, {"fc00::1", true},
		{"fec0::1", true}, {"ff02::1", true}, {"ff0e::1", true}, {"100::1", true}, {"100::ffff:1", true},
		{"2001:db8::1", true}, {"2001:2::1", true}, {"2001:10::1", true}, {"2001:20::1", true}, {"2001:1::1", true},
		{"3fff::1", true}, {"5f00::1", true}, {"64:ff9b:1::1", true}, {"64:ff9b:1::a00:1", true}, {"64:ff9b:1:ffff::8.8.8.8", true},
		// Internal IPv4 addresses wrapped in IPv6 forms.
		{"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", true}, {"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true}, {"::10.0.0.1", true}, {"::8.8.8.8", true}, // IPv4-compatible (deprecated): never global
		{"::ffff:0:7f00:1", true}, {"::ffff:0:808:808", true}, // IPv4-translated (RFC 2765)
		{"64:ff9b::127.0.0.1", true}, {"64:ff9b::7f00:1", true}, {"64:ff9b::a9fe:a9fe", true}, {"64:ff9b::192.168.0.1", true},
		{"2002:7f00:1::", true}, {"2002:7f00:0001::1", true}, {"2002:a00:1::1", true}, {"2002:a9fe:a9fe::1", true}, {"2002:c0a8:101::", true},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true}, // Teredo, client 127.0.0.1 (inverted)
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", true}, // Teredo, client 10.0.0.1
		{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", true},    // Teredo, server 127.0.0.1
		{"2001::1", true}, // Teredo, server 0.0.0.0
		// Public controls that must pass.
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"1.1.1.1", false}, {"100.63.255.255", false}, {"100.128.0.1", false},
		{"172.32.0.1", false}, {"192.0.1.1", false}, {"192.88.98.1", false}, {"198.20.0.1", false}, {"223.255.255.1", false},
		{"::ffff:8.8.8.8", false}, {"64:ff9b::8.8.8.8", false}, {"64:ff9b::808:808", false}, {"2002:808:808::1", false},
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", false}, // Teredo: server 65.54.227.120, client 8.8.8.8
		{"2606:4700::1111", false}, {"2a00:1450:4001:81b::200e", false}, {"2620:4f:8000::1", false}, {"2001:4860:4860::8888", false},
	}
	for _, tt := range tests {
		if got := Internal(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Internal(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if !Internal(netip.Addr{}) {
		t.Error("the zero address is not refused")
	}
}

// TestDialRefusesWrappedLoopback dials the test server through the forms
// the guard once let through, where the system routes them.
func TestDialRefusesWrappedLoopback(t *testing.T) {
	srv := server(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	f := New(Options{})
	for _, host := range []string{"[::ffff:127.0.0.1]", "[::127.0.0.1]", "[::ffff:0:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::1]"} {
		_, err := f.Fetch(context.Background(), "http://"+host+port+"/article")
		if err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "internal address") {
			t.Errorf("%s: err = %v, want a refusal naming an internal address", host, err)
		}
	}
}

// TestFetchAttachment: uploads come only from the attachment hosts, through
// the same guard, limits and timeout as pages.
func TestFetchAttachment(t *testing.T) {
	srv := server(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	mux := http.NewServeMux()
	cdn := httptest.NewServer(mux)
	t.Cleanup(cdn.Close)
	mux.HandleFunc("/attachments/1/notes.md", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream") // Discord's guess
		w.Write([]byte("# Notes\n\nNotes are short.\n"))
	})
	mux.HandleFunc("/attachments/2/big.md", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("big text ", 1000)))
	})
	mux.HandleFunc("/attachments/3/away.md", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost"+port+"/article", http.StatusFound)
	})
	hosts := []string{"127.0.0.1"}
	f := New(Options{MaxBytes: 4096, AttachmentHosts: hosts, Allow: onlyTestServer})
	p, err := f.FetchAttachment(context.Background(), cdn.URL+"/attachments/1/notes.md", "notes.md", 26)
	if err != nil || p.Name != "notes.md" || !strings.Contains(string(p.Data), "Notes are short.") {
		t.Fatalf("FetchAttachment = %+v, %v", p, err)
	}
	tests := []struct {
		name string
		f    *Fetcher
		url  string
		size int64
		want string
	}{
		{"declared size over ingest_max_bytes", f, cdn.URL + "/attachments/1/notes.md", 5000, "over the 4096-byte limit"},
		{"body over ingest_max_bytes", f, cdn.URL + "/attachments/2/big.md", 10, "over the 4096-byte limit"},
		{"not an attachment host", f, "https://evil.example/attachments/1/notes.md", 10, "fetched only from 127.0.0.1"},
		{"default hosts are Discord's CDN", New(Options{}), cdn.URL + "/attachments/1/notes.md", 10, "cdn.discordapp.com or media.discordapp.net"},
		{"redirect off the CDN", f, cdn.URL + "/attachments/3/away.md", 10, `not from "localhost"`},
		{"file URL", f, "file:///etc/passwd", 10, "only http and https"},
		{"credentials", f, "http://u:p@127.0.0.1" + port + "/x", 10, "credentials"},
		{"CDN host on loopback without the test allowance", New(Options{AttachmentHosts: hosts}), cdn.URL + "/attachments/1/notes.md", 10, "internal address"},
	}
	for _, tt := range tests {
		_, err := tt.f.FetchAttachment(context.Background(), tt.url, "notes.md", tt.size)
		if err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want a refusal mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestFetchTimeout(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("/slow.md", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# Slow\n\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	f := New(Options{Timeout: 200 * time.Millisecond, AttachmentHosts: []string{"127.0.0.1"}, Allow: onlyTestServer})
	start := time.Now()
	_, err := f.FetchAttachment(context.Background(), srv.URL+"/slow.md", "slow.md", 10)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("slow upload: err = %v after %v, want a timeout near 200ms", err, time.Since(start))
	}
}

// TestFetchPageConditional: validators go out as If-None-Match and
// If-Modified-Since, come back from the response, and a 304 is a page that
// has not changed rather than an error; other statuses are StatusErrors.
func TestFetchPageConditional(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	const etag, lastMod = `"v1"`, "Mon, 02 Jan 2006 15:04:05 GMT"
	var gotUA []string
	var mu sync.Mutex
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotUA = append(gotUA, r.UserAgent())
		mu.Unlock()
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/markdown")
		w.Write([]byte("# Page\n"))
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	f := New(Options{Allow: onlyTestServer})
	ctx := context.Background()

	p, err := f.FetchPage(ctx, Request{URL: srv.URL + "/page", UserAgent: "footnote-crawler/1 (+x)"})
	if err != nil || p.NotModified || p.ETag != etag || p.LastModified != lastMod || p.Name != "page.md" || string(p.Data) != "# Page\n" {
		t.Fatalf("first fetch = %+v, %v", p, err)
	}
	tests := []struct {
		name string
		req  Request
	}{
		{"etag", Request{URL: srv.URL + "/page", ETag: etag}},
		{"last-modified", Request{URL: srv.URL + "/page", LastModified: lastMod, UserAgent: "somebot/2"}},
	}
	for _, tt := range tests {
		p, err := f.FetchPage(ctx, tt.req)
		if err != nil || !p.NotModified || len(p.Data) != 0 || p.ETag != etag {
			t.Errorf("%s: conditional fetch = %+v, %v; want NotModified", tt.name, p, err)
		}
	}
	mu.Lock()
	wantUA := []string{"footnote-crawler/1 (+x)", DefaultUserAgent, DefaultUserAgent + " somebot/2"}
	if strings.Join(gotUA, "|") != strings.Join(wantUA, "|") {
		t.Errorf("User-Agents = %q, want %q", gotUA, wantUA)
	}
	mu.Unlock()

	_, err = f.FetchPage(ctx, Request{URL: srv.URL + "/gone"})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusGone {
		t.Errorf("410: err = %v, want a StatusError 410", err)
	}
	_, err = f.FetchPage(ctx, Request{URL: srv.URL + "/page", ETag: `"other"`})
	if err != nil {
		t.Errorf("non-matching ETag: %v", err)
	}
}

// TestFetchFile: robots.txt and sitemaps report their status instead of
// failing on it, gzip is decompressed within MaxBytes, and types other than
// text, XML and gzip are refused.
func TestFetchFile(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	sitemap := []byte(`<?xml version="1.0"?><urlset><url><loc>http://x/a</loc></url></urlset>`)
	serve := func(p, ctype string, body []byte) {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		})
	}
	serve("/robots.txt", "text/plain", []byte("User-agent: *\nDisallow: /x\n"))
	serve("/sitemap.xml", "application/xml", sitemap)
	serve("/sitemap.xml.gz", "application/gzip", gz(sitemap))
	serve("/bomb.xml.gz", "application/octet-stream", gz(bytes.Repeat([]byte("<url></url>"), 10000)))
	serve("/page.html", "text/html", []byte("<p>not a sitemap</p>"))
	f := New(Options{MaxBytes: 4096, Allow: onlyTestServer})
	ctx := context.Background()
	tests := []struct {
		path     string
		status   int
		data     string
		errWants string
	}{
		{"/robots.txt", 200, "User-agent: *\nDisallow: /x\n", ""},
		{"/sitemap.xml", 200, string(sitemap), ""},
		{"/sitemap.xml.gz", 200, string(sitemap), ""},
		{"/missing.txt", 404, "", ""},
		{"/bomb.xml.gz", 0, "", "decompresses to over the 4096-byte limit"},
		{"/page.html", 0, "", "content type"},
	}
	for _, tt := range tests {
		file, err := f.FetchFile(ctx, Request{URL: srv.URL + tt.path})
		if tt.errWants != "" {
			if err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.errWants) {
				t.Errorf("%s: err = %v, want a refusal mentioning %q", tt.path, err, tt.errWants)
			}
			continue
		}
		if err != nil || file.StatusCode != tt.status || string(file.Data) != tt.data {
			t.Errorf("%s: FetchFile = %d %q, %v; want %d %q", tt.path, file.StatusCode, file.Data, err, tt.status, tt.data)
		}
	}
}

// TestCheckRedirect: the caller's redirect rule refuses a redirect before it
// is followed (the target is never requested), and the guard still applies
// to redirects it lets through.
func TestCheckRedirect(t *testing.T) {
	srv := server(t)
	var hits atomic.Int32
	mux := http.NewServeMux()
	other := httptest.NewServer(mux)
	t.Cleanup(other.Close)
	mux.HandleFunc("/docs/a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/b", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/docs/b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("b"))
	})
	mux.HandleFunc("/docs/out", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/blog/x", http.StatusFound)
	})
	mux.HandleFunc("/blog/x", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	errOut := errors.New("leaves the docs")
	inDocs := func(u *url.URL) error {
		if !strings.HasPrefix(u.Path, "/docs/") {
			return errOut
		}
		return nil
	}
	f := New(Options{Allow: onlyTestServer})
	ctx := context.Background()
	p, err := f.FetchPage(ctx, Request{URL: other.URL + "/docs/a", CheckRedirect: inDocs})
	if err != nil || !strings.HasSuffix(p.URL, "/docs/b") {
		t.Errorf("redirect within the docs = %+v, %v", p, err)
	}
	if _, err := f.FetchPage(ctx, Request{URL: other.URL + "/docs/out", CheckRedirect: inDocs}); !errors.Is(err, errOut) {
		t.Errorf("redirect out of the docs: err = %v, want %v", err, errOut)
	}
	if hits.Load() != 0 {
		t.Errorf("the refused redirect's target was requested %d times", hits.Load())
	}
	allowAll := func(*url.URL) error { return nil }
	if _, err := f.FetchFile(ctx, Request{URL: srv.URL + "/to-private", CheckRedirect: allowAll}); err == nil || !strings.Contains(err.Error(), "10.0.0.1") {
		t.Errorf("redirect into a private range with a permissive check: err = %v", err)
	}
}

// TestErrorsNameNoUserinfo: whatever a fetch refuses or fails on, its error
// names URLs without their userinfo (user name included: it can be a
// token), also when a refused redirect's Location carried it.
func TestErrorsNameNoUserinfo(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	locations := map[string]string{
		"/to-creds":      "http://tok3n:s3cret@" + host + "/x",
		"/to-user":       "https://tok3n@other.example/x",
		"/to-unparsable": "http://tok3n:s3cret@" + host + "/%zz",
		"/to-relative":   "//tok3n:s3cret@other.example/x",
	}
	for p, loc := range locations {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusFound)
		})
	}
	f := New(Options{Allow: onlyTestServer, AttachmentHosts: []string{"127.0.0.1"}})
	ctx := context.Background()
	page := func(u string) error { _, err := f.FetchPage(ctx, Request{URL: u}); return err }
	file := func(u string) error { _, err := f.FetchFile(ctx, Request{URL: u}); return err }
	checked := func(u string) error {
		_, err := f.FetchPage(ctx, Request{URL: u, CheckRedirect: func(*url.URL) error { return nil }})
		return err
	}
	attachment := func(u string) error { _, err := f.FetchAttachment(ctx, u, "a.md", 1); return err }
	tests := []struct {
		name    string
		fetch   func(string) error
		url     string
		refused bool // errors.Is ErrRefused
	}{
		{"page redirected to user and password", page, srv.URL + "/to-creds", true},
		{"page redirected to a user name only", page, srv.URL + "/to-user", true},
		{"page redirected to a scheme-relative URL with credentials", page, srv.URL + "/to-relative", true},
		{"page redirected to an unparsable Location", page, srv.URL + "/to-unparsable", false},
		{"file redirected to credentials", file, srv.URL + "/to-creds", true},
		{"file redirected to an unparsable Location", file, srv.URL + "/to-unparsable", false},
		{"checked redirect to credentials", checked, srv.URL + "/to-user", true},
		{"attachment redirected to credentials", attachment, srv.URL + "/to-creds", true},
		{"page URL with credentials", page, "http://tok3n:s3cret@" + host + "/x", true},
		{"page URL with a user name", page, "http://tok3n@" + host + "/x", true},
		{"unparsable page URL with credentials", page, "http://tok3n:s3cret@" + host + "/%zz", true},
		{"unparsable file URL with credentials", file, "http://tok3n:s3cret@" + host + "/%zz", true},
	}
	for _, tt := range tests {
		err := tt.fetch(tt.url)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "tok3n") || strings.Contains(msg, "s3cret") {
			t.Errorf("%s: err = %q names the userinfo", tt.name, msg)
		}
		var ue *url.Error
		if errors.As(err, &ue) && (strings.Contains(ue.URL, "tok3n") || strings.Contains(ue.Error(), "tok3n")) {
			t.Errorf("%s: the wrapped *url.Error names the userinfo: %q", tt.name, ue.Error())
		}
		if tt.refused && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err = %v, want ErrRefused", tt.name, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://docs.example.org/x", "https://docs.example.org/x"},
		{"https://tok3n:s3cret@docs.example.org/x", "https://docs.example.org/x"},
		{"https://tok3n@docs.example.org/x", "https://docs.example.org/x"},
		{"https://@docs.example.org", "https://docs.example.org"},
		{"https://a@b:c@docs.example.org/x@y", "https://docs.example.org/x@y"},
		{`fetch "http://u:***@h.example/a": refused; see //tok@h.example/b`, `fetch "http://h.example/a": refused; see //h.example/b`},
		{"https://h.example/p?mail=a@b.example", "https://h.example/p?mail=a@b.example"},
		{"write to ops@example.org", "write to ops@example.org"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
