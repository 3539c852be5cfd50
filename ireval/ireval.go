// Package ireval reads standard retrieval test collections (BEIR queries and
// qrels, TREC-style TSV) and computes the measures trec_eval reports.
package ireval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Query is one test query.
type Query struct {
	ID   string
	Text string
}

// ReadQueries reads BEIR queries.jsonl ({"_id","text"}) or TSV (id<TAB>text),
// chosen by content: a line starting with '{' is JSON.
func ReadQueries(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer f.Close()
	return parseQueries(f, path)
}

func parseQueries(r io.Reader, name string) ([]Query, error) {
	var out []Query
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "{") {
			var q struct {
				UID  string `json:"_id"`
				ID   string `json:"id"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal([]byte(t), &q); err != nil {
				return nil, fmt.Errorf("queries %s line %d: %w", name, line, err)
			}
			if q.UID == "" {
				q.UID = q.ID
			}
			if q.UID == "" {
				return nil, fmt.Errorf("queries %s line %d: no \"_id\"", name, line)
			}
			out = append(out, Query{ID: q.UID, Text: q.Text})
			continue
		}
		id, text, ok := strings.Cut(t, "\t")
		if !ok {
			return nil, fmt.Errorf("queries %s line %d: want JSON or id<TAB>text", name, line)
		}
		out = append(out, Query{ID: id, Text: text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries %s: %w", name, err)
	}
	return out, nil
}

// Qrels maps query ID → document ID → relevance grade.
type Qrels map[string]map[string]int

// ReadQrels reads a BEIR qrels TSV (query-id, corpus-id, score, with an
// optional header) or TREC qrels (qid 0 docid grade).
func ReadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("qrels: %w", err)
	}
	defer f.Close()
	q := Qrels{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var qid, did, g string
		switch len(fields) {
		case 3:
			qid, did, g = fields[0], fields[1], fields[2]
		case 4:
			qid, did, g = fields[0], fields[2], fields[3]
		default:
			return nil, fmt.Errorf("qrels %s line %d: want 3 or 4 fields", path, line)
		}
		grade, err := strconv.Atoi(g)
		if err != nil {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("qrels %s line %d: grade %q: %w", path, line, g, err)
		}
		if q[qid] == nil {
			q[qid] = map[string]int{}
		}
		q[qid][did] = grade
	}
	return q, sc.Err()
}

// Scores are the averaged measures of a run.
type Scores struct {
	NDCG10    float64 `json:"ndcg@10"`
	Recall100 float64 `json:"recall@100"`
	MRR10     float64 `json:"mrr@10"`
	Queries   int     `json:"queries"`
}

// Evaluate scores a run (query ID → ranked document IDs) against qrels,
// averaging over every judged query (a judged query without results scores
// 0, as trec_eval -c does). nDCG@10 uses gain = grade and discount
// log2(rank+1); the ideal ranking is all judged-relevant documents by grade.
// Recall@100 counts documents with grade > 0; MRR@10 is the reciprocal rank
// of the first relevant document in the top 10.
func Evaluate(run map[string][]string, qrels Qrels) Scores {
	var s Scores
	ids := make([]string, 0, len(qrels))
	for id := range qrels {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, qid := range ids {
		judged := qrels[qid]
		var grades []int
		rel := 0
		for _, g := range judged {
			if g > 0 {
				grades = append(grades, g)
				rel++
			}
		}
		if rel == 0 {
			continue
		}
		s.Queries++
		ranked := run[qid]
		dcg := 0.0
		for i, d := range ranked {
			if i >= 10 {
				break
			}
			if g := judged[d]; g > 0 {
				dcg += float64(g) / math.Log2(float64(i+2))
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(grades)))
		idcg := 0.0
		for i, g := range grades {
			if i >= 10 {
				break
			}
			idcg += float64(g) / math.Log2(float64(i+2))
		}
		s.NDCG10 += dcg / idcg
		found := 0
		for i, d := range ranked {
			if i >= 100 {
				break
			}
			if judged[d] > 0 {
				found++
			}
		}
		s.Recall100 += float64(found) / float64(rel)
		for i, d := range ranked {
			if i >= 10 {
				break
			}
			if judged[d] > 0 {
				s.MRR10 += 1 / float64(i+1)
				break
			}
		}
	}
	if s.Queries > 0 {
		n := float64(s.Queries)
		s.NDCG10 /= n
		s.Recall100 /= n
		s.MRR10 /= n
	}
	return s
}
