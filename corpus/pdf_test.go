package corpus

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// buildPDF writes a one-page PDF whose page shows content (a content stream)
// and whose Info dictionary is info, with a correct cross-reference table.
func buildPDF(info, content string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	obj(info)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// utf16Hex is s as a UTF-16BE hex string with a byte-order mark.
func utf16Hex(s string) string {
	var sb strings.Builder
	sb.WriteString("<FEFF")
	for _, r := range s {
		fmt.Fprintf(&sb, "%04X", r)
	}
	return sb.String() + ">"
}

func TestPDFTitle(t *testing.T) {
	const slides = "BT /F1 24 Tf 72 720 Td (Scaling Lanternfish) Tj ET BT /F1 12 Tf 72 600 Td (The talk covers sharding, retention and the cost of tracing every message.) Tj ET"
	tests := []struct {
		name, info, want string
	}{
		{"a plain literal", `<< /Title (Scaling Lanternfish at Example Corp) >>`, "Scaling Lanternfish at Example Corp"},
		{"escaped and balanced parentheses", `<< /Title (Queues \(and\) brokers (a tour)) >>`, "Queues (and) brokers (a tour)"},
		{"PDFDocEncoding octal escapes", `<< /Title (Caf\351 talk) >>`, "Café talk"},
		{"UTF-16BE hex with a byte-order mark", "<< /Title " + utf16Hex("Skalierung: Größe & Tempo") + " >>", "Skalierung: Größe & Tempo"},
		{"UTF-16BE literal with octal escapes", `<< /Title (\376\377\000Q\000u\000e\000u\000e\000s) >>`, "Queues"},
		// The half title: the slide's line break reached the metadata.
		{"a raw line break in the title", "<< /Title (Scaling Lanternfish\nat Example Corp) >>", "Scaling Lanternfish at Example Corp"},
		{"a CR LF line break", "<< /Title (Scaling Lanternfish\r\nat Example Corp) >>", "Scaling Lanternfish at Example Corp"},
		{"an escaped \\r", `<< /Title (Scaling Lanternfish\rat Example Corp) >>`, "Scaling Lanternfish at Example Corp"},
		{"PowerPoint's vertical tab", `<< /Title (Scaling Lanternfish\013at Example Corp) >>`, "Scaling Lanternfish at Example Corp"},
		{"a UTF-16 line break", "<< /Title " + utf16Hex("Scaling Lanternfish\nat Example Corp") + " >>", "Scaling Lanternfish at Example Corp"},
		{"a line continuation", "<< /Title (Scaling Lanternfish \\\nat Example Corp) >>", "Scaling Lanternfish at Example Corp"},
		{"an odd last byte of UTF-16", `<< /Title <FEFF0041004200> >>`, "AB"},
		{"a UTF-16 language escape", `<< /Title <FEFF001B656E001B0054006F00750072> >>`, "Tour"},
		{"UTF-8 without a byte-order mark", `<< /Title (Caf\303\251 talk) >>`, "Café talk"},
		{"UTF-8 with a byte-order mark", `<< /Title (\357\273\277Caf\303\251 talk) >>`, "Café talk"},
		{"an office file name", `<< /Title (Microsoft PowerPoint - Scaling Lanternfish.pptx) >>`, "Scaling Lanternfish"},
		{"untitled falls back to the text", `<< /Title (Untitled) >>`, "Scaling Lanternfish"},
		{"no title falls back to the text", `<< /Author (Ann Lee) >>`, "Scaling Lanternfish"},
		{"a broken Info dictionary loses only the title", "<< /Title (\xfe\xff\x4e\x28) >>", "Scaling Lanternfish"},
	}
	for _, tt := range tests {
		d, err := parsePDF("talk", buildPDF(tt.info, slides), testBuilder(t, 300))
		if err != nil {
			t.Errorf("%s: parsePDF: %v", tt.name, err)
			continue
		}
		if d.Title != tt.want {
			t.Errorf("%s: title of a PDF with Info %q = %q, want %q", tt.name, tt.info, d.Title, tt.want)
		}
		for _, p := range d.Passages {
			if p.Title != d.Title {
				t.Errorf("%s: passage %s has title %q, want %q", tt.name, p.ID, p.Title, d.Title)
			}
		}
	}
}
