// Package weaviate keeps footnote's passages in a Weaviate collection and
// ranks them there with Weaviate's BM25F, for corpora and traffic that
// outgrow one process.
//
// Passages are indexed with footnote's own analysis (folding, stop words,
// Porter2 stems, see package retrieval): each object carries the analysed
// terms in whitespace-tokenized properties (title, section and body apart,
// and the field the embedded index scores: title twice, section, body),
// and queries send analysed terms. So the two backends rank the same terms
// with the same k1 and b; what differs is Weaviate's scorer and its IDF,
// which each shard computes over its own objects.
//
// Objects get a UUID derived from the passage ID, so loading the same
// articles again overwrites them (idempotent); each load stamps a
// generation and then deletes the objects of older generations, so a
// reload also removes passages that are gone.
package weaviate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/redact"
	"github.com/footnote-bot/footnote/retrieval"
)

// Config says where the collection lives and how it is laid out.
type Config struct {
	URL        string // e.g. http://127.0.0.1:8080
	Collection string // class name, e.g. Passage
	Shards     int    // shards when the collection is created (0: one per node)
	Replicas   int    // replication factor when created (0: 1)
	// Consistency for reads and writes: ONE, QUORUM or ALL ("" = QUORUM).
	Consistency string
	Timeout     time.Duration
}

// Retriever searches and loads one Weaviate collection. Safe for
// concurrent use.
type Retriever struct {
	c       *wv.Client
	cfg     Config
	lastGen atomic.Int64
	// replicated: the collection has more than one replica, so reads name
	// a consistency level (GraphQL only takes one on replicated classes).
	replicated bool
}

// nextGeneration stamps a load: milliseconds (exact in JSON's float64, as
// nanoseconds would not be), and always more than the last one here.
func (r *Retriever) nextGeneration() int64 {
	for {
		last := r.lastGen.Load()
		g := max(time.Now().UnixMilli(), last+1)
		if r.lastGen.CompareAndSwap(last, g) {
			return g
		}
	}
}

// namespace for passage UUIDs (UUIDv5 of the passage ID).
var namespace = uuid.MustParse("6f1e3c2a-6b0d-4c59-9a57-2f1f6d1c8e01")

// New connects and makes sure the collection exists.
func New(ctx context.Context, cfg Config) (*Retriever, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("weaviate: bad URL %q (want http://host:port)", redact.URL(cfg.URL))
	}
	if cfg.Collection == "" {
		cfg.Collection = "Passage"
	}
	// Weaviate class names start with an upper-case letter.
	cfg.Collection = strings.ToUpper(cfg.Collection[:1]) + cfg.Collection[1:]
	if cfg.Consistency == "" {
		cfg.Consistency = "QUORUM"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	c := wv.New(wv.Config{Scheme: u.Scheme, Host: u.Host, Timeout: cfg.Timeout})
	r := &Retriever{c: c, cfg: cfg}
	if err := r.ensure(ctx); err != nil {
		return nil, err
	}
	class, err := c.Schema().ClassGetter().WithClassName(cfg.Collection).Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("weaviate: collection %s: %w", cfg.Collection, err)
	}
	r.replicated = class.ReplicationConfig != nil && class.ReplicationConfig.Factor > 1
	return r, nil
}

// Collection is the class name in use.
func (r *Retriever) Collection() string { return r.cfg.Collection }

func textProp(name string, searchable bool, tokenization string) *models.Property {
	f := false
	t := true
	p := &models.Property{Name: name, DataType: []string{"text"}, IndexSearchable: &f, IndexFilterable: &f}
	if searchable {
		p.IndexSearchable = &t
		p.Tokenization = tokenization
	}
	return p
}

