package corpus

import (
	"context"
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
	docs, err := Parse(context.Background(), "w", "w.md", []byte(in), Options{})
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

func TestPlainBlocks(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"wrapped lines are joined", "These notes wrap at\nseventy columns, so\nlines are joined.", []string{"These notes wrap at seventy columns, so lines are joined."}},
		{"a bulleted list keeps one item a line", "- one\n* two\n• three", []string{"- one\n- two\n- three"}},
		{"wrapped items are joined", "- take a snapshot\n  of the data\n- tell on-call", []string{"- take a snapshot of the data\n- tell on-call"}},
		{"nesting follows indentation", "- a\n    - b\n        - c\n- d", []string{"- a\n  - b\n    - c\n- d"}},
		{"numbers are kept", "1. Stop.\n2) Replace.\n3. Start.", []string{"1. Stop.\n2. Replace.\n3. Start."}},
		{"a lead-in with a colon", "Before an upgrade:\n- snapshot\n- tell on-call", []string{"Before an upgrade:", "- snapshot\n- tell on-call"}},
		{"one dash after a wrapped line is prose", "the range from 1990\n- 2000 was quiet.", []string{"the range from 1990 - 2000 was quiet."}},
		{"a fenced paragraph is code", "```sh\nmake\n  make install\n```", []string{"```sh\nmake\n  make install\n```"}},
	}
	for _, tt := range tests {
		var got []string
		for _, b := range plainBlocks(tt.in) {
			got = append(got, b.text)
		}
		if strings.Join(got, "¶") != strings.Join(tt.want, "¶") {
			t.Errorf("%s: plainBlocks(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestPlainBulletIsNotAHeading(t *testing.T) {
	d, err := parsePlain("x", "Shopping notes\n\n- milk\n\nBuy them today, before the shop closes at six.", &builder{maxWords: 300})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sections) != 0 || len(d.Passages) != 2 || d.Passages[0].Text != "- milk" {
		t.Errorf("sections %q passages %q, want no sections and the item kept as a list", d.Sections, texts(d))
	}
}
