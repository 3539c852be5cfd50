// Package redact hides credentials in text footnote prints: passwords and
// tokens in URLs, API keys in error bodies. It depends on nothing of
// footnote's, so every package may use it (config, the bot, the LLM client,
// the Weaviate retriever); config.RedactURL is its entry point for settings.
package redact

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mask replaces a hidden value.
const Mask = "xxxxx"

// secretParam matches query parameter names that usually carry a credential.
var secretParam = regexp.MustCompile(`(?i)key|token|secret|pass|pwd|sig|auth|credential|session`)

// userinfo finds "scheme://userinfo@" in text that does not parse as a URL.
var userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/?#@\s]*@`)

// URL returns raw with its credentials replaced by Mask: the password of
// user:password (the user name is kept, it says which account), a user
// name given alone (as in https://TOKEN@host, usually a token), and the
// values of query parameters named like a credential (key, token, secret,
// password, sig, auth…). Text that does not parse as a URL loses everything
// between "://" and "@". Everything else is kept, so the result still says
// where footnote connects.
func URL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return userinfo.ReplaceAllString(raw, "${1}"+Mask+"@")
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Mask)
		} else {
			u.User = url.User(Mask)
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if hasValue && secretParam.MatchString(name) {
				parts[i] = p[:strings.IndexByte(p, '=')+1] + Mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

// credential patterns masked in text from elsewhere (error bodies).
var (
	bearer = regexp.MustCompile(`(?i)\b(bearer|basic|token)(\s+|=|:\s*)[A-Za-z0-9._~+/=-]{6,}`)
	apiKey = regexp.MustCompile(`\b(sk|pk|rk)-[A-Za-z0-9_-]{6,}`)
	// "api_key": "…", api-key=…, x-api-key: …
	keyField = regexp.MustCompile(`(?i)((?:api[_-]?key|access[_-]?token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',}&]{4,}`)
)

// Secrets masks credentials in text: each of secrets verbatim (values
// shorter than four bytes are ignored: they would mask ordinary words) and
// any word that is a part of one at least eight bytes long,
// "Bearer …" and "Basic …" credentials, sk-/pk-/rk- style API keys,
// api_key/access_token/secret/password fields, and URL passwords.
func Secrets(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, Mask)
		}
		if len(s) >= 2*minFragment {
			text = maskFragments(text, s)
		}
	}
	text = bearer.ReplaceAllString(text, "${1}${2}"+Mask)
	text = apiKey.ReplaceAllString(text, "${1}-"+Mask)
	text = keyField.ReplaceAllString(text, "${1}"+Mask)
	return userinfo.ReplaceAllStringFunc(text, func(m string) string {
		scheme, _, _ := strings.Cut(m, "://")
		return scheme + "://" + Mask + "@"
	})
}

// minFragment is the shortest part of a secret masked on its own.
const minFragment = 8

// maskFragments masks each word of credential bytes that is a part of
// secret at least minFragment long: a server that echoes the end of the
// key ("…y-0123456789abcdef") shows no more of it than one that echoes it
// all.
func maskFragments(text, secret string) string {
	var sb strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if !credentialByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && credentialByte(text[j]) {
			j++
		}
		// Punctuation around a word ("…abcdef." ending a sentence) is
		// not part of it.
		a, b := i, j
		for a < b && strings.IndexByte(".~+/=", text[a]) >= 0 {
			a++
		}
		for b > a && strings.IndexByte(".~+/=", text[b-1]) >= 0 {
			b--
		}
		if w := text[a:b]; len(w) >= minFragment && strings.Contains(secret, w) {
			sb.WriteString(text[last:a])
			sb.WriteString(Mask)
			last = b
		}
		i = j
	}
	if last == 0 {
		return text
	}
	sb.WriteString(text[last:])
	return sb.String()
}

// Excerpt returns at most n bytes of text (cut at a rune boundary), on one
// line, with Secrets(…, secrets...) masked and, when cut, how long text
// was: a 50 MB error body, or one that echoes the API key, becomes one
// short, clean log line. Only a bounded prefix is examined, ended where no
// credential-like word is split, so a key cannot survive in halves.
func Excerpt(text string, n int, secrets ...string) string {
	total := len(text)
	if limit := 4*n + 256; len(text) > limit {
		cut := limit
		for cut > 0 && credentialByte(text[cut-1]) {
			cut--
		}
		text = text[:cut]
	}
	text = strings.Join(strings.Fields(strings.ToValidUTF8(Secrets(text, secrets...), "\uFFFD")), " ")
	if len(text) <= n && total <= 4*n+256 {
		return text
	}
	cut := min(n, len(text))
	for cut > 0 && cut < len(text) && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "… (" + strconv.Itoa(total) + " bytes)"
}

// credentialByte reports whether b may be part of a key or token.
func credentialByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-_.~+/=", b) >= 0
}
