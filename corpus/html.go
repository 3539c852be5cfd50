package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// parseHTML extracts the main content of a web page with go-readability,
// then walks it for headings and paragraph-level blocks: <pre> becomes a
// code block (fenced, with the language of a "language-x" class), <ul> and
// <ol> lists and data <table>s become list and table blocks as in Markdown,
// inline <code> stays `code`, and images give nothing.
//
// The title is chosen by pageTitle. It used to be the <title> of the <head>
// only, and when html.Parse had moved that <title> into the <body> (any
// <svg> sprite, <noscript> image, custom element or stray text in the head
// ends the head early, as browsers do) or the page had none, readability's
// guess came next, which takes the first <title> element anywhere, an
// icon's <svg><title> included, and then the first heading of the content,
// which on documentation pages is an <h2> such as "Introduction" (the page's
// <h1> sits in a page header that readability drops).
//
// The tree is built under the file's budget: a page whose tree would have
// over Budget.MaxNodes nodes is refused before it is built (a few repeated
// unclosed formatting tags make the parser clone them for every paragraph:
// 80 KB became a million elements; checkHTMLSize counts them with the
// tokenizer alone), html.Parse reads through the meter, which stops it at
// the deadline or once it has allocated its memory, and the tree built is
// counted again before readability walks it.
func parseHTML(id string, data []byte, b *builder) (Document, error) {
	root, err := parseHTMLTree(func() (io.Reader, error) {
		r, err := charset.NewReader(bytes.NewReader(data), "text/html")
		if err != nil {
			return nil, fmt.Errorf("charset: %w", err)
		}
		return r, nil
	}, b.m)
	if err != nil {
		return Document{}, err
	}
	d := Document{ID: id}
	meta := pageMeta(root)
	d.URL, d.Author, d.Date = meta.canonical, meta.author, meta.date
	content := root
	rp := readability.NewParser()
	rp.KeepClasses = true // <pre class="language-go"> names its language
	if art, err := rp.ParseDocument(root, nil); err == nil && art.Node != nil {
		content = art.Node
		if d.Author == "" {
			d.Author = strings.TrimSpace(art.Byline())
		}
	}
	d.Title = pageTitle(meta)
	var w htmlWalker
	w.walk(content, 0)
	w.flush()
	blocks := w.blocks
	if len(blocks) > 0 && blocks[0].heading {
		first := blocks[0]
		switch {
		case strings.EqualFold(first.text, d.Title):
			blocks = blocks[1:]
		case d.Title == "" && first.level == 1:
			d.Title = first.text
			blocks = blocks[1:]
		}
	}
	hasText := false
	for _, bl := range blocks {
		if !bl.heading {
			hasText = true
		}
	}
	if !hasText {
		return Document{}, errors.New("no readable text in the page")
	}
	if d.Title == "" {
		d.Title = id
	}
	b.assemble(&d, blocks)
	return d, nil
}

// parseHTMLTree parses HTML under m: the page is first tokenized to
// count the nodes its tree would have (checkHTMLSize), then parsed from a
// second reader.
func parseHTMLTree(open func() (io.Reader, error), m *meter) (*html.Node, error) {
	r, err := open()
	if err != nil {
		return nil, err
	}
	if err := checkHTMLSize(meteredReader{r, m}, m.budget.MaxNodes); err != nil {
		if m.err == nil && errors.Is(err, ErrOverBudget) {
			m.err = err // the whole file is over budget, not only this piece
		}
		if m.err != nil {
			return nil, m.err
		}
		return nil, err
	}
	if r, err = open(); err != nil {
		return nil, err
	}
	root, err := html.Parse(meteredReader{r, m})
	if m.err != nil {
		return nil, m.err
	}
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	if n := countNodes(root, m.budget.MaxNodes); n > m.budget.MaxNodes {
		m.err = overBudget("HTML page has over %d nodes", m.budget.MaxNodes)
		return nil, m.err
	}
	return root, nil
}

// countNodes counts the nodes of a tree, up to one more than limit.
func countNodes(root *html.Node, limit int) int {
	n := 0
	for c := root; c != nil && n <= limit; c = nextHTML(c, root, false) {
		n++
	}
	return n
}

