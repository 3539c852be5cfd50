package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/retrieval"
)

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
	damaged := func() error { return nil } // the index file's damage, reported after the scores
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
			for _, d := range retrieval.BestPerDoc(hits, 100) {
				docs = append(docs, d.DocID)
			}
			return docs, nil
		}
	} else {
		ix, err := loadIndex(ctx, cfg, newLogger(cfg, e.stderr), e.stderr)
		if err != nil {
			return err
		}
		damaged = func() error { return indexDamage(ix, cfg.IndexFile) }
		rank = func(q string) ([]string, error) {
			var docs []string
			for _, h := range ix.RankDocs(q, 100, retrieval.Options{}) {
				docs = append(docs, h.DocID)
			}
			return docs, nil
		}
		if *rescore {
			svc, err := buildService(ctx, cfg, retrieval.NewLive(ix), e, nil, nil, func(o *answer.Options) { o.Pool = 100 })
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
		if err := json.NewEncoder(e.stdout).Encode(s); err != nil {
			return err
		}
		return damaged()
	}
	slices.Sort(lat)
	var p50, p99 time.Duration
	if len(lat) > 0 {
		p50, p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	fmt.Fprintf(e.stdout, "queries     %d\nnDCG@10     %.4f\nRecall@100  %.4f\nMRR@10      %.4f\nlatency     p50 %s, p99 %s (%s retriever, top 100 documents)\n",
		s.Queries, s.NDCG10, s.Recall100, s.MRR10, p50.Round(time.Microsecond), p99.Round(time.Microsecond), cfg.Retriever)
	return damaged()
}
