package crawl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/footnote-bot/footnote/ingest"
)

// errNotHTTP refuses what Canonical cannot name.
var errNotHTTP = errors.New("not an http or https URL")

// Canonical returns the form of a URL footnote uses as a page's identity:
// scheme and host lower-cased, the host's trailing dot and the scheme's
// default port dropped, dot segments resolved, an empty path made "/", the
// fragment dropped, tracking query parameters (utm_*, gclid, fbclid, ref
// and the like; see tracking) removed and the rest sorted by name, and a
// trailing slash removed from every path but "/" (so /docs/ and /docs are
// one page, named /docs). Only absolute http and https URLs without
// credentials (no user name either) have one, and only those whose path,
// once its dot segments are resolved, has no encoded slash (%2F) and no
// encoded dot segment (/%2e%2e/) left: the path a server decodes would not
// be the one footnote checked.
func Canonical(raw string) (string, error) {
	u, err := clean(raw)
	if err != nil {
		return "", err
	}
	return identity(u), nil
}

// clean parses raw into the form footnote fetches: Canonical's, except that
// a trailing slash is kept (a server that tells /docs/ from /docs would
// only redirect).
func clean(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %s", ingest.Redact(raw), ingest.Redact(err.Error()))
	}
	return cleanURL(u)
}

func cleanURL(u *url.URL) (*url.URL, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("%q: %w", ingest.RedactURL(u), errNotHTTP)
	}
	if u.Opaque != "" || u.User != nil {
		return nil, fmt.Errorf("%q: %w (opaque, or with credentials)", ingest.RedactURL(u), errNotHTTP)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return nil, fmt.Errorf("%q has no host: %w", ingest.RedactURL(u), errNotHTTP)
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]"
	}
	// Resolving the empty reference removes dot segments and drops the
	// fragment, keeping the path's escaping.
	c := u.ResolveReference(&url.URL{})
	c.Scheme, c.Host, c.Fragment, c.RawFragment, c.ForceQuery = scheme, host, "", "", false
	if c.Path == "" {
		c.Path, c.RawPath = "/", ""
	}
	if err := checkPath(c); err != nil {
		return nil, err
	}
	if c.RawQuery != "" {
		if q, err := url.ParseQuery(c.RawQuery); err == nil {
			for k := range q {
				if tracking(k) {
					delete(q, k)
				}
			}
			c.RawQuery = q.Encode() // sorted by name
		}
	}
	return c, nil
}

// errEncodedPath refuses a path whose escaping hides a dot segment or a slash.
var errEncodedPath = errors.New("an encoded dot segment or slash in the path")

// checkPath refuses a cleaned URL whose decoded path still has a "." or
// ".." segment (it was encoded, so resolving did not remove it) or whose
// escaped path has an encoded slash: the scope, the patterns and
// robots.txt are checked on the decoded path, which a server would not
// take as the same.
func checkPath(u *url.URL) error {
	if e := u.EscapedPath(); strings.Contains(e, "%2f") || strings.Contains(e, "%2F") {
		return fmt.Errorf("%q: %w", ingest.RedactURL(u), errEncodedPath)
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%q: %w", ingest.RedactURL(u), errEncodedPath)
		}
	}
	return nil
}

// identity is the Canonical form of a cleaned URL.
func identity(u *url.URL) string {
	if u.Path == "/" || !strings.HasSuffix(u.Path, "/") {
		return u.String()
	}
	c := *u
	c.Path = strings.TrimRight(c.Path, "/")
	c.RawPath = strings.TrimRight(c.RawPath, "/")
	if c.Path == "" {
		c.Path, c.RawPath = "/", ""
	}
	return c.String()
}

// trackingParams are query parameters that name how a visitor came, not
// what they see.
var trackingParams = map[string]bool{
	"gclid": true, "gclsrc": true, "dclid": true, "gbraid": true, "wbraid": true, "fbclid": true, "msclkid": true,
	"yclid": true, "twclid": true, "ttclid": true, "igshid": true, "mc_cid": true, "mc_eid": true, "_ga": true, "_gl": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true, "ref": true, "ref_src": true, "ref_url": true, "referrer": true,
}

func tracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// scope is where a source's pages may be: its host (either scheme) and
// path prefix, minus what robots.txt disallows and what Include and
// Exclude leave out.
type scope struct {
	host    string // lower-cased, default port dropped
	prefix  string // ends in '/'
	include []string
	exclude []string
	robots  *robots
}

// newScope is the scope of a cleaned source URL: its host, and its path
// up to and including the last '/'.
func newScope(u *url.URL, include, exclude []string) *scope {
	prefix := u.Path[:strings.LastIndex(u.Path, "/")+1]
	s := &scope{host: u.Host, prefix: prefix}
	s.include = absPatterns(prefix, include)
	s.exclude = absPatterns(prefix, exclude)
	return s
}

// contains reports whether a cleaned URL is within the host and prefix;
// the prefix's directory itself (/docs for /docs/) is within it.
func (s *scope) contains(u *url.URL) bool {
	return u.Host == s.host && strings.HasPrefix(u.Path+"/", s.prefix)
}

// wanted reports whether a cleaned URL in scope is one of the source's
// pages: Include (when set) matches its path, Exclude does not.
func (s *scope) wanted(u *url.URL) bool {
	p := u.Path
	if p != "/" {
		p = strings.TrimRight(p, "/")
	}
	if len(s.include) > 0 && !matchAny(s.include, p) {
		return false
	}
	return !matchAny(s.exclude, p)
}

// allowed reports whether robots.txt lets footnote fetch a cleaned URL.
func (s *scope) allowed(u *url.URL) bool { return s.robots.allowed(u) }

// skippedExt are extensions of files that are never articles; links to
// them are not followed.
var skippedExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".webp": true, ".ico": true, ".bmp": true,
	".css": true, ".js": true, ".mjs": true, ".map": true, ".json": true, ".woff": true, ".woff2": true, ".ttf": true,
	".eot": true, ".zip": true, ".gz": true, ".tgz": true, ".tar": true, ".xz": true, ".7z": true, ".exe": true,
	".dmg": true, ".iso": true, ".mp3": true, ".mp4": true, ".webm": true, ".mov": true, ".avi": true, ".wasm": true,
}

func notAnArticle(u *url.URL) bool { return skippedExt[strings.ToLower(path.Ext(u.Path))] }
