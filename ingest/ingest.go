// Package ingest fetches web pages and files for /ingest, refusing what a
// stranger in a Discord server should not be able to make footnote fetch:
// only http and https; no loopback, private, link-local or otherwise
// internal addresses (checked on the address actually dialled, so DNS tricks
// and redirects are re-checked too) unless allowed; bounded size and time;
// only article content types.
package ingest

import (
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
	"strings"
	"syscall"
	"time"
)

// Options bound fetching.
type Options struct {
	MaxBytes     int64         // default 5 MiB
	Timeout      time.Duration // default 15s
	MaxRedirects int           // default 5
	// AllowPrivate permits loopback, private and link-local addresses (for
	// an intranet wiki; off by default).
	AllowPrivate bool
}

// Fetcher fetches URLs safely.
type Fetcher struct {
	opt    Options
	client *http.Client
	// permit, in tests, lets exact addresses through (e.g. the test
	// server's 127.0.0.1) while everything else is checked as usual.
	permit func(netip.Addr) bool
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
		return checkScheme(req.URL)
	}}
	return f
}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: only http and https URLs can be ingested, not %q", ErrRefused, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with credentials are not fetched", ErrRefused)
	}
	return nil
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
	if f.permit != nil && f.permit(ip) {
		return nil
	}
	if !f.opt.AllowPrivate && Internal(ip) {
		return fmt.Errorf("%w: %s is a private, loopback or link-local address", ErrRefused, ip)
	}
	return nil
}

// Internal reports whether an address is not on the public internet.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 (could reach IPv4 internals)
	netip.MustParsePrefix("fc00::/7"),      // unique local
}

// Page is a fetched document.
type Page struct {
	URL         string // final URL after redirects
	Name        string // file name with the extension that picks the parser
	ContentType string
	Data        []byte
}

var extByType = map[string]string{
	"text/html":             ".html",
	"application/xhtml+xml": ".html",
	"text/plain":            ".txt",
	"text/markdown":         ".md",
	"text/x-markdown":       ".md",
	"application/pdf":       ".pdf",
}

// Fetch downloads a URL within the limits.
func (f *Fetcher) Fetch(ctx context.Context, raw string) (Page, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Page{}, fmt.Errorf("%w: %q is not a URL", ErrRefused, raw)
	}
	if err := checkScheme(u); err != nil {
		return Page{}, err
	}
	if u.Host == "" {
		return Page{}, fmt.Errorf("%w: %q has no host", ErrRefused, raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, err
	}
	req.Header.Set("User-Agent", "footnote-ingest/1 (+https://github.com/footnote-bot/footnote)")
	req.Header.Set("Accept", "text/html, text/markdown, text/plain, application/pdf;q=0.9")
	resp, err := f.client.Do(req)
	if err != nil {
		return Page{}, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Page{}, fmt.Errorf("fetch %s: %s", u.Redacted(), resp.Status)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	ext, ok := extByType[mt]
	if !ok {
		return Page{}, fmt.Errorf("%w: content type %q is not an article (want HTML, Markdown, text or PDF)", ErrRefused, mt)
	}
	if resp.ContentLength > f.opt.MaxBytes {
		return Page{}, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrRefused, resp.ContentLength, f.opt.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.opt.MaxBytes+1))
	if err != nil {
		return Page{}, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	if int64(len(data)) > f.opt.MaxBytes {
		return Page{}, fmt.Errorf("%w: the page is over the %d-byte limit", ErrRefused, f.opt.MaxBytes)
	}
	final := resp.Request.URL
	name := path.Base(final.Path)
	if name == "/" || name == "." || name == "" {
		name = final.Hostname()
	}
	name = strings.TrimSuffix(name, path.Ext(name)) + ext
	return Page{URL: final.String(), Name: name, ContentType: mt, Data: data}, nil
}
