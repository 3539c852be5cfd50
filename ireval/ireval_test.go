package ireval

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvaluateHandComputed: q1 judges a (grade 3) and b (grade 1); the run
// ranks x, a, b.
//
//	DCG@10  = 3/log2(3) + 1/log2(4)  = 1.892789 + 0.5 = 2.392789
//	IDCG@10 = 3/log2(2) + 1/log2(3)  = 3 + 0.630930   = 3.630930
//	nDCG@10 = 0.658999; Recall@100 = 1; MRR@10 = 1/2
//
// q2 judges c but the run misses it: all zero. Means: 0.329500, 0.5, 0.25.
func TestEvaluateHandComputed(t *testing.T) {
	qrels := Qrels{"q1": {"a": 3, "b": 1, "n": 0}, "q2": {"c": 1}}
	run := map[string][]string{"q1": {"x", "a", "b"}, "q2": {"y"}}
	s := Evaluate(run, qrels)
	want := Scores{NDCG10: 0.329500, Recall100: 0.5, MRR10: 0.25, Queries: 2}
	if s.Queries != want.Queries || math.Abs(s.NDCG10-want.NDCG10) > 1e-6 || s.Recall100 != want.Recall100 || s.MRR10 != want.MRR10 {
		t.Errorf("Evaluate = %+v, want %+v", s, want)
	}
}

func TestReadQueriesAndQrels(t *testing.T) {
	dir := t.TempDir()
	j := filepath.Join(dir, "q.jsonl")
	os.WriteFile(j, []byte(`{"_id":"1","text":"alpha"}`+"\n"+`{"id":"2","text":"beta"}`+"\n"), 0o644)
	qs, err := ReadQueries(j)
	if err != nil || len(qs) != 2 || qs[1].ID != "2" || qs[0].Text != "alpha" {
		t.Errorf("jsonl: %v %+v", err, qs)
	}
	tsv := filepath.Join(dir, "q.tsv")
	os.WriteFile(tsv, []byte("1\talpha beta\n"), 0o644)
	if qs, err := ReadQueries(tsv); err != nil || qs[0].Text != "alpha beta" {
		t.Errorf("tsv: %v %+v", err, qs)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{broken\n"), 0o644)
	if _, err := ReadQueries(bad); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad queries: %v", err)
	}
	qr := filepath.Join(dir, "qrels.tsv")
	os.WriteFile(qr, []byte("query-id\tcorpus-id\tscore\n1\td1\t2\n2 0 d2 1\n"), 0o644)
	q, err := ReadQrels(qr)
	if err != nil || q["1"]["d1"] != 2 || q["2"]["d2"] != 1 {
		t.Errorf("qrels: %v %v", err, q)
	}
}
