// Package ingest fetches web pages and uploaded files for /ingest, refusing
// what a stranger in a Discord server should not be able to make footnote
// fetch: only http and https; no loopback, private, link-local or otherwise
// internal address (see Internal; checked on the address actually dialled,
// so DNS tricks and redirects are re-checked too) unless allowed; bounded
// size and time, the same for pages and uploads; only article content types
// for pages, and only Discord's CDN hosts for uploads.
//
// The site crawler fetches through the same guard and limits: FetchPage is
// Fetch made conditional (validators out, a 304 as NotModified rather than
// an error, statuses as *StatusError), FetchFile reads robots.txt and
// sitemaps (text, XML or gzip, decompressed within MaxBytes) and reports
// their status instead of failing on it, and Request.CheckRedirect lets the
// caller refuse a redirect before it is followed. Every request names
// footnote in its User-Agent. No error names a URL with its userinfo (a
// user name can be a token as well as a password): Redact removes it.
package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Options bound fetching. The same limits apply to web pages and to files
// uploaded to Discord.
type Options struct {
	MaxBytes     int64         // default 5 MiB
	Timeout      time.Duration // the whole fetch, body included; default 15s
	MaxRedirects int           // default 5
	// AllowPrivate permits loopback, private, link-local and every other
	// internal address (for an intranet wiki; off by default).
	AllowPrivate bool
	// Allow lets these addresses through although they are internal (one
	// intranet host, or a test server on loopback) while every other
	// address is checked as usual.
	Allow []netip.Prefix
	// AttachmentHosts are the only hosts uploaded files are fetched from
	// (exact host names, any case); default DiscordCDNHosts.
	AttachmentHosts []string
}

// DiscordCDNHosts serve the files attached to Discord interactions.
var DiscordCDNHosts = []string{"cdn.discordapp.com", "media.discordapp.net"}

// Fetcher fetches URLs safely.
type Fetcher struct {
	opt    Options
	client *http.Client
}

// ErrRefused marks a URL or response footnote will not take.
var ErrRefused = errors.New("refused")

// New returns a Fetcher.
func New(opt Options) *Fetcher {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 5 << 20
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 15 * time.Second
	}
	if opt.MaxRedirects <= 0 {
		opt.MaxRedirects = 5
	}
	if len(opt.AttachmentHosts) == 0 {
		opt.AttachmentHosts = DiscordCDNHosts
	}
	f := &Fetcher{opt: opt}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: f.checkDial}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		Proxy:                  nil, // a proxy would dial for us, unchecked
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  opt.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{Transport: tr, Timeout: opt.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= opt.MaxRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrRefused, opt.MaxRedirects)
		}
		if err := checkScheme(req.URL); err != nil {
			return err
		}
		if hosts, ok := req.Context().Value(hostsKey{}).([]string); ok {
			if err := checkHost(req.URL, hosts); err != nil {
				return err // an attachment stays on the CDN
			}
		}
		if check, ok := req.Context().Value(redirectKey{}).(func(*url.URL) error); ok && check != nil {
			return check(req.URL) // the caller's rule, before the redirect is followed
		}
		return nil
	}}
	return f
}

// MaxBytes is the size limit of one page or file.
func (f *Fetcher) MaxBytes() int64 { return f.opt.MaxBytes }

// hostsKey marks a request (and its redirects) as limited to some hosts.
type hostsKey struct{}

// redirectKey carries Request.CheckRedirect to the client's CheckRedirect.
type redirectKey struct{}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: only http and https URLs can be ingested, not %q", ErrRefused, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with credentials are not fetched", ErrRefused)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: the URL has no host", ErrRefused)
	}
	return nil
}

func checkHost(u *url.URL, hosts []string) error {
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, want := range hosts {
		if h == strings.ToLower(want) {
			return nil
		}
	}
	return fmt.Errorf("%w: uploaded files are fetched only from %s, not from %q", ErrRefused, strings.Join(hosts, " or "), u.Hostname())
}

// checkDial runs for every connection, after DNS resolution, on the exact
// address being dialled.
func (f *Fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: unexpected address %q", ErrRefused, host)
	}
	if f.opt.AllowPrivate || !Internal(ip) {
		return nil
	}
	plain := ip.WithZone("").Unmap()
	for _, p := range f.opt.Allow {
		if p.Contains(plain) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is a private, loopback, link-local or otherwise internal address", ErrRefused, ip)
}

