package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// parsePDF reads a PDF's text layer and treats it as plain text.
func parsePDF(id string, data []byte, b *builder) (doc Document, err error) {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return Document{}, errors.New("not a PDF (no %PDF- header)")
	}
	// The PDF library panics on some malformed files; a bad file must only
	// be skipped.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable PDF: %v", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Document{}, fmt.Errorf("unreadable PDF: %w", err)
	}
	rd, err := r.GetPlainText()
	if err != nil {
		return Document{}, fmt.Errorf("PDF text: %w", err)
	}
	text, err := io.ReadAll(io.LimitReader(rd, 64<<20))
	if err != nil {
		return Document{}, fmt.Errorf("PDF text: %w", err)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return Document{}, errors.New("PDF has no text layer (scanned images are not read)")
	}
	d, err := parsePlain(id, strings.ToValidUTF8(string(text), "\uFFFD"), b)
	if err != nil {
		return d, err
	}
	if t := pdfTitle(r); t != "" {
		d.Title = t
		for i := range d.Passages {
			d.Passages[i].Title = d.Title
		}
	}
	return d, nil
}

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
		t = pdfLangEscape.ReplaceAllString(t, "")
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
var pdfLangEscape = regexp.MustCompile("\x1b[^\x1b]*\x1b")

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
