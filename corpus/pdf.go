package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// parsePDF reads a PDF's text layer and treats it as plain text.
//
// The PDF library (github.com/ledongthuc/pdf) trusts the file: it follows a
// page tree that lists itself, or a page that is its own /Parent, without
// end, walks every page a /Count declares, allocates whatever object count
// a cross-reference section names, and builds a page's text from its whole
// decompressed content stream. So only its object layer is used, and under
// a budget (see Budget):
//
//   - checkPDFStructure refuses object counts and field widths over budget
//     before the library allocates by them;
//   - the file is read through a meter: the deadline, the context and the
//     memory allocated are checked at every read, and the bytes read are
//     bounded (the library reads an object again at every access, so a loop
//     in the file's structure is a loop of reads);
//   - the page tree is walked here, its depth, nodes and pages bounded, and
//     resources inherited down the walk rather than up the /Parent chain;
//   - content streams are read through a limit on their decompressed bytes,
//     their text operators interpreted here (pdfContent), and the text
//     bounded as it grows.
func parsePDF(id string, data []byte, b *builder) (doc Document, err error) {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return Document{}, errors.New("not a PDF (no %PDF- header)")
	}
	m, budget := b.m, b.m.budget
	if err := checkPDFStructure(data, budget); err != nil {
		return Document{}, err
	}
	m.maxRead = pdfReadFactor*int64(len(data)) + pdfReadSlack
	// The PDF library panics on malformed files, and on a failed read; a
	// bad file must only be skipped, with the budget's reason when that is
	// what stopped it.
	defer func() {
		if r := recover(); r != nil {
			err = m.err
			if err == nil {
				err = fmt.Errorf("unreadable PDF: %v", r)
			}
		}
	}()
	r, err := pdf.NewReader(meteredReaderAt{bytes.NewReader(data), m}, int64(len(data)))
	if err != nil {
		if m.err != nil {
			return Document{}, m.err
		}
		return Document{}, fmt.Errorf("unreadable PDF: %w", err)
	}
	x := pdfExtractor{m: m, budget: budget, streamLeft: budget.MaxStreamBytes, fonts: map[string]pdf.TextEncoding{}}
	if err := x.document(r); err != nil {
		if m.err != nil {
			return Document{}, m.err
		}
		return Document{}, err
	}
	text := x.out.String()
	if len(strings.TrimSpace(text)) == 0 {
		return Document{}, errors.New("PDF has no text layer (scanned images are not read)")
	}
	title := pdfTitle(r)
	if m.err != nil {
		return Document{}, m.err
	}
	d, err := parsePlain(id, strings.ToValidUTF8(text, "\uFFFD"), b)
	if err != nil {
		return d, err
	}
	if title != "" {
		d.Title = title
		for i := range d.Passages {
			d.Passages[i].Title = d.Title
		}
	}
	return d, nil
}

// The bytes of the file the library may read, in all: pdfReadFactor times
// its size plus pdfReadSlack. It reads an object again at every access (a
// font once per page, an object stream once per object in it), so a sound
// file's bytes are read many times over.
const (
	pdfReadFactor = 256
	pdfReadSlack  = 64 << 20
)

// Bounds of a PDF's structure that no sound file comes near.
const (
	maxPDFTreeDepth   = 64      // levels of the page tree
	maxPDFStreams     = 10_000  // content streams of one page
	maxPDFXrefWidth   = 8       // bytes of a cross-reference stream field
	maxPDFColumns     = 1 << 16 // PNG predictor columns
	maxPDFCMapBytes   = 4 << 20 // a font's ToUnicode map, decompressed
	maxPDFCMapBlock   = 10_000  // entries of one ToUnicode block (the spec's limit is 100)
	maxPDFDifferences = 4096    // entries of a font's /Differences
	maxPDFOperands    = 64      // operands kept for one content operator
)

