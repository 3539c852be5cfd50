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
	res, err := loadCorpus(ctx, cfg.Corpus, log, progress)
	if err != nil {
		return nil, err
	}
	return retrieval.Build(res.Documents, retrieval.DefaultParams())
}

func loadCorpus(ctx context.Context, paths []string, log *slog.Logger, stderr io.Writer) (corpus.Result, error) {
	var opt corpus.Options
	finish := func() {}
	if _, ok := terminal(stderr); ok && len(paths) > 0 {
		opt.Progress, finish = progress(stderr, totalSize(paths), 8<<20, "reading articles", true)
	}
	var res corpus.Result
	var err error
	if len(paths) == 0 {
		res, err = corpus.LoadFS(ctx, guide.FS, guide.Root, opt)
	} else {
		res, err = corpus.LoadPaths(ctx, paths, opt)
	}
	finish()
	for _, s := range res.Skipped {
		log.Warn("skipped article file", "file", s.Path, "reason", s.Reason)
	}
	if err != nil {
		return res, err
	}
	if len(res.Documents) == 0 {
		return res, fmt.Errorf("no articles loaded from %s (%s)", describePaths(paths), res.Summary())
	}
	log.Debug("articles loaded", "summary", res.Summary())
	return res, nil
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
