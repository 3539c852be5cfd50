package crawl

import (
	"net/url"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"already canonical", "https://docs.example.org/guide/install", "https://docs.example.org/guide/install"},
		{"fragment", "https://docs.example.org/guide#setup", "https://docs.example.org/guide"},
		{"empty fragment", "https://docs.example.org/guide#", "https://docs.example.org/guide"},
		{"default https port", "https://docs.example.org:443/guide", "https://docs.example.org/guide"},
		{"default http port", "http://docs.example.org:80/guide", "http://docs.example.org/guide"},
		{"other port kept", "http://docs.example.org:8080/guide", "http://docs.example.org:8080/guide"},
		{"https on port 80 kept", "https://docs.example.org:80/guide", "https://docs.example.org:80/guide"},
		{"scheme and host case", "HTTPS://Docs.Example.ORG/Guide", "https://docs.example.org/Guide"},
		{"host trailing dot", "https://docs.example.org./guide", "https://docs.example.org/guide"},
		{"utm parameters", "https://docs.example.org/guide?utm_source=news&utm_medium=email&UTM_Campaign=x", "https://docs.example.org/guide"},
		{"click ids", "https://docs.example.org/guide?gclid=1&fbclid=2&msclkid=3&ref=hn", "https://docs.example.org/guide"},
		{"tracking among real parameters", "https://docs.example.org/search?q=go&utm_source=x&page=2", "https://docs.example.org/search?page=2&q=go"},
		{"query order", "https://docs.example.org/api?b=2&a=1&c=3", "https://docs.example.org/api?a=1&b=2&c=3"},
		{"repeated parameter keeps its order", "https://docs.example.org/api?x=2&a=1&x=1", "https://docs.example.org/api?a=1&x=2&x=1"},
		{"trailing slash", "https://docs.example.org/guide/", "https://docs.example.org/guide"},
		{"trailing slash with query", "https://docs.example.org/guide/?b=1&a=2", "https://docs.example.org/guide?a=2&b=1"},
		{"root keeps its slash", "https://docs.example.org/", "https://docs.example.org/"},
		{"empty path is root", "https://docs.example.org", "https://docs.example.org/"},
		{"only tracking leaves no '?'", "https://docs.example.org/?utm_source=x", "https://docs.example.org/"},
		{"dot segments", "https://docs.example.org/a/./b/../c", "https://docs.example.org/a/c"},
		{"escaped path kept", "https://docs.example.org/a%20b/c%7Ed", "https://docs.example.org/a%20b/c%7Ed"},
		{"encoded dots within a segment kept", "https://docs.example.org/a/%2e%2ex/v1.%2e", "https://docs.example.org/a/%2e%2ex/v1.%2e"},
		{"IPv6 host, default port", "http://[::1]:80/x", "http://[::1]/x"},
		{"IPv6 host with port", "http://[::1]:8080/x", "http://[::1]:8080/x"},
		{"spaces around", "  https://docs.example.org/guide  ", "https://docs.example.org/guide"},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s: Canonical(%q) = %q, %v; want %q", tt.name, tt.in, got, err, tt.want)
		}
		again, err := Canonical(got)
		if err != nil || again != got {
			t.Errorf("%s: Canonical is not idempotent: %q -> %q, %v", tt.name, got, again, err)
		}
	}
	for _, bad := range []string{"ftp://example.org/x", "mailto:a@example.org", "/relative/path", "https://user:pw@example.org/", "http://", "::::",
		"https://tok3n@example.org/", "https://@example.org/", // a user name alone is credentials too
		// Encoded dot segments and slashes: the decoded path is not the one a server serves.
		"https://docs.example.org/docs/%2e%2e/admin/secret", "https://docs.example.org/docs/%2E%2E/admin", "https://docs.example.org/docs/.%2e/admin",
		"https://docs.example.org/docs/%2e/x", "https://docs.example.org/docs/%2e%2e", "https://docs.example.org/docs/a%2fb", "https://docs.example.org/docs/a%2Fb",
		"https://docs.example.org/docs/..%2f..%2fadmin"} {
		if got, err := Canonical(bad); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error", bad, got)
		}
	}
}

