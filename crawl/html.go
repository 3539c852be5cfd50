package crawl

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// isHTML reports whether a media type is parsed for links.
func isHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}

// parseHTML returns an HTML page's <link rel="canonical"> target (the
// first; "" if none) and its <a href> links, in document order, resolved
// against the page's URL or its <base href>. Nothing is filtered here.
func parseHTML(data []byte, page *url.URL) (canonical string, links []string) {
	base := page
	var hrefs []string
	z := html.NewTokenizer(bytes.NewReader(data))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if canonical != "" {
				if u, err := base.Parse(canonical); err == nil {
					canonical = u.String()
				} else {
					canonical = ""
				}
			}
			for _, h := range hrefs {
				if u, err := base.Parse(h); err == nil {
					links = append(links, u.String())
				}
			}
			return canonical, links
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr {
				continue
			}
			a := atom.Lookup(name)
			if a != atom.A && a != atom.Link && a != atom.Base {
				continue
			}
			var href, rel string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "href":
					href = strings.TrimSpace(string(v))
				case "rel":
					rel = strings.ToLower(string(v))
				}
				if !more {
					break
				}
			}
			if href == "" {
				continue
			}
			switch a {
			case atom.A:
				hrefs = append(hrefs, href)
			case atom.Link:
				if canonical == "" && hasToken(rel, "canonical") {
					canonical = href
				}
			case atom.Base:
				if base == page {
					if u, err := page.Parse(href); err == nil {
						base = u
					}
				}
			}
		}
	}
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}
