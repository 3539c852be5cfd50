package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/footnote-bot/footnote/corpus"
)

// bleveMapping is bleve's default mapping (stored fields, term vectors,
// doc values, the _all field) or a lean one: title and text indexed
// only, searched as title^2 OR text.
func bleveMapping(lean bool) *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = bleveindex.BM25Scoring
	if lean {
		field := func() *mapping.FieldMapping {
			f := bleve.NewTextFieldMapping()
			f.Analyzer = en.AnalyzerName
			f.Store, f.IncludeTermVectors, f.DocValues, f.IncludeInAll = false, false, false, false
			return f
		}
		doc := bleve.NewDocumentStaticMapping()
		doc.AddFieldMappingsAt("title", field())
		doc.AddFieldMappingsAt("text", field())
		m.DefaultMapping = doc
		m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	}
	return m
}

// bleveWholeIndex builds a bleve index of the corpus's passages in dir
// (the whole-process figure includes loading the corpus, as footnote's).
func bleveWholeIndex(src, dir string, lean bool) {
	os.RemoveAll(dir)
	res, err := corpus.LoadPaths(context.Background(), []string{src}, corpus.Options{})
	check(err)
	idx, err := bleve.New(dir, bleveMapping(lean))
	check(err)
	batch := idx.NewBatch()
	for _, d := range res.Documents {
		for _, p := range d.Passages {
			check(batch.Index(p.ID, bleveDoc{Title: p.Title, Text: p.Text}))
			if batch.Size() >= 2000 {
				check(idx.Batch(batch))
				batch = idx.NewBatch()
			}
		}
	}
	check(idx.Batch(batch))
	check(idx.Close())
}

// bleveWholeSearch prints a TREC run from a bleve index: documents ranked
// by their best passage (a passage ID is its document's, '#', its
// paragraph).
func bleveWholeSearch(queries, dir string, k int, lean bool) {
	qs := peerQueries(queries)
	idx, err := bleve.Open(dir)
	check(err)
	defer idx.Close()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, q := range qs {
		var req *bleve.SearchRequest
		if lean {
			title := bleve.NewMatchQuery(q.Text)
			title.SetField("title")
			title.SetBoost(2)
			text := bleve.NewMatchQuery(q.Text)
			text.SetField("text")
			req = bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(title, text), 2*k, 0, false)
		} else {
			req = bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q.Text), 2*k, 0, false)
		}
		res, err := idx.Search(req)
		check(err)
		seen := map[string]bool{}
		rank := 0
		for _, h := range res.Hits {
			doc := h.ID
			if i := strings.LastIndexByte(doc, '#'); i >= 0 {
				doc = doc[:i]
			}
			if seen[doc] {
				continue
			}
			seen[doc] = true
			rank++
			fmt.Fprintf(w, "%s Q0 %s %d %.4f bleve\n", q.ID, doc, rank, h.Score)
			if rank == k {
				break
			}
		}
	}
}
