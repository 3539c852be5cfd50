package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

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
	if t := r.Trailer().Key("Info").Key("Title").Text(); strings.TrimSpace(t) != "" {
		d.Title = strings.TrimSpace(t)
		for i := range d.Passages {
			d.Passages[i].Title = d.Title
		}
	}
	return d, nil
}