// checkPDFStructure refuses, before the PDF library sees the file, the
// numbers it would allocate by: object numbers in cross-reference tables
// (the start of each subsection) and streams (/Size, /Index), the field
// widths of a cross-reference stream (/W), the object count of an object
// stream (/N), which it loops over without reading, and the columns of a
// PNG predictor (/Columns). An indirect /N or /Columns, which the library
// would resolve and use unchecked, is refused too: producers write them
// directly.
func checkPDFStructure(data []byte, budget Budget) error {
	limit := int64(budget.MaxObjects)
	for off := 0; ; {
		i := indexToken(data, off, "xref")
		if i < 0 {
			break
		}
		off = i + len("xref")
		if start, ok := xrefTableStart(data[off:], limit); !ok {
			return overBudget("PDF cross-reference table starts at object %d, over the %d-object limit", start, limit)
		}
	}
	checks := []struct {
		key   string
		limit int64
		why   string
	}{
		{"/Size", limit, "PDF declares %d objects, over the %d-object limit"},
		{"/N", limit, "PDF object stream declares %d objects, over the %d-object limit"},
		{"/Columns", maxPDFColumns, "PDF stream declares %d predictor columns, over the limit of %d"},
	}
	for _, c := range checks {
		for off := 0; ; {
			i := indexToken(data, off, c.key)
			if i < 0 {
				break
			}
			off = i + len(c.key)
			nums, ref := pdfInts(data[off:], 3)
			if len(nums) == 0 {
				continue
			}
			if ref && c.key != "/Size" {
				return fmt.Errorf("unsupported PDF: %s is an indirect reference", c.key)
			}
			if nums[0] > c.limit {
				return overBudget(c.why, nums[0], c.limit)
			}
		}
	}
	for off := 0; ; {
		i := indexToken(data, off, "/Index")
		if i < 0 {
			break
		}
		off = i + len("/Index")
		nums := pdfArrayInts(data[off:], 64)
		for j := 0; j+1 < len(nums); j += 2 {
			if nums[j] > limit || nums[j+1] > limit {
				return overBudget("PDF cross-reference stream indexes objects %d to %d, over the %d-object limit", nums[j], nums[j]+nums[j+1], limit)
			}
		}
	}
	for off := 0; ; {
		i := indexToken(data, off, "/W")
		if i < 0 {
			break
		}
		off = i + len("/W")
		for _, w := range pdfArrayInts(data[off:], 4) {
			if w > maxPDFXrefWidth {
				return fmt.Errorf("malformed PDF: cross-reference field of %d bytes (the most is %d)", w, maxPDFXrefWidth)
			}
		}
	}
	return nil
}

// indexToken is the offset of the first key at or after off that stands
// alone, not inside a longer name or keyword ("startxref" is not "xref",
// "/Sizes" not "/Size"), or -1.
func indexToken(data []byte, off int, key string) int {
	for off < len(data) {
		i := bytes.Index(data[off:], []byte(key))
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(key)
		before := key[0] == '/' || i == 0 || !isPDFRegular(data[i-1])
		after := end == len(data) || !isPDFRegular(data[end])
		if before && after {
			return i
		}
		off = end
	}
	return -1
}

// isPDFRegular reports whether c belongs to a name, number or keyword.
func isPDFRegular(c byte) bool {
	return !isPDFSpace(c) && !isPDFDelim(c)
}

