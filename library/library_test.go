package library

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/store"
)

func open(t *testing.T, corpusDir, dataDir string) (*Library, *store.DB) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := Open(context.Background(), Options{Corpus: []string{corpusDir}, DataDir: dataDir, Store: st, Debounce: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIngestPersistsAcrossRestart(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "base.md"), "# Base\n\nBase text about widgets.\n")
	l, st := open(t, corpusDir, dataDir)
	added, err := l.IngestFile(context.Background(), "Gizmo Guide.md", []byte("# @everyone Gizmo guide\n\nGizmos need oil.\n\nAnd love.\n"), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if added.DocID != "ingested/gizmo-guide" || added.Passages != 2 || added.Title != "@everyone Gizmo guide" {
		t.Errorf("added = %+v", added)
	}
	if hits := l.Index().Search("gizmos oil", 1, retrievalOpts()); len(hits) == 0 || hits[0].Passage.DocID != "ingested/gizmo-guide" {
		t.Errorf("ingested article not searchable: %v", hits)
	}
	st.Close()
	// Restart: a new library over the same data folder serves it again.
	l2, _ := open(t, corpusDir, dataDir)
	if _, ok := l2.Index().Doc("ingested/gizmo-guide"); !ok {
		t.Error("ingested article lost across a restart")
	}
	// Forget it: gone now and after another restart.
	title, err := l2.Forget(context.Background(), "ingested/gizmo-guide")
	if err != nil || title != "@everyone Gizmo guide" {
		t.Fatalf("forget: %q %v", title, err)
	}
	if _, ok := l2.Index().Doc("ingested/gizmo-guide"); ok {
		t.Error("forgotten article still served")
	}
	l3, _ := open(t, corpusDir, dataDir)
	if _, ok := l3.Index().Doc("ingested/gizmo-guide"); ok {
		t.Error("forgotten article back after a restart")
	}
	// A configured article can be forgotten too (its file is left alone).
	if _, err := l3.Forget(context.Background(), "base"); err == nil {
		t.Error("forgetting the last article should fail: nothing would be left to serve")
	}
	if _, err := os.Stat(filepath.Join(corpusDir, "base.md")); err != nil {
		t.Error("a configured file was deleted")
	}
}

func TestIngestRejectsBadFiles(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "base.md"), "# Base\n\nBase text.\n")
	l, _ := open(t, corpusDir, dataDir)
	for name, data := range map[string]string{
		"fake.pdf":  "<html>not a pdf</html>",
		"image.png": "\x89PNG",
		"bin.txt":   "\x00\x01",
		"empty.md":  "   ",
	} {
		if _, err := l.IngestFile(context.Background(), name, []byte(data), "admin"); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if len(l.Index().Docs()) != 1 {
		t.Errorf("docs = %d after refused ingests", len(l.Index().Docs()))
	}
}

// watch runs l.Watch until the test ends and returns once it watches its
// folders (a change made before that would be missed).
func watch(t *testing.T, l *Library) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	l.watchReady = func() { close(ready) }
	done := make(chan error, 1)
	go func() { done <- l.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		waitFor(t, "watcher's return", done)
	})
	waitFor(t, "watch", ready)
}

// eventually polls cond until it holds; the limit only turns a hang into a
// failure.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute", what)
		}
	}
}

func TestWatcherPicksUpChanges(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "a.md"), "# A\n\nApples are red.\n")
	logs := make(logSink, 1000)
	l, err := Open(context.Background(), Options{Corpus: []string{corpusDir}, DataDir: dataDir, Store: openStore(t, dataDir),
		Debounce: 50 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	watch(t, l)
	old := l.Index()
	write(t, filepath.Join(corpusDir, "b.md"), "# B\n\nBananas are yellow.\n")
	eventually(t, "new file picked up", func() bool { _, ok := l.Index().Doc("b"); return ok })
	if _, ok := old.Doc("b"); ok {
		t.Error("the old index was changed in place")
	}
	// Removing every article fails the rebuild: the last good index serves.
	// One file goes first (the rebuild serves the other alone), then the
	// last, so that the rebuild that fails is one the test waits for (two
	// removals at once could be rebuilt one by one, as the debounce falls).
	os.Remove(filepath.Join(corpusDir, "b.md"))
	eventually(t, "removed file dropped", func() bool { _, ok := l.Index().Doc("b"); return !ok })
	served := l.Index()
	os.Remove(filepath.Join(corpusDir, "a.md"))
	waitLog(t, logs, "reload after a file change failed")
	if l.Index() != served || len(l.Index().Docs()) != 1 {
		t.Errorf("docs = %d; a failed rebuild must keep the previous index", len(l.Index().Docs()))
	}
	if _, err := l.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "no articles") || !strings.Contains(err.Error(), corpusDir) {
		t.Errorf("reload of an empty corpus (the error must name the folder): %v", err)
	}
}

func retrievalOpts() retrieval.Options { return retrieval.Options{} }

