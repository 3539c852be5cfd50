package corpus

import (
	"bytes"
	stdhtml "html"
	"regexp"
	"strings"
	"sync"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// mdParser is goldmark's parser with the extensions footnote reads.
var mdParser = sync.OnceValue(func() parser.Parser {
	inline := parser.DefaultInlineParsers()
	for i, v := range inline {
		if v.Value == parser.NewLinkParser() {
			inline[i] = util.Prioritized(boundedLinks{parser.NewLinkParser()}, v.Priority)
		}
	}
	inline = append(inline, util.Prioritized(extension.NewStrikethroughParser(), 500))
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(inline...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		parser.WithParagraphTransformers(util.Prioritized(extension.NewTableParagraphTransformer(), 200)),
		parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
		parser.WithAttribute(),
	)
})

// parseMarkdown reads a Markdown article. It is parsed with goldmark
// (CommonMark, GFM tables and strikethrough, {#id} heading attributes) and
// the tree is walked into blocks:
//
//   - Headings (ATX and setext) start sections; their text is reduced like a
//     paragraph's and a {#id} attribute is dropped. The first level-1
//     heading is the title when front matter gives none, and a level-1
//     heading equal to the title is not a section.
//   - A paragraph is one line: soft line breaks become spaces (a hard line
//     break stays a newline), inline markup is reduced to the words a reader
//     sees: emphasis markers dropped, a link to its text, an image to its alt
//     text, an autolink to its URL, raw HTML tags dropped (the text between
//     them kept), entities and backslash escapes decoded. A code span stays
//     `code`.
//   - A fenced or indented code block is one block, rendered as a fence (see
//     fence): its lines exactly as written, never re-wrapped, never a
//     heading. A top-level fence left open to the end of the document is
//     closed before its first later section heading (closeRunawayFence),
//     so that one missing ``` does not make the rest of the document code.
//   - A list is one block, one line per item (see listBuilder for items that
//     hold code blocks or tables).
//   - A GFM table is one block, one line per row, header first, cells
//     separated by " | ".
//   - A block quote's blocks are read as if they were not quoted; a GitHub
//     alert marker ([!NOTE], [!WARNING], …) opening it is dropped.
//   - Thematic breaks and link reference definitions are dropped; an HTML
//     block is reduced to its text as an HTML page is (comments, scripts and
//     styles dropped), and one that is only tags gives nothing.
//   - Site shortcodes in prose are removed, the text between an opening and a
//     closing one kept: Hugo's {{< name args >}}, {{< /name >}} and
//     {{% … %}}; a paragraph that is nothing but Go-template actions
//     ({{ code "x.go" }}, {{template "x" .}}) is dropped. An action inside a
//     sentence ({{PrometheusPorts}}) is left as written, and code blocks and
//     code spans keep everything as written.
//
// Parsing is bounded: the byte limit is checked before any of this (Parse),
// nesting of block quotes and lists is capped (capNesting), and the link
// parser gives up on a block after a fixed number of link attempts and looks
// only so far along a line (boundedLinks), which keeps goldmark's link
// matching from going quadratic on hostile input; the tree is walked without
// recursion below the block level.
func parseMarkdown(id, text string, b *builder) (Document, error) {
	fm, body, err := splitFrontMatter(text)
	if err != nil {
		return Document{}, err
	}
	d := fm.document(id)
	blocks := markdownBlocks(body, &d.Title, b.m)
	if b.m != nil && b.m.err != nil {
		return Document{}, b.m.err // an HTML block over the budget
	}
	if d.Title == "" {
		d.Title = id
	}
	b.assemble(&d, blocks)
	return d, nil
}

// markdownBlocks parses Markdown source into blocks, HTML blocks under m
// (nil: the default budget). When title is not nil,
// the first level-1 heading fills an empty *title, and a level-1 heading
// equal to *title is dropped.
func markdownBlocks(src string, title *string, m *meter) []block {
	source := []byte(capNesting(src))
	doc := mdParser().Parse(text.NewReader(source))
	if fixed, ok := closeRunawayFence(doc, source); ok {
		source = fixed
		doc = mdParser().Parse(text.NewReader(source))
	}
	w := mdWalker{src: source, title: title, m: m}
	w.children(doc, 0)
	return w.blocks
}

// mdWalker turns a goldmark tree into blocks.
type mdWalker struct {
	src    []byte
	title  *string // nil inside a list item
	blocks []block
	m      *meter // the budget of HTML blocks
}

func (w *mdWalker) add(b block) {
	if b.text != "" {
		w.blocks = append(w.blocks, b)
	}
}

// children walks the block children of n. depth counts containers; it is
// bounded by capNesting, and checked again here so that no input can recurse
// without limit.
func (w *mdWalker) children(n ast.Node, depth int) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.node(c, depth)
	}
}