// htmlMeta is what a page says about itself.
type htmlMeta struct {
	title, ogTitle, siteName, h1 string
	canonical, author, date      string
}

// pageMeta reads a page's metadata from anywhere in the document, not only
// the <head> (see parseHTML), and the first <h1> outside page chrome.
func pageMeta(root *html.Node) htmlMeta {
	var m htmlMeta
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = collapse(v)
		}
	}
	for n := root; n != nil; {
		skip := false
		if n.Type == html.ElementNode {
			switch {
			case n.Namespace != "": // <svg><title> labels an icon
				skip = true
			case n.DataAtom == atom.Title:
				set(&m.title, textOf(n))
				skip = true
			case n.DataAtom == atom.Link:
				if strings.EqualFold(attr(n, "rel"), "canonical") {
					set(&m.canonical, attr(n, "href"))
				}
			case n.DataAtom == atom.Meta:
				c := attr(n, "content")
				switch strings.ToLower(attr(n, "name") + attr(n, "property")) {
				case "og:title", "twitter:title":
					set(&m.ogTitle, c)
				case "og:site_name", "application-name":
					set(&m.siteName, c)
				case "author", "article:author":
					set(&m.author, c)
				case "og:url":
					set(&m.canonical, c)
				case "article:published_time", "date":
					set(&m.date, c)
				}
			case n.DataAtom == atom.H1:
				if m.h1 == "" && !inChrome(n) {
					set(&m.h1, textOf(n))
				}
				skip = true
			case n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template:
				skip = true
			}
		}
		n = nextHTML(n, root, skip)
	}
	return m
}

// inChrome reports whether n sits in a page's header, navigation, footer or
// sidebar (looking a bounded way up).
func inChrome(n *html.Node) bool {
	for p, i := n.Parent, 0; p != nil && i < 64; p, i = p.Parent, i+1 {
		switch p.DataAtom {
		case atom.Header, atom.Nav, atom.Footer, atom.Aside:
			return true
		}
	}
	return false
}

// titleSeparators split a page name from the site's name in a <title>.
var titleSeparators = []string{" | ", " — ", " – ", " · ", " :: ", " » ", " - "}

// pageTitle chooses a page's title:
//
//  1. og:title (or twitter:title), else the <title> (an HTML one, never an
//     <svg> icon's), with a site name cut off where something is left: the
//     name og:site_name gives, before or after a separator (" | ", " — ",
//     " – ", " · ", " :: ", " » ", " - "); else, at the last separator, the
//     part the first <h1> equals, or the part before it (for " - " only when
//     the part after is at most three words: "Go 1.22 - what changed in the
//     runtime" keeps its whole title);
//  2. if that leaves nothing, or only the site's name, the first <h1>
//     outside page chrome (header, nav, footer, aside);
//  3. otherwise nothing: parseHTML then takes a leading <h1> of the content,
//     or the document ID. A lower heading never names the page.
func pageTitle(m htmlMeta) string {
	t := m.ogTitle
	if t == "" {
		t = m.title
	}
	t = stripSiteName(t, m.siteName, m.h1)
	if t == "" || (m.siteName != "" && strings.EqualFold(t, m.siteName)) {
		return m.h1
	}
	return t
}

func stripSiteName(t, site, h1 string) string {
	if t == "" || strings.EqualFold(t, h1) {
		return t
	}
	lower := strings.ToLower(t)
	if site != "" {
		s := strings.ToLower(site)
		for _, sep := range titleSeparators {
			if rest, ok := strings.CutSuffix(lower, sep+s); ok && strings.TrimSpace(rest) != "" {
				return strings.TrimSpace(t[:len(rest)])
			}
			if rest, ok := strings.CutPrefix(lower, s+sep); ok && strings.TrimSpace(rest) != "" {
				return strings.TrimSpace(t[len(t)-len(rest):])
			}
		}
	}
	for _, sep := range titleSeparators {
		i := strings.LastIndex(t, sep)
		if i < 0 {
			continue
		}
		head, tail := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+len(sep):])
		switch {
		case h1 != "" && strings.EqualFold(head, h1):
			return head
		case h1 != "" && strings.EqualFold(tail, h1):
			return tail
		case head != "" && (sep != " - " || wordCount(tail) <= 3):
			return head
		}
	}
	return t
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// nextHTML is the node after n in a pre-order walk of root's subtree,
// skipping n's children when skip is set; it needs no recursion, so a
// deeply nested page cannot exhaust the stack.
func nextHTML(n, root *html.Node, skip bool) *html.Node {
	if !skip && n.FirstChild != nil {
		return n.FirstChild
	}
	for n != nil && n != root {
		if n.NextSibling != nil {
			return n.NextSibling
		}
		n = n.Parent
	}
	return nil
}

