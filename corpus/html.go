package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// parseHTML extracts the main content of a web page with go-readability,
// then walks it for headings and paragraph-level blocks.
func parseHTML(id string, data []byte, b *builder) (Document, error) {
	r, err := charset.NewReader(bytes.NewReader(data), "text/html")
	if err != nil {
		return Document{}, fmt.Errorf("charset: %w", err)
	}
	root, err := html.Parse(r)
	if err != nil {
		return Document{}, fmt.Errorf("parse HTML: %w", err)
	}
	d := Document{ID: id}
	meta := pageMeta(root)
	d.Title, d.URL, d.Author, d.Date = meta.title, meta.canonical, meta.author, meta.date
	content := root
	if art, err := readability.FromDocument(root, nil); err == nil && art.Node != nil {
		content = art.Node
		if t := strings.TrimSpace(art.Title()); t != "" && d.Title == "" {
			d.Title = t
		}
		if d.Author == "" {
			d.Author = strings.TrimSpace(art.Byline())
		}
	}
	var blocks []block
	walkBlocks(content, &blocks)
	if len(blocks) > 0 && blocks[0].heading && (d.Title == "" || strings.EqualFold(blocks[0].text, d.Title)) {
		if d.Title == "" {
			d.Title = blocks[0].text
		}
		blocks = blocks[1:]
	}
	hasText := false
	for _, bl := range blocks {
		if !bl.heading {
			hasText = true
		}
	}
	if !hasText {
		return Document{}, errors.New("no readable text in the page")
	}
	if d.Title == "" {
		d.Title = id
	}
	b.assemble(&d, blocks)
	return d, nil
}

type htmlMeta struct{ title, canonical, author, date string }

func pageMeta(n *html.Node) htmlMeta {
	var m htmlMeta
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Title:
				if m.title == "" {
					m.title = collapse(textOf(n))
				}
			case atom.Link:
				if strings.EqualFold(attr(n, "rel"), "canonical") && m.canonical == "" {
					m.canonical = strings.TrimSpace(attr(n, "href"))
				}
			case atom.Meta:
				name := strings.ToLower(attr(n, "name") + attr(n, "property"))
				c := strings.TrimSpace(attr(n, "content"))
				switch name {
				case "author", "article:author":
					if m.author == "" {
						m.author = c
					}
				case "og:url":
					if m.canonical == "" {
						m.canonical = c
					}
				case "article:published_time", "date":
					if m.date == "" {
						m.date = c
					}
				}
			case atom.Body:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return m
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// walkBlocks collects headings and paragraph-level text in document order.
func walkBlocks(n *html.Node, out *[]block) {
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Noscript, atom.Nav, atom.Footer, atom.Form, atom.Button, atom.Svg:
			return
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			if t := collapse(textOf(n)); t != "" {
				*out = append(*out, block{text: t, heading: true})
			}
			return
		case atom.P, atom.Li, atom.Blockquote, atom.Figcaption, atom.Dd, atom.Dt, atom.Td, atom.Th:
			if !hasBlockChild(n) {
				if t := collapse(textOf(n)); t != "" && !isChrome(t) {
					*out = append(*out, block{text: t})
				}
				return
			}
		case atom.Pre:
			if t := strings.TrimSpace(textOf(n)); t != "" {
				*out = append(*out, block{text: t})
			}
			return
		}
	}
	if n.Type == html.TextNode && n.Parent != nil && (n.Parent.DataAtom == atom.Div || n.Parent.DataAtom == atom.Article || n.Parent.DataAtom == atom.Section || n.Parent.DataAtom == atom.Body) {
		if t := collapse(n.Data); letterCount(t) >= 3 {
			*out = append(*out, block{text: t})
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkBlocks(c, out)
	}
}

func hasBlockChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.P, atom.Ul, atom.Ol, atom.Li, atom.Blockquote, atom.Pre, atom.Table, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				return true
			}
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Br {
			sb.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return sb.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
