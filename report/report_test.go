package report

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/store"
)

func sample() Summary {
	return Summary{
		Stats: store.Stats{
			Since: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), Questions: 12, Abstained: 3, Up: 4, Down: 2, LatencyP50MS: 1.5,
			MostCited:  []store.Count{{Name: "guide", Count: 7}, {Name: "faq", Count: 2}},
			WorstRated: []store.Rated{{Question: "Who wrote it?", Citations: []string{"guide#1"}, Down: 2}},
			Daily:      []store.Day{{Date: "2026-11-24", Questions: 5, Abstained: 1, Up: 2}, {Date: "2026-11-25", Questions: 7, Abstained: 2, Up: 2, Down: 2}},
		},
		Unanswered: []Group{{Example: "How do I bake <script>alert(1)</script> bread?", Count: 2}, {Example: "Weather?", Count: 1}},
		TopTerms:   []store.Count{{Name: "reload", Count: 5}, {Name: "token", Count: 3}, {Name: "intent", Count: 2}},
	}
}

func TestSummariseGroupsSimilarQuestions(t *testing.T) {
	st := store.Stats{Asked: []store.Asked{{Question: "How do I reload?", Abstained: false}, {Question: "How do I bake bread?", Abstained: true}, {Question: "how do i BAKE bread", Abstained: true},
		{Question: "What is the weather?", Abstained: true}, {Question: "Who wrote it?", Abstained: false}}}
	tests := []struct {
		top            int
		wantUnanswered []Group
		wantTerms      int
	}{
		{5, []Group{{"How do I bake bread?", 2}, {"What is the weather?", 1}}, 5},
		{1, []Group{{"How do I bake bread?", 2}}, 1},
	}
	for _, tt := range tests {
		sum := Summarise(st, tt.top)
		if !slices.Equal(sum.Unanswered, tt.wantUnanswered) {
			t.Errorf("top %d: unanswered %+v, want %+v", tt.top, sum.Unanswered, tt.wantUnanswered)
		}
		if len(sum.TopTerms) != tt.wantTerms || sum.TopTerms[0] != (store.Count{Name: "bake", Count: 2}) && sum.TopTerms[0] != (store.Count{Name: "bread", Count: 2}) {
			t.Errorf("top %d: terms %+v", tt.top, sum.TopTerms)
		}
	}
}

func titles(id string) string { return map[string]string{"guide": "The Guide", "faq": "FAQ"}[id] }

func TestTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, sample(), titles); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 go test ./report)", err)
	}
	if buf.String() != string(want) {
		t.Errorf("text report:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	var buf bytes.Buffer
	if err := HTML(&buf, sample(), titles, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	if strings.Contains(h, "<script>") {
		t.Error("question text not escaped")
	}
	if strings.Count(h, "<svg") != 4 || !strings.Contains(h, "The Guide") || !strings.Contains(h, "25%") {
		t.Errorf("report lacks charts or figures")
	}
	for _, ext := range []string{"src=\"http", "href=\"http", "<link", "<script"} {
		if strings.Contains(h, ext) {
			t.Errorf("report is not self-contained: %s", ext)
		}
	}
}

// TestHTMLRendersInChromium renders the page in headless Chromium (Debian's
// chromium package; CI installs it), checks the DOM has the charts and the
// screenshot has them drawn, and keeps the screenshot in testdata.
func TestHTMLRendersInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); CI installs it")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, _ := os.Create(page)
	HTML(f, sample(), titles, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	f.Close()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile")}
	dom, err := exec.Command(bin, append(flags, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{"Most asked-about topics", "Questions and abstentions by day", "Votes by day", "<svg"} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	shot := filepath.Join(dir, "shot.png")
	if out, err := exec.Command(bin, append(flags, "--screenshot="+shot, "--window-size=1200,1400", "file://"+page)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// The charts' bars are drawn in the answer green (#2f7d5b): count them.
	green := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 0x40 && g>>8 > 0x70 && g>>8 < 0x90 && bl>>8 > 0x50 && bl>>8 < 0x68 {
				green++
			}
		}
	}
	if green < 500 {
		t.Errorf("screenshot shows %d chart pixels; the charts did not render", green)
	}
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.WriteFile(filepath.Join("testdata", "report-screenshot.png"), data, 0o644)
	}
}

// TestSourcesInReports: with documentation sites kept, both reports list
// them (pages, last refresh, error) and their latest page changes, as
// text: a page's URL is never a link in the HTML page.
func TestSourcesInReports(t *testing.T) {
	st := sample()
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	st.Sources = []store.Source{{ID: 3, URL: "https://docs.example.org/sitemap.xml", Pages: 297, RefreshedAt: at, LastError: "3 pages skipped"}}
	st.Changes = []store.SiteChange{{SourceID: 3, At: at, URL: "https://docs.example.org/<b>install</b>", Kind: store.ChangeChanged}}
	var text, page bytes.Buffer
	if err := Text(&text, st, titles); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Documentation sites\n  3 https://docs.example.org/sitemap.xml  297 pages, refreshed 2026-11-25 09:30  (3 pages skipped)",
		"Latest page changes\n  2026-11-25 09:30  changed https://docs.example.org/<b>install</b>"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if err := HTML(&page, st, titles, at); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	if !strings.Contains(h, "<h2>Documentation sites</h2>") || !strings.Contains(h, "<td class=\"n\">297</td>") || !strings.Contains(h, "&lt;b&gt;install&lt;/b&gt;") {
		t.Errorf("HTML report lacks the sources or does not escape a page's URL:\n%s", h[strings.Index(h, "Worst-rated"):])
	}
	if strings.Contains(h, "href=\"https://docs") {
		t.Error("a page's URL is a link in the HTML report")
	}
	// Without sources, neither report has the sections.
	text.Reset()
	Text(&text, sample(), titles)
	if strings.Contains(text.String(), "Documentation sites") {
		t.Error("a report without sources has the section")
	}
}
