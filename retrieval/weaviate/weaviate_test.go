package weaviate

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/internal/servicetest"
	"github.com/footnote-bot/footnote/internal/sharedtest"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/store"
)

func open(t *testing.T) *Retriever {
	t.Helper()
	url := servicetest.WeaviateURL(t)
	ctx := context.Background()
	name := servicetest.Name("Test")
	r, err := New(ctx, Config{URL: url, Collection: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.c.deleteClass(context.Background(), r.Collection()); err != nil {
			t.Errorf("dropping %s: %v", r.Collection(), err)
		}
	})
	return r
}

func guideDocs(t *testing.T) []corpus.Document {
	t.Helper()
	res, err := corpus.LoadFS(context.Background(), guide.FS, guide.Root, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Documents
}

// loadedGuide loads the guide into a fresh collection and builds the
// embedded index over the same documents.
func loadedGuide(t *testing.T) (*Retriever, []corpus.Document, *retrieval.Index) {
	t.Helper()
	r := open(t)
	docs := guideDocs(t)
	if err := r.Load(context.Background(), docs, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return r, docs, ix
}

func count(t *testing.T, r *Retriever) int {
	t.Helper()
	n, err := r.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadIsIdempotentAndReloadRemovesGonePassages(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	docs := guideDocs(t)
	total := 0
	for _, d := range docs {
		total += len(d.Passages)
	}
	var seen []int
	if err := r.Load(ctx, docs, func(done, _ int) { seen = append(seen, done) }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != total {
		t.Fatalf("%d passages in the collection, loaded %d", n, total)
	}
	if len(seen) == 0 || seen[len(seen)-1] != total {
		t.Errorf("progress %v, want it to end at %d", seen, total)
	}
	// Again: same objects overwritten, nothing added.
	if err := r.Load(ctx, docs, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != total {
		t.Fatalf("after a second load: %d passages, want %d", n, total)
	}
	// A reload without the first article removes its passages.
	if err := r.Load(ctx, docs[1:], nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != total-len(docs[0].Passages) {
		t.Fatalf("after dropping %s: %d passages, want %d", docs[0].ID, n, total-len(docs[0].Passages))
	}
	hits, err := r.SearchTerms(ctx, retrieval.ParseQuery(docs[0].Passages[0].Text), 10, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Passage.DocID == docs[0].ID {
			t.Errorf("passage %s of the dropped article still found", h.Passage.ID)
		}
	}
	if err := r.DeleteDocs(ctx, docs[1].ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != total-len(docs[0].Passages)-len(docs[1].Passages) {
		t.Errorf("after DeleteDocs: %d passages", n)
	}
}

// The collection returns the passages exactly as loaded, ranks like the
// embedded index on the guide, honours the document filter, and reports
// the matched terms.
func TestSearchMatchesEmbedded(t *testing.T) {
	ctx := context.Background()
	r, docs, ix := loadedGuide(t)
	agree := 0
	queries := []string{"how do I reload the articles", "discord intents", "what does footnote cite",
		"abstain when the articles do not answer", "environment variables configuration", "which sources are listed"}
	for _, q := range queries {
		terms := retrieval.ParseQuery(q)
		got, err := r.SearchTerms(ctx, terms, 5, retrieval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := ix.SearchTerms(terms, 5, retrieval.Options{})
		if len(got) == 0 {
			t.Fatalf("%q: no hits from Weaviate", q)
		}
		p, ok := ix.Passage(got[0].Passage.ID)
		if !ok || p != got[0].Passage {
			t.Errorf("%q: Weaviate's passage differs from the loaded one:\n got %+v\nwant %+v", q, got[0].Passage, p)
		}
		if len(got[0].Matched) == 0 {
			t.Errorf("%q: no matched terms reported", q)
		}
		if got[0].Passage.ID == want[0].Passage.ID {
			agree++
		}
		rank := slices.IndexFunc(got, func(h retrieval.Hit) bool { return h.Passage.ID == want[0].Passage.ID })
		t.Logf("%q: weaviate %s (%.2f), embedded %s (%.2f), at %d in Weaviate's", q, got[0].Passage.ID, got[0].Score, want[0].Passage.ID, want[0].Score, rank+1)
		// BM25F normalises each field (heading, text) by its own length,
		// so near-ties order differently, but the embedded index's first
		// passage is always among Weaviate's first three.
		if rank < 0 || rank > 2 {
			t.Errorf("%q: the embedded index's first passage %s is not in Weaviate's first three", q, want[0].Passage.ID)
		}
		// A small limit returns what a large one returns first (Weaviate's
		// block-max WAND alone dropped the best passage at limit 5).
		wide, err := r.SearchTerms(ctx, terms, 2*fetchFloor, retrieval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(wide) < len(got) || wide[0].Passage.ID != got[0].Passage.ID {
			t.Errorf("%q: limit 5 puts %s first, limit %d puts %s first", q, got[0].Passage.ID, 2*fetchFloor, wide[0].Passage.ID)
		}
	}
	if agree*2 < len(queries) {
		t.Errorf("top hits agree on %d of %d queries, want most", agree, len(queries))
	}
	only := docs[2].ID
	hits, err := r.SearchTerms(ctx, retrieval.ParseQuery("footnote"), 20, retrieval.Options{Docs: []string{only}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no hits within one article")
	}
	for _, h := range hits {
		if h.Passage.DocID != only {
			t.Errorf("filter on %s returned %s", only, h.Passage.ID)
		}
	}
}

// The answer service on the Weaviate retriever answers the seed questions
// with the same citations as on the embedded index.
func TestAnswersWithWeaviateRetriever(t *testing.T) {
	ctx := context.Background()
	r, _, ix := loadedGuide(t)
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	live := retrieval.NewLive(ix)
	embedded := answer.New(live.Load, p, answer.Options{})
	var logs bytes.Buffer
	viaWeaviate := answer.New(live.Load, p, answer.Options{Retriever: r, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, q := range []string{"How do I add an article without restarting?", "What is the capital of Peru?", "Which intents does the bot need?"} {
		a, err := embedded.Answer(ctx, answer.Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		b, err := viaWeaviate.Answer(ctx, answer.Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		if a.Abstained != b.Abstained {
			t.Errorf("%q: abstained %v embedded, %v on Weaviate", q, a.Abstained, b.Abstained)
		}
		if len(a.Citations) > 0 && len(b.Citations) > 0 && a.Citations[0].PassageID != b.Citations[0].PassageID {
			t.Logf("%q: first citation %s embedded, %s on Weaviate", q, a.Citations[0].PassageID, b.Citations[0].PassageID)
		}
	}
	if strings.Contains(logs.String(), "retriever failed") {
		t.Fatalf("Weaviate was not used: %s", logs.String())
	}
	// A dead Weaviate costs nothing but a log line: the local index answers.
	svc := answer.New(live.Load, p, answer.Options{Retriever: deadRetriever{}})
	a, err := svc.Answer(ctx, answer.Request{Question: "How do I add an article without restarting?"})
	if err != nil || a.Abstained || len(a.Citations) == 0 {
		t.Errorf("with the retriever down: %+v, %v", a, err)
	}
}

type deadRetriever struct{}

func (deadRetriever) SearchTerms(context.Context, []retrieval.QueryTerm, int, retrieval.Options) ([]retrieval.Hit, error) {
	return nil, fmt.Errorf("connection refused")
}

// nDCG@10 on the SciFact collection, embedded and on Weaviate, side by
// side (README "Running at scale" quotes the log line).
func TestSciFactOnWeaviate(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 5,000 passages into Weaviate")
	}
	dir := filepath.Join(sharedtest.Dir(t), "eval", "scifact")
	ctx := context.Background()
	res, err := corpus.LoadPaths(ctx, []string{filepath.Join(dir, "corpus.jsonl")}, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := ireval.ReadQueries(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	qrels, err := ireval.ReadQrels(filepath.Join(dir, "qrels", "train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	r := open(t)
	if err := r.Load(ctx, res.Documents, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	emb, wv := map[string][]string{}, map[string][]string{}
	var tEmb, tWv []time.Duration
	for _, q := range qs {
		if _, ok := qrels[q.ID]; !ok {
			continue
		}
		start := time.Now()
		for _, h := range ix.SearchDocs(q.Text, 10, retrieval.Options{}) {
			emb[q.ID] = append(emb[q.ID], h.DocID)
		}
		tEmb = append(tEmb, time.Since(start))
		start = time.Now()
		hits, err := r.SearchTerms(ctx, ix.ParseQuery(q.Text), 20, retrieval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tWv = append(tWv, time.Since(start))
		for _, h := range hits {
			if !slices.Contains(wv[q.ID], h.Passage.DocID) {
				wv[q.ID] = append(wv[q.ID], h.Passage.DocID)
			}
		}
	}
	se, sw := ireval.Evaluate(emb, qrels), ireval.Evaluate(wv, qrels)
	slices.Sort(tEmb)
	slices.Sort(tWv)
	t.Logf("SciFact (%d queries): nDCG@10 embedded %.4f, Weaviate %.4f; query p50 embedded %s, Weaviate %s",
		se.Queries, se.NDCG10, sw.NDCG10, tEmb[len(tEmb)/2].Round(time.Microsecond), tWv[len(tWv)/2].Round(time.Microsecond))
	// Measured against 0.7031 embedded (the same field, k1 and b, one
	// shard): 0.7016-0.7032 usually, 0.6729 on the first load into a
	// freshly started server (also 4× slower then; README notes it).
	// Weaviate's per-property BM25F scored 0.6195: the bound below tells
	// the two apart.
	if sw.NDCG10 < 0.65 {
		t.Errorf("Weaviate nDCG@10 %.4f, below 0.65 (embedded %.4f)", sw.NDCG10, se.NDCG10)
	}
}

// TestWeaviateCluster runs against three nodes started by
// scripts/weaviate-cluster.sh: a collection of three shards with
// replication factor 2, then one node stopped, and the same questions
// answered from the two left.
func TestWeaviateCluster(t *testing.T) {
	urls, pids := os.Getenv("FOOTNOTE_TEST_WEAVIATE_CLUSTER"), os.Getenv("FOOTNOTE_TEST_WEAVIATE_CLUSTER_PIDS")
	if urls == "" || pids == "" {
		t.Skip("needs three Weaviate nodes: run bash scripts/weaviate-cluster.sh")
	}
	nodes, procs := strings.Split(urls, ","), strings.Split(pids, ",")
	ctx := context.Background()
	name := servicetest.Name("Cluster")
	r, err := New(ctx, Config{URL: nodes[0], Collection: name, Shards: 3, Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	docs := guideDocs(t)
	if err := r.Load(ctx, docs, nil); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, d := range docs {
		total += len(d.Passages)
	}
	questions := []string{"how do I reload the articles", "discord intents", "which sources are listed"}
	ask := func(node string) []string {
		t.Helper()
		c, err := New(ctx, Config{URL: node, Collection: name, Consistency: "ONE"})
		if err != nil {
			t.Fatal(err)
		}
		var top []string
		for _, q := range questions {
			hits, err := c.SearchTerms(ctx, retrieval.ParseQuery(q), 3, retrieval.Options{})
			if err != nil {
				t.Fatalf("%s: %q: %v", node, q, err)
			}
			if len(hits) == 0 {
				t.Fatalf("%s: %q: no hits", node, q)
			}
			top = append(top, hits[0].Passage.ID)
		}
		return top
	}
	class, ok, err := r.c.getClass(ctx, name)
	if err != nil || !ok {
		t.Fatalf("collection %s: %v (found %v)", name, err, ok)
	}
	if class.ReplicationConfig == nil || class.ReplicationConfig.Factor != 2 {
		t.Fatalf("replication config %+v, want factor 2", class.ReplicationConfig)
	}
	if fmt.Sprint(class.ShardingConfig["desiredCount"]) != "3" {
		t.Fatalf("sharding config %v, want 3 shards", class.ShardingConfig)
	}
	before := ask(nodes[0])
	t.Logf("3 nodes up, %d passages in 3 shards × 2 replicas; top passages: %v", count(t, r), before)
	pid, err := strconv.Atoi(procs[2])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := os.FindProcess(pid)
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	// The two nodes left answer once they have settled (a new Raft leader
	// if the stopped node led): wait until each serves the schema.
	deadline := time.Now().Add(2 * time.Minute)
	for _, node := range nodes[:2] {
		for {
			_, err := New(ctx, Config{URL: node, Collection: name, Consistency: "ONE", Timeout: 5 * time.Second})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered with node 3 stopped: %v", node, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, node := range nodes[:2] {
		after := ask(node)
		t.Logf("node 3 stopped; asked through %s: top passages %v", node, after)
		if !slices.Equal(after, before) {
			t.Errorf("answers changed with a node down: %v, were %v", after, before)
		}
	}
	// Counting is not what is tested: with a node down Weaviate may
	// refuse the aggregate ("inconsistent consistency levels"), or count
	// one replica per shard.
	if n, err := r.Count(ctx); err != nil || n != total {
		t.Logf("count with a node down: %d of %d (%v)", n, total, err)
	}
}

// /reload, /ingest and /forget keep the collection in step (library.Mirror).
func TestLibraryKeepsCollectionInStep(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	corpusDir := t.TempDir()
	os.WriteFile(filepath.Join(corpusDir, "a.md"), []byte("---\ntitle: Alpha\n---\n\nAlpha passages talk about otters.\n\nA second paragraph about rivers.\n"), 0o644)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib, err := library.Open(ctx, library.Options{Corpus: []string{corpusDir}, DataDir: t.TempDir(), Store: st, Mirror: r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != 2 {
		t.Fatalf("after reload: %d passages in Weaviate, want 2", n)
	}
	added, err := lib.IngestFile(ctx, "Beavers.md", []byte("# Beavers\n\nBeavers build dams.\n"), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != 3 {
		t.Fatalf("after ingest: %d passages, want 3", n)
	}
	hits, err := r.SearchTerms(ctx, retrieval.ParseQuery("beavers dams"), 3, retrieval.Options{})
	if err != nil || len(hits) == 0 || hits[0].Passage.DocID != added.DocID {
		t.Fatalf("ingested article not found in Weaviate: %+v %v", hits, err)
	}
	if _, err := lib.Forget(ctx, added.DocID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r); n != 2 {
		t.Errorf("after forget: %d passages, want 2", n)
	}
}

// /lookup, /cite, Find source and autocomplete (answer.Service's Lookup,
// Passage, FindSource and Suggest, which the bot only renders) give the
// same passages on the Weaviate retriever as on the embedded index.
func TestLookupsMatchEmbedded(t *testing.T) {
	ctx := context.Background()
	r, docs, ix := loadedGuide(t)
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	live := retrieval.NewLive(ix)
	embedded := answer.New(live.Load, p, answer.Options{})
	var logs bytes.Buffer
	viaWeaviate := answer.New(live.Load, p, answer.Options{Retriever: r, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ids := func(cs []answer.Citation) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.PassageID)
		}
		return out
	}
	hl := cited.Highlight{Runes: 300, Mark: [2]string{"**", "**"}}
	type lookupCase struct {
		name string
		run  func(s *answer.Service) ([]answer.Citation, error)
	}
	var tests []lookupCase
	for _, q := range []string{"how do I reload the articles", "discord intents", "what does footnote cite",
		"abstain when the articles do not answer", "environment variables configuration", "which sources are listed"} {
		// /lookup in one article: the second article the query matches.
		article := docs[0].ID
		if all, err := embedded.Lookup(ctx, cited.Lookup{Query: q, N: 25}); err == nil {
			for _, c := range all {
				if c.DocID != all[0].DocID {
					article = c.DocID
					break
				}
			}
		}
		tests = append(tests,
			lookupCase{"/lookup " + q, func(s *answer.Service) ([]answer.Citation, error) {
				return s.Lookup(ctx, cited.Lookup{Query: q, Highlight: hl})
			}},
			lookupCase{"/lookup in " + article + " " + q, func(s *answer.Service) ([]answer.Citation, error) {
				return s.Lookup(ctx, cited.Lookup{Query: q, Article: article, Highlight: hl})
			}},
			lookupCase{"/cite " + q, func(s *answer.Service) ([]answer.Citation, error) {
				c, ok := s.Passage(ctx, q)
				if !ok {
					return nil, nil
				}
				return []answer.Citation{c}, nil
			}},
			lookupCase{"Find source " + q, func(s *answer.Service) ([]answer.Citation, error) {
				a, err := s.FindSource(ctx, q, hl)
				return a.Citations, err
			}},
			lookupCase{"autocomplete " + q, func(s *answer.Service) ([]answer.Citation, error) {
				return s.Suggest(ctx, cited.Suggest{Typed: q[:len(q)-2], N: 25, MaxIDRunes: 100, Runes: 60}), nil
			}},
		)
	}
	for _, tt := range tests {
		want, err := tt.run(embedded)
		if err != nil {
			t.Fatalf("%s, embedded: %v", tt.name, err)
		}
		got, err := tt.run(viaWeaviate)
		if err != nil {
			t.Fatalf("%s, on Weaviate: %v", tt.name, err)
		}
		if len(want) == 0 {
			t.Errorf("%s: no passages; the test needs some", tt.name)
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%s: on Weaviate %v, embedded %v", tt.name, ids(got), ids(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i].Snippet != want[i].Snippet || got[i].URL != want[i].URL || got[i].Text != want[i].Text {
				t.Errorf("%s: passage %s shown differently:\n got %+v\nwant %+v", tt.name, got[i].PassageID, got[i], want[i])
			}
		}
	}
	if strings.Contains(logs.String(), "retriever failed") {
		t.Fatalf("Weaviate was not used: %s", logs.String())
	}
}