// ensure creates the collection unless it exists.
func (r *Retriever) ensure(ctx context.Context) error {
	ok, err := r.c.Schema().ClassExistenceChecker().WithClassName(r.cfg.Collection).Do(ctx)
	if err != nil {
		return fmt.Errorf("weaviate %s: %w", redact.URL(r.cfg.URL), err)
	}
	if ok {
		return nil
	}
	t := true
	passageID := textProp("passageId", false, "")
	passageID.IndexFilterable = &t
	docID := textProp("docId", false, "")
	docID.IndexFilterable = &t
	class := &models.Class{
		Class:       r.cfg.Collection,
		Description: "footnote passages",
		Vectorizer:  "none",
		InvertedIndexConfig: &models.InvertedIndexConfig{
			Bm25:      &models.BM25Config{K1: 1.2, B: 0.75},
			Stopwords: &models.StopwordConfig{Preset: "none"},
		},
		Properties: []*models.Property{
			passageID, docID,
			textProp("title", false, ""), textProp("section", false, ""), textProp("heading", false, ""),
			textProp("url", false, ""), textProp("text", false, ""),
			{Name: "paragraph", DataType: []string{"int"}},
			{Name: "generation", DataType: []string{"int"}, IndexFilterable: &t},
			textProp("titleTerms", true, "whitespace"), textProp("sectionTerms", true, "whitespace"),
			textProp("bodyTerms", true, "whitespace"), textProp("terms", true, "whitespace"),
		},
	}
	if r.cfg.Replicas > 0 {
		class.ReplicationConfig = &models.ReplicationConfig{Factor: int64(r.cfg.Replicas)}
	}
	if r.cfg.Shards > 0 {
		class.ShardingConfig = map[string]any{"desiredCount": r.cfg.Shards}
	}
	if err := r.c.Schema().ClassCreator().WithClass(class).Do(ctx); err != nil {
		// Another replica may have created it meanwhile.
		if ok, err2 := r.c.Schema().ClassExistenceChecker().WithClassName(r.cfg.Collection).Do(ctx); err2 == nil && ok {
			return nil
		}
		return fmt.Errorf("weaviate: create collection %s: %w", r.cfg.Collection, err)
	}
	return nil
}

// ObjectID is the UUID a passage is stored under.
func ObjectID(passageID string) string {
	return uuid.NewSHA1(namespace, []byte(passageID)).String()
}

func terms(text string) string { return strings.Join(retrieval.Analyze(text), " ") }

// fieldTerms is the one field the embedded index scores: the body, the
// section heading once and the title twice (retrieval.DefaultParams).
// All three arrive analysed.
func fieldTerms(titleTerms, sectionTerms, bodyTerms string) string {
	p := retrieval.DefaultParams()
	parts := []string{bodyTerms}
	for range p.TitleWeight {
		parts = append(parts, titleTerms)
	}
	if sectionTerms != "" {
		for range p.SectionWeight {
			parts = append(parts, sectionTerms)
		}
	}
	return strings.Join(parts, " ")
}

// batchSize is how many objects go in one batch request.
const batchSize = 200

