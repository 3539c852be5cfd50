package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/store"
)

// hostilePDF is a 600-byte PDF whose page tree lists its own node (issue
// 14): the PDF library looped on it for ever.
func hostilePDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		"<< /Length 38 >>\nstream\nBT /F1 12 Tf (Widgets are fine.) Tj ET\nendstream",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	var offsets []int
	for i, o := range objs {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// gateParser parses as corpus does, except that the first parse of the
// file named block waits, holding whatever its caller holds, until release
// is closed: a parser stuck on a hostile file, made to order.
type gateParser struct {
	calls   atomic.Int64 // parses begun
	block   string
	started chan struct{} // closed when the blocked parse begins
	release chan struct{}
	once    sync.Once
}

func newGate(block string) *gateParser {
	return &gateParser{block: block, started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateParser) ParseFile(ctx context.Context, id, name string, data []byte, opt corpus.Options) ([]corpus.Document, error) {
	g.calls.Add(1)
	if filepath.Base(name) == g.block {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.started)
			select {
			case <-g.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return corpus.ParseLocal(ctx, id, name, data, opt)
}

// logSink sends each log record, as text, to a channel.
type logSink chan string

func (s logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s logSink) WithGroup(string) slog.Handler            { return s }
func (s logSink) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	select {
	case s <- sb.String():
	default:
	}
	return nil
}

// waitFor waits for ch to be closed or to send; the limit only turns a
// hang into a failure.
func waitFor[T any](t *testing.T, what string, ch <-chan T) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("no %s after a minute", what)
	}
}

// waitLog waits for a log record that contains want.
func waitLog(t *testing.T, logs logSink, want string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l := <-logs:
			if strings.Contains(l, want) {
				return l
			}
		case <-timeout:
			t.Fatalf("no log record with %q after a minute", want)
		}
	}
}

func openStore(t *testing.T, dataDir string) *store.DB {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestHostileFileDoesNotBlockReloadOrIngest: while the watcher's reload
// is stuck parsing a hostile PDF dropped into the watched folder, an
// ingestion and a /reload run to the end and are served (no lock is held
// while parsing); the stuck reload, once it ends, does not replace their
// newer index.
func TestHostileFileDoesNotBlockReloadOrIngest(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "base.md"), "# Base\n\nBase text about widgets.\n")
	gate := newGate("hostile.pdf")
	ctx, cancel := context.WithCancel(corpus.WithParser(context.Background(), gate))
	defer cancel()
	logs := make(logSink, 1000)
	l, err := Open(ctx, Options{Corpus: []string{corpusDir}, DataDir: dataDir, Store: openStore(t, dataDir),
		Debounce: time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	l.watchReady = func() { close(ready) }
	watching := make(chan error, 1)
	go func() { watching <- l.Watch(ctx) }()
	waitFor(t, "watch", ready)

	// Dropped in whole (written beside, renamed in), as a copy tool does.
	write(t, filepath.Join(corpusDir, ".hostile.tmp"), string(hostilePDF()))
	if err := os.Rename(filepath.Join(corpusDir, ".hostile.tmp"), filepath.Join(corpusDir, "hostile.pdf")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "parse of the hostile file by the watcher's reload", gate.started)

	// The watcher's reload is inside the hostile file's parse now. The
	// ingestion and the reload come with contexts of their own, carrying
	// no parser, as a Discord interaction's: the library parses with the
	// one it was opened with.
	calls := gate.calls.Load()
	added, err := l.IngestFile(context.Background(), "notes.md", []byte("# Notes\n\nGizmos need oil.\n"), "admin")
	if err != nil {
		t.Fatalf("ingest while a reload parses a hostile file: %v", err)
	}
	if gate.calls.Load() == calls {
		t.Error("the ingestion did not parse with the library's parser")
	}
	if _, ok := l.Index().Doc(added.DocID); !ok {
		t.Errorf("ingested %s not served", added.DocID)
	}
	summary, err := l.Reload(context.Background())
	if err != nil || !strings.Contains(summary, "1 files skipped") {
		t.Errorf("reload while a reload parses a hostile file: %q, %v; want the hostile file skipped", summary, err)
	}
	skip := waitLog(t, logs, "hostile.pdf")
	if !strings.Contains(skip, "skipped article file") || !strings.Contains(skip, "page tree nests over 64 levels") {
		t.Errorf("hostile file logged as %q, want skipped with its reason", skip)
	}

	close(gate.release)
	waitLog(t, logs, "rebuild dropped")
	if _, ok := l.Index().Doc(added.DocID); !ok {
		t.Errorf("the stuck reload, ending, replaced the newer index: %s is gone", added.DocID)
	}
	cancel()
	waitFor(t, "watcher's return", watching)
}

// TestOpenStopsWhenCancelled: a load whose context ends (SIGTERM at start)
// stops inside the parse it is in, with the context's error.
func TestOpenStopsWhenCancelled(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "a.md"), "# A\n\nApples.\n")
	write(t, filepath.Join(corpusDir, "slow.md"), "# Slow\n\nSlow to parse.\n")
	gate := newGate("slow.md")
	ctx, cancel := context.WithCancel(corpus.WithParser(context.Background(), gate))
	defer cancel()
	go func() {
		<-gate.started
		cancel()
	}()
	_, err := Open(ctx, Options{Corpus: []string{corpusDir}, DataDir: dataDir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Open under a cancelled context: %v, want context.Canceled", err)
	}
}

// TestHostileFilesAtStart: hostile files in the corpus and already saved
// in the ingested folder are skipped, each named with its reason, and the
// library starts; ingesting one is refused with its reason.
func TestHostileFilesAtStart(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "base.md"), "# Base\n\nBase text about widgets.\n")
	write(t, filepath.Join(corpusDir, "loop.pdf"), string(hostilePDF()))
	if err := os.MkdirAll(filepath.Join(dataDir, "ingested"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dataDir, "ingested", "saved.pdf"), string(hostilePDF()))
	logs := make(logSink, 1000)
	l, err := Open(context.Background(), Options{Corpus: []string{corpusDir}, DataDir: dataDir, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if got := docIDs(l.Index()); strings.Join(got, " ") != "base" {
		t.Errorf("served %v, want base", got)
	}
	for _, f := range []string{"loop.pdf", "saved.pdf"} {
		if rec := waitLog(t, logs, f); !strings.Contains(rec, "skipped article file") || !strings.Contains(rec, "page tree nests") {
			t.Errorf("%s logged as %q", f, rec)
		}
	}
	if _, err := l.IngestFile(context.Background(), "upload.pdf", hostilePDF(), "admin"); err == nil || !strings.Contains(err.Error(), "upload.pdf: malformed PDF") {
		t.Errorf("ingesting the hostile PDF: %v", err)
	}
}
