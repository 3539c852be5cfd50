// Package library owns the articles footnote answers from: the configured
// corpus or index file, the articles added with /ingest (kept as files in
// the data folder and recorded in the store, so they survive restarts) and
// the ones removed with /forget. It rebuilds the index on reload,
// ingestion, forgetting and file changes (watched with fsnotify,
// debounced), swapping the new index in only when it is complete: the old
// one serves until then, and a failed rebuild changes nothing.
//
// Article files are someone else's bytes, so no lock is held while they
// are parsed: a rebuild reads and indexes everything aside (each file
// under corpus's parsing budget, in a sandbox when the context carries
// one, a bad file skipped with a warning naming it), then swaps its index
// in, unless a rebuild that started after it has already been swapped in.
// A reload stuck on a hostile file therefore delays nothing else: /reload,
// /ingest and /forget run their own rebuilds meanwhile.
package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/ingest"
	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/store"
)

// Store is what the library needs to remember ingested and forgotten
// articles.
type Store interface {
	AddIngested(ctx context.Context, in store.Ingested) error
	Ingested(ctx context.Context) ([]store.Ingested, error)
	Forget(ctx context.Context, docID string) (store.Ingested, error)
	Forgotten(ctx context.Context) (map[string]bool, error)
}

// IngestedPrefix starts the IDs of ingested articles.
const IngestedPrefix = "ingested/"

// Options configure a Library.
type Options struct {
	Corpus []string // configured files and folders; empty = the built-in guide
	// IndexFile, when set, holds the configured articles instead of Corpus:
	// an index written by 'footnote index', served as it is when nothing
	// was ingested or forgotten, and read again on every reload.
	IndexFile string
	DataDir   string
	Store     Store
	Fetcher   *ingest.Fetcher
	Logger    *slog.Logger
	// Debounce groups file-change events (default 750ms).
	Debounce time.Duration
	// Mirror, when set, is a second home of the passages (the Weaviate
	// collection) that every reload, ingestion and forget updates.
	Mirror Mirror
	// Parser parses the article files (a corpus.Sandbox); nil means the
	// one Open's context carries (corpus.WithParser), if any. Every
	// reload, ingestion and watch uses it, whatever their own contexts
	// carry (a Discord interaction's carries nothing).
	Parser corpus.Parser
}

// Mirror keeps a copy of the passages in step with the library.
type Mirror interface {
	Load(ctx context.Context, docs []corpus.Document, progress func(done, total int)) error
}

// Library is the set of articles being served.
type Library struct {
	opt  Options
	live *retrieval.Live
	log  *slog.Logger

	// mu guards the ingested folder and the store's records of it (never
	// held while parsing), and the generations below.
	mu sync.Mutex
	// started counts the rebuilds begun; served is the number of the one
	// whose index is served. A rebuild swaps its index in only if it is
	// newer than the one served: it read the files after it.
	started, served uint64
	// mirrorMu keeps the Mirror's loads in order.
	mirrorMu sync.Mutex

	// watchReady, when set, is called once Watch watches its folders
	// (for tests).
	watchReady func()
}

// Open loads the articles and builds the first index.
func Open(ctx context.Context, opt Options) (*Library, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Debounce <= 0 {
		opt.Debounce = 750 * time.Millisecond
	}
	if opt.Parser == nil {
		opt.Parser, _ = corpus.ParserFrom(ctx)
	}
	l := &Library{opt: opt, log: opt.Logger}
	if err := os.MkdirAll(l.ingestedDir(), 0o755); err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	ix, _, err := l.build(ctx)
	if err != nil {
		return nil, err
	}
	l.live = retrieval.NewLive(ix)
	return l, nil
}

// Index returns the index being served.
func (l *Library) Index() *retrieval.Index { return l.live.Load() }

// Live is the swappable index.
func (l *Library) Live() *retrieval.Live { return l.live }

func (l *Library) ingestedDir() string { return filepath.Join(l.opt.DataDir, "ingested") }

