package corpus

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestHTMLNodeCountTracksTheTree: checkHTMLSize's count, made with the
// tokenizer alone, follows the tree html.Parse builds: on sound pages, on
// sloppy ones whose formatting tags the parser copies, and on the bomb.
func TestHTMLNodeCountTracksTheTree(t *testing.T) {
	repeat := func(s string, n int) string { return strings.Repeat(s, n) }
	pages := map[string]string{
		"unclosed bold, then paragraphs": "<p><b>Note: " + repeat("</p><p>text", 500),
		"font around the body":           "<font face=x>" + repeat("<p>text <span>more</span> text</p>", 500) + "</font>",
		"three alike (Noah's Ark)":       "<p>" + repeat("<b>", 20) + repeat("</p><p>x", 500),
		"bold closed each time":          repeat("<p>some <b>bold</b> and <i>italic</i> text</p>\n", 500),
		"cells clear the list":           "<table>" + repeat("<tr><td><b>x</td><td><i>y</td></tr>", 300) + "</table><p>after",
		"formatting bomb":                string(formattingBomb(64 << 10)),
	}
	for _, name := range []string{"testdata/good/page.html", "testdata/docs/getting-started.html"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		pages[name] = string(data)
	}
	for name, page := range pages {
		root, err := html.Parse(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		tree := countNodes(root, 1<<40)
		count, err := htmlNodeCount(strings.NewReader(page), 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		// The tree has nodes the tokens do not (html, head, body, tbody);
		// the count may count an element still open once a block.
		if count < tree/2 || count > 2*tree+10 {
			t.Errorf("%s: counted %d nodes, the tree has %d", name, count, tree)
		}
		t.Logf("%s: counted %d, tree %d", name, count, tree)
	}
}

// TestSloppyHTMLLoads: pages whose formatting tags the parser copies into
// a few hundred paragraphs are read, not refused.
func TestSloppyHTMLLoads(t *testing.T) {
	page := "<title>Sloppy</title><p><b>Note: " + strings.Repeat("</p><p>Some text in a paragraph.", 2000)
	d, err := Parse(context.Background(), "x", "x.html", []byte(page), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 || len(d[0].Passages) < 100 {
		t.Errorf("%d documents, want 1 of 2,000 passages", len(d))
	}
}

// BenchmarkHTMLNodeCount: the count over the 5 MiB formatting bomb, which
// html.Parse would turn into 65 million elements.
func BenchmarkHTMLNodeCount(b *testing.B) {
	page := formattingBomb(5 << 20)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkHTMLSize(bytes.NewReader(page), DefaultMaxNodes); err == nil {
			b.Fatal("the bomb passed")
		}
	}
}