// maxHTMLDepth bounds the element nesting walked for structure; deeper
// content is read as plain text.
const maxHTMLDepth = 256

// htmlWalker collects blocks from an HTML tree in document order.
type htmlWalker struct {
	blocks    []block
	buf       strings.Builder // inline text of the paragraph being read
	keepShort bool            // keep text too short to mean anything alone (table cells)
}

// flush ends the paragraph being read.
func (w *htmlWalker) flush() {
	t := collapse(w.buf.String())
	w.buf.Reset()
	if t != "" && (w.keepShort || !isChrome(t)) {
		w.blocks = append(w.blocks, block{text: t})
	}
}

func (w *htmlWalker) children(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, depth+1)
	}
}

func (w *htmlWalker) walk(n *html.Node, depth int) {
	switch n.Type {
	case html.TextNode:
		w.buf.WriteString(n.Data)
		return
	case html.DocumentNode:
		w.children(n, depth)
		return
	case html.ElementNode:
	default: // comments, doctypes
		return
	}
	if n.Namespace != "" { // svg, math
		return
	}
	if depth > maxHTMLDepth {
		w.buf.WriteString(" " + textOf(n) + " ")
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Nav, atom.Footer, atom.Form, atom.Button,
		atom.Template, atom.Iframe, atom.Head, atom.Title, atom.Select, atom.Textarea, atom.Object, atom.Canvas:
		return
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		w.flush()
		if t := headingText(n); t != "" {
			w.blocks = append(w.blocks, block{text: t, heading: true, level: int(n.Data[1] - '0')})
		}
	case atom.Pre:
		w.flush()
		if t := fence(preLang(n), textOf(n)); t != "" {
			w.blocks = append(w.blocks, block{text: t, kind: kindCode})
		}
	case atom.Code, atom.Kbd, atom.Samp:
		w.buf.WriteString(codeSpan(strings.ReplaceAll(textOf(n), "\n", " ")))
	case atom.Ul, atom.Ol:
		w.flush()
		lb := listBuilder{out: &w.blocks}
		w.list(&lb, n, depth)
		lb.flush()
	case atom.Table:
		w.flush()
		if rows, ok := w.tableRows(n, depth); ok {
			if t := tableText(rows); t != "" {
				w.blocks = append(w.blocks, block{text: t, kind: kindTable})
			}
			return
		}
		w.children(n, depth) // a layout table: its cells are containers
		w.flush()
	case atom.Br:
		w.buf.WriteByte(' ')
	case atom.Img:
	case atom.P, atom.Div, atom.Article, atom.Section, atom.Main, atom.Blockquote, atom.Li, atom.Dd, atom.Dt,
		atom.Dl, atom.Figure, atom.Figcaption, atom.Header, atom.Aside, atom.Details, atom.Summary, atom.Address,
		atom.Center, atom.Hr, atom.Body, atom.Html, atom.Fieldset, atom.Legend, atom.Caption, atom.Tr, atom.Td,
		atom.Th, atom.Thead, atom.Tbody, atom.Tfoot, atom.Hgroup, atom.Menu, atom.Dialog:
		w.flush()
		w.children(n, depth)
		w.flush()
	default: // inline elements
		w.children(n, depth)
	}
}

