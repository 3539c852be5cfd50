package library

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestWatcherPicksUpChanges(t *testing.T) {
	corpusDir, dataDir := t.TempDir(), t.TempDir()
	write(t, filepath.Join(corpusDir, "a.md"), "# A\n\nApples are red.\n")
	l, _ := open(t, corpusDir, dataDir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Watch(ctx)
	time.Sleep(100 * time.Millisecond)
	old := l.Index()
	write(t, filepath.Join(corpusDir, "b.md"), "# B\n\nBananas are yellow.\n")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := l.Index().Doc("b"); ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, ok := l.Index().Doc("b"); !ok {
		t.Fatal("new file not picked up")
	}
	if _, ok := old.Doc("b"); ok {
		t.Error("the old index was changed in place")
	}
	// Removing every article fails the rebuild: the last good index serves.
	os.Remove(filepath.Join(corpusDir, "a.md"))
	os.Remove(filepath.Join(corpusDir, "b.md"))
	time.Sleep(400 * time.Millisecond)
	if len(l.Index().Docs()) != 2 {
		t.Errorf("docs = %d; a failed rebuild must keep the previous index", len(l.Index().Docs()))
	}
	if _, err := l.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "no articles") {
		t.Errorf("reload of an empty corpus: %v", err)
	}
}

func retrievalOpts() retrieval.Options { return retrieval.Options{} }
