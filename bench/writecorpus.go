package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/footnote-bot/footnote/internal/synth"
)

// writeCorpus writes the synthetic corpus of n passages to dir as BEIR
// JSON lines (one document a line, its ten passages as paragraphs), in
// files of at most 32 MiB (footnote's limit on one article file is 64
// MiB), and nq queries to dir/queries.jsonl: the data the whole-process
// figures are measured on.
func writeCorpus(dir string, n, nq int) error {
	docs, qs := synth.Corpus(n, nq)
	if err := os.MkdirAll(filepath.Join(dir, "corpus"), 0o755); err != nil {
		return err
	}
	var f *os.File
	var w *bufio.Writer
	var written int
	part := 0
	closeFile := func() error {
		if f == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()
	}
	for _, d := range docs {
		if f == nil || written > 32<<20 {
			if err := closeFile(); err != nil {
				return err
			}
			part++
			var err error
			if f, err = os.Create(filepath.Join(dir, "corpus", fmt.Sprintf("part-%03d.jsonl", part))); err != nil {
				return err
			}
			w, written = bufio.NewWriterSize(f, 1<<20), 0
		}
		texts := make([]string, len(d.Passages))
		for i, p := range d.Passages {
			texts[i] = p.Text
		}
		line, err := json.Marshal(map[string]string{"_id": d.ID, "title": d.Title, "text": strings.Join(texts, "\n\n")})
		if err != nil {
			return err
		}
		line = append(line, '\n')
		written += len(line)
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if err := closeFile(); err != nil {
		return err
	}
	qf, err := os.Create(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		return err
	}
	qw := bufio.NewWriter(qf)
	for i, q := range qs {
		line, err := json.Marshal(map[string]string{"_id": fmt.Sprintf("q%d", i), "text": q})
		if err != nil {
			return err
		}
		qw.Write(append(line, '\n'))
	}
	if err := qw.Flush(); err != nil {
		return err
	}
	return qf.Close()
}
