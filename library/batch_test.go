package library

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/ingest"
)

// TestBatchServesPagesOnCommit: a site refresh's pages are saved as they
// come and served together by one rebuild; pages whose names collide
// (/a_b and /a-b) keep apart although neither is served yet; a page with
// no text is refused and the rest go on; a removal and an update in a
// later batch take effect on its commit, and the IDs are the ones
// /ingest would give the same URLs.
func TestBatchServesPagesOnCommit(t *testing.T) {
	ctx := context.Background()
	l, st := openWith(t, baseCorpus(t), t.TempDir(), ingest.Options{})
	html := func(title, text string) []byte {
		return []byte("<html><head><title>" + title + "</title></head><body><p>" + text + "</p></body></html>")
	}
	b := l.Batch("crawler")
	var ids []string
	for _, p := range []struct{ url, title, text string }{
		{"https://docs.example.org/guide/install", "Install", "Install it with the package manager."},
		{"https://docs.example.org/a_b", "Underscore", "Underscores are sorted first."},
		{"https://docs.example.org/a-b", "Hyphen", "Hyphens are sorted second."},
	} {
		added, err := b.AddPage(ctx, p.url, "page.html", html(p.title, p.text))
		if err != nil {
			t.Fatalf("AddPage(%s): %v", p.url, err)
		}
		ids = append(ids, added.DocID)
	}
	if _, err := b.AddPage(ctx, "https://docs.example.org/empty", "empty.html", []byte("<html><body></body></html>")); err == nil {
		t.Error("a page with no text was added")
	}
	if _, ok := l.Index().Doc(ids[0]); ok {
		t.Errorf("%s served before Commit", ids[0])
	}
	// The watcher leaves a batch's files to its commit.
	pendingFile := b.added[ids[0]]
	if !l.isPending(pendingFile) {
		t.Errorf("%s is not pending before Commit: the watcher would rebuild for it", pendingFile)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 3 {
		t.Fatalf("IDs %v: want three distinct", ids)
	}
	if _, notServed, err := b.Commit(ctx); err != nil || len(notServed) != 0 {
		t.Fatalf("Commit: %v, not served %v", err, notServed)
	}
	if l.isPending(pendingFile) {
		t.Errorf("%s still pending after Commit", pendingFile)
	}
	if ids[0] != "ingested/docs-example-org-guide-install" {
		t.Errorf("page ID %s; want the one /ingest gives its URL", ids[0])
	}
	served(t, l, ids[0], "package manager")
	served(t, l, ids[1], "Underscores")
	served(t, l, ids[2], "Hyphens")
	recs, err := st.Ingested(ctx)
	if err != nil || len(recs) != 3 {
		t.Fatalf("records %v, %v; want the three pages", recs, err)
	}

	b = l.Batch("crawler")
	if _, err := b.AddPage(ctx, "https://docs.example.org/guide/install", "page.html", html("Install", "Install it from source now.")); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, "base"); err == nil {
		t.Error("a batch removed a configured article")
	}
	if _, _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	served(t, l, ids[0], "from source")
	if _, ok := l.Index().Doc(ids[2]); ok {
		t.Errorf("%s still served after its removal", ids[2])
	}
	if got := len(docIDs(l.Index())); got != 3 {
		t.Errorf("%d articles served (%v); want base and two pages", got, strings.Join(docIDs(l.Index()), ", "))
	}
}
