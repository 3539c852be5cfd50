package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/retrieval"
)

func cmdSearch(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	k := fs.Int("k", 10, "results to print (--top-k is the same)")
	asJSON := fs.Bool("json", false, "print JSON")
	queries := fs.String("queries", "", "batch: BEIR queries.jsonl or TSV (qid<TAB>text)")
	trec := fs.Bool("trec", false, "batch: print a TREC run (qid Q0 docid rank score footnote), ranking documents (the default with --queries)")
	article := fs.String("article", "", "only passages of this document ID")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	// --top-k, ask's name for how many passages, means --k here.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["top-k"] && !set["k"] {
		*k = cfg.TopK
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
		if err == nil {
			err = damage(ix, cfg.IndexFile)
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
		if err := enc.Encode(out); err != nil {
			return err
		}
		return damage(ix, cfg.IndexFile)
	}
	if len(hits) == 0 {
		fmt.Fprintf(e.stdout, "No passage matches %q.\n", query)
		return damage(ix, cfg.IndexFile)
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
	return damage(ix, cfg.IndexFile)
}

// indexDamage is damage for the commands that answer from an index file
// or from a corpus (none then: a built index reads no file).
func indexDamage(ix *retrieval.Index, path string) error {
	if path == "" {
		return nil
	}
	return damage(ix, path)
}

// damage reports, after the output, the damage reading an index file met
// (a text block or a term's postings that failed their check: the output
// lacks them), or nil.
func damage(ix *retrieval.Index, path string) error {
	if err := ix.Damaged(); err != nil {
		return fmt.Errorf("index %s: %w (what it held is missing above); check it with 'footnote index --verify %s' and rebuild it", path, err, path)
	}
	return nil
}

// searchBatch ranks documents for each query: a TREC run, or with asJSON
// one JSON object a query ({"qid", "results": [{"doc_id", "rank",
// "score"}]}). Documents are ranked from the postings (no passage text is
// read), queries on every core, a chunk at a time, and written in order;
// between queries it checks that the command was not interrupted
// (SIGINT/SIGTERM cancel ctx), so a long batch stops at once instead of
// running to its end.
func searchBatch(ctx context.Context, ix *retrieval.Index, qs []ireval.Query, k int, asJSON bool, w io.Writer) error {
	type result struct {
		DocID string  `json:"doc_id"`
		Rank  int     `json:"rank"`
		Score float64 `json:"score"`
	}
	enc := json.NewEncoder(w)
	workers := runtime.GOMAXPROCS(0)
	chunk := 64 * workers
	ranked := make([][]retrieval.RankedDoc, chunk)
	var line []byte
	for from := 0; from < len(qs); from += chunk {
		part := qs[from:min(from+chunk, len(qs))]
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(workers, len(part)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(part) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
					ranked[i] = ix.RankDocs(part[i].Text, k, retrieval.Options{})
				}
			}()
		}
		wg.Wait()
		for i, q := range part {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("search: stopped after %d of %d queries: %w", from+i, len(qs), err)
			}
			hits := ranked[i]
			if asJSON {
				line := struct {
					QID     string   `json:"qid"`
					Results []result `json:"results"`
				}{QID: q.ID, Results: make([]result, 0, len(hits))}
				for r, h := range hits {
					line.Results = append(line.Results, result{DocID: h.DocID, Rank: r + 1, Score: h.Score})
				}
				if err := enc.Encode(line); err != nil {
					return fmt.Errorf("search: %w", err)
				}
				continue
			}
			line = line[:0]
			for r, h := range hits { // "%s Q0 %s %d %.6f footnote\n", without fmt's reflection
				line = append(append(append(line, q.ID...), " Q0 "...), h.DocID...)
				line = strconv.AppendInt(append(line, ' '), int64(r+1), 10)
				line = strconv.AppendFloat(append(line, ' '), h.Score, 'f', 6, 64)
				line = append(line, " footnote\n"...)
			}
			if _, err := w.Write(line); err != nil {
				return fmt.Errorf("search: %w", err)
			}
		}
	}
	return nil
}