// build loads everything and builds an index, without swapping it in.
// The result's Documents are filled only when the Mirror needs them.
func (l *Library) build(ctx context.Context) (*retrieval.Index, corpus.Result, error) {
	ctx = l.parsing(ctx)
	var res corpus.Result
	var base *retrieval.Index
	var err error
	switch {
	case l.opt.IndexFile != "":
		if base, err = retrieval.Open(l.opt.IndexFile); err != nil {
			return nil, res, err
		}
	case len(l.opt.Corpus) == 0:
		res, err = corpus.LoadFS(ctx, guide.FS, guide.Root, corpus.Options{})
	default:
		res, err = corpus.LoadPaths(ctx, l.opt.Corpus, corpus.Options{})
	}
	if err != nil {
		return nil, res, err
	}
	ing, err := corpus.LoadPaths(ctx, []string{l.ingestedDir()}, corpus.Options{IDPrefix: IngestedPrefix})
	if err != nil {
		return nil, res, err
	}
	res.Skipped = append(res.Skipped, ing.Skipped...)
	for _, s := range res.Skipped {
		l.log.Warn("skipped article file", "file", s.Path, "reason", s.Reason)
	}
	forgotten := map[string]bool{}
	if l.opt.Store != nil {
		if forgotten, err = l.opt.Store.Forgotten(ctx); err != nil {
			return nil, res, err
		}
	}
	if base != nil {
		// The index file serves as it is unless articles were ingested
		// or some of its own were forgotten; then its documents are
		// indexed again with the others.
		changed := len(ing.Documents) > 0
		for id := range forgotten {
			if _, ok := base.Doc(id); ok {
				changed = true
			}
		}
		if changed || l.opt.Mirror != nil {
			res.Documents = base.Documents()
		}
		if !changed {
			return base, res, nil
		}
	}
	res.Documents = append(res.Documents, ing.Documents...)
	kept := res.Documents[:0]
	for _, d := range res.Documents {
		if !forgotten[d.ID] {
			kept = append(kept, d)
		}
	}
	res.Documents = kept
	if len(res.Documents) == 0 {
		return nil, res, fmt.Errorf("no articles to serve (%s)", res.Summary())
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	return ix, res, err
}

// parsing is ctx with the library's parser.
func (l *Library) parsing(ctx context.Context) context.Context {
	if l.opt.Parser == nil {
		return ctx
	}
	return corpus.WithParser(ctx, l.opt.Parser)
}

// Reload rebuilds the index and swaps it in; on failure the old index
// keeps serving.
func (l *Library) Reload(ctx context.Context) (string, error) {
	return l.rebuild(ctx)
}

// rebuild loads and indexes everything without a lock, then swaps the
// index in if no newer rebuild has been swapped in meanwhile.
func (l *Library) rebuild(ctx context.Context) (string, error) {
	l.mu.Lock()
	l.started++
	gen := l.started
	l.mu.Unlock()

	ix, res, err := l.build(ctx)
	if err != nil {
		return "", err
	}

	l.mu.Lock()
	if gen < l.served {
		current := l.live.Load()
		l.mu.Unlock()
		l.log.Debug("rebuild dropped: a newer one is served", "rebuild", gen)
		return fmt.Sprintf("%d articles, %d passages", len(current.Docs()), current.Len()), nil
	}
	l.served = gen
	l.live.Store(ix)
	l.mu.Unlock()

	summary := fmt.Sprintf("%d articles, %d passages", len(ix.Docs()), ix.Len())
	if l.opt.Mirror != nil {
		l.mirrorMu.Lock()
		newest := l.isServed(gen)
		var err error
		if newest {
			err = l.opt.Mirror.Load(ctx, res.Documents, nil)
		}
		l.mirrorMu.Unlock()
		if err != nil {
			l.log.Error("retriever not updated", "err", err)
			return summary, fmt.Errorf("the local index has %s, but the retriever was not updated: %w", summary, err)
		}
	}
	if n := len(res.Skipped); n > 0 {
		summary += fmt.Sprintf(" (%d files skipped, see the log)", n)
	}
	l.log.Info("articles reloaded", "summary", summary)
	return summary, nil
}

// isServed reports whether rebuild gen's index is the one served.
func (l *Library) isServed(gen uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.served == gen
}

// Added describes an ingested article.
type Added struct {
	DocID    string
	Title    string
	Passages int
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "article"
	}
	return s
}

// IngestURL fetches a page and adds it.
func (l *Library) IngestURL(ctx context.Context, rawURL, by string) (Added, error) {
	if l.opt.Fetcher == nil {
		return Added{}, errors.New("ingesting URLs is not enabled")
	}
	p, err := l.opt.Fetcher.Fetch(ctx, rawURL)
	if err != nil {
		return Added{}, err
	}
	return l.add(ctx, p.Name, p.Data, p.URL, by)
}

// IngestFile adds an uploaded file (.md, .txt, .html or .pdf).
func (l *Library) IngestFile(ctx context.Context, name string, data []byte, by string) (Added, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".txt", ".html", ".htm", ".pdf":
	default:
		return Added{}, fmt.Errorf("%w: %q is not an article file (want .md, .txt, .html or .pdf)", ingest.ErrRefused, name)
	}
	return l.add(ctx, name, data, name, by)
}

