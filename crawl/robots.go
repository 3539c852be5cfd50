package crawl

import (
	"net/url"
	"time"

	"github.com/temoto/robotstxt"
)

// robotsAgent is the token footnote's robots.txt group is found by.
const robotsAgent = "footnote"

// robots is what a source's robots.txt says to footnote.
type robots struct {
	group    *robotstxt.Group // nil: everything allowed
	sitemaps []string         // its Sitemap: lines
}

func parseRobots(data []byte) (*robots, error) {
	rd, err := robotstxt.FromBytes(data)
	if err != nil {
		return nil, err
	}
	return &robots{group: rd.FindGroup(robotsAgent), sitemaps: rd.Sitemaps}, nil
}

// allowed reports whether a URL's path and query may be fetched.
func (r *robots) allowed(u *url.URL) bool {
	if r == nil || r.group == nil {
		return true
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return r.group.Test(p)
}

// crawlDelay is the group's Crawl-delay (zero if none).
func (r *robots) crawlDelay() time.Duration {
	if r == nil || r.group == nil {
		return 0
	}
	return r.group.CrawlDelay
}