// list renders the items of a <ul> or <ol>.
func (w *htmlWalker) list(lb *listBuilder, n *html.Node, depth int) {
	num := 1
	if s, err := strconv.Atoi(strings.TrimSpace(attr(n, "start"))); err == nil && s >= 0 && s < 1e6 {
		num = s
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		marker := "- "
		if n.DataAtom == atom.Ol {
			marker = ordinal(num)
		}
		var sub htmlWalker
		if c.DataAtom == atom.Li {
			sub.children(c, depth+1)
			if n.DataAtom == atom.Ol {
				num++
			}
		} else {
			sub.walk(c, depth+1) // a list nested without its <li>
		}
		sub.flush()
		lb.item(marker, sub.blocks)
	}
}

// tableRows reads a data table's rows, header first. A table that holds
// another table, a list, preformatted text or headings is a layout table
// (ok is false).
func (w *htmlWalker) tableRows(t *html.Node, depth int) (rows [][]string, ok bool) {
	for n := t.FirstChild; n != nil; n = nextHTML(n, t, n.Type == html.ElementNode && n.DataAtom == atom.Tr) {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Table, atom.Ul, atom.Ol, atom.Pre, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			return nil, false
		case atom.Tr:
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type != html.ElementNode || (c.DataAtom != atom.Td && c.DataAtom != atom.Th) {
					continue
				}
				for d := c.FirstChild; d != nil; d = nextHTML(d, c, false) {
					if d.Type == html.ElementNode {
						switch d.DataAtom {
						case atom.Table, atom.Ul, atom.Ol, atom.Pre, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
							return nil, false
						}
					}
				}
				sub := htmlWalker{keepShort: true}
				sub.children(c, depth+1)
				sub.flush()
				var parts []string
				for _, b := range sub.blocks {
					parts = append(parts, b.text)
				}
				cells = append(cells, strings.Join(parts, " "))
			}
			rows = append(rows, cells)
		}
	}
	return rows, true
}

// preLang is the language a <pre> or its <code> names in a "language-x" or
// "lang-x" class.
func preLang(pre *html.Node) string {
	nodes := []*html.Node{pre}
	if c := pre.FirstChild; c != nil && c.Type == html.ElementNode && c.DataAtom == atom.Code {
		nodes = append(nodes, c)
	}
	for _, n := range nodes {
		for _, class := range strings.Fields(attr(n, "class")) {
			if strings.HasPrefix(class, "language-") || strings.HasPrefix(class, "lang-") {
				return codeLang(class)
			}
		}
	}
	return ""
}

// htmlFragmentBlocks reduces a piece of HTML (a Markdown HTML block) to
// blocks, parsed under m; a piece that is only tags gives none, and so
// does one that could not be parsed within the budget (m.err says why).
func htmlFragmentBlocks(raw string, m *meter) []block {
	if m == nil {
		var stop func()
		m, stop = newMeter(context.Background(), Budget{}, len(raw))
		defer stop()
	}
	root, err := parseHTMLTree(func() (io.Reader, error) { return strings.NewReader(raw), nil }, m)
	if err != nil {
		return nil
	}
	var w htmlWalker
	w.walk(root, 0)
	w.flush()
	return w.blocks
}

// headingText is a heading's text without its permalink: a link whose text
// has no letter or digit in it ("#", "¶", "🔗").
func headingText(h *html.Node) string {
	var sb strings.Builder
	for c := h.FirstChild; c != nil; {
		skip := false
		switch {
		case c.Type == html.TextNode:
			sb.WriteString(c.Data)
		case c.Type == html.ElementNode && c.DataAtom == atom.A:
			t := textOf(c)
			skip = !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
		case c.Type == html.ElementNode && (c.DataAtom == atom.Script || c.DataAtom == atom.Style):
			skip = true
		}
		c = nextHTML(c, h, skip)
	}
	return collapse(sb.String())
}

// textOf is the text under n as written, <br> as a newline; scripts and
// styles are skipped.
func textOf(n *html.Node) string {
	var sb strings.Builder
	for c := n.FirstChild; c != nil; {
		skip := false
		switch {
		case c.Type == html.TextNode:
			sb.WriteString(c.Data)
		case c.Type == html.ElementNode && (c.DataAtom == atom.Script || c.DataAtom == atom.Style):
			skip = true
		case c.Type == html.ElementNode && c.DataAtom == atom.Br:
			sb.WriteByte('\n')
		}
		c = nextHTML(c, n, skip)
	}
	return sb.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
