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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
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
	ForgetIn(ctx context.Context, guild, docID string) (store.Ingested, error)
	Forgotten(ctx context.Context) (map[string]bool, error)
}

// IngestedPrefix starts the IDs of ingested articles.
const IngestedPrefix = "ingested/"

// Options configure a Library.
type Options struct {
	Corpus []string // configured files and folders; empty = the built-in guide (none for a server's library)
	// Guild, when set, makes this one server's library: its own
	// configured articles and those ingested in it, kept under
	// DataDir/guilds/GUILD and recorded in the store as the server's,
	// every document ID starting "GUILD/". It may be empty (no articles
	// yet). The shared library has no Guild.
	Guild string
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
	// pending are the articles saved but not yet served (ID → source), so
	// that a batch's pages do not take each other's names before the
	// rebuild that serves them; guarded by pendMu, which may be taken
	// under mu.
	pendMu  sync.Mutex
	pending map[string]pendingArticle

	// watchReady, when set, is called once Watch watches its folders
	// (for tests).
	watchReady func()

	// fileDamage is the served index file's damage record (nil when no
	// index file is served); swapped with the index.
	fileDamage atomic.Pointer[damageRecord]
}

// damageRecord keeps the first damage met reading one opened index file.
type damageRecord struct{ err atomic.Pointer[error] }

// Damaged reports the damage reading the index file being served has met
// (a text block or a term's postings that failed their check: answers
// lack what they held), or nil. It is found as questions read the file
// and logged once, with the file and 'footnote index --verify'.
func (l *Library) Damaged() error {
	if rec := l.fileDamage.Load(); rec != nil {
		if err := rec.err.Load(); err != nil {
			return *err
		}
	}
	return nil
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
	ix, _, rec, err := l.build(ctx)
	if err != nil {
		return nil, err
	}
	l.live = retrieval.NewLive(ix)
	l.fileDamage.Store(rec)
	return l, nil
}

// Index returns the index being served.
func (l *Library) Index() *retrieval.Index { return l.live.Load() }

// Live is the swappable index.
func (l *Library) Live() *retrieval.Live { return l.live }

func (l *Library) ingestedDir() string {
	if l.opt.Guild != "" {
		return filepath.Join(l.opt.DataDir, "guilds", l.opt.Guild, "ingested")
	}
	return filepath.Join(l.opt.DataDir, "ingested")
}

// GuildPrefix starts the document IDs of a server's own articles.
func GuildPrefix(guild string) string { return guild + "/" }

// idPrefix starts every document ID of this library.
func (l *Library) idPrefix() string {
	if l.opt.Guild == "" {
		return ""
	}
	return GuildPrefix(l.opt.Guild)
}

// ingestedPrefix starts the IDs of the articles ingested into this library.
func (l *Library) ingestedPrefix() string { return l.idPrefix() + IngestedPrefix }