// Internal reports whether an address is not a public internet address:
// footnote fetches only from addresses that IANA's special-purpose address
// registries (IPv4 and IPv6) mark globally reachable, in global unicast
// space. Addresses that carry an IPv4 address inside them are judged by the
// address they carry: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96),
// 6to4 (2002::/16) and Teredo (2001::/32: the server's address and the
// client's, stored inverted). Conservatively, the few globally reachable
// service addresses inside otherwise internal blocks (PCP and TURN anycast,
// AMT, AS112, ORCHIDv2, drone IDs) are refused too: no article lives there.
func Internal(ip netip.Addr) bool { return !global(ip) }

func global(ip netip.Addr) bool {
	ip = ip.WithZone("") // a zoned address never matches a prefix
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return global4(ip)
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip): // the IPv4 address in the last 32 bits
		return global4(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip): // the IPv4 address in bits 16-47
		return global4(netip.AddrFrom4([4]byte(b[2:6])))
	case teredo.Contains(ip): // server in bits 32-63, client inverted in the last 32
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return global4(netip.AddrFrom4([4]byte(b[4:8]))) && global4(netip.AddrFrom4(client))
	}
	if !globalUnicast6.Contains(ip) {
		// Everything outside 2000::/3: unspecified, loopback, IPv4-compatible
		// and IPv4-translated forms, 64:ff9b:1::/48, discard-only 100::/64,
		// SRv6 5f00::/16, unique local, link-local, site-local, multicast.
		return false
	}
	for _, p := range internal6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func global4(ip netip.Addr) bool {
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false // also loopback, link-local, multicast, broadcast, 0.0.0.0
	}
	for _, p := range internal4 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	teredo         = netip.MustParsePrefix("2001::/32")
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// internal4 is every IPv4 block of the IANA IPv4 Special-Purpose Address
// Registry that is not globally reachable, with the reserved and multicast
// space netip's classification does not cover.
var internal4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network" (RFC 791)
	netip.MustParsePrefix("10.0.0.0/8"),      // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space, carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890), DS-Lite, NAT64 discovery
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),  // deprecated 6to4 relay anycast (RFC 7526)
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the limited broadcast address
}

// internal6 is every block inside global unicast space (2000::/3) that the
// IANA IPv6 Special-Purpose Address Registry does not mark globally
// reachable. 6to4 and Teredo, also there, are judged by the IPv4 addresses
// they carry (see global).
var internal6 = []netip.Prefix{
	netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments: benchmarking 2001:2::/48, ORCHID, anycast services
	netip.MustParsePrefix("2001:db8::/32"), // documentation (RFC 3849)
	netip.MustParsePrefix("3fff::/20"),     // documentation (RFC 9637)
}

// Page is a fetched document.
type Page struct {
	URL         string // final URL after redirects
	Name        string // file name with the extension that picks the parser
	ContentType string
	Data        []byte
	// ETag and LastModified are the response's validators, as sent, for a
	// later conditional FetchPage.
	ETag, LastModified string
	// NotModified reports a 304 answer to a conditional FetchPage: the page
	// is as it was when the validators were taken, and Data is empty.
	NotModified bool
}

// DefaultUserAgent is sent with every request unless Request.UserAgent
// names another footnote client.
const DefaultUserAgent = "footnote-ingest/1 (+https://github.com/footnote-bot/footnote)"

// Request is one FetchPage or FetchFile.
type Request struct {
	URL string
	// ETag and LastModified are validators from an earlier fetch of the
	// page, sent as If-None-Match and If-Modified-Since (FetchPage only).
	ETag, LastModified string
	// UserAgent names the client, e.g. "footnote-crawler/1 (+…)". Footnote
	// is always named: a User-Agent that does not begin with "footnote"
	// (the token robots.txt groups are matched with) follows
	// DefaultUserAgent instead of replacing it. Empty: DefaultUserAgent.
	UserAgent string
	// CheckRedirect, when set, is called with each redirect's target after
	// the fetcher's own checks and before the redirect is followed; its
	// error refuses the redirect and ends the fetch (wrapped, for
	// errors.Is). It runs on the fetching goroutine and may block (a rate
	// limiter), honouring the fetch's context.
	CheckRedirect func(*url.URL) error
}

// File is a robots.txt or a sitemap fetched by FetchFile.
type File struct {
	URL         string // final URL after redirects
	StatusCode  int    // the HTTP status; Data is read only for 200
	ContentType string // the media type as served (application/gzip for a .xml.gz)
	Data        []byte // the body, decompressed when it was gzip
}

// StatusError is a response whose status is not one the fetch takes.
type StatusError struct {
	URL        string // without userinfo
	StatusCode int
	Status     string
}

func (e *StatusError) Error() string { return fmt.Sprintf("fetch %s: %s", e.URL, e.Status) }

// ContentTypeError refuses a response by its content type; it is ErrRefused.
type ContentTypeError struct {
	ContentType string // the media type served
	Want        string // what the fetch takes, for the message
}

