package corpus

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// A passage's text has one of four shapes, told apart by the text alone (the
// answer layer sees only Passage.Text, and retrieval stores nothing else):
//
//   - Code: a Markdown fence. The first line is "```" followed by an optional
//     language (no backtick in it), the last line is exactly "```", and the
//     code lines in between are as written.
//   - List: one line per item. Every line is a marker ("- " for a bullet,
//     "N. " with N of one to three digits for a numbered item) followed by the
//     item's text, indented two spaces per nesting level; no line is indented
//     more than one level deeper than the line before it. A single line is a
//     list only with a "- " marker: prose such as "1. Complexity: you need
//     to know…" (a bold "**1.**" opening a paragraph) stays prose, and a
//     one-item numbered list quotes the same either way.
//   - Table: at least two lines, the header row first, each line a row whose
//     cells are separated by " | ".
//   - Prose: anything else. Loaders join the lines of a paragraph with
//     spaces, so prose is one line (a Markdown hard line break is the only
//     newline it keeps); one line is never a table, and only a line that
//     starts with "- " (which Markdown prose cannot, short of an escape)
//     reads as a one-item list.
//
// The checks run in that order: code, list, table, prose.

// IsCode reports whether the passage is a code block: its text is a fence
// from an opening "```" line to a closing "```" line (see Units).
func (p Passage) IsCode() bool { return isCode(p.Text) }

// Units splits a passage's text into the pieces an answer may quote:
//
//   - a code block: none (nil); code is found by search, never quoted as a
//     sentence;
//   - a list: one unit per item line, without its marker and indentation;
//   - a table: one unit per row after the header, rendered "cell | cell";
//   - prose: its sentences (SplitSentences).
func Units(text string) []string {
	switch {
	case isCode(text):
		return nil
	case isList(text):
		lines := strings.Split(text, "\n")
		out := make([]string, 0, len(lines))
		for _, l := range lines {
			if m := listLine().FindStringSubmatch(l); m != nil {
				out = append(out, m[3])
			}
		}
		return out
	case isTable(text):
		lines := strings.Split(text, "\n")
		var out []string
		for _, l := range lines[1:] {
			out = append(out, strings.TrimSpace(l))
		}
		return out
	}
	return SplitSentences(text)
}

// blockKind is the shape of a block's text.
type blockKind uint8

const (
	kindProse blockKind = iota
	kindCode
	kindList
	kindTable
)

// isCode reports whether text is a fenced code block as fence renders it.
func isCode(text string) bool {
	nl := strings.IndexByte(text, '\n')
	if nl < 0 || !strings.HasPrefix(text, "```") || strings.ContainsRune(text[3:nl], '`') {
		return false
	}
	return strings.HasSuffix(text, "\n```")
}

// listLine is one rendered list item: indentation, marker, text.
var listLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^( *)(- |[0-9]{1,3}\. )(\S.*)$`) })

// isList reports whether every line of text is a list item line, nested at
// most one level deeper than the line before.
func isList(text string) bool {
	lines := strings.Split(text, "\n")
	prev := 0
	for i, l := range lines {
		m := listLine().FindStringSubmatch(l)
		if m == nil || (len(lines) == 1 && m[2] != "- ") {
			return false
		}
		ind := len(m[1])
		if ind%2 != 0 || (i > 0 && ind > prev+2) {
			return false
		}
		prev = ind
	}
	return true
}

// IsTable reports whether a passage's text is a table (see Units).
func IsTable(text string) bool { return !isCode(text) && !isList(text) && isTable(text) }

// isTable reports whether text has at least two lines and every line holds a
// cell separator.
func isTable(text string) bool {
	lines := strings.Split(text, "\n")
	if len(lines) < 2 {
		return false
	}
	for _, l := range lines {
		if !strings.Contains(l, " | ") {
			return false
		}
	}
	return true
}

// fence renders a code block: "```" and the language, the code lines as
// written, "```". Leading and trailing blank lines are dropped; empty code
// renders as "".
func fence(lang, code string) string {
	lines := strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return ""
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return "```" + lang + "\n" + strings.Join(lines, "\n") + "\n```"
}

// codeLang cleans a fence info string or an HTML class down to a language
// name Discord can highlight: the first word, without "language-" or
// "lang-" (the class names HTML renderers use) or Pandoc's braces and dot;
// anything that is not a plain name gives "".
func codeLang(info string) string {
	f := strings.Fields(info)
	if len(f) == 0 {
		return ""
	}
	l := strings.Trim(f[0], "{}")
	l = strings.TrimPrefix(l, ".")
	l = strings.TrimPrefix(l, "language-")
	l = strings.TrimPrefix(l, "lang-")
	if !langName().MatchString(l) {
		return ""
	}
	return l
}

