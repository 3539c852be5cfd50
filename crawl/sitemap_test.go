package crawl

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseSitemap(t *testing.T) {
	tests := []struct {
		name            string
		doc             string
		pages, sitemaps []entry
		err             string
	}{
		{
			name: "urlset",
			doc: `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc> https://docs.example.org/a </loc><lastmod>2024-05-01</lastmod><changefreq>daily</changefreq></url>
  <url><loc>https://docs.example.org/b?x=1&amp;y=2</loc><image:image><image:loc>https://docs.example.org/i.png</image:loc></image:image></url>
  <url><lastmod>2024-05-01</lastmod></url>
</urlset>`,
			pages: []entry{{"https://docs.example.org/a", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}, {"https://docs.example.org/b?x=1&y=2", time.Time{}}},
		},
		{
			name: "sitemap index",
			doc: "\xef\xbb\xbf<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">" +
				"<sitemap><loc>https://docs.example.org/s1.xml</loc><lastmod>2024-05-01T10:30:00+02:00</lastmod></sitemap>" +
				"<sitemap><loc>https://docs.example.org/s2.xml.gz</loc></sitemap></sitemapindex>",
			sitemaps: []entry{{"https://docs.example.org/s1.xml", time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC)}, {"https://docs.example.org/s2.xml.gz", time.Time{}}},
		},
		{
			name:  "no namespace",
			doc:   `<urlset><url><loc>https://docs.example.org/a</loc></url></urlset>`,
			pages: []entry{{"https://docs.example.org/a", time.Time{}}},
		},
		{
			name:  "text sitemap",
			doc:   "https://docs.example.org/a\n\n  https://docs.example.org/b  \n",
			pages: []entry{{"https://docs.example.org/a", time.Time{}}, {"https://docs.example.org/b", time.Time{}}},
		},
		{name: "bad XML", doc: `<urlset><url><loc>https://docs.example.org/a</loc></url>`, err: "sitemap XML"},
		{name: "another root", doc: `<rss><channel></channel></rss>`, err: "root element is <rss>"},
		{name: "HTML", doc: `<!doctype html><html><body>Not found</body></html>`, err: "root element is <html>"},
		{name: "empty", doc: "  \n", err: "empty"},
	}
	for _, tt := range tests {
		pages, maps, _, err := parseSitemap(context.Background(), []byte(tt.doc))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !sameEntries(pages, tt.pages) || !sameEntries(maps, tt.sitemaps) {
			t.Errorf("%s: pages %v, sitemaps %v, err %v; want %v, %v", tt.name, pages, maps, err, tt.pages, tt.sitemaps)
		}
	}
}

func sameEntries(a, b []entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].loc != b[i].loc || !a[i].lastmod.Equal(b[i].lastmod) {
			return false
		}
	}
	return true
}

func TestParseLastmod(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024", utc(2024, 1, 1, 0, 0, 0, 0)},
		{"2024-05", utc(2024, 5, 1, 0, 0, 0, 0)},
		{"2024-05-17", utc(2024, 5, 17, 0, 0, 0, 0)},
		{"2024-05-17T10:30Z", utc(2024, 5, 17, 10, 30, 0, 0)},
		{"2024-05-17T10:30+02:00", utc(2024, 5, 17, 8, 30, 0, 0)},
		{"2024-05-17T10:30:15Z", utc(2024, 5, 17, 10, 30, 15, 0)},
		{"2024-05-17T10:30:15-05:00", utc(2024, 5, 17, 15, 30, 15, 0)},
		{"2024-05-17T10:30:15.25+00:00", utc(2024, 5, 17, 10, 30, 15, 250000000)},
		{" 2024-05-17 ", utc(2024, 5, 17, 0, 0, 0, 0)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{"17/05/2024", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseLastmod(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseLastmod(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
