package corpus

import (
	"regexp"
	"strings"
)

var (
	atxHeading  = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	setextUnder = regexp.MustCompile(`^(=+|-+)[ \t]*$`)
)

// parseMarkdown reads a Markdown article. The first level-1 heading is the
// title when front matter gives none; every other heading starts a section.
// Fenced code blocks stay whole, blank lines inside them included.
func parseMarkdown(id, text string, b *builder) (Document, error) {
	fm, body, err := splitFrontMatter(text)
	if err != nil {
		return Document{}, err
	}
	d := Document{ID: id, Title: fm.Title, URL: fm.URL, Author: fm.Author, Date: fm.Date}
	var blocks []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			if t := strings.TrimSpace(strings.Join(para, "\n")); t != "" {
				blocks = append(blocks, block{text: t})
			}
			para = para[:0]
		}
	}
	heading := func(level int, t string) {
		flush()
		t = strings.TrimSpace(t)
		if t == "" {
			return
		}
		if level == 1 && (d.Title == "" || strings.EqualFold(t, d.Title)) {
			if d.Title == "" {
				d.Title = t
			}
			return
		}
		blocks = append(blocks, block{text: t, heading: true})
	}
	lines := strings.Split(body, "\n")
	fence := ""
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t\r")
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			para = append(para, line)
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
				flush()
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			flush()
			fence = trimmed[:3]
			para = append(para, line)
			continue
		}
		if m := atxHeading.FindStringSubmatch(trimmed); m != nil && len(line)-len(strings.TrimLeft(line, " ")) < 4 {
			heading(len(m[1]), m[2])
			continue
		}
		if trimmed == "" {
			flush()
			continue
		}
		// Setext heading: one text line underlined with === or ---.
		if len(para) == 0 && i+1 < len(lines) && setextUnder.MatchString(strings.TrimSpace(lines[i+1])) && !isThematicBreak(trimmed) {
			level := 2
			if strings.HasPrefix(strings.TrimSpace(lines[i+1]), "=") {
				level = 1
			}
			heading(level, trimmed)
			i++
			continue
		}
		if isThematicBreak(trimmed) {
			flush()
			continue
		}
		para = append(para, line)
	}
	flush()
	if d.Title == "" {
		d.Title = id
	}
	b.assemble(&d, blocks)
	return d, nil
}

func isThematicBreak(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 3 {
		return false
	}
	return strings.Trim(s, "-") == "" || strings.Trim(s, "*") == "" || strings.Trim(s, "_") == ""
}
