package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/footnote-bot/footnote/report"
	"github.com/footnote-bot/footnote/store"
)

func cmdReport(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	htmlOut := fs.String("html", "", "write a self-contained HTML page with charts to this file")
	guild := fs.String("guild", "", "report on this server (its ID) only; default every server")
	daysBack := fs.Int("days", 7, "report on the last N days")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("report: unexpected argument %q", pos[0])
	}
	if *daysBack < 1 {
		return usagef("report: --days must be at least 1")
	}
	if cfg.DatabaseURL == "" {
		// serve writes the log into the data folder unless database_url
		// names PostgreSQL: say so rather than create an empty one.
		path := filepath.Join(cfg.DataDir, "footnote.db")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("report: no question log at %s (it is written by 'footnote serve'; set --data-dir or database_url): %w", path, err)
		}
	}
	st, err := openStore(ctx, cfg) // the store serve logs to
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer st.Close()
	which := store.AllGuilds
	if *guild != "" {
		which = *guild
	}
	raw, err := st.Stats(ctx, which, time.Now().Add(-time.Duration(*daysBack)*24*time.Hour), 10)
	if err != nil {
		return err
	}
	stats := report.Summarise(raw, 10)
	// The documentation sites kept, and what their refreshes changed.
	if stats.Sources, err = st.Sources(ctx, which); err != nil {
		return err
	}
	if stats.Changes, err = st.SiteChanges(ctx, which, 0, raw.Since, 20); err != nil {
		return err
	}
	// Article titles for document IDs, from the configured articles.
	titles := func(id string) string { return id }
	if ix, err := openArticles(ctx, cfg, newLogger(cfg, e.stderr), nil); err == nil {
		titles = func(id string) string {
			if d, ok := ix.Doc(id); ok {
				return d.Title
			}
			return id
		}
	}
	if *htmlOut == "" {
		return report.Text(e.stdout, stats, titles)
	}
	f, err := os.Create(*htmlOut)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := report.HTML(f, stats, titles, time.Now()); err != nil {
		f.Close()
		return fmt.Errorf("report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *htmlOut)
	return nil
}
