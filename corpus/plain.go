package corpus

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// frontMatter is the metadata block at the top of a Markdown or text file.
type frontMatter struct {
	Title  string `yaml:"title"`
	URL    string `yaml:"url"`
	Author string `yaml:"author"`
	Date   string `yaml:"date"`
	// warnings say what was wrong with a value left out (an invalid url).
	warnings []string
}

// document starts the Document the front matter describes.
func (fm frontMatter) document(id string) Document {
	return Document{ID: id, Title: fm.Title, URL: fm.URL, Author: fm.Author, Date: fm.Date, Warnings: fm.warnings}
}

// splitFrontMatter separates a leading YAML block from the body. The block
// opens with a "---" line as the file's first line that is not blank and
// closes with the next "---" (or YAML's "...") line; trailing blanks on
// either line are allowed. Line endings are normalised first: CRLF and a
// lone CR become LF, in the body too. A url that CleanURL refuses is left
// out with a warning: the article loads without a link.
func splitFrontMatter(text string) (frontMatter, string, error) {
	var fm frontMatter
	t, raw, body, found, err := cutFrontMatter(text)
	if err != nil || !found {
		return fm, t, err
	}
	// Decode loosely: a date may be a YAML timestamp, other keys are ignored.
	var m map[string]any
	if err := yaml.Unmarshal([]byte(raw), &m); err != nil {
		return fm, t, fmt.Errorf("front matter: %w", err)
	}
	str := func(k string) string {
		if v, ok := m[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	fm = frontMatter{Title: str("title"), URL: str("url"), Author: str("author"), Date: str("date")}
	if len(fm.Date) > 10 && strings.HasSuffix(fm.Date, "00:00:00 +0000 UTC") {
		fm.Date = fm.Date[:10]
	}
	if fm.URL != "" {
		clean, err := CleanURL(fm.URL)
		if err != nil {
			fm.warnings = append(fm.warnings, fmt.Sprintf("front matter url %q left out: %v", truncateBytes(fm.URL, 200), err))
		}
		fm.URL = clean
	}
	return fm, body, nil
}

// cutFrontMatter finds the front matter block (see splitFrontMatter): t is
// the text with line endings normalised, raw the YAML between the fences,
// body what follows the closing fence.
func cutFrontMatter(text string) (t, raw, body string, found bool, err error) {
	t = strings.ReplaceAll(text, "\r\n", "\n")
	t = strings.ReplaceAll(t, "\r", "\n")
	lead := strings.TrimLeft(t, " \t\n")
	first, rest, _ := strings.Cut(lead, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return t, "", t, false, nil
	}
	for off := 0; off <= len(rest); {
		line, _, more := strings.Cut(rest[off:], "\n")
		if l := strings.TrimRight(line, " \t"); l == "---" || l == "..." {
			return t, rest[:off], rest[min(off+len(line)+1, len(rest)):], true, nil
		}
		if !more {
			break
		}
		off += len(line) + 1
	}
	return t, "", t, false, fmt.Errorf("front matter opened with --- is never closed")
}

// SetFrontMatter returns a Markdown or text file with key set to value in
// its front matter: the block is decoded, the key set (replacing any value
// it had), and the block written again with a YAML encoder, so that any
// value (quotes, backslashes, newlines, "---", colons, any Unicode) reads
// back as written; other keys are kept. A file without front matter gets a
// block. Line endings become LF, as splitFrontMatter reads them.
func SetFrontMatter(text, key, value string) (string, error) {
	_, raw, body, found, err := cutFrontMatter(text)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if found && strings.TrimSpace(raw) != "" {
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
			return "", fmt.Errorf("front matter: %w", err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	m := doc.Content[0]
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || m.Kind != yaml.MappingNode {
		return "", errors.New("front matter is not a mapping of keys to values")
	}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	set := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = val
			set = true
		}
	}
	if !set {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
	}
	var sb strings.Builder
	enc := yaml.NewEncoder(&sb)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("front matter: %w", err)
	}
	return "---\n" + sb.String() + "---\n" + body, nil
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// paragraphs splits text on blank lines, trimming each paragraph.
func paragraphs(text string) []string {
	var out []string
	for _, p := range regexp.MustCompile(`\n[ \t]*\n`).Split(text, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isHeadingLine reports whether a one-line paragraph reads as a heading:
// short, and not ending like a sentence (a question mark is allowed).
func isHeadingLine(s string) bool {
	if strings.ContainsRune(s, '\n') || utf8.RuneCountInString(s) > 100 || wordCount(s) > 12 {
		return false
	}
	if m := plainMarker().FindStringSubmatch(s); m != nil && !isDigit(m[2][0]) {
		return false // a one-item bulleted list
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', ',', ';', ':', '!', '…', '"', '”', ')':
		return false
	}
	return letterCount(s) > 0
}

func letterCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// isChrome reports whether a one-line paragraph is page debris too short to
// mean anything on its own ("mm", "|", "»").
func isChrome(s string) bool {
	return !strings.ContainsRune(s, '\n') && letterCount(s) < 3
}

// bioPattern matches a closing author bio: "Jane Doe is the founder of …".
var bioPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^((?:\p{Lu}[\p{L}'’.-]*\s){1,3}?\p{Lu}[\p{L}'’-]+)\s(?:is|was|has been|writes|covers)\s`)
})

// bioRole words mark a paragraph as describing a person's work.
var bioRole = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(founder|co-?founder|author|writer|journalist|editor|ceo|cto|director|professor|researcher|engineer|contributor|columnist|analyst|reporter|scientist|lecturer)\b`)
})

func isBio(p string) bool { return bioPattern().MatchString(p) && bioRole().MatchString(p) }

// AuthorSection is the section name given to a closing author bio.
const AuthorSection = "About the author"

// parsePlain reads a plain-text article.
func parsePlain(id, text string, b *builder) (Document, error) {
	fm, body, err := splitFrontMatter(text)
	if err != nil {
		return Document{}, err
	}
	d := fm.document(id)
	paras := paragraphs(body)
	var blocks []block
	// Leading heading-like lines before the first paragraph: the longest is
	// the title (unless front matter gave one), the rest is page chrome.
	lead := 0
	for lead < len(paras) && (isHeadingLine(paras[lead]) || isChrome(paras[lead])) {
		lead++
	}
	if d.Title == "" {
		best := ""
		for _, p := range paras[:lead] {
			if !isChrome(p) && wordCount(p) > wordCount(best) {
				best = p
			}
		}
		if best == "" && len(paras) > 0 {
			best = firstLine(paras[0])
		}
		d.Title = best
	} else if lead > 0 && lead < len(paras) {
		// With a front-matter title, a single heading just before the body is
		// still a heading.
		last := paras[lead-1]
		if !isChrome(last) && last != d.Title {
			blocks = append(blocks, block{text: last, heading: true})
		}
	}
	rest := paras[lead:]
	for i, p := range rest {
		switch {
		case isChrome(p):
		case isHeadingLine(p):
			blocks = append(blocks, block{text: p, heading: true})
		case i == len(rest)-1 && isBio(p):
			if d.Author == "" {
				d.Author = strings.TrimSpace(bioPattern().FindStringSubmatch(p)[1])
			}
			blocks = append(blocks, block{text: AuthorSection, heading: true})
			blocks = append(blocks, plainBlocks(p)...)
		default:
			blocks = append(blocks, plainBlocks(p)...)
		}
	}
	if d.Title == "" {
		d.Title = id
	}
	b.assemble(&d, blocks)
	// The synthetic author heading is not part of the article's text.
	for i := range d.Passages {
		if d.Passages[i].Heading == AuthorSection {
			d.Passages[i].Heading = ""
		}
	}
	return d, nil
}

// plainMarker is a list item's first line in plain text: indentation, a
// bullet or a number, the text.
var plainMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([ \t]*)([-*+•◦‣▪]|[0-9]{1,3}[.)])[ \t]+(\S.*)$`)
})

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// plainBlocks reads one plain-text paragraph. Hard-wrapped lines are joined
// with a space. Lines that start with a bullet (-, *, +, •) or a number
// ("1." or "1)") are a list: every such line starts an item, rendered
// "- text" or "N. text" and nested by its indentation, and other lines
// continue the item before them. The list may follow a lead-in ("Before an
// upgrade:") when that ends with a colon or the list has two items or more;
// the lead-in is then a paragraph of its own. A paragraph fenced with ```
// lines is a code block, kept as written.
func plainBlocks(p string) []block {
	lines := strings.Split(p, "\n")
	if n := len(lines); n >= 2 && strings.HasPrefix(lines[0], "```") && strings.HasPrefix(strings.TrimSpace(lines[n-1]), "```") {
		if t := fence(codeLang(lines[0][3:]), strings.Join(lines[1:n-1], "\n")); t != "" {
			return []block{{text: t, kind: kindCode}}
		}
	}
	if k := listStart(lines); k >= 0 {
		if t := plainList(lines[k:]); isList(t) {
			if k == 0 {
				return []block{{text: t, kind: kindList}}
			}
			return []block{{text: joinLines(lines[:k])}, {text: t, kind: kindList}}
		}
	}
	return []block{{text: joinLines(lines)}}
}

// listStart is the index of the line a plain-text list starts on, or -1.
func listStart(lines []string) int {
	for k, l := range lines {
		if !plainMarker().MatchString(l) {
			continue
		}
		if k == 0 || strings.HasSuffix(strings.TrimSpace(lines[k-1]), ":") {
			return k
		}
		items := 0
		for _, l := range lines[k:] {
			if plainMarker().MatchString(l) {
				items++
			}
		}
		if items >= 2 {
			return k
		}
		return -1
	}
	return -1
}

// plainList renders lines that start with a list marker as list lines.
func plainList(lines []string) string {
	var items []string
	var stack []int // indentation of the open nesting levels
	for _, l := range lines {
		m := plainMarker().FindStringSubmatch(l)
		if m == nil {
			if t := strings.TrimSpace(l); t != "" {
				items[len(items)-1] += " " + t
			}
			continue
		}
		ind := len(strings.ReplaceAll(m[1], "\t", "    "))
		for len(stack) > 0 && ind < stack[len(stack)-1] {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 || ind > stack[len(stack)-1] {
			stack = append(stack, ind)
		}
		marker := "- "
		if isDigit(m[2][0]) {
			marker = ordinal(atoi(strings.TrimRight(m[2], ".)")))
		}
		items = append(items, strings.Repeat("  ", len(stack)-1)+marker+strings.TrimSpace(m[3]))
	}
	return strings.Join(items, "\n")
}

// joinLines joins hard-wrapped lines with single spaces.
func joinLines(lines []string) string {
	var out []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100]) + "…"
	}
	return strings.TrimSpace(s)
}
