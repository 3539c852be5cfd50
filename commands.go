package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/retrieval"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

// parseInterspersed parses flags that may come before or after positional
// arguments ("ask 'question' --json"). Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		dashdash := -1
		for i, a := range args {
			if a == "--" {
				dashdash = i
				break
			}
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if dashdash >= 0 && len(args)-dashdash-1 == len(rest) {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// setup parses a command's flags into the configuration.
func setup(e env, fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	fs.SetOutput(e.stderr)
	file, apply := config.Flags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, nil, err
		}
		return config.Config{}, nil, usagef("%s: %v", fs.Name(), err)
	}
	if *file == "" {
		*file = e.getenv("FOOTNOTE_CONFIG")
	}
	cfg, err := config.Load(*file, e.getenv, apply)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, pos, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

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

func loadCorpus(ctx context.Context, paths []string, log *slog.Logger, progress io.Writer) (corpus.Result, error) {
	var opt corpus.Options
	var bar *progressbar.ProgressBar
	if f, ok := progress.(*os.File); ok && term.IsTerminal(int(f.Fd())) && len(paths) > 0 {
		if total := totalSize(paths); total > 8<<20 {
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(f), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription("reading articles"), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
			opt.Progress = func(n int64) { _ = bar.Set64(n) }
		}
	}
	var res corpus.Result
	var err error
	if len(paths) == 0 {
		res, err = corpus.LoadFS(ctx, guide.FS, guide.Root, opt)
	} else {
		res, err = corpus.LoadPaths(ctx, paths, opt)
	}
	if bar != nil {
		_ = bar.Finish()
	}
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

func cmdIndex(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	out := fs.String("out", "", "index file to write")
	to := fs.String("to", "", "load the passages into this retriever instead (weaviate, at weaviate_url)")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("index: unexpected argument %q", pos[0])
	}
	if (*out == "") == (*to == "") {
		return usagef("index: give --out FILE, or --to weaviate")
	}
	if *to != "" && *to != config.RetrieverWeaviate {
		return usagef("index: --to %q: the only distributed retriever is weaviate", *to)
	}
	log := newLogger(cfg, e.stderr)
	start := time.Now()
	res, err := loadCorpus(ctx, cfg.Corpus, log, e.stderr)
	if err != nil {
		return err
	}
	if *to != "" {
		cfg.Retriever = config.RetrieverWeaviate
		if cfg.WeaviateURL == "" {
			return usagef("index: --to weaviate needs weaviate_url (FOOTNOTE_WEAVIATE_URL)")
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
	progress, finish := progressBar(e.stderr, res.Passages(), "indexing passages")
	defer finish()
	ix, err := retrieval.BuildProgress(res.Documents, retrieval.DefaultParams(), progress)
	if err != nil {
		return err
	}
	if err := ix.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "indexed %s into %s in %s\n", res.Summary(), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdSearch(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	k := fs.Int("k", 10, "results to print")
	asJSON := fs.Bool("json", false, "print JSON")
	queries := fs.String("queries", "", "batch: BEIR queries.jsonl or TSV (qid<TAB>text)")
	trec := fs.Bool("trec", false, "batch: print a TREC run (qid Q0 docid rank score footnote), ranking documents (the default with --queries)")
	article := fs.String("article", "", "only passages of this document ID")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if *k < 1 {
		return usagef("search: --k must be at least 1")
	}
	log := newLogger(cfg, e.stderr)
	if *queries != "" {
		if len(pos) > 0 {
			return usagef("search: give either --queries or a query, not both")
		}
		if *trec && *asJSON {
			return usagef("search: --trec and --json are two outputs: give one")
		}
		qs, err := ireval.ReadQueries(*queries)
		if err != nil {
			return err
		}
		ix, err := openArticles(ctx, cfg, log, e.stderr)
		if err != nil {
			return err
		}
		w := bufWriter(e.stdout)
		err = searchBatch(ctx, ix, qs, *k, *asJSON, w)
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	if *trec {
		return usagef("search: --trec needs --queries FILE")
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		return usagef("search: give a query")
	}
	ix, err := openArticles(ctx, cfg, log, e.stderr)
	if err != nil {
		return err
	}
	var opt retrieval.Options
	if *article != "" {
		if _, ok := ix.Doc(*article); !ok {
			return fmt.Errorf("search: no article with ID %q", *article)
		}
		opt.Docs = []string{*article}
	}
	hits := ix.Search(query, *k, opt)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if *asJSON {
		type jsonHit struct {
			Rank      int     `json:"rank"`
			PassageID string  `json:"passage_id"`
			DocID     string  `json:"doc_id"`
			Title     string  `json:"title"`
			Section   string  `json:"section,omitempty"`
			Paragraph int     `json:"paragraph"`
			URL       string  `json:"url,omitempty"`
			Score     float64 `json:"score"`
			Snippet   string  `json:"snippet"`
			Text      string  `json:"text"`
		}
		out := make([]jsonHit, 0, len(hits))
		for i, h := range hits {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("search: %w", err)
			}
			p := h.Passage
			out = append(out, jsonHit{Rank: i + 1, PassageID: p.ID, DocID: p.DocID, Title: p.Title, Section: p.Section,
				Paragraph: p.Paragraph, URL: p.URL, Score: h.Score, Snippet: retrieval.Snippet(p.Text, h.Matched, 240, [2]string{"**", "**"}), Text: p.Quote()})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(hits) == 0 {
		fmt.Fprintf(e.stdout, "No passage matches %q.\n", query)
		return nil
	}
	for i, h := range hits {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		p := h.Passage
		where := p.Title
		if p.Section != "" {
			where += " › " + p.Section
		}
		fmt.Fprintf(e.stdout, "%d. [%s] %s, paragraph %d (score %.2f)\n   %s\n", i+1, p.ID, where, p.Paragraph, h.Score,
			retrieval.Snippet(p.Text, h.Matched, 240, [2]string{"**", "**"}))
	}
	return nil
}

// searchBatch writes a TREC run for qs, checking between queries that the
// command was not interrupted (SIGINT/SIGTERM cancel ctx), so a long batch
// stops at once instead of running to its end.
// searchBatch ranks documents for each query: a TREC run, or with asJSON
// one JSON object a query ({"qid", "results": [{"doc_id", "rank",
// "score"}]}).
func searchBatch(ctx context.Context, ix *retrieval.Index, qs []ireval.Query, k int, asJSON bool, w io.Writer) error {
	type result struct {
		DocID string  `json:"doc_id"`
		Rank  int     `json:"rank"`
		Score float64 `json:"score"`
	}
	enc := json.NewEncoder(w)
	for n, q := range qs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("search: stopped after %d of %d queries: %w", n, len(qs), err)
		}
		hits := ix.SearchDocs(q.Text, k, retrieval.Options{})
		if asJSON {
			line := struct {
				QID     string   `json:"qid"`
				Results []result `json:"results"`
			}{QID: q.ID, Results: make([]result, 0, len(hits))}
			for i, h := range hits {
				line.Results = append(line.Results, result{DocID: h.DocID, Rank: i + 1, Score: h.Score})
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("search: %w", err)
			}
			continue
		}
		for i, h := range hits {
			if _, err := fmt.Fprintf(w, "%s Q0 %s %d %.6f footnote\n", q.ID, h.DocID, i+1, h.Score); err != nil {
				return fmt.Errorf("search: %w", err)
			}
		}
	}
	return nil
}

func cmdEval(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	queries := fs.String("queries", "", "BEIR queries.jsonl or TSV")
	qrelsPath := fs.String("qrels", "", "qrels TSV")
	asJSON := fs.Bool("json", false, "print JSON")
	rescore := fs.Bool("rescore", false, "rerank the top 100 passages as questions are (coverage, proximity, answer type), documents by their best passage")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *queries == "" || *qrelsPath == "" {
		return usagef("eval: usage: footnote eval --corpus PATH --queries FILE --qrels FILE [--rescore]")
	}
	qs, err := ireval.ReadQueries(*queries)
	if err != nil {
		return err
	}
	qrels, err := ireval.ReadQrels(*qrelsPath)
	if err != nil {
		return err
	}
	// With retriever weaviate the collection is searched (load it first
	// with 'footnote index --to weaviate'); otherwise the local index.
	var rank func(q string) ([]string, error)
	if cfg.Retriever == config.RetrieverWeaviate {
		r, err := openRetriever(ctx, cfg)
		if err != nil {
			return err
		}
		rank = func(q string) ([]string, error) {
			hits, err := r.SearchTerms(ctx, retrieval.ParseQuery(q), 200, retrieval.Options{})
			if err != nil {
				return nil, err
			}
			var docs []string
			seen := map[string]bool{}
			for _, h := range hits {
				if !seen[h.Passage.DocID] && len(docs) < 100 {
					seen[h.Passage.DocID] = true
					docs = append(docs, h.Passage.DocID)
				}
			}
			return docs, nil
		}
	} else {
		ix, err := loadIndex(ctx, cfg, newLogger(cfg, e.stderr), e.stderr)
		if err != nil {
			return err
		}
		rank = func(q string) ([]string, error) {
			var docs []string
			for _, h := range ix.SearchDocs(q, 100, retrieval.Options{}) {
				docs = append(docs, h.DocID)
			}
			return docs, nil
		}
		if *rescore {
			svc, err := buildService(ctx, cfg, retrieval.NewLive(ix), e, nil, func(o *answer.Options) { o.Pool = 100 })
			if err != nil {
				return err
			}
			bm25 := rank
			rank = func(q string) ([]string, error) {
				cands, err := svc.Explain(ctx, q)
				if err != nil {
					return nil, err
				}
				var docs []string
				seen := map[string]bool{}
				for _, c := range cands {
					if d := c.DocID; !seen[d] {
						seen[d] = true
						docs = append(docs, d)
					}
				}
				rest, err := bm25(q)
				for _, d := range rest {
					if !seen[d] && len(docs) < 100 {
						seen[d] = true
						docs = append(docs, d)
					}
				}
				return docs, err
			}
		}
	}
	run := map[string][]string{}
	var lat []time.Duration
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if _, judged := qrels[q.ID]; !judged {
			continue
		}
		t := time.Now()
		docs, err := rank(q.Text)
		if err != nil {
			return fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(t))
		run[q.ID] = docs
	}
	s := ireval.Evaluate(run, qrels)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(s)
	}
	slices.Sort(lat)
	var p50, p99 time.Duration
	if len(lat) > 0 {
		p50, p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	fmt.Fprintf(e.stdout, "queries     %d\nnDCG@10     %.4f\nRecall@100  %.4f\nMRR@10      %.4f\nlatency     p50 %s, p99 %s (%s retriever, top 100 documents)\n",
		s.Queries, s.NDCG10, s.Recall100, s.MRR10, p50.Round(time.Microsecond), p99.Round(time.Microsecond), cfg.Retriever)
	return nil
}

func cmdConfig(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("config: unexpected argument %q", pos[0])
	}
	_, err = io.WriteString(e.stdout, cfg.Dump())
	return err
}

func cmdVersion(e env) error {
	rev, goVersion := commit, runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(e.stdout, "footnote %s (commit %s, %s)\n", version, rev, goVersion)
	return nil
}

func cmdHealth(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	url := fs.String("url", "http://127.0.0.1:9090/healthz", "health endpoint to check")
	if err := fs.Parse(args); err != nil {
		return usagef("health: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usagef("health: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", config.RedactURL(*url), resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}
