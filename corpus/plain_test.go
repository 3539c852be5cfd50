package corpus

import (
	"strings"
	"testing"
)

func TestSplitFrontMatter(t *testing.T) {
	tests := []struct {
		name, in, title, body string
	}{
		{"LF", "---\ntitle: A\n---\nBody.\n", "A", "Body.\n"},
		{"CRLF", "---\r\ntitle: A\r\n---\r\n\r\nBody one.\r\nBody two.\r\n", "A", "\nBody one.\nBody two.\n"},
		{"lone CR", "---\rtitle: A\r---\rBody.\r", "A", "Body.\n"},
		{"trailing blanks on the delimiters", "--- \ntitle: A\n---\t\nBody.", "A", "Body."},
		{"CRLF and trailing blanks", "---  \r\ntitle: A\r\n--- \r\nBody.", "A", "Body."},
		{"blank lines before the block", "\n\n---\ntitle: A\n---\nBody.", "A", "Body."},
		{"an empty block", "---\n---\nBody.", "", "Body."},
		{"closed with ...", "---\ntitle: A\n...\nBody.", "A", "Body."},
		{"closed at the end of the file", "---\ntitle: A\n---", "A", ""},
		{"no front matter", "# Title\r\n\r\nBody.", "", "# Title\n\nBody."},
	}
	for _, tt := range tests {
		fm, body, err := splitFrontMatter(tt.in)
		if err != nil || fm.Title != tt.title || body != tt.body {
			t.Errorf("%s: splitFrontMatter(%q) = %q, %q, %v; want %q, %q", tt.name, tt.in, fm.Title, body, err, tt.title, tt.body)
		}
	}
	if _, _, err := splitFrontMatter("---\ntitle: A\nBody."); err == nil || !strings.Contains(err.Error(), "never closed") {
		t.Errorf("unclosed front matter: err = %v, want \"never closed\"", err)
	}
}

func TestCRLFMarkdownKeepsItsTitle(t *testing.T) {
	in := "---\r\ntitle: Windows file\r\n---\r\n\r\n# Windows file\r\n\r\nFirst line\r\nsecond line.\r\n\r\n```\r\ncode\r\n```\r\n"
	docs, err := Parse("w", "w.md", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if d.Title != "Windows file" || len(d.Sections) != 0 {
		t.Errorf("title %q sections %q, want %q and none", d.Title, d.Sections, "Windows file")
	}
	if got := texts(d); strings.Join(got, "|") != "First line second line.|```\ncode\n```" {
		t.Errorf("passages = %q", got)
	}
}