func TestScope(t *testing.T) {
	start, err := clean("https://docs.example.org/docs/index.html")
	if err != nil {
		t.Fatal(err)
	}
	sc := newScope(start, []string{"**"}, []string{"internal/**", "/docs/*.draft"})
	tests := []struct {
		url            string
		inside, wanted bool
	}{
		{"https://docs.example.org/docs/guide", true, true},
		{"http://docs.example.org/docs/guide", true, true}, // either scheme
		{"https://docs.example.org/docs/", true, true},
		{"https://docs.example.org/docs", true, true},        // the prefix's directory itself
		{"https://docs.example.org/docsearch", false, false}, // Include "**" is relative to /docs/
		{"https://docs.example.org/blog/post", false, false},
		{"https://other.example.org/docs/guide", false, true},
		{"https://docs.example.org:8443/docs/guide", false, true},
		{"https://docs.example.org/docs/internal/notes", true, false},
		{"https://docs.example.org/docs/internal", true, false},
		{"https://docs.example.org/docs/plan.draft", true, false},
		{"https://docs.example.org/docs/sub/plan.draft", true, true},
	}
	for _, tt := range tests {
		u, err := clean(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.contains(u); got != tt.inside {
			t.Errorf("contains(%s) = %v, want %v", tt.url, got, tt.inside)
		}
		if got := sc.wanted(u); got != tt.wanted {
			t.Errorf("wanted(%s) = %v, want %v", tt.url, got, tt.wanted)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, path string
		want      bool
	}{
		{"/docs/*", "/docs/guide", true},
		{"/docs/*", "/docs/guide/install", false}, // '*' stays within a segment
		{"/docs/**", "/docs/guide/install", true},
		{"/docs/**", "/docs", true}, // "/a/**" includes "/a"
		{"/docs/**", "/docsx/a", false},
		{"/docs/**/install", "/docs/install", true}, // "**/" may be no directory
		{"/docs/**/install", "/docs/a/b/install", true},
		{"/docs/**/install", "/docs/a/b/uninstall", false},
		{"/docs/*.html", "/docs/a.html", true},
		{"/docs/*.html", "/docs/a.htm", false},
		{"/docs/v?/api", "/docs/v2/api", true},
		{"/docs/v?/api", "/docs/v10/api", false},
		{"/docs/v?/api", "/docs//api", false},
		{"/docs/api/", "/docs/api", true}, // a trailing slash is ignored
		{"/docs/api", "/docs/api/x", false},
		{"/", "/", true},
		{"**", "/anything/at/all", true},
		{"/**/*.pdf", "/a/b/c.pdf", true},
	}
	for _, tt := range tests {
		if got := match(tt.pat, tt.path); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pat, tt.path, got, tt.want)
		}
	}
	if got := absPatterns("/docs/", []string{"api/**", "/blog/*", " ", ""}); len(got) != 2 || got[0] != "/docs/api/**" || got[1] != "/blog/*" {
		t.Errorf("absPatterns = %q", got)
	}
}

func TestParseHTML(t *testing.T) {
	page, _ := url.Parse("https://docs.example.org/docs/guide/intro")
	doc := `<html><head><link rel="stylesheet" href="/s.css"><link rel="Canonical" href="../guide">
<link rel="canonical" href="/second"></head><body>
<a href="install">Install</a> <a href="/docs/api#x">API</a> <a>no href</a> <a href="https://elsewhere.example/">out</a>
<a href="  ../faq?utm_source=x  ">FAQ</a></body></html>`
	canon, links := parseHTML([]byte(doc), page)
	if canon != "https://docs.example.org/docs/guide" {
		t.Errorf("canonical = %q", canon)
	}
	want := []string{"https://docs.example.org/docs/guide/install", "https://docs.example.org/docs/api#x",
		"https://elsewhere.example/", "https://docs.example.org/docs/faq?utm_source=x"}
	if len(links) != len(want) {
		t.Fatalf("links = %q, want %q", links, want)
	}
	for i := range want {
		if links[i] != want[i] {
			t.Errorf("link %d = %q, want %q", i, links[i], want[i])
		}
	}
	_, links = parseHTML([]byte(`<base href="https://docs.example.org/other/"><a href="x">x</a>`), page)
	if len(links) != 1 || links[0] != "https://docs.example.org/other/x" {
		t.Errorf("with <base>: links = %q", links)
	}
}