func (l *Library) add(ctx context.Context, name string, data []byte, source, by string) (Added, error) {
	ext := strings.ToLower(filepath.Ext(name))
	base := slug(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	id := IngestedPrefix + base
	docs, err := corpus.Parse(l.parsing(ctx), id, name, data, corpus.Options{})
	if err != nil {
		return Added{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(docs) != 1 || len(docs[0].Passages) == 0 {
		return Added{}, fmt.Errorf("%s: no article text found", name)
	}
	d := docs[0]
	if d.URL == "" && strings.HasPrefix(source, "http") {
		// Keep the source URL for citations: add it as front matter-like
		// metadata by saving Markdown with front matter for text formats.
		d.URL = source
	}
	file := filepath.Join(l.ingestedDir(), base+ext)
	if err := l.save(ctx, file, withSourceURL(ext, data, d.URL), store.Ingested{DocID: id, Title: d.Title, Source: source, File: file,
		Passages: len(d.Passages), AddedBy: by}); err != nil {
		return Added{}, err
	}
	if _, err := l.rebuild(ctx); err != nil {
		return Added{}, fmt.Errorf("added %s but the rebuild failed: %w", name, err)
	}
	return Added{DocID: id, Title: d.Title, Passages: len(d.Passages)}, nil
}

// save writes an ingested article's file and records it in the store.
func (l *Library) save(ctx context.Context, file string, data []byte, in store.Ingested) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := writeAtomic(file, data); err != nil {
		return err
	}
	if l.opt.Store != nil {
		if err := l.opt.Store.AddIngested(ctx, in); err != nil {
			os.Remove(file)
			return err
		}
	}
	return nil
}

// withSourceURL records the page's URL in what is saved, so citations keep
// linking to it after a restart: HTML gets a canonical link if it lacks
// one; Markdown and text get front matter if they have none.
func withSourceURL(ext string, data []byte, url string) []byte {
	if url == "" {
		return data
	}
	switch ext {
	case ".html", ".htm":
		if !strings.Contains(strings.ToLower(string(data)), `rel="canonical"`) {
			return append([]byte(`<link rel="canonical" href="`+strings.ReplaceAll(url, `"`, "%22")+`">`+"\n"), data...)
		}
	case ".md", ".markdown", ".txt":
		if !strings.HasPrefix(string(data), "---\n") {
			return append([]byte("---\nurl: \""+strings.ReplaceAll(url, `"`, "%22")+"\"\n---\n"), data...)
		}
	}
	return data
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ingest-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Forget removes an article: an ingested one's file is deleted; any ID is
// remembered as forgotten, so a configured file with it is left out.
func (l *Library) Forget(ctx context.Context, docID string) (string, error) {
	ix := l.Index()
	d, ok := ix.Doc(docID)
	if !ok {
		return "", fmt.Errorf("no article with ID %q", docID)
	}
	if l.opt.Store == nil {
		return "", errors.New("forgetting articles needs the store")
	}
	if err := l.forget(ctx, docID); err != nil {
		return "", err
	}
	if _, err := l.rebuild(ctx); err != nil {
		return "", err
	}
	return d.Title, nil
}

// forget records an article as forgotten and deletes an ingested one's
// file.
func (l *Library) forget(ctx context.Context, docID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	in, err := l.opt.Store.Forget(ctx, docID)
	if err != nil {
		return err
	}
	if in.File != "" {
		if err := os.Remove(in.File); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.log.Warn("could not delete a forgotten article's file", "file", in.File, "err", err)
		}
	}
	return nil
}

// Watch rebuilds the index when files under the configured folders or the
// ingested folder change, debounced, until ctx ends.
func (l *Library) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Close()
	roots := append([]string{l.ingestedDir()}, l.opt.Corpus...)
	var index string // the index file, whose folder is watched for it alone
	if l.opt.IndexFile != "" {
		index = filepath.Clean(l.opt.IndexFile)
		roots = []string{l.ingestedDir(), index}
	}
	for _, root := range roots {
		st, err := os.Stat(root)
		if err != nil {
			continue
		}
		if !st.IsDir() {
			root = filepath.Dir(root) // a file: watch its folder
		}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if err := w.Add(p); err != nil {
					l.log.Warn("cannot watch folder", "folder", p, "err", err)
				}
			}
			return nil
		})
	}
	if l.watchReady != nil {
		l.watchReady()
	}
	var timer *time.Timer
	fire := make(chan struct{}, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if strings.HasPrefix(filepath.Base(ev.Name), ".") {
				continue // temporary files
			}
			if name := filepath.Clean(ev.Name); index != "" && name != index && !within(name, l.ingestedDir()) {
				continue // another file beside the index file
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					w.Add(ev.Name)
				}
			}
			if timer == nil {
				timer = time.AfterFunc(l.opt.Debounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(l.opt.Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			l.log.Warn("file watcher error", "err", err)
		case <-fire:
			if _, err := l.Reload(ctx); err != nil {
				l.log.Error("reload after a file change failed; the previous articles are still served", "err", err)
			}
		}
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