func (w *mdWalker) node(n ast.Node, depth int) {
	if depth > 2*maxNesting {
		w.add(block{text: collapse(plainText(n, w.src))})
		return
	}
	switch n := n.(type) {
	case *ast.Heading:
		t := oneLine(w.inline(n))
		if t == "" {
			return
		}
		if w.title != nil && n.Level == 1 && (*w.title == "" || strings.EqualFold(t, *w.title)) {
			if *w.title == "" {
				*w.title = t
			}
			return
		}
		w.add(block{text: t, heading: true, level: n.Level})
	case *ast.Paragraph, *ast.TextBlock:
		if onlyImages(n, w.src) {
			// A figure: the reader sees a picture, not its alt text,
			// so there is nothing to quote or point a link at.
			return
		}
		w.add(block{text: w.inline(n)})
	case *ast.FencedCodeBlock:
		lang := ""
		if n.Info != nil {
			lang = codeLang(string(n.Info.Segment.Value(w.src)))
		}
		w.add(block{text: fence(lang, w.lines(n)), kind: kindCode})
	case *ast.CodeBlock:
		w.add(block{text: fence("", w.lines(n)), kind: kindCode})
	case *ast.Blockquote:
		start := len(w.blocks)
		w.children(n, depth+1)
		if start < len(w.blocks) && !w.blocks[start].heading && w.blocks[start].kind == kindProse {
			t := strings.TrimSpace(alertMarker().ReplaceAllString(w.blocks[start].text, ""))
			if t == "" {
				w.blocks = append(w.blocks[:start], w.blocks[start+1:]...)
			} else {
				w.blocks[start].text = t
			}
		}
	case *ast.List:
		lb := listBuilder{out: &w.blocks}
		w.list(&lb, n, depth)
		lb.flush()
	case *east.Table:
		var rows [][]string
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, oneLine(w.inline(c)))
			}
			rows = append(rows, cells)
		}
		w.add(block{text: tableText(rows), kind: kindTable})
	case *ast.HTMLBlock:
		raw := string(n.Lines().Value(w.src))
		if n.HasClosure() {
			raw += string(n.ClosureLine.Value(w.src))
		}
		for _, b := range htmlFragmentBlocks(raw, w.m) {
			w.add(b)
		}
	case *ast.ThematicBreak, *ast.LinkReferenceDefinition:
	default:
		w.children(n, depth+1)
	}
}

// list renders a list's items into lb; nested lists come back from the
// items' content as list blocks of their own.
func (w *mdWalker) list(lb *listBuilder, l *ast.List, depth int) {
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = ordinal(num)
			num++
		}
		sub := mdWalker{src: w.src, m: w.m}
		sub.children(item, depth+1)
		lb.item(marker, sub.blocks)
	}
}