func isPDFSpace(c byte) bool {
	switch c {
	case '\x00', '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// pdfInts reads up to n non-negative integers after white space, and
// whether two of them are followed by R (an indirect reference). A number
// too long to hold counts as the largest.
func pdfInts(b []byte, n int) (nums []int64, ref bool) {
	i := 0
	for len(nums) < n {
		for i < len(b) && isPDFSpace(b[i]) {
			i++
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i || (j < len(b) && isPDFRegular(b[j])) {
			break
		}
		v, err := strconv.ParseInt(string(b[i:j]), 10, 64)
		if err != nil {
			v = math.MaxInt64
		}
		nums = append(nums, v)
		i = j
	}
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	ref = len(nums) >= 2 && i < len(b) && b[i] == 'R' && (i+1 == len(b) || !isPDFRegular(b[i+1]))
	return nums, ref
}

// pdfArrayInts reads up to n integers of an array of them: "[0 12 40 3]".
func pdfArrayInts(b []byte, n int) []int64 {
	i := 0
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '[' {
		return nil
	}
	nums, _ := pdfInts(b[i+1:], n)
	return nums
}

// xrefTableStart checks the subsections of the cross-reference table whose
// "xref" keyword precedes b, read as the library reads them: "start count",
// then count entries "offset generation n|f", until something else
// ("trailer"). The library grows its table to each subsection's start; a
// start over limit is returned with ok false.
func xrefTableStart(b []byte, limit int64) (start int64, ok bool) {
	for {
		h, _ := pdfInts(b, 2)
		if len(h) < 2 {
			return 0, true
		}
		if h[0] > limit {
			return h[0], false
		}
		// Skip the header and its entries, or as many as there are.
		want := 2 + 3*min(h[1], int64(len(b)))
		i := 0
		for fields := int64(0); fields < want; fields++ {
			for i < len(b) && isPDFSpace(b[i]) {
				i++
			}
			j := i
			for j < len(b) && isPDFRegular(b[j]) {
				j++
			}
			if j == i {
				return 0, true
			}
			i = j
		}
		b = b[i:]
	}
}

// pdfExtractor collects a PDF's text under a budget.
type pdfExtractor struct {
	m          *meter
	budget     Budget
	streamLeft int64 // decompressed bytes that may still be read
	out        strings.Builder
	fonts      map[string]pdf.TextEncoding // by resource name and font dictionary
}

// pdfNode is a page tree node to visit and the resources it inherits.
type pdfNode struct {
	v     pdf.Value
	res   pdf.Value
	depth int
}

// document walks the page tree from the catalog, depth first, and adds
// each page's text in order. The tree's depth, its nodes and its pages are
// bounded, so a tree that lists itself ends at maxPDFTreeDepth or at the
// node budget; resources are inherited down the walk, and the /Parent
// entries, which a hostile file can point anywhere, are not followed.
func (x *pdfExtractor) document(r *pdf.Reader) error {
	root := r.Trailer().Key("Root").Key("Pages")
	if n := root.Key("Count").Int64(); n > int64(x.budget.MaxPages) {
		return overBudget("PDF says it has %d pages, over the %d-page limit", n, x.budget.MaxPages)
	}
	maxNodes := 2*x.budget.MaxPages + maxPDFTreeDepth
	stack := []pdfNode{{v: root, res: root.Key("Resources")}}
	nodes, pages := 0, 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if err := x.m.check(); err != nil {
			return err
		}
		if nodes++; nodes > maxNodes {
			return overBudget("PDF page tree has over %d nodes (a /Kids entry that points back up the tree?)", maxNodes)
		}
		res := n.res
		if own := n.v.Key("Resources"); own.Kind() == pdf.Dict {
			res = own
		}
		switch n.v.Key("Type").Name() {
		case "Pages":
			if n.depth >= maxPDFTreeDepth {
				return fmt.Errorf("malformed PDF: the page tree nests over %d levels (a /Kids entry points back up the tree)", maxPDFTreeDepth)
			}
			kids := n.v.Key("Kids")
			if kids.Len() > maxNodes {
				return overBudget("PDF page tree node lists %d kids, over the %d-page limit", kids.Len(), x.budget.MaxPages)
			}
			for i := kids.Len() - 1; i >= 0; i-- {
				stack = append(stack, pdfNode{v: kids.Index(i), res: res, depth: n.depth + 1})
			}
		case "Page":
			if pages++; pages > x.budget.MaxPages {
				return overBudget("PDF has over %d pages", x.budget.MaxPages)
			}
			if err := x.page(n.v, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// page adds one page's text: its content streams, read as one.
func (x *pdfExtractor) page(page, res pdf.Value) error {
	contents := page.Key("Contents")
	var streams []io.Reader
	switch contents.Kind() {
	case pdf.Stream:
		streams = append(streams, &pdfStream{s: contents, x: x})
	case pdf.Array:
		if contents.Len() > maxPDFStreams {
			return fmt.Errorf("malformed PDF: a page with %d content streams", contents.Len())
		}
		for i := 0; i < contents.Len(); i++ {
			if s := contents.Index(i); s.Kind() == pdf.Stream {
				streams = append(streams, &pdfStream{s: s, x: x})
			}
		}
	}
	if len(streams) == 0 {
		return nil
	}
	c := pdfContent{lex: newPDFLexer(io.MultiReader(streams...)), x: x, fonts: res.Key("Font")}
	return c.run()
}

// pdfStream is a stream's decompressed bytes, opened when first read and
// counted against the document's stream budget.
type pdfStream struct {
	s  pdf.Value
	rd io.Reader
	x  *pdfExtractor
}

func (s *pdfStream) Read(p []byte) (int, error) {
	if err := s.x.m.check(); err != nil {
		return 0, err
	}
	if s.rd == nil {
		s.rd = s.s.Reader()
	}
	n, err := s.rd.Read(p)
	if s.x.streamLeft -= int64(n); s.x.streamLeft < 0 {
		return n, overBudget("PDF content decompresses to over %s", mib(s.x.budget.MaxStreamBytes))
	}
	return n, err
}

// write adds decoded text to the document's.
func (x *pdfExtractor) write(s string) error {
	x.out.WriteString(s)
	if int64(x.out.Len()) > x.budget.MaxTextBytes {
		return overBudget("PDF text is over %s", mib(x.budget.MaxTextBytes))
	}
	return nil
}

// encoding is the text encoding of the font named name in a page's /Font
// resources, as the PDF library reads it, after its ToUnicode map and its
// /Differences are checked against their bounds. A name the page does not
// have reads the bytes as they are, as the library does.
func (x *pdfExtractor) encoding(fonts pdf.Value, name string) (pdf.TextEncoding, error) {
	fv := fonts.Key(name)
	if fv.IsNull() {
		return nopEncoding{}, nil
	}
	key := name + "\x00" + fv.String()
	if enc, ok := x.fonts[key]; ok {
		return enc, nil
	}
	if d := fv.Key("Encoding").Key("Differences"); d.Len() > maxPDFDifferences {
		return nil, overBudget("PDF font %s has %d encoding differences, over the limit of %d", name, d.Len(), maxPDFDifferences)
	}
	if tu := fv.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if err := x.checkCMap(name, tu); err != nil {
			return nil, err
		}
	}
	f := pdf.Font{V: fv}
	enc := f.Encoder()
	x.fonts[key] = enc
	return enc, nil
}

// checkCMap reads a ToUnicode map before the library does: its size is
// bounded, and so is the entry count each block declares, which the
// library loops over without reading.
func (x *pdfExtractor) checkCMap(font string, tu pdf.Value) error {
	lex := newPDFLexer(io.LimitReader(&pdfStream{s: tu, x: x}, maxPDFCMapBytes+1))
	var last pdfToken
	for {
		t, err := lex.next()
		if err != nil {
			return err
		}
		if t.kind == tokEOF {
			break
		}
		if t.kind == tokOp && strings.HasPrefix(t.text, "begin") && last.kind == tokNumber {
			if n, _ := strconv.ParseFloat(last.text, 64); n > maxPDFCMapBlock {
				return overBudget("PDF font %s's ToUnicode map declares a block of %s entries, over the limit of %d", font, last.text, maxPDFCMapBlock)
			}
		}
		last = t
	}
	if lex.read > maxPDFCMapBytes {
		return overBudget("PDF font %s's ToUnicode map is over %s", font, mib(maxPDFCMapBytes))
	}
	return nil
}

// nopEncoding reads a string's bytes as its text, as the library does for
// a font the page does not have.
type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// pdfTitle is the Title of the PDF's Info dictionary, decoded (decodePDFText)
// and on one line, or "" when there is none worth having. A talk's title
// that its slides break over two lines reaches the metadata with the line
// break in it (a raw newline, \r, or PowerPoint's vertical tab), and every
// one-line rendering of the title then showed only its first half. A broken
// Info dictionary loses only the title, not the document: the lexer panics
// on it, and that is recovered here.
func pdfTitle(r *pdf.Reader) (title string) {
	defer func() {
		if recover() != nil {
			title = ""
		}
	}()
	v := r.Trailer().Key("Info").Key("Title")
	if v.Kind() != pdf.String {
		return ""
	}
	t := decodePDFText(v.RawString(), v.Text)
	t = strings.TrimPrefix(t, "Microsoft Word - ")
	t = strings.TrimPrefix(t, "Microsoft PowerPoint - ")
	if ext := strings.ToLower(path.Ext(t)); officeExt[ext] {
		t = strings.TrimSpace(t[:len(t)-len(ext)])
	}
	if strings.EqualFold(t, "untitled") {
		return ""
	}
	return t
}

// officeExt are file extensions that producers leave on a file name used as
// the title.
var officeExt = map[string]bool{".doc": true, ".docx": true, ".ppt": true, ".pptx": true, ".key": true,
	".odt": true, ".odp": true, ".pdf": true, ".tex": true, ".dvi": true}

// decodePDFText decodes a PDF text string (PDF 32000-2, 7.9.2.2): UTF-16BE
// after a FE FF byte-order mark (an odd last byte ignored, language escapes
// ESC…ESC dropped), UTF-8 after EF BB BF, and otherwise PDFDocEncoding
// (pdfDoc, the library's decoder) unless the bytes are valid UTF-8 with
// non-ASCII characters in them, which producers write without the mark far
// more often than PDFDocEncoding text that happens to be valid UTF-8.
// Control characters and line breaks become spaces, runs of blanks one.
func decodePDFText(raw string, pdfDoc func() string) string {
	var t string
	switch {
	case strings.HasPrefix(raw, "\xfe\xff"):
		b := raw[2:]
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		t = string(utf16.Decode(u))
		t = pdfLangEscape().ReplaceAllString(t, "")
	case strings.HasPrefix(raw, "\xef\xbb\xbf"):
		t = strings.ToValidUTF8(raw[3:], "\uFFFD")
	case utf8.ValidString(raw) && !isASCII(raw):
		t = raw
	default:
		t = pdfDoc()
	}
	t = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, t)
	return collapse(t)
}

// pdfLangEscape is a language tag inside a UTF-16 text string.
var pdfLangEscape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b[^\x1b]*\x1b") })

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