// Load writes the documents' passages (overwriting the ones already there),
// then deletes every passage that was not in this load. progress, if not
// nil, hears the passages written so far.
func (r *Retriever) Load(ctx context.Context, docs []corpus.Document, progress func(done, total int)) error {
	total := 0
	for _, d := range docs {
		total += len(d.Passages)
	}
	gen := r.nextGeneration()
	batch := make([]*models.Object, 0, batchSize)
	done := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := r.c.Batch().ObjectsBatcher().WithConsistencyLevel(r.cfg.Consistency).WithObjects(batch...).Do(ctx)
		if err != nil {
			return fmt.Errorf("weaviate: batch of %d passages: %w", len(batch), err)
		}
		for _, o := range res {
			if o.Result != nil && o.Result.Errors != nil && len(o.Result.Errors.Error) > 0 {
				return fmt.Errorf("weaviate: passage %v: %s", o.Properties, o.Result.Errors.Error[0].Message)
			}
		}
		done += len(batch)
		if progress != nil {
			progress(done, total)
		}
		batch = batch[:0]
		return nil
	}
	for _, d := range docs {
		titleTerms := terms(d.Title)
		for _, p := range d.Passages {
			sectionTerms, bodyTerms := terms(p.Section), terms(p.Text) // analysed once each
			batch = append(batch, &models.Object{
				Class: r.cfg.Collection,
				ID:    strfmt.UUID(ObjectID(p.ID)),
				Properties: map[string]any{
					"passageId": p.ID, "docId": p.DocID, "title": p.Title, "section": p.Section,
					"heading": p.Heading, "url": p.URL, "text": p.Text, "paragraph": p.Paragraph,
					"generation": gen, "titleTerms": titleTerms, "sectionTerms": sectionTerms,
					"bodyTerms": bodyTerms, "terms": fieldTerms(titleTerms, sectionTerms, bodyTerms),
				},
			})
			if len(batch) == batchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return r.deleteWhere(ctx, filters.Where().WithPath([]string{"generation"}).WithOperator(filters.NotEqual).WithValueInt(gen))
}

// DeleteDocs removes every passage of these documents.
func (r *Retriever) DeleteDocs(ctx context.Context, docIDs ...string) error {
	if len(docIDs) == 0 {
		return nil
	}
	return r.deleteWhere(ctx, filters.Where().WithPath([]string{"docId"}).WithOperator(filters.ContainsAny).WithValueText(docIDs...))
}

func (r *Retriever) deleteWhere(ctx context.Context, where *filters.WhereBuilder) error {
	// A batch delete removes at most QUERY_MAXIMUM_RESULTS objects (10,000
	// by default): repeat until nothing matches.
	for {
		res, err := r.c.Batch().ObjectsBatchDeleter().WithClassName(r.cfg.Collection).WithConsistencyLevel(r.cfg.Consistency).
			WithWhere(where).Do(ctx)
		if err != nil {
			return fmt.Errorf("weaviate: delete: %w", err)
		}
		if res == nil || res.Results == nil || res.Results.Matches == 0 {
			return nil
		}
		if res.Results.Failed > 0 {
			return fmt.Errorf("weaviate: delete: %d of %d failed", res.Results.Failed, res.Results.Matches)
		}
	}
}

// Count is the number of passages in the collection.
func (r *Retriever) Count(ctx context.Context) (int, error) {
	resp, err := r.c.GraphQL().Aggregate().WithClassName(r.cfg.Collection).
		WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}}).Do(ctx)
	if err != nil {
		return 0, fmt.Errorf("weaviate: count: %w", err)
	}
	if err := gqlErr(resp); err != nil {
		return 0, err
	}
	agg, _ := resp.Data["Aggregate"].(map[string]any)
	rows, _ := agg[r.cfg.Collection].([]any)
	if len(rows) == 0 {
		return 0, nil
	}
	meta, _ := rows[0].(map[string]any)["meta"].(map[string]any)
	n, _ := meta["count"].(float64)
	return int(n), nil
}

// queryFields are the properties a search scores. "terms" is the one field
// the embedded index scores (title twice, section, body, sharing one length
// normalisation). Weaviate's BM25F over the separate titleTerms^2,
// sectionTerms and bodyTerms properties, each normalised by its own length,
// scored lower on SciFact (nDCG@10 0.6195 against 0.70), so those
// properties are stored for experiments but not searched.
var queryFields = []string{"terms"}

// fetchFloor is the fewest passages a search ranks in Weaviate. Weaviate
// 1.35's block-max WAND prunes too eagerly at small limits: on the guide,
// "reload articl" with limit 5 or 10 returns a passage scoring 1.47 first
// and leaves out the one scoring 2.51, which a limit of 20 or more returns
// first (TestSearchMatchesEmbedded). So a search ranks at least this many
// (asking only for their IDs and scores) and then fetches the first k.
const fetchFloor = 100

