package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/retrieval"
)

// cancelOnWrite cancels a context at its first write: an interrupt that
// arrives while the first query's results are printed.
type cancelOnWrite struct {
	strings.Builder
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return c.Builder.Write(p)
}

// TestSearchBatchStopsWhenInterrupted: SIGINT/SIGTERM (a cancelled context)
// stops a batch search between queries, with an error saying how far it got.
func TestSearchBatchStopsWhenInterrupted(t *testing.T) {
	ix, err := loadIndex(context.Background(), config.Default(), slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	qs := []ireval.Query{{ID: "q1", Text: "reload the articles"}, {ID: "q2", Text: "what is footnote"}, {ID: "q3", Text: "citations"}}
	ctx, cancel := context.WithCancel(context.Background())
	w := &cancelOnWrite{cancel: cancel}
	err = searchBatch(ctx, ix, qs, 3, false, w)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "after 1 of 3 queries") {
		t.Errorf("err = %v, want context.Canceled after 1 of 3 queries", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(w.String()), "\n") {
		if !strings.HasPrefix(line, "q1 ") {
			t.Errorf("a query after the interrupt was run: %q", line)
		}
	}
	// Not interrupted: every query is run.
	var all strings.Builder
	if err := searchBatch(context.Background(), ix, qs, 3, false, &all); err != nil || !strings.Contains(all.String(), "q3 Q0 ") {
		t.Errorf("uninterrupted batch: %v\n%s", err, all.String())
	}
}

// TestSearchBatchOutputs: with --queries, search prints a TREC run (also
// with --trec) or, with --json, one JSON object a query; both at once is a
// usage error.
func TestSearchBatchOutputs(t *testing.T) {
	queries := filepath.Join(t.TempDir(), "q.tsv")
	if err := os.WriteFile(queries, []byte("q1\thow do I reload the articles\nq2\tdiscord intents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FOOTNOTE_DATA_DIR": t.TempDir()}
	trec, _, err := runCLI(t, env, "search", "--queries", queries, "--k", "2")
	if err != nil {
		t.Fatal(err)
	}
	explicit, _, err := runCLI(t, env, "search", "--queries", queries, "--k", "2", "--trec")
	if err != nil || explicit != trec {
		t.Errorf("--trec printed %q (%v), want the default's %q", explicit, err, trec)
	}
	if lines := strings.Split(strings.TrimSpace(trec), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "q1 Q0 ") {
		t.Errorf("TREC run:\n%s", trec)
	}
	out, _, err := runCLI(t, env, "search", "--queries", queries, "--k", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var q struct {
			QID     string `json:"qid"`
			Results []struct {
				DocID string  `json:"doc_id"`
				Rank  int     `json:"rank"`
				Score float64 `json:"score"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		for _, r := range q.Results {
			got = append(got, fmt.Sprintf("%s Q0 %s %d %.6f footnote", q.QID, r.DocID, r.Rank, r.Score))
		}
	}
	if strings.Join(got, "\n") != strings.TrimSpace(trec) {
		t.Errorf("--json results differ from the TREC run:\n%s\nvs\n%s", strings.Join(got, "\n"), trec)
	}
	if _, _, err := runCLI(t, env, "search", "--queries", queries, "--json", "--trec"); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("--json --trec: %v, want a usage error", err)
	}
}

// TestSearchBatchInParallelIsInOrder: a batch ranked on every core, in
// chunks, prints what ranking each query alone prints, in the queries'
// order (300 queries: several chunks).
func TestSearchBatchInParallelIsInOrder(t *testing.T) {
	ix, err := loadIndex(context.Background(), config.Default(), slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields("reload articles footnote discord citations token server answer question guide index search corpus llm key")
	var qs []ireval.Query
	var want strings.Builder
	for i := range 300 {
		q := ireval.Query{ID: fmt.Sprintf("q%d", i), Text: words[i%len(words)] + " " + words[(i*7+3)%len(words)]}
		qs = append(qs, q)
		for r, h := range ix.SearchDocs(q.Text, 5, retrieval.Options{}) {
			fmt.Fprintf(&want, "%s Q0 %s %d %.6f footnote\n", q.ID, h.DocID, r+1, h.Score)
		}
	}
	var got strings.Builder
	if err := searchBatch(context.Background(), ix, qs, 5, false, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("batch output differs from one query at a time:\n%.2000s\nwant\n%.2000s", got.String(), want.String())
	}
}
