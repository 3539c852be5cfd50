// Package corpus turns article files into documents and paragraph-sized
// passages ready for indexing and quoting.
//
// Formats, chosen by file extension:
//
//   - Markdown (.md, .markdown): optional YAML front matter (title, url,
//     author, date), then CommonMark with GFM tables, parsed with goldmark
//     and reduced to the text a reader sees (see markdown.go): headings
//     start sections, code blocks stay whole and fenced, lists and tables
//     keep one item or row a line.
//   - Plain text (.txt, .text): blank lines separate paragraphs and
//     hard-wrapped lines are joined; front matter or the first heading-like
//     line is the title; short lines without end punctuation are headings;
//     lines starting with a bullet or a number are a list. Page chrome that
//     precedes the title is dropped and a closing author bio is kept in a
//     section of its own.
//   - HTML (.html, .htm): main content extracted with go-readability; the
//     page's title (see pageTitle), canonical URL and headings are kept,
//     <pre>, lists and tables read as in Markdown.
//   - JSON lines (.jsonl) in the BEIR layout: one document per line with
//     "_id" (or "id"), "title", "text" and an optional "url".
//   - PDF (.pdf): the text layer, read as plain text (the objects through
//     github.com/ledongthuc/pdf, the page tree and the content streams here,
//     see parsePDF); the document title from the PDF's metadata when
//     present.
//
// Every passage carries a stable ID (document ID, '#', paragraph number and,
// for a long paragraph split in parts, '.' and the part), its text for
// quoting, and the heading it sits under. A passage's text is prose, a code
// block, a list or a table (see Units for how each is told apart and
// quoted). A bad file never stops a load: it is reported in Result.Skipped
// with the reason.
//
// Article files are someone else's bytes: each is parsed under a Budget (a
// deadline, memory, pages, objects, decompressed bytes, text and nodes,
// enforced while parsing), and, when the context carries one
// (WithParser), in a Sandbox: a child process killed at the deadline, its
// memory capped. footnote's main installs one for every command.
package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Document is one article.
type Document struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
	Source string `json:"source,omitempty"` // file it came from
	// Warnings say what was wrong but left out (e.g. an invalid front
	// matter url); the document loads without it.
	Warnings []string `json:"-"`
	Sections []string `json:"sections,omitempty"`
	Passages []Passage
}

// Passage is a paragraph-sized piece of a document.
type Passage struct {
	ID        string `json:"id"`
	DocID     string `json:"doc_id"`
	Title     string `json:"title"`
	Section   string `json:"section,omitempty"`
	Heading   string `json:"heading,omitempty"` // set on the first passage under a heading
	Paragraph int    `json:"paragraph"`         // 1-based paragraph number in the document
	URL       string `json:"url,omitempty"`
	Text      string `json:"text"` // the paragraph's text as a reader sees it (markup reduced, see Units)
}

// Quote is the passage as it is quoted and cited: the heading it opens, if
// any, then its text.
func (p Passage) Quote() string {
	if p.Heading == "" {
		return p.Text
	}
	return p.Heading + "\n\n" + p.Text
}

// Skip names a file that was not loaded and why.
type Skip struct {
	Path   string
	Reason string
}

// Result is the outcome of a load.
type Result struct {
	Documents []Document
	Skipped   []Skip
}

// Passages counts the passages of all documents.
func (r Result) Passages() int {
	n := 0
	for _, d := range r.Documents {
		n += len(d.Passages)
	}
	return n
}

// Summary is a one-line account of the load.
func (r Result) Summary() string { return Summary(len(r.Documents), r.Passages(), len(r.Skipped)) }

// Summary is the one-line account of a load of these counts, as
// Result.Summary gives it (for a load that was streamed, not kept).
func Summary(documents, passages, skipped int) string {
	return fmt.Sprintf("%d documents, %d passages, %d skipped", documents, passages, skipped)
}

