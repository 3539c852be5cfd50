package corpus

import (
	"context"
	"errors"
	"os"
	"runtime/metrics"
	"testing"
	"time"
)

// Each fuzzed PDF or HTML input is parsed under a budget small enough for
// a fuzzing worker (fuzzBudget), and the parse must keep to it: end within
// fuzzDeadline, a generous multiple of the budget's timeout, and allocate
// less than fuzzMaxAlloc, a generous multiple of its memory. Going over
// either is a failure: the budget did not hold.
var fuzzBudget = Budget{Timeout: 2 * time.Second, MaxMemory: 64 << 20, MaxPages: 500, MaxStreamBytes: 16 << 20, MaxTextBytes: 4 << 20, MaxNodes: 200_000}

const (
	fuzzDeadline = 20 * time.Second
	fuzzMaxAlloc = 1 << 30
)

// fuzzParse runs parse on one input under fuzzBudget and fails t if the
// budget did not hold; it returns parse's result.
func fuzzParse(t *testing.T, data []byte, parse func(b *builder) (Document, error)) (Document, error) {
	t.Helper()
	m, stop := newMeter(context.Background(), fuzzBudget, len(data))
	defer stop()
	b := &builder{maxWords: 20, m: m}
	sample := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	type result struct {
		d   Document
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := parse(b)
		done <- result{d, err}
	}()
	select {
	case r := <-done:
		metrics.Read(sample)
		if a := sample[0].Value.Uint64() - before; a > fuzzMaxAlloc {
			t.Fatalf("parsing %d bytes allocated %d MiB, over %d MiB (err %v)", len(data), a>>20, fuzzMaxAlloc>>20, r.err)
		}
		if r.err != nil && errors.Is(r.err, ErrOverBudget) {
			t.Logf("over budget: %v", r.err)
		}
		return r.d, r.err
	case <-time.After(fuzzDeadline):
		t.Fatalf("parsing %d bytes did not end within %v (budget %v)", len(data), fuzzDeadline, fuzzBudget.Timeout)
	}
	return Document{}, nil
}

// checkDoc asserts the invariants every loader keeps.
func checkDoc(t *testing.T, d Document) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range d.Passages {
		if p.Text == "" || p.ID == "" || p.DocID != d.ID {
			t.Fatalf("bad passage %+v", p)
		}
		if seen[p.ID] {
			t.Fatalf("duplicate passage ID %s", p.ID)
		}
		seen[p.ID] = true
		// A code block has no units to quote; anything else has at least one.
		if units := Units(p.Text); p.IsCode() == (len(units) > 0) {
			t.Fatalf("passage %q: IsCode() = %v with units %q", p.Text, p.IsCode(), units)
		}
	}
}

func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("---\ntitle: x\n---\n"))
}

func FuzzPlain(f *testing.F) {
	seeds(f, "testdata/good/notes.txt", "testdata/docs/notes.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parsePlain("x", string(data), &builder{maxWords: 20})
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzMarkdown(f *testing.F) {
	seeds(f, "testdata/good/guide.md", "testdata/docs/configuration.md", "testdata/docs/alerts.md", "testdata/docs/crlf.md")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseMarkdown("x", string(data), testBuilder(t, 20))
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzHTML(f *testing.F) {
	seeds(f, "testdata/good/page.html", "testdata/docs/getting-started.html")
	f.Add(formattingBomb(200))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := fuzzParse(t, data, func(b *builder) (Document, error) { return parseHTML("x", data, b) })
		if err == nil {
			checkDoc(t, d)
		}
	})
}

func FuzzJSONL(f *testing.F) {
	seeds(f, "testdata/good/collection.jsonl", "testdata/bad/broken.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseJSONL(data, &builder{maxWords: 20}, 0)
		if err == nil {
			for _, d := range docs {
				checkDoc(t, d)
			}
		}
	})
}

func FuzzSplitSentences(f *testing.F) {
	f.Add("One. Two! e.g. three? A.I. four…")
	f.Fuzz(func(t *testing.T, s string) {
		for _, part := range SplitSentences(s) {
			if part == "" {
				t.Fatal("empty sentence")
			}
		}
	})
}

func FuzzPDF(f *testing.F) {
	seeds(f, "testdata/pdf/gadgets.pdf", "testdata/bad/notreally.pdf")
	for _, h := range hostilePDFs() {
		f.Add(h.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := fuzzParse(t, data, func(b *builder) (Document, error) { return parsePDF("x", data, b) })
		if err == nil {
			checkDoc(t, d)
		}
	})
}
