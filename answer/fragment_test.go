package answer

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"

	"github.com/footnote-bot/footnote/corpus"
)

// pageText is what a browser shows of a page: the text of its nodes, with
// white space collapsed and case folded, as text fragments are matched.
func pageText(t *testing.T, page []byte) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blockElement[n.Data] {
			sb.WriteString(" ¶ ") // a block ends: a fragment term may not run across it
		}
	}
	walk(doc)
	return foldFragment(sb.String())
}

var blockElement = map[string]bool{"p": true, "div": true, "li": true, "ul": true, "ol": true, "pre": true, "table": true,
	"tr": true, "td": true, "th": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "br": true,
	"blockquote": true, "section": true, "article": true, "main": true, "nav": true, "header": true, "footer": true, "dd": true, "dt": true}

func foldFragment(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// rendered is the page a documentation site makes of a Markdown file
// (goldmark with GitHub's extensions, front matter removed), or an HTML
// file as it is.
func rendered(t *testing.T, path string) []byte {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) != ".md" {
		return src
	}
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	if rest, ok := strings.CutPrefix(s, "---\n"); ok {
		if _, body, ok := strings.Cut(rest, "\n---\n"); ok {
			s = body
		}
	}
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe())).Convert([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestFragmentWordsAreOnThePage: every text fragment footnote adds to a
// link (#:~:text=start,end) is made of words the linked page shows, so the
// browser finds the cited passage; a passage with no prose to point at
// (a code block) gets a link without a fragment. The pages are the
// documentation fixtures in corpus/testdata/docs (wrapped Markdown, lists,
// tables, code, shortcodes, an HTML docs page).
func TestFragmentWordsAreOnThePage(t *testing.T) {
	dir := "../corpus/testdata/docs"
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if ext := filepath.Ext(f); ext != ".md" && ext != ".html" {
			continue
		}
		res, err := corpus.LoadPaths(context.Background(), []string{f}, corpus.Options{})
		if err != nil || len(res.Documents) != 1 {
			t.Fatalf("%s: %v %v", f, err, res.Skipped)
		}
		page := pageText(t, rendered(t, f))
		for _, p := range res.Documents[0].Passages {
			link := FragmentURL("https://docs.example.org/page", p.Text)
			u, err := url.Parse(link)
			if err != nil {
				t.Fatalf("%s: %q: %v", p.ID, link, err)
			}
			frag, ok := strings.CutPrefix(u.EscapedFragment(), ":~:text=")
			if !ok {
				if u.Fragment != "" {
					t.Errorf("%s: fragment %q is not a text directive", p.ID, u.Fragment)
				}
				continue
			}
			for _, part := range strings.Split(frag, ",") {
				words, err := url.PathUnescape(part)
				if err != nil {
					t.Fatalf("%s: %q: %v", p.ID, part, err)
				}
				if !strings.Contains(page, foldFragment(words)) {
					t.Errorf("%s (%s): fragment words %q are not on the page\npassage: %q", p.ID, filepath.Base(f), words, p.Text)
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d fragments checked", checked)
	}
}