// Options bound a load.
type Options struct {
	// MaxFileBytes skips larger files. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxPassageWords splits longer paragraphs: prose on sentence
	// boundaries, code, lists and tables between lines (see splitLong).
	// Zero means DefaultMaxPassageWords.
	MaxPassageWords int
	// Progress, when set, is called after each file with the number of
	// bytes read so far.
	Progress func(bytesRead int64)
	// IDPrefix is put before the IDs of documents loaded from files (e.g.
	// "ingested/").
	IDPrefix string
	// Budget bounds the parsing of each file (see Budget).
	Budget Budget

	// firstLine is the number of lines before the data in its file, when
	// the data is a part of a JSON-lines file (see streamJSONL).
	firstLine int
}

// Defaults for Options.
const (
	DefaultMaxFileBytes    = 64 << 20
	DefaultMaxPassageWords = 300
)

func (o Options) withDefaults() Options {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxPassageWords <= 0 {
		o.MaxPassageWords = DefaultMaxPassageWords
	}
	o.Budget = o.Budget.withDefaults()
	return o
}

// ErrUnsupported marks a file whose extension no loader handles.
var ErrUnsupported = errors.New("unsupported file type")

// Supported reports whether name has an extension a loader handles.
func Supported(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".jsonl", ".pdf":
		return true
	}
	return false
}

// LoadPaths loads every supported file under each path (files or folders,
// folders walked recursively). Document IDs are file paths relative to the
// folder given, without extension; a file given directly is named by its base
// name. Only a path that does not exist at all is an error.
func LoadPaths(ctx context.Context, paths []string, opt Options) (Result, error) {
	var res Result
	skipped, err := StreamPaths(ctx, paths, opt, func(docs []Document) error {
		res.Documents = append(res.Documents, docs...)
		return nil
	})
	res.Skipped = skipped
	return res, err
}

// LoadFS loads every supported file under root in fsys (e.g. an embedded
// folder).
func LoadFS(ctx context.Context, fsys fs.FS, root string, opt Options) (Result, error) {
	var res Result
	skipped, err := StreamFS(ctx, fsys, root, opt, func(docs []Document) error {
		res.Documents = append(res.Documents, docs...)
		return nil
	})
	res.Skipped = skipped
	return res, err
}

