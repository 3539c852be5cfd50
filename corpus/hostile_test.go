package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/hostile"
)

// The hostile files are built in internal/hostile, which the library
// tests and the hostile-file benchmark share.
var (
	assemblePDF    = hostile.AssemblePDF
	pdfStreamObj   = hostile.PDFStream
	hostilePDFs    = hostile.PDFs
	bomb           = hostile.FlateBomb
	formattingBomb = hostile.FormattingBomb
)

const (
	hostileText    = hostile.PDFText
	hostileCatalog = hostile.PDFCatalog
	hostileFont    = hostile.PDFFont
)

// allocated is the bytes the process has allocated so far.
func allocated() uint64 {
	s := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// within runs f and fails the test if it has not returned after limit: a
// guard against a hang, far above what f takes, not a speed target (those
// are in BenchmarkHostilePDF and BenchmarkHostileHTML).
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("still running after %v", limit)
	}
}

// TestHostilePDFs: the tiny PDFs that hung footnote for good, and the
// FlateDecode bomb, end with a reason (or, for the page that is its own
// parent, with its text), and the bomb within a bounded allocation.
func TestHostilePDFs(t *testing.T) {
	for _, tt := range append(hostilePDFs(), hostile.FlateBombFile()) {
		t.Run(tt.Name, func(t *testing.T) {
			if len(tt.Data) >= 640 && tt.Name != "flate-bomb.pdf" {
				t.Fatalf("%s is %d bytes, want a PDF under 640", tt.Name, len(tt.Data))
			}
			var docs []Document
			var err error
			before := allocated()
			within(t, 2*time.Minute, func() {
				docs, err = Parse(context.Background(), "x", tt.Name, tt.Data, Options{})
			})
			if a := allocated() - before; a > 1<<30 {
				t.Errorf("parsing %s allocated %d MiB, want under 1 GiB", tt.Name, a>>20)
			}
			if tt.Reason == "" {
				if err != nil || len(docs) != 1 || !strings.Contains(docs[0].Passages[0].Text, tt.Text) {
					t.Fatalf("Parse(%s) = %v, %v; want a document with %q", tt.Name, docs, err, tt.Text)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.Reason) {
				t.Fatalf("Parse(%s) error = %v, want %q", tt.Name, err, tt.Reason)
			}
			if errors.Is(err, ErrOverBudget) != tt.OverBudget {
				t.Errorf("Parse(%s) error %v: errors.Is(ErrOverBudget) = %v, want %v", tt.Name, err, !tt.OverBudget, tt.OverBudget)
			}
		})
	}
}

// TestPDFBudgets: each budget, set low, stops a sound PDF with its reason.
func TestPDFBudgets(t *testing.T) {
	long := assemblePDF(hostileCatalog, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		pdfStreamObj("", strings.Repeat(hostileText+"\n", 200)), hostileFont,
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
	shifted := bytes.Replace(long, []byte("xref\n0 7\n"), []byte("xref\n9 7\n"), 1)
	tests := []struct {
		name   string
		budget Budget
		data   []byte
		reason string
	}{
		{"pages", Budget{MaxPages: 1}, long, "PDF says it has 2 pages, over the 1-page limit"},
		{"text", Budget{MaxTextBytes: 4 << 10}, long, "PDF text is over 4 KiB"},
		{"decompressed bytes", Budget{MaxStreamBytes: 8 << 10}, long, "PDF content decompresses to over 8 KiB"},
		{"objects", Budget{MaxObjects: 3}, shifted, "cross-reference table starts at object 9, over the 3-object limit"},
		{"memory", Budget{MaxMemory: 1, MaxTextBytes: 1 << 30, MaxStreamBytes: 1 << 30}, bomb(), "parsing used over"},
		{"an object stream's count", Budget{}, assemblePDF(hostileCatalog, pdfStreamObj("/Type /ObjStm /N 99999999999 /First 4", "1 0 ")),
			"PDF object stream declares 99999999999 objects"},
		{"an indirect object stream count", Budget{}, assemblePDF(hostileCatalog, pdfStreamObj("/Type /ObjStm /N 3 0 R /First 4", "1 0 "), "7"),
			"unsupported PDF: /N is an indirect reference"},
		{"a cross-reference stream's size", Budget{}, assemblePDF(hostileCatalog, pdfStreamObj("/Type /XRef /Size 4000000000 /W [1 2 1]", "")),
			"PDF declares 4000000000 objects"},
		{"a cross-reference stream's index", Budget{}, assemblePDF(hostileCatalog, pdfStreamObj("/Type /XRef /Size 4 /Index [2147483647 1] /W [1 2 1]", "")),
			"indexes objects 2147483647"},
		{"a cross-reference field", Budget{}, assemblePDF(hostileCatalog, pdfStreamObj("/Type /XRef /Size 4 /W [1 4000000000 1]", "")),
			"cross-reference field of 4000000000 bytes"},
	}
	if d, err := Parse(context.Background(), "x", "x.pdf", long, Options{}); err != nil || !strings.Contains(d[0].Passages[0].Text, "Widgets") {
		t.Fatalf("the sound PDF: %v %v", d, err)
	}
	for _, tt := range tests {
		_, err := Parse(context.Background(), "x", "x.pdf", tt.data, Options{Budget: tt.budget})
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.reason)
		}
	}
}

