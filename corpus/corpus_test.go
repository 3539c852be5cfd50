package corpus

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/footnote-bot/footnote/internal/sharedtest"
)

func loadGood(t *testing.T) map[string]Document {
	t.Helper()
	res, err := LoadPaths(context.Background(), []string{"testdata/good"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 {
		t.Fatalf("skipped good files: %+v", res.Skipped)
	}
	docs := map[string]Document{}
	for _, d := range res.Documents {
		docs[d.ID] = d
	}
	return docs
}

func texts(d Document) []string {
	var out []string
	for _, p := range d.Passages {
		out = append(out, p.Text)
	}
	return out
}

func TestMarkdown(t *testing.T) {
	d := loadGood(t)["guide"]
	if d.Title != "The Widget Handbook" || d.URL != "https://example.com/widgets" || d.Author != "Jane Doe" || d.Date != "2024-03-01" {
		t.Errorf("front matter = %q %q %q %q", d.Title, d.URL, d.Author, d.Date)
	}
	wantSections := []string{"Installing widgets", "Caring for widgets"}
	if strings.Join(d.Sections, "|") != strings.Join(wantSections, "|") {
		t.Errorf("sections = %q, want %q", d.Sections, wantSections)
	}
	if len(d.Passages) != 4 {
		t.Fatalf("passages = %q, want 4", texts(d))
	}
	code := d.Passages[2]
	if !strings.HasPrefix(code.Text, "```") || !strings.Contains(code.Text, "still the same block") {
		t.Errorf("code block not kept whole: %q", code.Text)
	}
	p := d.Passages[1]
	if p.ID != "guide#2" || p.Section != "Installing widgets" || p.Heading != "Installing widgets" || p.Paragraph != 2 || p.DocID != "guide" {
		t.Errorf("passage 2 = %+v", p)
	}
	if d.Passages[2].Heading != "" {
		t.Errorf("heading attached twice: %+v", d.Passages[2])
	}
	if got := p.Quote(); got != "Installing widgets\n\n"+p.Text {
		t.Errorf("Quote() = %q", got)
	}
}

func TestPlainText(t *testing.T) {
	d := loadGood(t)["notes"]
	if d.Title != "Plain Notes on Gadgets" {
		t.Errorf("title = %q (chrome before the title must not win)", d.Title)
	}
	for _, p := range d.Passages {
		for _, chrome := range []string{"Share this", "Breadcrumbs", "mm"} {
			if p.Text == chrome || p.Heading == chrome {
				t.Errorf("page chrome %q kept as %+v", chrome, p)
			}
		}
	}
	if len(d.Passages) != 3 {
		t.Fatalf("passages = %q", texts(d))
	}
	if d.Passages[1].Section != "Why gadgets matter" {
		t.Errorf("heading = %q", d.Passages[1].Section)
	}
	bio := d.Passages[2]
	if bio.Section != AuthorSection || d.Author != "John Smith" || bio.Heading != "" {
		t.Errorf("bio: section %q heading %q author %q", bio.Section, bio.Heading, d.Author)
	}
}

func TestHTML(t *testing.T) {
	d := loadGood(t)["page"]
	if d.URL != "https://example.com/gizmo-care" || d.Author != "Ann Lee" {
		t.Errorf("meta: url %q author %q", d.URL, d.Author)
	}
	if !strings.Contains(d.Title, "Gizmo Care") {
		t.Errorf("title = %q", d.Title)
	}
	all := strings.Join(texts(d), "\n")
	for _, junk := range []string{"Connect with us", "Subscribe", "tracking", "Home"} {
		if strings.Contains(all, junk) {
			t.Errorf("page chrome %q in passages:\n%s", junk, all)
		}
	}
	if len(d.Passages) != 4 {
		t.Fatalf("passages = %q", texts(d))
	}
	if d.Passages[1].Section != "Cleaning" || d.Passages[3].Section != "Storage" {
		t.Errorf("sections = %q / %q", d.Passages[1].Section, d.Passages[3].Section)
	}
}

func TestJSONL(t *testing.T) {
	docs := loadGood(t)
	d1, d2 := docs["d1"], docs["d2"]
	if d1.Title != "Aspirin and headaches" || len(d1.Passages) != 1 || d1.Passages[0].ID != "d1#1" {
		t.Errorf("d1 = %+v", d1)
	}
	if d2.URL != "https://example.com/coffee" || len(d2.Passages) != 2 {
		t.Errorf("d2 = %+v", d2)
	}
}

func TestBadFilesAreSkippedWithReasons(t *testing.T) {
	res, err := LoadPaths(context.Background(), []string{"testdata/bad", "testdata/good"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"binary.txt":    "binary",
		"latin1.txt":    "UTF-8",
		"empty.md":      "empty",
		"broken.jsonl":  "line 2",
		"badfront.md":   "front matter",
		"notreally.pdf": "not a PDF",
	}
	got := map[string]string{}
	for _, s := range res.Skipped {
		got[filepath.Base(s.Path)] = s.Reason
	}
	for f, reason := range want {
		if !strings.Contains(got[f], reason) {
			t.Errorf("skip reason for %s = %q, want it to mention %q", f, got[f], reason)
		}
	}
	if _, ok := got["data.csv"]; ok {
		t.Errorf("unsupported extensions inside a folder should be ignored, not reported")
	}
	if len(res.Documents) != 5 {
		t.Errorf("good documents loaded = %d, want 5 (bad files must not stop the load)", len(res.Documents))
	}
	if !strings.Contains(res.Summary(), "6 skipped") {
		t.Errorf("summary = %q", res.Summary())
	}
}

func TestHugeFileSkipped(t *testing.T) {
	res, err := LoadPaths(context.Background(), []string{"testdata/good/guide.md"}, Options{MaxFileBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 0 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "limit") {
		t.Errorf("res = %+v", res)
	}
}

func TestMissingPathIsAnError(t *testing.T) {
	if _, err := LoadPaths(context.Background(), []string{"testdata/nope"}, Options{}); err == nil {
		t.Error("want an error for a path that does not exist")
	}
}

func TestStableIDs(t *testing.T) {
	a := loadGood(t)
	b := loadGood(t)
	for id, d := range a {
		for i, p := range d.Passages {
			if b[id].Passages[i].ID != p.ID {
				t.Fatalf("IDs differ across loads: %s vs %s", p.ID, b[id].Passages[i].ID)
			}
		}
	}
}

func TestDuplicateDocIDs(t *testing.T) {
	fsys := fstest.MapFS{
		"a/x.md":  {Data: []byte("# X\n\nOne.\n")},
		"b/x.md":  {Data: []byte("# X\n\nTwo.\n")},
		"c.jsonl": {Data: []byte(`{"_id":"a/x","text":"dup"}` + "\n")},
	}
	res, err := LoadFS(context.Background(), fsys, ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 2 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "duplicate") {
		t.Errorf("res = %+v", res)
	}
}

func TestLongParagraphSplitOnSentences(t *testing.T) {
	long := strings.Repeat("Six words are in this sentence. ", 20)
	fsys := fstest.MapFS{"long.txt": {Data: []byte("Title line\n\n" + long)}}
	res, err := LoadFS(context.Background(), fsys, ".", Options{MaxPassageWords: 30})
	if err != nil {
		t.Fatal(err)
	}
	ps := res.Documents[0].Passages
	if len(ps) != 4 {
		t.Fatalf("parts = %d, want 4", len(ps))
	}
	for i, p := range ps {
		if wordCount(p.Text) > 30 || !strings.HasSuffix(p.Text, ".") {
			t.Errorf("part %d: %q", i, p.Text)
		}
		if want := "long#1." + string(rune('1'+i)); p.ID != want || p.Paragraph != 1 {
			t.Errorf("part %d ID %q paragraph %d, want %q 1", i, p.ID, p.Paragraph, want)
		}
	}
}

func TestSeedArticle(t *testing.T) {
	dir := sharedtest.Path(t, "corpus")
	res, err := LoadPaths(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != 1 || len(res.Skipped) != 0 {
		t.Fatalf("load: %s %+v", res.Summary(), res.Skipped)
	}
	d := res.Documents[0]
	if d.Title != "The AI Race: Imagination vs. Infrastructure" {
		t.Errorf("title = %q", d.Title)
	}
	want := []string{"Missionaries and mercenaries", "Deep pockets vs. deep thinking", "Working hard or hardly working?", AuthorSection}
	if strings.Join(d.Sections, "|") != strings.Join(want, "|") {
		t.Errorf("sections = %q, want %q", d.Sections, want)
	}
	for _, p := range d.Passages {
		for _, chrome := range []string{"Connect with us", "Thought Leaders", "mm"} {
			if p.Text == chrome || p.Heading == chrome {
				t.Errorf("chrome %q kept", chrome)
			}
		}
		if p.Text == "Missionaries and mercenaries" {
			t.Error("a heading became a passage of its own")
		}
	}
	last := d.Passages[len(d.Passages)-1]
	if last.Section != AuthorSection || !strings.HasPrefix(last.Text, "Ahmad Shadid") || d.Author != "Ahmad Shadid" {
		t.Errorf("bio: %q in %q, author %q", last.Text[:20], last.Section, d.Author)
	}
	if prev := d.Passages[len(d.Passages)-2]; prev.Section != "Working hard or hardly working?" {
		t.Errorf("last body passage section = %q", prev.Section)
	}
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three?", []string{"One.", "Two!", "Three?"}},
		{"See e.g. the manual. Then stop.", []string{"See e.g. the manual.", "Then stop."}},
		{"A Swiss A.I. research lab. Next one.", []string{"A Swiss A.I. research lab.", "Next one."}},
		{"Deep pockets vs. deep thinking.", []string{"Deep pockets vs. deep thinking."}},
		{"He said “stop.” Then left.", []string{"He said “stop.”", "Then left."}},
		{"Version 2.5 is out. 3 bugs fixed.", []string{"Version 2.5 is out.", "3 bugs fixed."}},
		{"no end punctuation", []string{"no end punctuation"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := SplitSentences(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("SplitSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPDF(t *testing.T) {
	res, err := LoadPaths(context.Background(), []string{"testdata/pdf"}, Options{})
	if err != nil || len(res.Skipped) != 0 || len(res.Documents) != 1 {
		t.Fatalf("load: %v %+v", err, res)
	}
	d := res.Documents[0]
	all := strings.Join(texts(d), " ")
	if d.Title != "Gadget Maintenance" || !strings.Contains(all, "hinges") {
		t.Errorf("pdf: title %q text %q", d.Title, all)
	}
	if _, err := Parse(context.Background(), "x", "x.pdf", []byte("<html>not a pdf</html>"), Options{}); err == nil || !strings.Contains(err.Error(), "not a PDF") {
		t.Errorf("fake PDF: %v", err)
	}
	if _, err := Parse(context.Background(), "x", "x.pdf", []byte("%PDF-1.4 garbage garbage"), Options{}); err == nil {
		t.Error("broken PDF accepted")
	}
}