// StreamPaths is LoadPaths handing the documents to emit as they are
// parsed (a file's, or a part's of a large JSON-lines file) instead of
// keeping them, so that a corpus need not fit in memory: emit may keep
// what it needs and drop the rest. An error from emit stops the load and
// is returned. The files skipped, and why, are returned.
func StreamPaths(ctx context.Context, paths []string, opt Options, emit func([]Document) error) ([]Skip, error) {
	var skipped []Skip
	seen := map[string]string{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return skipped, fmt.Errorf("corpus %s: %w", p, err)
		}
		var fsys fs.FS
		root := "."
		if st.IsDir() {
			fsys = os.DirFS(p)
		} else {
			fsys = os.DirFS(filepath.Dir(p))
			root = filepath.Base(p)
		}
		s, err := load(ctx, fsys, root, p, opt, seen, emit)
		skipped = append(skipped, s...)
		if err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// StreamFS is LoadFS as StreamPaths streams.
func StreamFS(ctx context.Context, fsys fs.FS, root string, opt Options, emit func([]Document) error) ([]Skip, error) {
	return load(ctx, fsys, root, root, opt, map[string]string{}, emit)
}

func load(ctx context.Context, fsys fs.FS, root, display string, opt Options, seen map[string]string, emit func([]Document) error) ([]Skip, error) {
	opt = opt.withDefaults()
	var skipped []Skip
	var files []string
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, Skip{Path: joinDisplay(display, root, name), Reason: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if name == root || Supported(name) {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return skipped, fmt.Errorf("walk %s: %w", display, err)
	}
	sort.Strings(files)
	var read int64
	// keep drops what a load does not keep (duplicate IDs, documents
	// without text, naming them) and hands the rest on.
	keep := func(shown string, docs []Document) error {
		out := docs[:0]
		for _, d := range docs {
			if prev, dup := seen[d.ID]; dup {
				skipped = append(skipped, Skip{Path: shown, Reason: fmt.Sprintf("duplicate document ID %q (already loaded from %s)", d.ID, prev)})
				continue
			}
			if len(d.Passages) == 0 {
				skipped = append(skipped, Skip{Path: shown, Reason: fmt.Sprintf("document %q has no text", d.ID)})
				continue
			}
			seen[strings.Clone(d.ID)] = shown
			out = append(out, d)
		}
		if len(out) == 0 {
			return nil
		}
		return emit(out)
	}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return skipped, err
		}
		shown := joinDisplay(display, root, name)
		if st, err := jsonlStat(fsys, name); err == nil && st.Size() > jsonlPart {
			s, err := streamJSONL(ctx, fsys, name, shown, opt, func(n int64) {
				if opt.Progress != nil {
					opt.Progress(read + n)
				}
			}, func(docs []Document) error { return keep(shown, docs) })
			read += st.Size()
			skipped = append(skipped, s...)
			if err != nil {
				return skipped, err
			}
			continue
		}
		docs, n, err := loadFile(ctx, fsys, root, name, shown, opt)
		read += n
		if opt.Progress != nil {
			opt.Progress(read)
		}
		if err != nil && ctx.Err() != nil {
			// Cancelled while parsing: the load stops, the file is not
			// to blame.
			return skipped, ctx.Err()
		}
		if err != nil {
			skipped = append(skipped, Skip{Path: shown, Reason: err.Error()})
			continue
		}
		if err := keep(shown, docs); err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// jsonlStat stats a JSON-lines file (whose size decides whether it is
// streamed in parts); any other file is not stat'ed here.
func jsonlStat(fsys fs.FS, name string) (fs.FileInfo, error) {
	if !strings.EqualFold(path.Ext(name), ".jsonl") {
		return nil, fs.ErrInvalid
	}
	return fs.Stat(fsys, name)
}

func joinDisplay(display, root, name string) string {
	if name == root {
		return display
	}
	if root == "." {
		return filepath.Join(display, filepath.FromSlash(name))
	}
	return filepath.Join(display, filepath.FromSlash(strings.TrimPrefix(name, root+"/")))
}

func loadFile(ctx context.Context, fsys fs.FS, root, name, shown string, opt Options) ([]Document, int64, error) {
	if !Supported(name) {
		return nil, 0, fmt.Errorf("%w %q (want .md, .txt, .html, .pdf or .jsonl)", ErrUnsupported, path.Ext(name))
	}
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, 0, err
	}
	if st.Size() > opt.MaxFileBytes {
		return nil, 0, fmt.Errorf("file is %d bytes, over the %d-byte limit", st.Size(), opt.MaxFileBytes)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, 0, err
	}
	n := int64(len(data))
	rel := name
	if root != "." && name != root {
		rel = strings.TrimPrefix(name, root+"/")
	}
	id := opt.IDPrefix + strings.TrimSuffix(rel, path.Ext(rel))
	docs, err := Parse(ctx, id, name, data, opt)
	for i := range docs {
		docs[i].Source = shown
	}
	return docs, n, err
}

// Parse reads one article file's bytes; name's extension picks the format
// and id names the document (JSON lines carry their own IDs). The parsing
// is bounded by opt.Budget; it runs in this process (ParseLocal) unless ctx
// carries a Parser (WithParser), such as a Sandbox.
func Parse(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error) {
	opt = opt.withDefaults()
	if err := checkFile(name, data, opt); err != nil {
		return nil, err
	}
	if p, ok := ParserFrom(ctx); ok {
		return p.ParseFile(ctx, id, name, data, opt)
	}
	return parseLocal(ctx, id, name, data, opt)
}

// A Parser parses one article file's bytes, as Parse describes, somewhere
// other than in this process's own call (a Sandbox parses in a child
// process).
type Parser interface {
	ParseFile(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error)
}

type parserKey struct{}

// WithParser makes every Parse, LoadPaths and LoadFS under ctx parse with
// p. A program installs its Sandbox once, on the context its commands run
// under, so that no load it makes parses untrusted bytes in its own
// process.
func WithParser(ctx context.Context, p Parser) context.Context {
	return context.WithValue(ctx, parserKey{}, p)
}

// ParserFrom is the Parser ctx carries, if any.
func ParserFrom(ctx context.Context) (Parser, bool) {
	p, ok := ctx.Value(parserKey{}).(Parser)
	return p, ok
}

// ParseLocal is Parse in this process, whatever ctx carries: the budget is
// enforced as far as the meter can (see Budget). A Sandbox's child parses
// with it.
func ParseLocal(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error) {
	opt = opt.withDefaults()
	if err := checkFile(name, data, opt); err != nil {
		return nil, err
	}
	return parseLocal(ctx, id, name, data, opt)
}

// checkFile refuses what no format reads: too large, empty, binary, or not
// UTF-8 where the format has no charset of its own.
func checkFile(name string, data []byte, opt Options) error {
	if int64(len(data)) > opt.MaxFileBytes {
		return fmt.Errorf("file is %d bytes, over the %d-byte limit", len(data), opt.MaxFileBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("file is empty")
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm":
		// HTML declares its own charset.
		if bytes.IndexByte(data, 0) >= 0 {
			return errors.New("binary file (contains NUL bytes)")
		}
	case ".pdf":
	case ".md", ".markdown", ".txt", ".text", ".jsonl":
		if bytes.IndexByte(data, 0) >= 0 {
			return errors.New("binary file (contains NUL bytes)")
		}
		if !utf8.Valid(data) {
			return errors.New("not valid UTF-8 text")
		}
	default:
		return fmt.Errorf("%w %q (want .md, .txt, .html, .pdf or .jsonl)", ErrUnsupported, path.Ext(name))
	}
	return nil
}

func parseLocal(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, stop := newMeter(ctx, opt.Budget, len(data))
	defer stop()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	b := builder{maxWords: opt.MaxPassageWords, m: m}
	var d Document
	var err error
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		d, err = parseMarkdown(id, string(data), &b)
	case ".txt", ".text":
		d, err = parsePlain(id, string(data), &b)
	case ".html", ".htm":
		d, err = parseHTML(id, data, &b)
	case ".pdf":
		d, err = parsePDF(id, data, &b)
	case ".jsonl":
		return parseJSONL(data, &b, opt.firstLine)
	default:
		return nil, fmt.Errorf("%w %q (want .md, .txt, .html, .pdf or .jsonl)", ErrUnsupported, path.Ext(name))
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled after the last read
	}
	return []Document{d}, nil
}

// builder accumulates a document's passages.
type builder struct {
	maxWords int
	m        *meter // the file's budget, for parsers that read through it
}

// block is one paragraph-level piece of source text, or a heading.
type block struct {
	text    string
	heading bool
	level   int       // a heading's level (1-6) where the format has one
	kind    blockKind // the shape of a non-heading block's text
}

// assemble turns blocks into a document's sections and passages. Titles and
// headings are kept on one line.
func (b *builder) assemble(d *Document, blocks []block) {
	d.Title = collapse(d.Title)
	section, pending := "", ""
	para := 0
	for _, bl := range blocks {
		if bl.heading {
			bl.text = collapse(bl.text)
			section = bl.text
			pending = bl.text
			d.Sections = append(d.Sections, bl.text)
			continue
		}
		para++
		parts := splitLong(bl, b.maxWords)
		for i, part := range parts {
			id := fmt.Sprintf("%s#%d", d.ID, para)
			if len(parts) > 1 {
				id = fmt.Sprintf("%s#%d.%d", d.ID, para, i+1)
			}
			p := Passage{ID: id, DocID: d.ID, Title: d.Title, Section: section, Paragraph: para, URL: d.URL, Text: part}
			if pending != "" {
				p.Heading = pending
				pending = ""
			}
			d.Passages = append(d.Passages, p)
		}
	}
}

func wordCount(s string) int { return len(strings.Fields(s)) }
