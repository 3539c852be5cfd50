package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/ireval"
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
	err = searchBatch(ctx, ix, qs, 3, w)
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
	if err := searchBatch(context.Background(), ix, qs, 3, &all); err != nil || !strings.Contains(all.String(), "q3 Q0 ") {
		t.Errorf("uninterrupted batch: %v\n%s", err, all.String())
	}
}
