package crawl

import "strings"

// absPatterns makes Include and Exclude patterns absolute: a pattern that
// does not begin with '/' is relative to the source's path prefix.
func absPatterns(prefix string, pats []string) []string {
	var out []string
	for _, p := range pats {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			continue
		case !strings.HasPrefix(p, "/"):
			p = prefix + p
		}
		out = append(out, p)
	}
	return out
}

func matchAny(pats []string, p string) bool {
	for _, pat := range pats {
		if match(pat, p) {
			return true
		}
	}
	return false
}

// match reports whether a URL path matches a glob pattern: '*' is any run
// of characters within a segment, '?' one character within a segment, '**'
// any run across segments ("/a/**" also matches "/a", and "**/" may match
// no directory at all); everything else is literal. A trailing '/' on the
// pattern is ignored, as on paths.
func match(pat, p string) bool {
	if pat != "/" {
		pat = strings.TrimRight(pat, "/")
	}
	if strings.HasSuffix(pat, "/**") && globMatch(pat[:len(pat)-3], p) {
		return true
	}
	return globMatch(pat, p)
}

func globMatch(pat, s string) bool {
	for pat != "" {
		switch {
		case strings.HasPrefix(pat, "**"):
			rest := pat[2:]
			if strings.HasPrefix(rest, "/") && globMatch(rest[1:], s) {
				return true // "**/" as no directory
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(rest, s[i:]) {
					return true
				}
			}
			return false
		case pat[0] == '*':
			rest := pat[1:]
			for i := 0; i <= len(s); i++ {
				if globMatch(rest, s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '/' {
					break
				}
			}
			return false
		case pat[0] == '?':
			if s == "" || s[0] == '/' {
				return false
			}
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
		}
		pat, s = pat[1:], s[1:]
	}
	return s == ""
}
