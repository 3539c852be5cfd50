package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/crawl"
	"github.com/footnote-bot/footnote/ingest"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/sites"
	"github.com/footnote-bot/footnote/store"
)

// fetcher is the fetcher /ingest and the site crawler use.
func fetcher(cfg config.Config) *ingest.Fetcher {
	return ingest.New(ingest.Options{MaxBytes: int64(cfg.IngestMaxBytes), AllowPrivate: cfg.IngestAllowPrivate,
		AttachmentHosts: cfg.IngestAttachmentHosts})
}

// newSites is the documentation sites' manager over the store, pages going
// to the library lib returns for a server ("" for the shared one).
func newSites(cfg config.Config, st *store.DB, f *ingest.Fetcher, lib func(ctx context.Context, guild string) (*library.Library, error), log *slog.Logger) *sites.Manager {
	c := crawl.New(crawl.Options{Fetcher: f, Rate: cfg.CrawlRate, Concurrency: cfg.CrawlConcurrency, Logger: log})
	return sites.New(sites.Options{Crawler: c, Store: st, Library: lib, Refresh: cfg.SourceRefresh, Logger: log})
}

// configuredSources are the config file's sources, the shared ones and
// each server's.
func configuredSources(cfg config.Config) []store.Source {
	conv := func(guild string, s config.Source) store.Source {
		return store.Source{Guild: guild, URL: strings.TrimSpace(s.URL), Include: s.Include, Exclude: s.Exclude, MaxPages: s.MaxPages,
			MaxBytes: s.MaxBytes, Refresh: s.Refresh, Configured: true, AddedBy: "config"}
	}
	var out []store.Source
	for _, s := range cfg.Sources {
		out = append(out, conv("", s))
	}
	for id, g := range cfg.Guilds {
		for _, s := range g.Sources {
			out = append(out, conv(id, s))
		}
	}
	return out
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func cmdCrawl(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	var include, exclude stringList
	fs.Var(&include, "include", "keep only pages whose path matches this pattern ('*' within a segment, '**' across; repeatable)")
	fs.Var(&exclude, "exclude", "leave out pages whose path matches this pattern (repeatable)")
	maxPages := fs.Int("max-pages", 0, "at most this many pages (0: 2,000)")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	f := fetcher(cfg)
	lib, err := library.Open(ctx, library.Options{Corpus: cfg.Corpus, IndexFile: cfg.IndexFile, DataDir: cfg.DataDir, Store: st, Fetcher: f, Logger: log})
	if err != nil {
		return err
	}
	m := newSites(cfg, st, f, func(ctx context.Context, guild string) (*library.Library, error) {
		if guild != "" {
			return nil, fmt.Errorf("server %s's sources are refreshed by serve", guild)
		}
		return lib, nil
	}, log)
	var ids []int64
	if len(pos) == 0 {
		// For cron: every shared source, the config file's included.
		var shared []store.Source
		for _, s := range configuredSources(cfg) {
			if s.Guild == "" {
				shared = append(shared, s)
			}
		}
		for _, s := range shared {
			if _, err := m.Add(ctx, s); err != nil {
				return fmt.Errorf("crawl: configured source %s: %w", config.RedactURL(s.URL), err)
			}
		}
		all, err := st.Sources(ctx, "")
		if err != nil {
			return err
		}
		for _, s := range all {
			ids = append(ids, s.ID)
		}
		if len(ids) == 0 {
			return usagef("crawl: give a sitemap or a start page, e.g. footnote crawl https://prometheus.io/sitemap.xml")
		}
	}
	for _, u := range pos {
		src, err := m.Add(ctx, store.Source{URL: u, Include: include, Exclude: exclude, MaxPages: *maxPages, AddedBy: "footnote crawl"})
		if err != nil {
			return fmt.Errorf("crawl: %w", err)
		}
		ids = append(ids, src.ID)
	}
	var failed []error
	for _, id := range ids {
		r, err := m.Refresh(ctx, "", id)
		if err != nil {
			failed = append(failed, fmt.Errorf("source %d %s: %w", id, config.RedactURL(r.Source.URL), err))
			continue
		}
		writeReport(e.stdout, r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("crawl: %w", errors.Join(failed...))
	}
	return nil
}

// writeReport prints what a refresh did, naming the pages that changed.
func writeReport(w io.Writer, r sites.Report) {
	fmt.Fprintf(w, "source %d %s: %s\n", r.Source.ID, config.RedactURL(r.Source.URL), r)
	list := func(verb string, urls []string) {
		const most = 20
		for i, u := range urls {
			if i == most {
				fmt.Fprintf(w, "  … and %d more %s\n", len(urls)-most, verb)
				break
			}
			fmt.Fprintf(w, "  %s %s\n", verb, config.RedactURL(u))
		}
	}
	list("added", r.AddedURLs)
	list("changed", r.ChangedURLs)
	list("removed", r.RemovedURLs)
	for i, pe := range r.Errors {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more skipped\n", len(r.Errors)-20)
			break
		}
		fmt.Fprintf(w, "  skipped %s: %v\n", config.RedactURL(pe.URL), pe.Err)
	}
	if r.Summary != "" {
		fmt.Fprintf(w, "  now serving %s\n", r.Summary)
	}
}