func (e *ContentTypeError) Error() string {
	return fmt.Sprintf("%v: content type %q is not %s", ErrRefused, e.ContentType, e.Want)
}

// Is makes a ContentTypeError a refusal.
func (e *ContentTypeError) Is(target error) bool { return target == ErrRefused }

var extByType = map[string]string{
	"text/html":             ".html",
	"application/xhtml+xml": ".html",
	"text/plain":            ".txt",
	"text/markdown":         ".md",
	"text/x-markdown":       ".md",
	"application/pdf":       ".pdf",
}

// Fetch downloads a web page within the limits.
func (f *Fetcher) Fetch(ctx context.Context, raw string) (Page, error) {
	return f.FetchPage(ctx, Request{URL: raw})
}

// pageAccept is the Accept header of a page fetch.
const pageAccept = "text/html, text/markdown, text/plain, application/pdf;q=0.9"

func articleType(mt string) error {
	if _, ok := extByType[mt]; !ok {
		return &ContentTypeError{ContentType: mt, Want: "an article (want HTML, Markdown, text or PDF)"}
	}
	return nil
}

// FetchPage downloads a web page within Fetch's limits and rules,
// conditionally when the request carries validators: a 304 answer is a
// Page with NotModified set and no error. Any other status than 200 (and
// 304) is a *StatusError; a content type that is not an article is a
// *ContentTypeError.
func (f *Fetcher) FetchPage(ctx context.Context, r Request) (Page, error) {
	p, err := f.fetchPage(ctx, r)
	return p, RedactError(err)
}

func (f *Fetcher) fetchPage(ctx context.Context, r Request) (Page, error) {
	u, err := parseURL(r.URL)
	if err != nil {
		return Page{}, err
	}
	p, status, err := f.get(ctx, u, r, pageAccept, articleType, false)
	if err != nil {
		return Page{}, err
	}
	if status == http.StatusNotModified {
		p.NotModified = true
		return p, nil
	}
	ext := extByType[p.ContentType]
	final, _ := url.Parse(p.URL)
	name := path.Base(final.Path)
	if name == "/" || name == "." || name == "" {
		name = final.Hostname()
	}
	p.Name = strings.TrimSuffix(name, path.Ext(name)) + ext
	return p, nil
}

// fileTypes are the media types of robots.txt and sitemaps (plain or
// gzip-compressed; octet-stream is how many stores serve a .xml.gz).
var fileTypes = map[string]bool{
	"text/plain": true, "application/xml": true, "text/xml": true,
	"application/gzip": true, "application/x-gzip": true, "application/octet-stream": true,
}

func fileType(mt string) error {
	if !fileTypes[mt] {
		return &ContentTypeError{ContentType: mt, Want: "a robots.txt or sitemap (want text, XML or gzip)"}
	}
	return nil
}

// FetchFile downloads a robots.txt or a sitemap through the same guard and
// limits as a page. Its status is reported, not an error: a 404 robots.txt
// means everything is allowed, which only the caller can decide; the body is
// read only for 200, and must be text, XML or gzip (else a
// *ContentTypeError). A gzip body (by its magic bytes, whatever the
// content type) is decompressed, and the decompressed size is bounded by
// MaxBytes too, so a small bomb is refused.
func (f *Fetcher) FetchFile(ctx context.Context, r Request) (File, error) {
	file, err := f.fetchFile(ctx, r)
	return file, RedactError(err)
}

func (f *Fetcher) fetchFile(ctx context.Context, r Request) (File, error) {
	u, err := parseURL(r.URL)
	if err != nil {
		return File{}, err
	}
	p, status, err := f.get(ctx, u, Request{URL: r.URL, UserAgent: r.UserAgent, CheckRedirect: r.CheckRedirect},
		"text/plain, application/xml, text/xml, application/gzip;q=0.9, */*;q=0.1", fileType, true)
	if err != nil {
		return File{}, err
	}
	file := File{URL: p.URL, StatusCode: status, ContentType: p.ContentType, Data: p.Data}
	if status == http.StatusOK && len(p.Data) >= 2 && p.Data[0] == 0x1f && p.Data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(p.Data))
		if err != nil {
			return File{}, fmt.Errorf("fetch %s: gzip: %w", RedactURL(u), err)
		}
		data, err := io.ReadAll(io.LimitReader(zr, f.opt.MaxBytes+1))
		if err != nil {
			return File{}, fmt.Errorf("fetch %s: gzip: %w", RedactURL(u), err)
		}
		if int64(len(data)) > f.opt.MaxBytes {
			return File{}, fmt.Errorf("%w: %s decompresses to over the %d-byte limit", ErrRefused, RedactURL(u), f.opt.MaxBytes)
		}
		file.Data = data
	}
	return file, nil
}

