package crawl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Sitemap limits: how deep sitemap indexes nest (the index a source names
// is depth 1), how many sitemaps one refresh reads, and how many entries
// of one sitemap are taken (the protocol's limit).
const (
	maxSitemapDepth   = 3
	maxSitemaps       = 50
	maxSitemapEntries = 50000
)

// checkEvery is how many lines or XML tokens a sitemap is parsed between
// looks at the context.
const checkEvery = 1024

// entry is a <url> of a urlset or a <sitemap> of an index.
type entry struct {
	loc     string
	lastmod time.Time // zero when absent or unreadable
}

type xmlLoc struct {
	Loc     string `xml:"loc"`
	Lastmod string `xml:"lastmod"`
}

// parseSitemap reads a sitemap (already decompressed): a <urlset>'s pages,
// or a <sitemapindex>'s sitemaps, or a text sitemap (one URL a line). Any
// namespace is taken; an entry without <loc> is dropped; another root
// element, or XML that does not parse, is an error. At most
// maxSitemapEntries entries are taken; over counts the rest, skipped. The
// sitemap is read as a stream, looking at ctx as it goes (its error is
// returned).
func parseSitemap(ctx context.Context, data []byte) (pages, sitemaps []entry, over int, err error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, nil, 0, errors.New("empty sitemap")
	}
	if trimmed[0] != '<' {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for n := 0; sc.Scan(); n++ {
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, nil, 0, err
				}
			}
			if line := strings.TrimSpace(sc.Text()); line != "" {
				if len(pages) == maxSitemapEntries {
					over++
					continue
				}
				pages = append(pages, entry{loc: line})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, nil, 0, fmt.Errorf("text sitemap: %w", err)
		}
		return pages, nil, over, nil
	}
	d := xml.NewDecoder(bytes.NewReader(trimmed))
	syntax := func(err error) ([]entry, []entry, int, error) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, 0, fmt.Errorf("sitemap XML: %w", err)
	}
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return syntax(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se
			break
		}
	}
	var child string // the root's children taken
	switch root.Name.Local {
	case "urlset":
		child = "url"
	case "sitemapindex":
		child = "sitemap"
	default:
		return nil, nil, 0, fmt.Errorf("not a sitemap: the root element is <%s>, not <urlset> or <sitemapindex>", root.Name.Local)
	}
	var out []entry
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		tok, err := d.Token()
		if err != nil {
			return syntax(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local != child {
				err = d.Skip()
			} else if len(out) == maxSitemapEntries {
				over++
				err = d.Skip()
			} else {
				var l xmlLoc
				err = d.DecodeElement(&l, &tok)
				if loc := strings.TrimSpace(l.Loc); err == nil && loc != "" {
					out = append(out, entry{loc: loc, lastmod: parseLastmod(l.Lastmod)})
				}
			}
			if err != nil {
				return syntax(err)
			}
		case xml.EndElement: // the root's: the decoder checks that elements nest
			if child == "url" {
				return out, nil, over, nil
			}
			return nil, out, over, nil
		}
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
