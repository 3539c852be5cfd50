package crawl

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sitemap limits: how deep sitemap indexes nest (the index a source names
// is depth 1) and how many sitemaps one refresh reads.
const (
	maxSitemapDepth = 3
	maxSitemaps     = 50
)

// entry is a <url> of a urlset or a <sitemap> of an index.
type entry struct {
	loc     string
	lastmod time.Time // zero when absent or unreadable
}

type xmlSitemap struct {
	XMLName  xml.Name
	URLs     []xmlLoc `xml:"url"`
	Sitemaps []xmlLoc `xml:"sitemap"`
}

type xmlLoc struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod"`
}

// parseSitemap reads a sitemap (already decompressed): a <urlset>'s pages,
// or a <sitemapindex>'s sitemaps, or a text sitemap (one URL a line). Any
// namespace is taken; an entry without <loc> is dropped; another root
// element, or XML that does not parse, is an error.
func parseSitemap(data []byte) (pages, sitemaps []entry, err error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, nil, errors.New("empty sitemap")
	}
	if trimmed[0] != '<' {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				pages = append(pages, entry{loc: line})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("text sitemap: %w", err)
		}
		return pages, nil, nil
	}
	var doc xmlSitemap
	if err := xml.NewDecoder(bytes.NewReader(trimmed)).Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("sitemap XML: %w", err)
	}
	conv := func(locs []xmlLoc) []entry {
		var out []entry
		for _, l := range locs {
			if loc := strings.TrimSpace(l.Loc); loc != "" {
				out = append(out, entry{loc: loc, lastmod: parseLastmod(l.Lastmod)})
			}
		}
		return out
	}
	switch doc.XMLName.Local {
	case "urlset":
		return conv(doc.URLs), nil, nil
	case "sitemapindex":
		return nil, conv(doc.Sitemaps), nil
	default:
		return nil, nil, fmt.Errorf("not a sitemap: the root element is <%s>, not <urlset> or <sitemapindex>", doc.XMLName.Local)
	}
}

// lastmodLayouts are the W3C datetime forms sitemaps use, most precise
// first (the seconds' fraction is optional in time.RFC3339).
var lastmodLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02", "2006-01", "2006"}

// parseLastmod reads a <lastmod>; an unreadable one is zero (unknown), and
// then the page is asked for conditionally.
func parseLastmod(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range lastmodLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