func userAgent(ua string) string {
	switch {
	case ua == "":
		return DefaultUserAgent
	case strings.HasPrefix(strings.ToLower(ua), "footnote"):
		return ua
	default:
		return DefaultUserAgent + " " + ua
	}
}

// FetchAttachment downloads a file uploaded to Discord, named name (whose
// extension picks the parser), from rawURL, which must be on one of the
// attachment hosts; size is the size Discord reports, refused early when
// over the limit. The guard, the limits and the timeout are Fetch's.
func (f *Fetcher) FetchAttachment(ctx context.Context, rawURL, name string, size int64) (Page, error) {
	p, err := f.fetchAttachment(ctx, rawURL, name, size)
	return p, RedactError(err)
}

func (f *Fetcher) fetchAttachment(ctx context.Context, rawURL, name string, size int64) (Page, error) {
	if size > f.opt.MaxBytes {
		return Page{}, fmt.Errorf("%w: %s is %d bytes, over the %d-byte limit", ErrRefused, name, size, f.opt.MaxBytes)
	}
	u, err := parseURL(rawURL)
	if err != nil {
		return Page{}, err
	}
	if err := checkHost(u, f.opt.AttachmentHosts); err != nil {
		return Page{}, err
	}
	// Discord's content type is the uploader's guess; the file's extension
	// picks the parser, and the parser refuses what is not that format.
	p, _, err := f.get(context.WithValue(ctx, hostsKey{}, f.opt.AttachmentHosts), u, Request{}, "*/*", nil, false)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w", name, err)
	}
	p.Name = name
	return p, nil
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrRefused, Redact(raw))
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	return u, nil
}

// get fetches u: status 200 (or 304 to a conditional request; any status
// when anyStatus, reading the body only for 200), a content type wantType
// accepts (when set), at most MaxBytes, within the timeout. It returns the
// status with the page.
func (f *Fetcher) get(ctx context.Context, u *url.URL, r Request, accept string, wantType func(mediaType string) error, anyStatus bool) (Page, int, error) {
	if r.CheckRedirect != nil {
		ctx = context.WithValue(ctx, redirectKey{}, r.CheckRedirect)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, 0, fmt.Errorf("fetch %s: %w", RedactURL(u), err)
	}
	req.Header.Set("User-Agent", userAgent(r.UserAgent))
	req.Header.Set("Accept", accept)
	conditional := r.ETag != "" || r.LastModified != ""
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// A refused or failed redirect's *url.Error names its target as
		// the Location gave it (net/http masks only the password), and
		// the error inside may quote the Location.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = Redact(ue.URL)
			ue.Err = RedactError(ue.Err)
		}
		return Page{}, 0, fmt.Errorf("fetch %s: %w", RedactURL(u), err)
	}
	defer resp.Body.Close()
	p := Page{URL: resp.Request.URL.String(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && conditional, anyStatus:
		return p, resp.StatusCode, nil
	default:
		return Page{}, resp.StatusCode, &StatusError{URL: RedactURL(u), StatusCode: resp.StatusCode, Status: resp.Status}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if wantType != nil {
		if err := wantType(mt); err != nil {
			return Page{}, resp.StatusCode, err
		}
	}
	if resp.ContentLength > f.opt.MaxBytes {
		return Page{}, resp.StatusCode, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrRefused, resp.ContentLength, f.opt.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.opt.MaxBytes+1))
	if err != nil {
		return Page{}, resp.StatusCode, fmt.Errorf("fetch %s: %w", RedactURL(u), err)
	}
	if int64(len(data)) > f.opt.MaxBytes {
		return Page{}, resp.StatusCode, fmt.Errorf("%w: over the %d-byte limit", ErrRefused, f.opt.MaxBytes)
	}
	p.ContentType, p.Data = mt, data
	return p, resp.StatusCode, nil
}

// userinfo finds the userinfo of URLs in text: after "scheme://" or a
// scheme-relative "//", up to the last '@' before the host ends.
var userinfo = regexp.MustCompile(`((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)[^/?#\s"'<>]*@`)

// Redact returns s, a URL or a text naming URLs (an error message, a log
// line), with the userinfo of every URL removed: user name and password
// both, since a user name can be a token too (url.URL.Redacted keeps it).
func Redact(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "$1")
}

// RedactURL is u as errors and logs name it: without userinfo.
func RedactURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = nil
	return c.String()
}

// redactedError is an error whose message named a URL with userinfo; it
// unwraps to the original, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// RedactError returns err itself when its message names no userinfo, and
// else err with its message redacted (it unwraps to err, for errors.Is and
// errors.As).
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := Redact(msg); r != msg {
		return &redactedError{msg: r, err: err}
	}
	return err
}
