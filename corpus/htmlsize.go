package corpus

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// checkHTMLSize tokenizes a page, without building its tree, and refuses
// it when the tree html.Parse would build has over limit nodes. The
// tokenizer's memory is one token; the tree's is not bounded by the input:
// formatting elements left open (<b>, <i>, <font> …) are copied by the
// parser into every later paragraph ("reconstruct the active formatting
// elements", WHATWG HTML 13.2.4.3), so 100 open <b> and then "</p><p>x"
// repeated make 100 elements of every 8 bytes, and 5 MiB took 2.1 GB.
//
// The count follows the parser's list of active formatting elements: a
// formatting start tag is added (at most three alike since the last
// marker, the "Noah's Ark" clause), its end tag removes it, the end of a
// cell, caption, object, marquee, applet or template clears back to its
// marker. Once a block ends or starts, the next text or inline element
// copies every element still on the list. That is the parser's own rule
// with the stack of open elements left out: an element that is still open
// (a <font> around the whole body) is counted again for every block, so
// the count is at most one node a block over, never under, for the copies.
// The tree is still counted after the parse (countNodes).
func checkHTMLSize(r io.Reader, limit int) error {
	n, err := htmlNodeCount(r, limit)
	if err != nil {
		return err
	}
	if n > limit {
		return overBudget("HTML page has over %d nodes (formatting tags left open are copied into every later paragraph)", limit)
	}
	return nil
}

// htmlNodeCount is checkHTMLSize's count of the nodes of a page's tree,
// up to the first over limit.
func htmlNodeCount(r io.Reader, limit int) (int, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(0)
	nodes := 0
	var active []formattingEntry
	copied := true // the block in progress has its copies
	open := func() int {
		n := 0
		for i := len(active) - 1; i >= 0 && !active[i].marker; i-- {
			n++
		}
		return n
	}
	reconstruct := func() {
		if !copied {
			nodes += open()
			copied = true
		}
	}
	for nodes <= limit {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != nil && !errors.Is(err, io.EOF) {
				return nodes, err
			}
			return nodes, nil
		case html.TextToken:
			nodes++
			if len(bytes.TrimSpace(z.Raw())) > 0 {
				reconstruct()
			}
		case html.CommentToken, html.DoctypeToken:
			nodes++
		case html.StartTagToken, html.SelfClosingTagToken:
			nodes++
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch {
			case formattingElement(a):
				reconstruct()
				key := string(name)
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					key += "\x00" + string(k) + "=" + string(v)
				}
				if tt == html.StartTagToken {
					active = noahsArk(active, key)
					active = append(active, formattingEntry{tag: a, key: key})
				}
			case scopeMarker(a):
				copied = false
				if tt == html.StartTagToken {
					active = append(active, formattingEntry{marker: true})
				}
			case blockElement(a):
				copied = false
			default:
				reconstruct()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case formattingElement(a):
				for i := len(active) - 1; i >= 0 && !active[i].marker; i-- {
					if active[i].tag == a {
						active = slices.Delete(active, i, i+1)
						break
					}
				}
			case scopeMarker(a):
				for len(active) > 0 {
					last := active[len(active)-1]
					active = active[:len(active)-1]
					if last.marker {
						break
					}
				}
				copied = false
			default:
				copied = false
			}
		}
	}
	return nodes, nil
}

// formattingEntry is an element on the list of active formatting
// elements, or a marker.
type formattingEntry struct {
	tag    atom.Atom
	key    string // tag and attributes
	marker bool
}

// noahsArk drops the earliest of three entries alike (tag and attributes)
// since the last marker, before a fourth is added.
func noahsArk(active []formattingEntry, key string) []formattingEntry {
	same, first := 0, -1
	for i := len(active) - 1; i >= 0 && !active[i].marker; i-- {
		if active[i].key == key {
			same++
			first = i
		}
	}
	if same >= 3 {
		return slices.Delete(active, first, first+1)
	}
	return active
}

func formattingElement(a atom.Atom) bool {
	switch a {
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S,
		atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		return true
	}
	return false
}

// scopeMarker: the elements that put a marker on the list.
func scopeMarker(a atom.Atom) bool {
	switch a {
	case atom.Applet, atom.Object, atom.Marquee, atom.Template, atom.Td, atom.Th, atom.Caption:
		return true
	}
	return false
}

// blockElement: the elements whose start may close a paragraph holding
// copies (so the next text copies again).
func blockElement(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Dd, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header,
		atom.Hgroup, atom.Hr, atom.Li, atom.Listing, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Summary, atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr,
		atom.Ul, atom.Body, atom.Html, atom.Head:
		return true
	}
	return false
}