// TestHostileHTML: the formatting bomb is stopped while it is parsed, by
// the memory its tree takes, and by its node count; a sound page is not.
func TestHostileHTML(t *testing.T) {
	page := formattingBomb(200 << 10)
	tests := []struct {
		name   string
		page   []byte
		budget Budget
		reason string
	}{
		{"nodes, before the tree is built", page, Budget{}, "HTML page has over 1000000 nodes (formatting tags left open"},
		{"memory", page, Budget{MaxMemory: 32 << 20, MaxNodes: 1 << 40}, "parsing used over 35 MiB of memory"},
		{"nodes of the tree built", formattingBomb(16 << 10), Budget{MaxMemory: 1 << 30, MaxNodes: 100_000}, "HTML page has over 100000 nodes"},
	}
	for _, tt := range tests {
		var err error
		before := allocated()
		within(t, 2*time.Minute, func() {
			_, err = Parse(context.Background(), "x", "bomb.html", tt.page, Options{Budget: tt.budget})
		})
		if a := allocated() - before; a > 1<<30+uint64(tt.budget.MaxMemory) {
			t.Errorf("%s: parsing allocated %d MiB", tt.name, a>>20)
		}
		if err == nil || !strings.Contains(err.Error(), tt.reason) || !errors.Is(err, ErrOverBudget) {
			t.Errorf("%s: error = %v, want %q (over budget)", tt.name, err, tt.reason)
		}
	}
	// The same parse in a Markdown HTML block.
	md := "# Notes\n\nSome text.\n\n" + string(page[len("<!doctype html><html><body>"):]) + "\n"
	if _, err := Parse(context.Background(), "x", "x.md", []byte(md), Options{Budget: Budget{MaxMemory: 32 << 20}}); !errors.Is(err, ErrOverBudget) {
		t.Errorf("Markdown with the bomb in an HTML block: %v, want over budget", err)
	}
}