// saveIndex writes an index file of the given Markdown articles.
func saveIndex(t *testing.T, path string, articles map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range articles {
		write(t, filepath.Join(dir, name), body)
	}
	res, err := corpus.LoadPaths(context.Background(), []string{dir}, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
}

func docIDs(ix *retrieval.Index) []string {
	var ids []string
	for _, d := range ix.Docs() {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestIndexFile serves articles from an index file: as it is at start,
// indexed again with ingested articles, without the forgotten ones, read
// again on reload and when the file is replaced, and kept when the new
// file is corrupt.
func TestIndexFile(t *testing.T) {
	dataDir, idxDir := t.TempDir(), t.TempDir()
	idx := filepath.Join(idxDir, "articles.idx")
	saveIndex(t, idx, map[string]string{"alpha.md": "# Alpha\n\nAlpha text about widgets.\n", "beta.md": "# Beta\n\nBeta text about sprockets.\n"})
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := Open(context.Background(), Options{IndexFile: idx, DataDir: dataDir, Store: st, Debounce: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	file, err := retrieval.Open(idx)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Index().Fingerprint(); got != file.Fingerprint() {
		t.Errorf("served index %s, want the file's own %s", got, file.Fingerprint())
	}
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Errorf("served %v", got)
	}
	if _, err := l.IngestFile(context.Background(), "gizmo.md", []byte("# Gizmo\n\nGizmos need oil.\n"), "admin"); err != nil {
		t.Fatal(err)
	}
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"alpha", "beta", "ingested/gizmo"}) {
		t.Errorf("after ingesting: %v", got)
	}
	if hits := l.Index().Search("sprockets", 1, retrievalOpts()); len(hits) == 0 || hits[0].Passage.Text != "Beta text about sprockets." {
		t.Errorf("the index file's passages, indexed again, lost their text: %v", hits)
	}
	if _, err := l.Forget(context.Background(), "beta"); err != nil {
		t.Fatal(err)
	}
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"alpha", "ingested/gizmo"}) {
		t.Errorf("after forgetting beta: %v", got)
	}
	// A new index file is read on reload.
	saveIndex(t, idx, map[string]string{"gamma.md": "# Gamma\n\nGamma text.\n", "beta.md": "# Beta\n\nBeta again.\n"})
	if _, err := l.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"gamma", "ingested/gizmo"}) {
		t.Errorf("after reloading a new file: %v", got)
	}
	// A corrupt file fails the reload, naming the file; the index serves on.
	data, _ := os.ReadFile(idx)
	data[len(data)-1] ^= 0xff
	write(t, idx, string(data))
	if _, err := l.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), idx) || !errors.Is(err, retrieval.ErrCorrupt) {
		t.Errorf("reload of a corrupt file: %v", err)
	}
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"gamma", "ingested/gizmo"}) {
		t.Errorf("after a failed reload: %v", got)
	}
	// The watcher reloads when the file is replaced (written beside it,
	// renamed over it).
	watch(t, l)
	saveIndex(t, idx, map[string]string{"delta.md": "# Delta\n\nDelta text.\n"})
	eventually(t, "replaced file read", func() bool { return slices.Equal(docIDs(l.Index()), []string{"delta", "ingested/gizmo"}) })
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"delta", "ingested/gizmo"}) {
		t.Errorf("after replacing the file under the watcher: %v", got)
	}
}

// lockedBuffer is a log destination the watcher's goroutine and the test
// share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// TestDamagedIndexFileIsLoggedOnce: an index file whose text blocks fail
// their check opens (text is checked as it is read); the first question
// that reads them logs the damage once, naming the file and --verify,
// and Damaged reports it (serve's footnote_index_damaged) until a reload
// serves a sound file.
func TestDamagedIndexFileIsLoggedOnce(t *testing.T) {
	dataDir := t.TempDir()
	idx := filepath.Join(t.TempDir(), "articles.idx")
	saveIndex(t, idx, map[string]string{"alpha.md": "# Alpha\n\nAlpha text about widgets.\n", "beta.md": "# Beta\n\nBeta text about sprockets.\n"})
	data, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	// Every text block zeroed: section 9 of the file's section table
	// (the format is in the retrieval package's doc).
	const tableOffset, entrySize, textBlocks = 24, 24, 9
	e := data[tableOffset+entrySize*textBlocks:]
	off, n := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
	clear(data[off : off+n])
	write(t, idx, string(data))

	var logs lockedBuffer
	l, err := Open(context.Background(), Options{IndexFile: idx, DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Damaged(); err != nil {
		t.Fatalf("damage reported before anything was read: %v", err)
	}
	for range 3 {
		if hits := l.Index().Search("sprockets", 1, retrievalOpts()); len(hits) != 1 || hits[0].Passage.Text != "" {
			t.Fatalf("hits %+v, want beta with its text lost", hits)
		}
	}
	err = l.Damaged()
	if err == nil || !errors.Is(err, retrieval.ErrCorrupt) || !strings.Contains(err.Error(), "text block") {
		t.Fatalf("Damaged() = %v, want the text block's failure", err)
	}
	if got := strings.Count(logs.String(), "index file damaged"); got != 1 {
		t.Fatalf("damage logged %d times, want once:\n%s", got, logs.String())
	}
	line := logs.String()
	for _, want := range []string{"level=ERROR", "file=" + idx, "footnote index --verify " + idx, "text block"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q:\n%s", want, line)
		}
	}
	// A sound file, reloaded, clears it.
	saveIndex(t, idx, map[string]string{"alpha.md": "# Alpha\n\nAlpha text about widgets.\n"})
	if _, err := l.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits := l.Index().Search("widgets", 1, retrievalOpts()); len(hits) != 1 || hits[0].Passage.Text == "" {
		t.Fatalf("after reloading a sound file: %+v", hits)
	}
	if err := l.Damaged(); err != nil {
		t.Fatalf("a sound file reloaded still reports %v", err)
	}
}