var langName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_+#.-]{1,32}$`) })

func ordinal(n int) string { return strconv.Itoa(n) + ". " }

// codeSpan renders code as a Markdown code span with a backtick fence longer
// than any run of backticks inside it.
func codeSpan(code string) string {
	if strings.TrimSpace(code) == "" {
		return ""
	}
	longest, run := 0, 0
	for i := 0; i < len(code); i++ {
		if code[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", longest+1)
	if strings.HasPrefix(code, "`") || strings.HasSuffix(code, "`") {
		return f + " " + code + " " + f
	}
	return f + code + f
}

// listBuilder renders a list (Markdown or HTML) as list blocks. An item's
// paragraphs are joined into its line with spaces; a nested list follows as
// lines indented one more level. A code block or table inside an item cannot
// be a line of a list: it ends the list block so far, follows it as a block
// of its own, and the list resumes in a new block after it (document order is
// kept). Prose of the same item after such a block becomes a paragraph of its
// own.
type listBuilder struct {
	out   *[]block
	lines []string
}

// item adds one item rendered from the blocks of its content, in order; the
// lines of a nested list come indented one level.
func (lb *listBuilder) item(marker string, content []block) {
	var parts []string
	split := false // a code block or table has ended the item's own line
	emit := func() {
		if t := collapse(strings.Join(parts, " ")); t != "" {
			lb.lines = append(lb.lines, marker+t)
		}
		parts = nil
	}
	for _, b := range content {
		switch {
		case b.kind == kindList:
			emit()
			for _, l := range strings.Split(b.text, "\n") {
				lb.lines = append(lb.lines, "  "+l)
			}
		case b.kind == kindCode || b.kind == kindTable:
			emit()
			lb.flush()
			*lb.out = append(*lb.out, b)
			split = true
		case split:
			lb.flush()
			*lb.out = append(*lb.out, block{text: b.text})
		default: // prose or a heading inside an item
			parts = append(parts, b.text)
		}
	}
	emit()
}

// flush ends the current list block.
func (lb *listBuilder) flush() {
	if len(lb.lines) > 0 {
		*lb.out = append(*lb.out, block{text: strings.Join(lb.lines, "\n"), kind: kindList})
		lb.lines = nil
	}
}

// tableText renders rows (header first) as a table block's text, cells
// joined with " | "; rows with no text are dropped.
func tableText(rows [][]string) string {
	var lines []string
	for _, r := range rows {
		empty := true
		for i, c := range r {
			r[i] = collapse(c)
			if r[i] != "" {
				empty = false
			}
		}
		if !empty {
			lines = append(lines, strings.Join(r, " | "))
		}
	}
	return strings.Join(lines, "\n")
}

// splitLong cuts a block longer than maxWords words into parts of at most
// maxWords words where it can: prose on sentence boundaries (a single longer
// sentence stays whole), a code block at line boundaries with every part
// fenced again, a list between items and a table between rows with the
// header row repeated in every part. A single line longer than the limit
// stays whole.
func splitLong(b block, maxWords int) []string {
	if wordCount(b.text) <= maxWords {
		return []string{b.text}
	}
	switch b.kind {
	case kindCode:
		nl := strings.IndexByte(b.text, '\n')
		open := b.text[:nl]
		body := strings.Split(strings.TrimSuffix(b.text[nl+1:], "\n```"), "\n")
		var out []string
		for _, part := range packLines(body, 2, maxWords) { // the fence lines count as a word each
			out = append(out, open+"\n"+part+"\n```")
		}
		return out
	case kindList:
		return packLines(strings.Split(b.text, "\n"), 0, maxWords)
	case kindTable:
		lines := strings.Split(b.text, "\n")
		head := lines[0]
		var out []string
		for _, part := range packLines(lines[1:], wordCount(head), maxWords) {
			out = append(out, head+"\n"+part)
		}
		return out
	}
	var out []string
	var cur strings.Builder
	words := 0
	for _, s := range SplitSentences(b.text) {
		w := wordCount(s)
		if words > 0 && words+w > maxWords {
			out = append(out, cur.String())
			cur.Reset()
			words = 0
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(s)
		words += w
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// packLines groups lines into runs of at most maxWords words each, counting
// extra words that every run carries (a repeated table header).
func packLines(lines []string, extra, maxWords int) []string {
	var out []string
	var cur []string
	words := extra
	for _, l := range lines {
		w := wordCount(l)
		if len(cur) > 0 && words+w > maxWords {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
			words = extra
		}
		cur = append(cur, l)
		words += w
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out
}