// TestHostileFilesSkippedLoadGoesOn: hostile files among sound ones are
// each skipped, named, with their reason; the rest loads.
func TestHostileFilesSkippedLoadGoesOn(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"good.md":        []byte("# Good\n\nThis article is fine.\n"),
		"bomb.html":      formattingBomb(200 << 10),
		"flate-bomb.pdf": bomb(),
	}
	for _, h := range hostilePDFs() {
		files[h.Name] = h.Data
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var res Result
	var err error
	within(t, 2*time.Minute, func() {
		res, err = LoadPaths(context.Background(), []string{dir}, Options{Budget: Budget{MaxMemory: 32 << 20}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range res.Documents {
		ids = append(ids, d.ID)
	}
	if want := "good page-is-its-own-parent"; strings.Join(ids, " ") != want {
		t.Errorf("loaded %q, want %q", ids, want)
	}
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[filepath.Base(s.Path)] = s.Reason
	}
	for name, want := range map[string]string{
		"bomb.html":                "HTML page has over 1000000 nodes",
		"flate-bomb.pdf":           "parsing used over", // the test's small budget stops it first
		"kids-list-their-node.pdf": "page tree nests",
		"count-9999999999999.pdf":  "9999999999999 pages",
	} {
		if !strings.Contains(skipped[name], want) {
			t.Errorf("%s skipped with %q, want %q", name, skipped[name], want)
		}
	}
	if len(res.Skipped) != 4 {
		t.Errorf("skipped %v, want 4", res.Skipped)
	}
}

// TestLoadStopsWhenCancelled: a load whose context ends stops at once,
// between files or inside a parse, with the context's error and not a
// skip.
func TestLoadStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("a%d.md", i)), []byte("# A\n\nText.\n"), 0o644)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, err := LoadPaths(ctx, []string{dir}, Options{Progress: func(int64) { cancel() }})
	if !errors.Is(err, context.Canceled) || len(res.Documents) != 1 || len(res.Skipped) != 0 {
		t.Errorf("cancelled after the first file: %d documents, skipped %v, err %v; want 1, none, context.Canceled", len(res.Documents), res.Skipped, err)
	}
	// Inside a parse: the meter fails the parser's next read.
	ctx, cancel = context.WithCancel(context.Background())
	m, stop := newMeter(ctx, Budget{}, 0)
	defer stop()
	cancel()
	if _, err := parseHTML("x", formattingBomb(1<<20), &builder{maxWords: 300, m: m}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrOverBudget) {
		t.Errorf("parse under a cancelled context: %v, want context.Canceled", err)
	}
}

// TestParseDeadline: a parse that outlives Budget.Timeout stops at its
// next read with an over-budget error.
func TestParseDeadline(t *testing.T) {
	m, stop := newMeter(context.Background(), Budget{Timeout: time.Nanosecond}, 0)
	defer stop()
	<-m.ctx.Done()
	_, err := parsePDF("x", bomb(), &builder{maxWords: 300, m: m})
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "parsing took over 1ns") {
		t.Errorf("parse past its deadline: %v", err)
	}
}

// BenchmarkHostilePDF parses each hostile PDF in this process under the
// default budget and reports the bytes allocated per parse (B/op) and the
// most memory the heap held during a parse (peak-heap-MiB: objects live or
// not yet collected, and stacks, sampled every millisecond from a
// collected heap).
func BenchmarkHostilePDF(b *testing.B) {
	for _, tt := range append(hostilePDFs(), hostile.FlateBombFile()) {
		b.Run(tt.Name, func(b *testing.B) {
			benchParse(b, tt.Name, tt.Data)
		})
	}
}

// BenchmarkHostileHTML parses the formatting bomb of issue 14 (5 MiB)
// under the default budget, as BenchmarkHostilePDF does.
func BenchmarkHostileHTML(b *testing.B) {
	benchParse(b, "bomb.html", formattingBomb(5<<20))
}

func benchParse(b *testing.B, name string, data []byte) {
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		w := watchHeap()
		b.StartTimer()
		if _, err := Parse(context.Background(), "x", name, data, Options{}); err == nil && name != "page-is-its-own-parent.pdf" {
			b.Fatalf("%s parsed", name)
		}
		b.StopTimer()
		peak = max(peak, w.stop())
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// heapWatch samples the heap's memory until stopped.
type heapWatch struct {
	done chan struct{}
	peak chan uint64
}

func watchHeap() heapWatch {
	w := heapWatch{done: make(chan struct{}), peak: make(chan uint64)}
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, heapInUse())
			select {
			case <-w.done:
				w.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w heapWatch) stop() uint64 {
	close(w.done)
	return <-w.peak
}
