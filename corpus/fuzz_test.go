package corpus

import (
	"os"
	"testing"
)

// checkDoc asserts the invariants every loader keeps.
func checkDoc(t *testing.T, d Document) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range d.Passages {
		if p.Text == "" || p.ID == "" || p.DocID != d.ID {
			t.Fatalf("bad passage %+v", p)
		}
		if seen[p.ID] {
			t.Fatalf("duplicate passage ID %s", p.ID)
		}
		seen[p.ID] = true
		// A code block has no units to quote; anything else has at least one.
		if units := Units(p.Text); p.IsCode() == (len(units) > 0) {
			t.Fatalf("passage %q: IsCode() = %v with units %q", p.Text, p.IsCode(), units)
		}
	}
}

func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("---\ntitle: x\n---\n"))
}

func FuzzPlain(f *testing.F) {
	seeds(f, "testdata/good/notes.txt", "testdata/docs/notes.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parsePlain("x", string(data), testBuilder(t, 20))
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzMarkdown(f *testing.F) {
	seeds(f, "testdata/good/guide.md", "testdata/docs/configuration.md", "testdata/docs/alerts.md", "testdata/docs/crlf.md")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseMarkdown("x", string(data), testBuilder(t, 20))
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzHTML(f *testing.F) {
	seeds(f, "testdata/good/page.html", "testdata/docs/getting-started.html")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseHTML("x", data, testBuilder(t, 20))
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzJSONL(f *testing.F) {
	seeds(f, "testdata/good/collection.jsonl", "testdata/bad/broken.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseJSONL(data, testBuilder(t, 20))
		if err == nil {
			for _, d := range docs {
				checkDoc(t, d)
			}
		}
	})
}

func FuzzSplitSentences(f *testing.F) {
	f.Add("One. Two! e.g. three? A.I. four…")
	f.Fuzz(func(t *testing.T, s string) {
		for _, part := range SplitSentences(s) {
			if part == "" {
				t.Fatal("empty sentence")
			}
		}
	})
}

func FuzzPDF(f *testing.F) {
	seeds(f, "testdata/pdf/gadgets.pdf", "testdata/bad/notreally.pdf")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parsePDF("x", data, testBuilder(t, 20))
		if err == nil {
			checkDoc(t, d)
		}
	})
}