// SearchTerms ranks passages for analysed query terms with Weaviate's
// BM25 over queryFields: one query ranks (IDs and scores), a second
// fetches the passages of the first k.
func (r *Retriever) SearchTerms(ctx context.Context, q []retrieval.QueryTerm, k int, opt retrieval.Options) ([]retrieval.Hit, error) {
	if k <= 0 || len(q) == 0 {
		return nil, nil
	}
	var words []string
	for _, t := range q {
		for range max(1, int(t.Weight)) {
			words = append(words, t.Term)
		}
	}
	bm25 := r.c.GraphQL().Bm25ArgBuilder().WithQuery(strings.Join(words, " ")).
		WithProperties(queryFields...)
	get := r.c.GraphQL().Get().WithClassName(r.cfg.Collection).WithBM25(bm25).WithLimit(max(k, fetchFloor)).
		WithFields(graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "id"}, {Name: "score"}}})
	if r.replicated {
		get = get.WithConsistencyLevel(r.cfg.Consistency)
	}
	if len(opt.Docs) > 0 {
		get = get.WithWhere(filters.Where().WithPath([]string{"docId"}).WithOperator(filters.ContainsAny).WithValueText(opt.Docs...))
	}
	rows, err := r.rows(ctx, get)
	if err != nil {
		return nil, fmt.Errorf("weaviate: search: %w", err)
	}
	var ids []string
	score := map[string]float64{}
	for _, row := range rows {
		add, _ := row["_additional"].(map[string]any)
		id, _ := add["id"].(string)
		if id == "" {
			return nil, errors.New("weaviate: search: a result without an id")
		}
		if _, dup := score[id]; dup {
			continue
		}
		score[id] = number(add["score"])
		ids = append(ids, id)
		if len(ids) == k {
			break
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	fetch := r.c.GraphQL().Get().WithClassName(r.cfg.Collection).WithLimit(len(ids)).
		WithWhere(filters.Where().WithPath([]string{"id"}).WithOperator(filters.ContainsAny).WithValueText(ids...)).
		WithFields(
			graphql.Field{Name: "passageId"}, graphql.Field{Name: "docId"}, graphql.Field{Name: "title"},
			graphql.Field{Name: "section"}, graphql.Field{Name: "heading"}, graphql.Field{Name: "url"},
			graphql.Field{Name: "text"}, graphql.Field{Name: "paragraph"}, graphql.Field{Name: "terms"},
			graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "id"}}})
	if r.replicated {
		fetch = fetch.WithConsistencyLevel(r.cfg.Consistency)
	}
	objs, err := r.rows(ctx, fetch)
	if err != nil {
		return nil, fmt.Errorf("weaviate: search: fetch passages: %w", err)
	}
	byID := make(map[string]retrieval.Hit, len(objs))
	for _, m := range objs {
		add, _ := m["_additional"].(map[string]any)
		id, _ := add["id"].(string)
		str := func(k string) string { s, _ := m[k].(string); return s }
		h := retrieval.Hit{Passage: corpus.Passage{ID: str("passageId"), DocID: str("docId"), Title: str("title"),
			Section: str("section"), Heading: str("heading"), URL: str("url"), Text: str("text"), Paragraph: int(number(m["paragraph"]))},
			Score: score[id]}
		have := map[string]bool{}
		for _, w := range strings.Fields(str("terms")) {
			have[w] = true
		}
		for _, t := range q {
			if have[t.Term] {
				h.Matched = append(h.Matched, t.Term)
			}
		}
		byID[id] = h
	}
	hits := make([]retrieval.Hit, 0, len(ids))
	for _, id := range ids {
		// A passage deleted between the two queries (a reload) is left out.
		if h, ok := byID[id]; ok {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// rows runs a Get query and returns its objects.
func (r *Retriever) rows(ctx context.Context, get *graphql.GetBuilder) ([]map[string]any, error) {
	resp, err := get.Do(ctx)
	if err != nil {
		return nil, err
	}
	if err := gqlErr(resp); err != nil {
		return nil, err
	}
	gets, _ := resp.Data["Get"].(map[string]any)
	list, _ := gets[r.cfg.Collection].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, row := range list {
		m, ok := row.(map[string]any)
		if !ok {
			return nil, errors.New("unexpected result shape")
		}
		out = append(out, m)
	}
	return out, nil
}

// number reads a GraphQL number, which Weaviate sends as a JSON number or,
// for scores, a string.
func number(v any) float64 {
	switch v := v.(type) {
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	case float64:
		return v
	}
	return 0
}

func gqlErr(resp *models.GraphQLResponse) error {
	if resp == nil {
		return errors.New("weaviate: empty response")
	}
	if len(resp.Errors) > 0 {
		var msgs []string
		for _, e := range resp.Errors {
			msgs = append(msgs, e.Message)
		}
		return fmt.Errorf("weaviate: %s", strings.Join(msgs, "; "))
	}
	return nil
}
