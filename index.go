package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/retrieval"
)

func cmdIndex(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	out := fs.String("out", "", "index file to write")
	to := fs.String("to", "", "load the passages into this retriever instead (weaviate, at weaviate_url)")
	verify := fs.String("verify", "", "check this index file whole (every checksum and text block) instead of building one")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("index: unexpected argument %q", pos[0])
	}
	if *verify != "" {
		if *out != "" || *to != "" {
			return usagef("index: --verify checks a file; give it without --out or --to")
		}
		return verifyIndex(e, *verify)
	}
	if (*out == "") == (*to == "") {
		return usagef("index: give --out FILE, or --to weaviate")
	}
	if *to != "" && *to != config.RetrieverWeaviate {
		return usagef("index: --to %q: the only distributed retriever is weaviate", *to)
	}
	log := newLogger(cfg, e.stderr)
	start := time.Now()
	if *to == "" {
		// The articles are indexed as they are read: the build holds the
		// index, not the corpus.
		ix, summary, err := buildIndex(ctx, cfg.Corpus, log, e.stderr)
		if err != nil {
			return err
		}
		if err := ix.Save(*out); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "indexed %s into %s in %s\n", summary, *out, time.Since(start).Round(time.Millisecond))
		return nil
	}
	cfg.Retriever = config.RetrieverWeaviate
	if cfg.WeaviateURL == "" {
		return usagef("index: --to weaviate needs weaviate_url (FOOTNOTE_WEAVIATE_URL)")
	}
	res, err := loadCorpus(ctx, cfg.Corpus, log, e.stderr)
	if err != nil {
		return err
	}
	r, err := openRetriever(ctx, cfg)
	if err != nil {
		return err
	}
	progress, finish := progressBar(e.stderr, res.Passages(), "loading passages into Weaviate")
	err = r.Load(ctx, res.Documents, progress)
	finish()
	if err != nil {
		return err
	}
	n, err := r.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "loaded %s into Weaviate collection %s (%d passages there) in %s\n", res.Summary(), r.Collection(), n,
		time.Since(start).Round(time.Millisecond))
	return nil
}

// verifyIndex checks an index file whole and says what it holds.
func verifyIndex(e env, path string) error {
	start := time.Now()
	if err := retrieval.VerifyFile(path); err != nil {
		return err
	}
	ix, err := retrieval.Open(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is sound: %d documents, %d passages, every checksum and text block checked in %s\n",
		path, len(ix.Docs()), ix.Len(), time.Since(start).Round(time.Millisecond))
	return nil
}
