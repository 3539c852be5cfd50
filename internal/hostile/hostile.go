// Package hostile builds the hostile article files of issue 14 in code (none
// is downloaded or kept as a file): the three PDFs under 640 bytes that hung
// footnote for good, the FlateDecode bomb that became 2.7 GB, and the HTML
// formatting bomb that cost 2.1 GB for 5 MiB. The corpus tests, the library
// tests and the hostile-file benchmark share them.
package hostile

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"sync"
)

// File is a hostile file and what footnote makes of it under the default
// parsing budget: skipped with a reason containing Reason (wrapping
// corpus.ErrOverBudget when OverBudget), or, when Reason is empty, read,
// with Text in its passage.
type File struct {
	Name       string // its extension picks the parser
	Reason     string
	Text       string
	OverBudget bool
	Data       []byte
}

// Pieces of the PDFs.
const (
	PDFText    = "BT /F1 12 Tf 72 700 Td (Widgets are serviced every spring by the maintenance team.) Tj ET"
	PDFCatalog = "<< /Type /Catalog /Pages 2 0 R >>"
	PDFFont    = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
)

// AssemblePDF writes a PDF whose objects are objs (object i+1 is objs[i]),
// with a correct cross-reference table and object 1 as the catalog.
func AssemblePDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// PDFStream is a stream object with dict's entries and data.
func PDFStream(dict, data string) string {
	return fmt.Sprintf("<< /Length %d %s >>\nstream\n%s\nendstream", len(data), dict, data)
}

// PDFs are the three tiny PDFs of issue 14, each under 640 bytes. The PDF
// library looped on each without end: its page lookup descends into a
// node that lists itself for ever, its resource lookup climbs a page that
// is its own /Parent for ever, and its text extraction visits every page
// a /Count declares.
func PDFs() []File {
	page := "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
	return []File{
		{
			Name:   "kids-list-their-node.pdf",
			Reason: "the page tree nests over 64 levels",
			Data: AssemblePDF(PDFCatalog, "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", page,
				PDFStream("", PDFText), PDFFont),
		},
		{
			// footnote walks the tree down from the catalog and never
			// follows /Parent, so this page is read like any other.
			Name: "page-is-its-own-parent.pdf",
			Text: "Widgets are serviced every spring",
			Data: AssemblePDF(PDFCatalog, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>", PDFStream("", PDFText)),
		},
		{
			Name:       "count-9999999999999.pdf",
			Reason:     "PDF says it has 9999999999999 pages, over the 10000-page limit",
			OverBudget: true,
			Data: AssemblePDF(PDFCatalog, "<< /Type /Pages /Kids [3 0 R] /Count 9999999999999 >>", page,
				PDFStream("", PDFText), PDFFont),
		},
	}
}

// FlateBombPDF is a one-page PDF whose FlateDecode content stream
// inflates to textBytes of text-showing operators (issue 14: 200 MB of
// text in a few hundred KB became 2.7 GB).
func FlateBombPDF(textBytes int) []byte {
	line := "BT /F1 12 Tf 72 700 Td (" + strings.Repeat("all work and no play makes jack a dull boy ", 20) + ") Tj ET\n"
	chunk := []byte(strings.Repeat(line, 1000))
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	for n := 0; n < textBytes; n += len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	content := fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String())
	return AssemblePDF(PDFCatalog, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>", content, PDFFont)
}

// FlateBomb is FlateBombPDF of issue 14's 200 MB of text (1.5 MB), built
// once.
var FlateBomb = sync.OnceValue(func() []byte { return FlateBombPDF(200 << 20) })

// FlateBombFile is FlateBomb with what footnote makes of it.
func FlateBombFile() File {
	return File{Name: "flate-bomb.pdf", Reason: "PDF text is over 16 MiB", OverBudget: true, Data: FlateBomb()}
}

// FormattingBomb is an HTML page of about size bytes in which a hundred
// formatting elements, left open inside a paragraph, are cloned by the
// parser into every later paragraph (the HTML parsing algorithm's
// "reconstruct the active formatting elements"): 8 bytes of input become
// a hundred elements (issue 14: 5 MiB cost 2.1 GB).
func FormattingBomb(size int) []byte {
	var b strings.Builder
	b.WriteString("<!doctype html><html><body><p>")
	for i := range 100 {
		fmt.Fprintf(&b, "<b id=b%d>", i)
	}
	for b.Len() < size {
		b.WriteString("</p><p>x")
	}
	return []byte(b.String())
}

// FormattingBombFile is the formatting bomb at issue 14's size, 5 MiB (64
// bytes short of it, so that /ingest's default ingest_max_bytes lets it
// through to the parser), with what footnote makes of it: refused before
// its tree is built, by the nodes the tree would have.
func FormattingBombFile() File {
	return File{Name: "formatting-bomb.html", Reason: "HTML page has over 1000000 nodes", OverBudget: true, Data: FormattingBomb(5<<20 - 64)}
}
