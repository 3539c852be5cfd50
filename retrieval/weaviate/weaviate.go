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
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

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
	c       *client
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
	if !validName(cfg.Collection) {
		return nil, fmt.Errorf("weaviate: bad collection name %q (letters, digits and _, starting with a letter)", cfg.Collection)
	}
	if cfg.Consistency == "" {
		cfg.Consistency = "QUORUM"
	}
	switch cfg.Consistency {
	case "ONE", "QUORUM", "ALL":
	default:
		return nil, fmt.Errorf("weaviate: bad consistency %q (ONE, QUORUM or ALL)", cfg.Consistency)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	c := &client{base: u.Scheme + "://" + u.Host, http: &http.Client{Timeout: cfg.Timeout}}
	r := &Retriever{c: c, cfg: cfg}
	if err := r.ensure(ctx); err != nil {
		return nil, err
	}
	cl, ok, err := c.getClass(ctx, cfg.Collection)
	if err == nil && !ok {
		err = errors.New("not found after it was created")
	}
	if err != nil {
		return nil, fmt.Errorf("weaviate: collection %s: %w", cfg.Collection, err)
	}
	r.replicated = cl.ReplicationConfig != nil && cl.ReplicationConfig.Factor > 1
	return r, nil
}

// validName is Weaviate's rule for class names (/^[A-Z][_0-9A-Za-z]*$/),
// which also keeps the name safe to write into a GraphQL query.
func validName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range []byte(s) {
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Collection is the class name in use.
func (r *Retriever) Collection() string { return r.cfg.Collection }

func textProp(name string, searchable bool, tokenization string) property {
	f := false
	t := true
	p := property{Name: name, DataType: []string{"text"}, IndexSearchable: &f, IndexFilterable: &f}
	if searchable {
		p.IndexSearchable = &t
		p.Tokenization = tokenization
	}
	return p
}

// ensure creates the collection unless it exists.
func (r *Retriever) ensure(ctx context.Context) error {
	_, ok, err := r.c.getClass(ctx, r.cfg.Collection)
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
	cl := class{
		Class:       r.cfg.Collection,
		Description: "footnote passages",
		Vectorizer:  "none",
		InvertedIndexConfig: &invertedIndex{
			BM25:      bm25Config{K1: 1.2, B: 0.75},
			Stopwords: stopwordsConfig{Preset: "none"},
		},
		Properties: []property{
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
		cl.ReplicationConfig = &replicationConfig{Factor: int64(r.cfg.Replicas)}
	}
	if r.cfg.Shards > 0 {
		cl.ShardingConfig = map[string]any{"desiredCount": r.cfg.Shards}
	}
	if err := r.c.createClass(ctx, cl); err != nil {
		// Another replica may have created it meanwhile.
		if _, ok, err2 := r.c.getClass(ctx, r.cfg.Collection); err2 == nil && ok {
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
	batch := make([]object, 0, batchSize)
	done := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := r.c.batchObjects(ctx, r.cfg.Consistency, batch); err != nil {
			return fmt.Errorf("weaviate: batch of %d passages: %w", len(batch), err)
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
			batch = append(batch, object{
				Class: r.cfg.Collection,
				ID:    ObjectID(p.ID),
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
	return r.deleteWhere(ctx, where{Path: []string{"generation"}, Operator: "NotEqual", ValueInt: &gen})
}

// DeleteDocs removes every passage of these documents.
func (r *Retriever) DeleteDocs(ctx context.Context, docIDs ...string) error {
	if len(docIDs) == 0 {
		return nil
	}
	return r.deleteWhere(ctx, where{Path: []string{"docId"}, Operator: "ContainsAny", ValueTextArray: docIDs})
}

func (r *Retriever) deleteWhere(ctx context.Context, w where) error {
	// A batch delete removes at most QUERY_MAXIMUM_RESULTS objects (10,000
	// by default): repeat until nothing matches.
	for {
		res, err := r.c.batchDelete(ctx, r.cfg.Consistency, r.cfg.Collection, w)
		if err != nil {
			return fmt.Errorf("weaviate: delete: %w", err)
		}
		if res.Matches == 0 {
			return nil
		}
		if res.Failed > 0 {
			return fmt.Errorf("weaviate: delete: %d of %d failed", res.Failed, res.Matches)
		}
	}
}

// Count is the number of passages in the collection.
func (r *Retriever) Count(ctx context.Context) (int, error) {
	data, err := r.c.graphql(ctx, "{Aggregate {"+r.cfg.Collection+" {meta {count}}}}")
	if err != nil {
		return 0, fmt.Errorf("weaviate: count: %w", err)
	}
	agg, _ := data["Aggregate"].(map[string]any)
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
	args := []string{fmt.Sprintf("bm25:{query: %s, properties: %s}", mustJSON(strings.Join(words, " ")), mustJSON(queryFields))}
	if len(opt.Docs) > 0 {
		args = append(args, where{Path: []string{"docId"}, Operator: "ContainsAny", ValueTextArray: opt.Docs}.graphQL())
	}
	rows, err := r.rows(ctx, args, max(k, fetchFloor), "_additional {id score}")
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
	objs, err := r.rows(ctx, []string{where{Path: []string{"id"}, Operator: "ContainsAny", ValueTextArray: ids}.graphQL()}, len(ids),
		"passageId docId title section heading url text paragraph terms _additional {id}")
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

// rows runs a Get query with these arguments (a limit added, and the
// consistency level on a replicated collection) and returns its objects.
func (r *Retriever) rows(ctx context.Context, args []string, limit int, fields string) ([]map[string]any, error) {
	if r.replicated {
		args = append(args, "consistencyLevel: "+r.cfg.Consistency)
	}
	args = append(args, "limit: "+strconv.Itoa(limit))
	data, err := r.c.graphql(ctx, "{Get {"+r.cfg.Collection+" ("+strings.Join(args, ", ")+") {"+fields+"}}}")
	if err != nil {
		return nil, err
	}
	gets, _ := data["Get"].(map[string]any)
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
