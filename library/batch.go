package library

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/footnote-bot/footnote/ingest"
	"github.com/footnote-bot/footnote/store"
)

// pendingArticle is an article saved and not yet served.
type pendingArticle struct{ source, file string }

// isPending reports whether a file is a pending article's (the watcher
// leaves it to the rebuild that will serve it).
func (l *Library) isPending(file string) bool {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	for _, p := range l.pending {
		if p.file == file {
			return true
		}
	}
	return false
}

// settled drops articles from the pending ones: the rebuild after their
// saving has run, so the index says whether they are served.
func (l *Library) settled(ids ...string) {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	for _, id := range ids {
		delete(l.pending, id)
	}
}

// SourcePrefix starts the AddedBy of the pages a documentation site's
// source added (see package sites): "source:ID".
const SourcePrefix = "source:"

// ErrNotTheSources means a page is already an article someone added with
// /ingest: a source does not take it over.
var ErrNotTheSources = errors.New("added with /ingest")

// Batch adds, updates and removes many web pages with one rebuild: a
// documentation site's refresh. Each page is parsed and saved as it is
// added, so a crawl's pages are never all in memory, named by its URL as
// IngestURL names a page (a page added again updates its article); Commit
// rebuilds once and says which pages are served. Until then the library
// serves what it served before. A Batch is used by one goroutine.
type Batch struct {
	l       *Library
	by      string
	added   map[string]string // ID → file
	removed int
	// manual are the pages ingested by hand (source key → ID), read once.
	manual map[string]string
	// records are the library's ingested records, read once, with the
	// batch's own added (see item.records).
	records []store.Ingested
}

// loadRecords reads the library's ingested records once.
func (b *Batch) loadRecords(ctx context.Context) error {
	if b.records != nil {
		return nil
	}
	records, err := b.l.records(ctx)
	if err != nil {
		return err
	}
	b.records = append([]store.Ingested{}, records...) // never nil once read
	return nil
}

// Batch starts a batch; by is who it is done for (recorded with the
// articles).
func (l *Library) Batch(by string) *Batch {
	return &Batch{l: l, by: by, added: map[string]string{}}
}

// AddPage saves a fetched page: pageURL (its canonical URL) names it and
// is what its citations link to; name's extension picks the parser.
func (b *Batch) AddPage(ctx context.Context, pageURL, name string, data []byte) (Added, error) {
	key := sourceKey(pageURL)
	if key == "" {
		return Added{}, fmt.Errorf("%w: %q is not a web address footnote can name", ingest.ErrRefused, pageURL)
	}
	if err := articleFile(name); err != nil {
		return Added{}, err
	}
	if strings.HasPrefix(b.by, SourcePrefix) {
		// A page someone ingested by hand stays theirs: the source
		// neither replaces it nor, later, removes it.
		if b.manual == nil {
			b.manual = map[string]string{}
			if err := b.loadRecords(ctx); err != nil {
				return Added{}, err
			}
			for _, in := range b.records {
				if !strings.HasPrefix(in.AddedBy, SourcePrefix) {
					b.manual[sourceKey(in.Source)] = in.DocID
				}
			}
		}
		if id, ok := b.manual[key]; ok {
			if _, served := b.l.Index().Doc(id); served {
				return Added{}, fmt.Errorf("%w as %s; /forget it to let the source keep it", ErrNotTheSources, id)
			}
		}
	}
	if err := b.loadRecords(ctx); err != nil {
		return Added{}, err
	}
	added, file, err := b.l.stage(ctx, item{name: name, data: data, source: pageURL, pageURL: pageURL, key: key, records: b.records}, b.by)
	if err != nil {
		return Added{}, err
	}
	b.added[added.DocID] = file
	if !added.Replaced {
		b.records = append(b.records, store.Ingested{Guild: b.l.opt.Guild, DocID: added.DocID, Title: added.Title, Source: pageURL, File: file, AddedBy: b.by})
	}
	return added, nil
}

// Remove forgets an ingested article (its file and record) without
// rebuilding. An article that is not this library's ingested one is
// refused.
func (b *Batch) Remove(ctx context.Context, docID string) error {
	if !strings.HasPrefix(docID, b.l.ingestedPrefix()) {
		return fmt.Errorf("%s is not an ingested article of this library", docID)
	}
	if b.l.opt.Store == nil {
		return errors.New("removing articles needs the store")
	}
	if err := b.l.forget(ctx, docID); err != nil {
		return err
	}
	delete(b.added, docID)
	b.removed++
	return nil
}

// Commit rebuilds the index once for everything the batch did, and
// returns the summary and the pages added that are not served after it
// (their files and records removed, as IngestURL does). A failed rebuild
// leaves the files saved: the next reload serves them.
func (b *Batch) Commit(ctx context.Context) (summary string, notServed []string, err error) {
	if len(b.added) == 0 && b.removed == 0 {
		ix := b.l.Index()
		return fmt.Sprintf("%d articles, %d passages", len(ix.Docs()), ix.Len()), nil, nil
	}
	ids := make([]string, 0, len(b.added))
	for id := range b.added {
		ids = append(ids, id)
	}
	summary, err = b.l.rebuild(ctx)
	b.l.settled(ids...)
	if err != nil {
		return "", nil, fmt.Errorf("rebuilding after %d pages: %w", len(ids), err)
	}
	ix := b.l.Index()
	for _, id := range ids {
		if _, ok := ix.Doc(id); !ok {
			b.l.unstage(ctx, id, b.added[id])
			notServed = append(notServed, id)
		}
	}
	if len(notServed) > 0 {
		if summary, err = b.l.rebuild(ctx); err != nil {
			return "", notServed, err
		}
	}
	b.added, b.removed = map[string]string{}, 0
	return summary, notServed, nil
}