// alertMarker is a GitHub alert's first line: > [!NOTE].
var alertMarker = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[!(?i:note|tip|important|warning|caution)\]\s*`) })

// lines returns a code block's lines exactly as written (the container's
// indentation, or a block quote's markers, removed by the parser).
func (w *mdWalker) lines(n ast.Node) string {
	var sb strings.Builder
	segs := n.Lines()
	for i := 0; i < segs.Len(); i++ {
		s := segs.At(i)
		sb.Write(s.Value(w.src))
	}
	return sb.String()
}

// piece is a run of inline text; code runs are kept as written.
type piece struct {
	s    string
	code bool
}

// inline reduces the inline content of n to the text a reader sees (see the
// rules above). The tree is walked without recursion: emphasis can nest as
// deep as the input is long.
func (w *mdWalker) inline(n ast.Node) string {
	var ps []piece
	var prose strings.Builder // the prose run being read
	add := func(s string, code bool) {
		if !code {
			prose.WriteString(s)
			return
		}
		if prose.Len() > 0 {
			ps = append(ps, piece{prose.String(), false})
			prose.Reset()
		}
		if s != "" {
			ps = append(ps, piece{s, true})
		}
	}
	endsWith := func(suffix string) bool {
		return prose.Len() >= len(suffix) && strings.HasSuffix(prose.String(), suffix)
	}
	for c := n.FirstChild(); c != nil; {
		skip := false
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(w.src)
			if c.IsRaw() {
				add(string(v), false)
			} else {
				add(unescapeMarkdown(v), false)
			}
			switch {
			case c.HardLineBreak():
				add("\n", false)
			case c.SoftLineBreak():
				add(" ", false)
			}
		case *ast.String:
			add(string(c.Value), c.IsCode())
		case *ast.CodeSpan:
			add(codeSpan(plainText(c, w.src)), true)
			skip = true
		case *ast.AutoLink:
			add(string(c.Label(w.src)), false)
			skip = true
		case *ast.RawHTML:
			raw := strings.ToLower(string(c.Segments.Value(w.src)))
			switch {
			case strings.HasPrefix(raw, "<br"):
				add(" ", false)
			case endsWith("{{"):
				// {{<name>}}: a shortcode that looked like a tag.
				add(string(c.Segments.Value(w.src)), false)
			}
			skip = true
		}
		c = nextInline(c, n, skip)
	}
	add("", true) // end the last prose run
	var sb strings.Builder
	for _, p := range ps {
		if p.code {
			sb.WriteString(p.s)
			continue
		}
		sb.WriteString(reduceProse(p.s))
	}
	t := tidyLines(sb.String())
	if len(ps) == 1 && !ps[0].code && templateOnly().MatchString(t) {
		return ""
	}
	return t
}

// nextInline is the node after c in a pre-order walk of root's subtree,
// skipping c's children when skip is set.
func nextInline(c, root ast.Node, skip bool) ast.Node {
	if !skip && c.FirstChild() != nil {
		return c.FirstChild()
	}
	for c != nil && c != root {
		if s := c.NextSibling(); s != nil {
			return s
		}
		c = c.Parent()
	}
	return nil
}

// plainText concatenates the raw text segments under n, line breaks as
// spaces (a code span's content, or a whole subtree flattened).
func plainText(n ast.Node, src []byte) string {
	var sb strings.Builder
	for c := n.FirstChild(); c != nil; c = nextInline(c, n, false) {
		switch c := c.(type) {
		case *ast.Text:
			sb.Write(c.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				sb.WriteByte(' ')
			}
		case *ast.String:
			sb.Write(c.Value)
		}
		if c.Type() == ast.TypeBlock {
			sb.WriteByte(' ')
			if c.FirstChild() == nil && c.Lines() != nil {
				sb.Write(c.Lines().Value(src))
			}
		}
	}
	return strings.ReplaceAll(sb.String(), "\n", " ")
}

// unescapeMarkdown decodes backslash escapes of ASCII punctuation and HTML
// entities in Markdown text.
func unescapeMarkdown(v []byte) string {
	if !strings.ContainsAny(string(v), `\&`) {
		return string(v)
	}
	var sb strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v) && util.IsPunct(v[i+1]):
			sb.WriteByte(v[i+1])
			i++
		case c == '&':
			if m := entity().Find(v[i:]); m != nil {
				sb.WriteString(stdhtml.UnescapeString(string(m)))
				i += len(m) - 1
				continue
			}
			sb.WriteByte(c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

var entity = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)
})

var (
	// hugoShortcode is one Hugo shortcode tag, opening or closing.
	hugoShortcode = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{[<%].*?[%>]\}\}`) })
	// templateOnly is text made only of Go-template actions.
	templateOnly = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:\{\{[^{}]*\}\}\s*)+$`) })
	// leftoverLink is Markdown link syntax the parser did not take as a link
	// (escaped by the author, or past the link budget): [text](url).
	leftoverLink = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`!?\[([^\[\]]*)\]\([^()\s]*(?:\s+"[^"]*")?\)`) })
	// spaces is a run of blanks inside a line.
	spaces = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[ \t]{2,}`) })
)

// reduceProse removes shortcodes and leftover link syntax from prose (never
// code) and collapses runs of blanks.
func reduceProse(s string) string {
	if strings.Contains(s, "{{") {
		s = hugoShortcode().ReplaceAllString(s, " ")
	}
	if strings.Contains(s, "](") {
		s = leftoverLink().ReplaceAllString(s, "$1")
	}
	return spaces().ReplaceAllString(s, " ")
}

// tidyLines trims every line and drops empty ones.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// oneLine puts text on one line.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// maxNesting bounds how deeply block quotes and lists may nest.
const maxNesting = 32

// capNesting keeps block quotes and lists from nesting deeper than
// maxNesting: goldmark's work per line grows with the number of open
// containers, so a line of ten thousand '>' would take minutes. A container
// marker that could open past the limit is escaped with a backslash and
// reads as text. The depth is estimated from the line alone, as the markers
// before it plus half its indentation (each nested list item needs at least
// two columns), which never underestimates; only such lines change.
func capNesting(src string) string {
	var sb strings.Builder
	changed := false
	for rest := src; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if at := deepMarker(line); at >= 0 {
			if !changed {
				sb.Grow(len(src) + 64)
				sb.WriteString(src[:len(src)-len(rest)-len(line)])
				changed = true
			}
			sb.WriteString(line[:at])
			sb.WriteByte('\\')
			sb.WriteString(line[at:])
			continue
		}
		if changed {
			sb.WriteString(line)
		}
	}
	if !changed {
		return src
	}
	return sb.String()
}

// deepMarker returns the offset of the first container marker on line that
// could open past maxNesting, or -1.
func deepMarker(line string) int {
	col, depth := 0, 0
	blank := func(i int) bool {
		return i >= len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r'
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ':
			col++
			i++
		case c == '\t':
			col += 4 - col%4
			i++
		case c == '>':
			if depth+col/2 >= maxNesting {
				return i
			}
			depth++
			i++
		case (c == '-' || c == '*' || c == '+') && blank(i+1):
			if depth+col/2 >= maxNesting {
				return i
			}
			depth++
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j >= len(line) || (line[j] != '.' && line[j] != ')') || !blank(j+1) {
				return -1
			}
			if depth+col/2 >= maxNesting {
				return j
			}
			depth++
			i = j + 1
		default:
			return -1
		}
	}
	return -1
}

// maxLinkTries bounds the link closers (']') goldmark tries in one block.
// Each try may scan the rest of the line, or every line of the block for a
// shortcut reference, so thousands of brackets in one paragraph take
// quadratic time. Past the budget the brackets stay text, and reduceProse
// still reduces any [text](url) among them to its text.
const maxLinkTries = 256

var linkTriesKey = parser.NewContextKey()

// boundedLinks is goldmark's link parser with a per-block budget.
type boundedLinks struct{ parser.InlineParser }

func (b boundedLinks) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	n, _ := pc.Get(linkTriesKey).(int)
	if n >= maxLinkTries {
		return nil
	}
	if line, _ := block.PeekLine(); len(line) > 0 && line[0] == ']' {
		pc.Set(linkTriesKey, n+1)
	}
	return b.InlineParser.Parse(parent, shortLines{block}, pc)
}

// maxLinkLine bounds how far along a line the link parser looks for a link's
// destination.
const maxLinkLine = 2048

// shortLines shows the link parser at most maxLinkLine bytes of a line.
type shortLines struct{ text.Reader }

func (r shortLines) PeekLine() ([]byte, text.Segment) {
	line, seg := r.Reader.PeekLine()
	if len(line) > maxLinkLine {
		line = line[:maxLinkLine]
		seg = seg.WithStop(seg.Start + maxLinkLine)
	}
	return line, seg
}

func (b boundedLinks) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	pc.Set(linkTriesKey, 0)
	if cb, ok := b.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// onlyImages reports whether a paragraph holds nothing but images (and
// white space).
func onlyImages(n ast.Node, src []byte) bool {
	images := 0
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Image:
			images++
		case *ast.Text:
			if strings.TrimSpace(string(c.Segment.Value(src))) != "" {
				return false
			}
		default:
			return false
		}
	}
	return images > 0
}

// closeRunawayFence closes a fenced code block that is never closed
// before a section heading. CommonMark makes such a block run to the end
// of the document, so one missing ``` (a slip that is common in real docs,
// and that renders as a page of code) would turn every section after it
// into code that answers nothing. doc is goldmark's parse of source; when
// its last top-level block is a fenced code block that reaches the end of
// the source without a closing fence, the source is returned with a
// closing fence put before the first blank line in that block that is
// followed by a level-2 to level-6 ATX heading ("## Next section"): a
// shell comment ("# install") is level 1, so it never matches. Fences in
// list items and block quotes end with their container and are left
// alone, as is a block that another fence later closes (CommonMark pairs
// them). ok is false when nothing changed.
func closeRunawayFence(doc ast.Node, source []byte) (fixed []byte, ok bool) {
	fcb, isFence := doc.LastChild().(*ast.FencedCodeBlock)
	if !isFence || fcb.Lines().Len() < 2 {
		return nil, false
	}
	lines := fcb.Lines()
	last := lines.At(lines.Len() - 1)
	if len(bytes.TrimSpace(source[last.Stop:])) != 0 {
		return nil, false // a closing fence follows its last line
	}
	first := lines.At(0)
	opener := source[lineStart(source, first.Start-1):first.Start]
	marker := fenceMarker(strings.TrimLeft(string(opener), " "))
	if marker == "" {
		return nil, false
	}
	for i := 1; i < lines.Len(); i++ {
		blank, line := lines.At(i-1), lines.At(i)
		if len(bytes.TrimSpace(blank.Value(source))) == 0 && sectionHeading(string(line.Value(source))) {
			at := lineStart(source, blank.Start)
			fixed = make([]byte, 0, len(source)+len(marker)+1)
			fixed = append(fixed, source[:at]...)
			fixed = append(fixed, marker+"\n"...)
			return append(fixed, source[at:]...), true
		}
	}
	return nil, false
}

// lineStart is the offset of the start of the line holding offset i.
func lineStart(source []byte, i int) int {
	i = min(max(i, 0), len(source))
	return bytes.LastIndexByte(source[:i], '\n') + 1
}

// fenceMarker is the run of backticks or tildes (three or more) that opens
// a fenced code block on a line (its indentation removed), or "".
func fenceMarker(body string) string {
	for _, c := range []string{"`", "~"} {
		n := len(body) - len(strings.TrimLeft(body, c))
		if n >= 3 {
			if c == "`" && strings.Contains(body[n:], "`") {
				return "" // a backtick fence's info string has no backtick
			}
			return body[:n]
		}
	}
	return ""
}

// sectionHeading reports whether line is an ATX heading of level 2 to 6.
func sectionHeading(line string) bool {
	n := len(line) - len(strings.TrimLeft(line, "#"))
	return n >= 2 && n <= 6 && len(line) > n && (line[n] == ' ' || line[n] == '\t')
}
