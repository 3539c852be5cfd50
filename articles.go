package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/retrieval"
)

// openArticles is the index serve would answer from, for the commands
// that answer or search as it does (ask, search, report): the configured
// articles (index file, corpus or the built-in guide) plus those ingested
// into the data folder, minus those forgotten, read by the same library.
// Where serve has never kept a question log (no footnote.db in the data
// folder and no database_url), nothing can have been ingested or
// forgotten and it is loadIndex, which writes nothing.
func openArticles(ctx context.Context, cfg config.Config, log *slog.Logger, progress io.Writer) (*retrieval.Index, error) {
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "footnote.db")); err != nil {
			return loadIndex(ctx, cfg, log, progress)
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("the data folder's ingested and forgotten articles: %w", err)
	}
	defer st.Close()
	if cfg.IndexFile != "" && len(cfg.Corpus) > 0 {
		log.Warn("both an index file and a corpus given; using the index file", "index", cfg.IndexFile)
	}
	lib, err := library.Open(ctx, library.Options{Corpus: cfg.Corpus, IndexFile: cfg.IndexFile, DataDir: cfg.DataDir, Store: st, Logger: log})
	if err != nil {
		return nil, err
	}
	return lib.Index(), nil
}

// loadIndex opens the configured index file, or builds an index from the
// configured corpus, or from the built-in guide when neither is set.
func loadIndex(ctx context.Context, cfg config.Config, log *slog.Logger, progress io.Writer) (*retrieval.Index, error) {
	if cfg.IndexFile != "" {
		if len(cfg.Corpus) > 0 {
			log.Warn("both an index file and a corpus given; using the index file", "index", cfg.IndexFile)
		}
		ix, err := retrieval.Open(cfg.IndexFile)
		if err != nil {
			return nil, err
		}
		log.Debug("index opened", "file", cfg.IndexFile, "passages", ix.Len())
		return ix, nil
	}
	ix, _, err := buildIndex(ctx, cfg.Corpus, log, progress)
	return ix, err
}

// buildBatch is about how many passages buildIndex hands the builder at a
// time (it analyses each batch on every core).
const buildBatch = 16384

// buildIndex indexes the articles at paths (the built-in guide when none)
// as they are read: the documents are handed to the builder a batch at a
// time and dropped, so the build holds the index, never the corpus. It
// returns the index and a one-line account of the load.
func buildIndex(ctx context.Context, paths []string, log *slog.Logger, stderr io.Writer) (*retrieval.Index, string, error) {
	b, err := retrieval.NewBuilder(retrieval.DefaultParams())
	if err != nil {
		return nil, "", err
	}
	var batch []corpus.Document
	inBatch, docs := 0, 0
	add := func() error {
		err := b.Add(batch)
		clear(batch)
		batch, inBatch = batch[:0], 0
		return err
	}
	skipped, err := streamCorpus(ctx, paths, log, stderr, "indexing articles", func(ds []corpus.Document) error {
		for _, d := range ds {
			batch = append(batch, d)
			inBatch += len(d.Passages)
			docs++
			if inBatch >= buildBatch {
				if err := add(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = add()
	}
	summary := corpus.Summary(docs, b.Passages(), skipped)
	if err != nil {
		return nil, summary, err
	}
	if docs == 0 {
		return nil, summary, fmt.Errorf("no articles loaded from %s (%s)", describePaths(paths), summary)
	}
	log.Debug("articles loaded", "summary", summary)
	ix, err := b.Finish()
	return ix, summary, err
}

func loadCorpus(ctx context.Context, paths []string, log *slog.Logger, stderr io.Writer) (corpus.Result, error) {
	var res corpus.Result
	_, err := streamCorpus(ctx, paths, log, stderr, "reading articles", func(docs []corpus.Document) error {
		res.Documents = append(res.Documents, docs...)
		return nil
	})
	if err != nil {
		return res, err
	}
	if len(res.Documents) == 0 {
		return res, fmt.Errorf("no articles loaded from %s (%s)", describePaths(paths), res.Summary())
	}
	log.Debug("articles loaded", "summary", res.Summary())
	return res, nil
}

// streamCorpus reads the articles at paths (the built-in guide when
// none), handing their documents to emit as each file or part is parsed
// (corpus.StreamPaths), with a progress bar by bytes on a terminal; every
// file skipped is logged, and their number returned.
func streamCorpus(ctx context.Context, paths []string, log *slog.Logger, stderr io.Writer, what string, emit func([]corpus.Document) error) (int, error) {
	var opt corpus.Options
	finish := func() {}
	if _, ok := terminal(stderr); ok && len(paths) > 0 {
		opt.Progress, finish = progress(stderr, totalSize(paths), 8<<20, what, true)
	}
	var skipped []corpus.Skip
	var err error
	if len(paths) == 0 {
		skipped, err = corpus.StreamFS(ctx, guide.FS, guide.Root, opt, emit)
	} else {
		skipped, err = corpus.StreamPaths(ctx, paths, opt, emit)
	}
	finish()
	for _, s := range skipped {
		log.Warn("skipped article file", "file", s.Path, "reason", s.Reason)
	}
	return len(skipped), err
}

func describePaths(paths []string) string {
	if len(paths) == 0 {
		return "the built-in guide"
	}
	return strings.Join(paths, ", ")
}

func totalSize(paths []string) int64 {
	var n int64
	for _, p := range paths {
		_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					n += info.Size()
				}
			}
			return nil
		})
	}
	return n
}