// build loads everything and builds an index, without swapping it in.
// The result's Documents are filled only when the Mirror needs them. The
// damage record is the index file's (nil without one).
func (l *Library) build(ctx context.Context) (*retrieval.Index, corpus.Result, *damageRecord, error) {
	ctx = l.parsing(ctx)
	var res corpus.Result
	var base *retrieval.Index
	var rec *damageRecord
	var err error
	switch {
	case l.opt.IndexFile != "":
		if base, err = retrieval.Open(l.opt.IndexFile); err != nil {
			return nil, res, nil, err
		}
		// Damage is found as questions read the file: say so once,
		// when it is met (serve has no command ending to report it at).
		rec = &damageRecord{}
		path := l.opt.IndexFile
		base.OnDamage(func(err error) {
			rec.err.Store(&err)
			l.log.Error("index file damaged: answers lack what it held there", "file", path, "err", err,
				"check", "footnote index --verify "+path+", then rebuild it")
		})
	case len(l.opt.Corpus) == 0 && l.opt.Guild != "":
		// A server's library: only what it configures and ingests.
	case len(l.opt.Corpus) == 0:
		res, err = corpus.LoadFS(ctx, guide.FS, guide.Root, corpus.Options{})
	default:
		res, err = corpus.LoadPaths(ctx, l.opt.Corpus, corpus.Options{IDPrefix: l.idPrefix()})
	}
	if err != nil {
		return nil, res, nil, err
	}
	ing, err := corpus.LoadPaths(ctx, []string{l.ingestedDir()}, corpus.Options{IDPrefix: l.ingestedPrefix()})
	if err != nil {
		return nil, res, nil, err
	}
	res.Skipped = append(res.Skipped, ing.Skipped...)
	for _, s := range res.Skipped {
		l.log.Warn("skipped article file", "file", s.Path, "reason", s.Reason)
	}
	for _, docs := range [][]corpus.Document{res.Documents, ing.Documents} {
		for _, d := range docs {
			for _, w := range d.Warnings {
				l.log.Warn("article loaded without a value", "doc", d.ID, "file", d.Source, "warning", w)
			}
		}
	}
	forgotten := map[string]bool{}
	if l.opt.Store != nil {
		if forgotten, err = l.opt.Store.Forgotten(ctx); err != nil {
			return nil, res, nil, err
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
			return base, res, rec, nil
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
	if len(res.Documents) == 0 && l.opt.Guild == "" {
		where := "the built-in guide"
		switch {
		case l.opt.IndexFile != "":
			where = "index file " + l.opt.IndexFile
		case len(l.opt.Corpus) > 0:
			where = strings.Join(l.opt.Corpus, ", ")
		}
		return nil, res, nil, fmt.Errorf("no articles to serve in %s or the ingested articles in %s (%s): add .md, .txt, .html, .pdf or .jsonl files there",
			where, l.ingestedDir(), res.Summary())
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	return ix, res, rec, err
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

	ix, res, rec, err := l.build(ctx)
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
	l.fileDamage.Store(rec)
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
	// Replaced is set when the article took the place of an earlier
	// version of itself (the same URL ingested again).
	Replaced bool
}

// ErrNameTaken means an upload's name is already an article's.
var ErrNameTaken = errors.New("name taken")

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

// Naming. An ingested article's ID is "ingested/" and a slug, which is
// also its file's name in the ingested folder:
//
//   - A web page is named by its whole URL (after redirects): host without
//     "www.", path and query, e.g. https://www.example.com/team-a/handbook/
//     is ingested/example-com-team-a-handbook. The URL is the page's
//     identity, so the ID is stable: ingesting the same URL again (trailing
//     slash, letter case of the host, default port and fragment aside)
//     updates that article in place. When the slug is too long, or is
//     already the name of an article from another source (/a_b and /a-b),
//     a short hash of the URL is added: ingested/example-com-a-b-3f9a0c1e.
//   - An upload is named by its file name (notes.md is ingested/notes),
//     and refused, naming the article, when that name is taken: two files
//     called notes.md are as likely two teams' notes as one file's two
//     versions, and only the person uploading knows which; they can rename
//     the file, or /forget the old one to replace it.

// maxSlug bounds a page's slug, so that passage IDs stay within Discord's
// 100-character choice values.
const maxSlug = 72

// sourceKey is the part of a page's URL that names it: host (lower case,
// no default port), path without a trailing slash, query; read in
// corpus.CleanURL's form when it has one, so a URL and the one recorded in
// its file give the same key.
func sourceKey(raw string) string {
	if clean, err := corpus.CleanURL(raw); err == nil {
		raw = clean
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	k := host + strings.TrimRight(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k
}

// pageSlugs are the names a page with this source key may take, in order.
func pageSlugs(key string) []string {
	s := strings.Trim(slugRe.ReplaceAllString(strings.TrimPrefix(strings.ToLower(key), "www."), "-"), "-")
	sum := sha256.Sum256([]byte(key))
	hashed := strings.TrimRight(s[:min(len(s), maxSlug-9)], "-") + "-" + hex.EncodeToString(sum[:4])
	if s == "" || len(s) > maxSlug {
		return []string{hashed}
	}
	return []string{s, hashed}
}

// owner says whether an ingested name is taken (an article is served
// under it), by what source (the page's URL or the upload's file name, when
// known) and how to name it to a person. A name whose file does not load is
// free: nothing is served under it.
func (l *Library) owner(records []store.Ingested, base string) (taken bool, source, desc string) {
	id := l.ingestedPrefix() + base
	d, ok := l.Index().Doc(id)
	if !ok {
		l.pendMu.Lock()
		p, ok := l.pending[id]
		l.pendMu.Unlock()
		if ok {
			source = p.source
			return true, source, fmt.Sprintf("an article being added from %s", source)
		}
		return false, "", ""
	}
	source, desc = d.URL, fmt.Sprintf("“%s”", d.Title)
	for _, in := range records {
		if in.DocID == id {
			source = in.Source
			desc += ", added from " + in.Source
		}
	}
	return true, source, desc
}

// records are the store's ingested articles (none without a store).
func (l *Library) records(ctx context.Context) ([]store.Ingested, error) {
	if l.opt.Store == nil {
		return nil, nil
	}
	all, err := l.opt.Store.Ingested(ctx)
	if err != nil {
		return nil, err
	}
	var mine []store.Ingested
	for _, in := range all {
		if in.Guild == l.opt.Guild {
			mine = append(mine, in)
		}
	}
	return mine, nil
}

// name picks an ingested article's ID (see Naming).
func (l *Library) name(ctx context.Context, it item) (id string, replaced bool, err error) {
	records := it.records
	if records == nil {
		if records, err = l.records(ctx); err != nil {
			return "", false, err
		}
	}
	if it.key == "" { // an upload
		id = l.ingestedPrefix() + it.base
		if taken, _, desc := l.owner(records, it.base); taken {
			return "", false, fmt.Errorf("%w: an article is already called %s (%s); rename the file, or /forget %s first to replace it", ErrNameTaken, id, desc, id)
		}
		return id, false, nil
	}
	// This page, ingested before (under whatever name it was given then).
	for _, in := range records {
		if _, served := l.Index().Doc(in.DocID); served && strings.HasPrefix(in.DocID, l.ingestedPrefix()) && sourceKey(in.Source) == it.key {
			return in.DocID, true, nil
		}
	}
	free := ""
	for _, base := range pageSlugs(it.key) {
		taken, source, _ := l.owner(records, base)
		if taken && sourceKey(source) == it.key {
			return l.ingestedPrefix() + base, true, nil
		}
		if !taken && free == "" {
			free = base
		}
	}
	if free == "" {
		return "", false, fmt.Errorf("%w: the names for %s are taken by other articles", ErrNameTaken, it.source)
	}
	return l.ingestedPrefix() + free, false, nil
}

// item is an article to ingest.
type item struct {
	name    string // file name; its extension picks the parser
	data    []byte
	source  string // the page's URL, or the upload's file name
	pageURL string // the page's URL, recorded in the file for citations ("" for uploads)
	key     string // the page's source key ("" for uploads)
	base    string // an upload's slug
	// records, when set, are the library's ingested records as a batch
	// keeps them (read once, with its own added), instead of the
	// store's, read at every naming: a site's thousands of pages would
	// read them thousands of times. Names taken meanwhile by another
	// ingestion are still seen, in the index or as pending.
	records []store.Ingested
}

// IngestURL fetches a page and adds it, named by its URL (see Naming).
func (l *Library) IngestURL(ctx context.Context, rawURL, by string) (Added, error) {
	if l.opt.Fetcher == nil {
		return Added{}, errors.New("ingesting URLs is not enabled")
	}
	p, err := l.opt.Fetcher.Fetch(ctx, rawURL)
	if err != nil {
		return Added{}, err
	}
	key := sourceKey(p.URL)
	if key == "" {
		return Added{}, fmt.Errorf("%w: %q is not a web address footnote can name", ingest.ErrRefused, p.URL)
	}
	return l.add(ctx, item{name: p.Name, data: p.Data, source: p.URL, pageURL: p.URL, key: key}, by)
}

// IngestAttachment fetches a file uploaded to Discord, from the attachment
// hosts only and within the same limits as a page (see ingest.Fetcher),
// and adds it as IngestFile does; size is the size Discord reports.
func (l *Library) IngestAttachment(ctx context.Context, name, rawURL string, size int64, by string) (Added, error) {
	if l.opt.Fetcher == nil {
		return Added{}, errors.New("ingesting files is not enabled")
	}
	if err := articleFile(name); err != nil {
		return Added{}, err
	}
	p, err := l.opt.Fetcher.FetchAttachment(ctx, rawURL, name, size)
	if err != nil {
		return Added{}, err
	}
	return l.IngestFile(ctx, name, p.Data, by)
}

func articleFile(name string) error {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".txt", ".html", ".htm", ".pdf":
		return nil
	}
	return fmt.Errorf("%w: %q is not an article file (want .md, .txt, .html or .pdf)", ingest.ErrRefused, name)
}

// IngestFile adds an uploaded file (.md, .txt, .html or .pdf), named by its
// file name unless that name is taken (see Naming).
func (l *Library) IngestFile(ctx context.Context, name string, data []byte, by string) (Added, error) {
	if err := articleFile(name); err != nil {
		return Added{}, err
	}
	base := slug(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	return l.add(ctx, item{name: name, data: data, source: name, base: base}, by)
}

func (l *Library) add(ctx context.Context, it item, by string) (Added, error) {
	added, file, err := l.stage(ctx, it, by)
	if err != nil {
		return Added{}, err
	}
	id := added.DocID
	_, err = l.rebuild(ctx)
	l.settled(id)
	if err != nil {
		return Added{}, fmt.Errorf("added %s but the rebuild failed: %w", it.name, err)
	}
	if _, ok := l.Index().Doc(id); !ok {
		// Never "Added" for what is not served.
		l.unstage(ctx, id, file)
		if _, err := l.rebuild(ctx); err != nil {
			l.log.Warn("reload after a failed ingest", "err", err)
		}
		return Added{}, fmt.Errorf("%s: saved as %s but not served after the reload (see the log); nothing was added", it.name, id)
	}
	return added, nil
}

// unstage removes a saved article that is not served: its file and its
// record.
func (l *Library) unstage(ctx context.Context, id, file string) {
	l.mu.Lock()
	os.Remove(file)
	l.mu.Unlock()
	if l.opt.Store != nil {
		if _, err := l.opt.Store.ForgetIn(ctx, l.opt.Guild, id); err != nil {
			l.log.Warn("could not remove an ingested article's record", "doc", id, "err", err)
		}
	}
}

// stage names, parses and saves an article without rebuilding: it is
// served after the next rebuild.
func (l *Library) stage(ctx context.Context, it item, by string) (Added, string, error) {
	ext := strings.ToLower(filepath.Ext(it.name))
	id, _, err := l.name(ctx, it) // refused early, before parsing
	if err != nil {
		return Added{}, "", err
	}
	// Parse outside the lock: the bytes are someone else's.
	d, err := l.parseOne(ctx, id, it.name, it.data)
	if err != nil {
		return Added{}, "", err
	}
	data := it.data
	if d.URL == "" && it.pageURL != "" {
		// Keep the page's URL for citations, in the file itself.
		if u, err := corpus.CleanURL(it.pageURL); err == nil {
			if data, err = withSourceURL(ext, it.data, u); err != nil {
				return Added{}, "", fmt.Errorf("%s: %w", it.name, err)
			}
		}
	}
	if !bytes.Equal(data, it.data) {
		// What is saved is read the way every reload will read it.
		if d, err = l.parseOne(ctx, id, it.name, data); err != nil {
			return Added{}, "", err
		}
	}
	replaced, file, err := l.save(ctx, it, id, ext, data, d, by)
	if err != nil {
		return Added{}, "", err
	}
	return Added{DocID: id, Title: d.Title, Passages: len(d.Passages), Replaced: replaced}, file, nil
}

// save names the article again under the lock (another ingest may have
// taken the name meanwhile), writes its file and records it in the store.
// It holds the lock for the file and the record only: the bytes were
// parsed before, and the rebuild happens after, without it.
func (l *Library) save(ctx context.Context, it item, id, ext string, data []byte, d corpus.Document, by string) (replaced bool, file string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	again, replaced, err := l.name(ctx, it)
	if err != nil {
		return false, "", err
	}
	if again != id {
		return false, "", fmt.Errorf("%w: %s was taken while it was being added; try again", ErrNameTaken, id)
	}
	base := strings.TrimPrefix(id, l.ingestedPrefix())
	file = filepath.Join(l.ingestedDir(), base+ext)
	// The name is this article's now: a file of the version it replaces
	// in another format, or one under the name that does not load, goes.
	olds, _ := filepath.Glob(filepath.Join(l.ingestedDir(), base+".*"))
	for _, old := range olds {
		if old != file {
			if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
				return false, "", fmt.Errorf("replacing %s: %w", id, err)
			}
		}
	}
	// Pending before it is written: the watcher leaves its events to the
	// rebuild that serves it.
	l.pendMu.Lock()
	if l.pending == nil {
		l.pending = map[string]pendingArticle{}
	}
	l.pending[id] = pendingArticle{source: it.source, file: file}
	l.pendMu.Unlock()
	if err := writeAtomic(file, data); err != nil {
		l.settled(id)
		return false, "", fmt.Errorf("saving %s: %w", id, err)
	}
	if l.opt.Store != nil {
		if err := l.opt.Store.AddIngested(ctx, store.Ingested{Guild: l.opt.Guild, DocID: id, Title: d.Title, Source: it.source, File: file,
			Passages: len(d.Passages), AddedBy: by}); err != nil {
			os.Remove(file)
			l.settled(id)
			return false, "", err
		}
	}
	return replaced, file, nil
}

// parseOne reads one ingested article as the loader will, with the
// library's parser.
func (l *Library) parseOne(ctx context.Context, id, name string, data []byte) (corpus.Document, error) {
	docs, err := corpus.Parse(l.parsing(ctx), id, name, data, corpus.Options{})
	if err != nil {
		return corpus.Document{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(docs) != 1 || len(docs[0].Passages) == 0 {
		return corpus.Document{}, fmt.Errorf("%s: no article text found", name)
	}
	return docs[0], nil
}

// withSourceURL records the page's (checked) URL in what is saved, so
// citations keep linking to it after a restart: HTML gets a canonical link
// if it lacks one; Markdown and text get it in their front matter, written
// with the YAML encoder (corpus.SetFrontMatter), in the block they have or
// a new one. A PDF cannot carry it.
func withSourceURL(ext string, data []byte, pageURL string) ([]byte, error) {
	switch ext {
	case ".html", ".htm":
		if !strings.Contains(strings.ToLower(string(data)), `rel="canonical"`) {
			return append([]byte(`<link rel="canonical" href="`+html.EscapeString(pageURL)+`">`+"\n"), data...), nil
		}
	case ".md", ".markdown", ".txt":
		out, err := corpus.SetFrontMatter(string(data), "url", pageURL)
		if err != nil {
			return nil, err
		}
		return []byte(out), nil
	}
	return data, nil
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
	in, err := l.opt.Store.ForgetIn(ctx, l.opt.Guild, docID)
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
			if l.isPending(filepath.Clean(ev.Name)) {
				continue // a batch's page: its commit rebuilds
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
