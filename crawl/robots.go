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

// allowed reports whether a cleaned URL's path and query may be fetched.
// The rules are matched against the decoded path, the form the scope and
// the patterns are checked on, and against the escaped path, as rules may
// be written either way: either one disallowed refuses the URL. (A cleaned
// URL has no encoded slash or dot segment, so the two name one resource.)
func (r *robots) allowed(u *url.URL) bool {
	if r == nil || r.group == nil {
		return true
	}
	q := ""
	if u.RawQuery != "" {
		q = "?" + u.RawQuery
	}
	if !r.group.Test(u.Path + q) {
		return false
	}
	return u.EscapedPath() == u.Path || r.group.Test(u.EscapedPath()+q)
}

// crawlDelay is the group's Crawl-delay (zero if none).
func (r *robots) crawlDelay() time.Duration {
	if r == nil || r.group == nil {
		return 0
	}
	return r.group.CrawlDelay
}
