package corpus

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// MaxURLBytes is the longest article URL kept (Discord's limit for an
// embed's URL).
const MaxURLBytes = 2048

// CleanURL checks an article's URL and returns it in the one form footnote
// links to: an absolute http or https URL with a host, no credentials, no
// white space, brackets, quotes, angle brackets, braces, pipes, carets,
// backticks, control or invisible formatting characters; parsed by net/url
// and serialised again, host in lower case, and every byte that could end
// a Markdown link early or hide its target percent-encoded (parentheses,
// backslashes, anything outside ASCII), so that [text](url) built from it
// is one link to exactly this address. Host names must be ASCII (an
// internationalised name in its xn-- form), so a look-alike host cannot
// pass for another. CleanURL(CleanURL(u)) == CleanURL(u).
func CleanURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty URL")
	}
	if len(s) > MaxURLBytes {
		return "", fmt.Errorf("URL is %d bytes, over %d", len(s), MaxURLBytes)
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "", errors.New("URL contains a control character")
		case unicode.IsSpace(r):
			return "", errors.New("URL contains white space")
		case unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar:
			return "", fmt.Errorf("URL contains the invisible character U+%04X", r)
		case strings.ContainsRune("[]<>\"`{}|^", r):
			return "", fmt.Errorf("URL contains %q", r)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("not an http or https URL")
	}
	if u.Opaque != "" || u.Host == "" {
		return "", errors.New("URL has no host")
	}
	if u.User != nil {
		return "", errors.New("URL has credentials (user@host)")
	}
	host := strings.ToLower(u.Hostname())
	if !validHost(host) {
		return "", fmt.Errorf("URL host %q is not a plain ASCII host name", u.Hostname())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("URL port %q is not a port", p)
		}
		if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
			p = ""
		} else {
			p = strconv.Itoa(n)
		}
		if p != "" {
			host += ":" + p
		}
	}
	u.Host = host
	var sb strings.Builder
	for _, c := range []byte(u.String()) {
		switch {
		case c == '(' || c == ')' || c == '\\' || c <= 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, "%%%02X", c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), nil
}

// validHost accepts a lower-case DNS name (letters, digits, '-', '.'; no
// empty label) or a dotted IPv4 address.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
