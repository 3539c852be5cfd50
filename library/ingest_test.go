package library

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/ingest"
	"github.com/footnote-bot/footnote/store"
)

// loopbackOnly lets the test servers' address through the SSRF guard;
// everything else is checked as in production.
var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// openWith opens a library whose fetcher has the given options (the store
// and folders as open does).
func openWith(t *testing.T, corpusDir, dataDir string, fopt ingest.Options) (*Library, *store.DB) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := Open(context.Background(), Options{Corpus: []string{corpusDir}, DataDir: dataDir, Store: st,
		Fetcher: ingest.New(fopt), Debounce: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

func baseCorpus(t *testing.T) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "base.md"), "# Base\n\nBase text about widgets.\n")
	return dir
}

func served(t *testing.T, l *Library, id, text string) {
	t.Helper()
	if _, ok := l.Index().Doc(id); !ok {
		t.Errorf("%s is not served; served: %v", id, docIDs(l.Index()))
		return
	}
	for _, p := range l.Index().DocPassages(id) {
		if strings.Contains(p.Text, text) {
			return
		}
	}
	t.Errorf("%s does not say %q", id, text)
}

// TestIngestedPagesAreNamedByTheirURL (issue 14, item 4): two pages whose
// last path segment is the same (…/team-a/handbook, …/team-b/handbook/)
// are two articles; ingesting a page again updates it in place; slugs that
// collide get a hash; the IDs survive a restart.
func TestIngestedPagesAreNamedByTheirURL(t *testing.T) {
	var version atomic.Int32
	mux := http.NewServeMux()
	page := func(text string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<html><head><title>Handbook</title></head><body><p>%s (version %d).</p></body></html>", text, version.Load())
		}
	}
	mux.HandleFunc("/team-a/handbook", page("Team A ships on Mondays"))
	mux.HandleFunc("/team-b/handbook/", page("Team B ships on Fridays"))
	mux.HandleFunc("/a_b", page("Underscores are sorted first"))
	mux.HandleFunc("/a-b", page("Hyphens are sorted second"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	corpusDir, dataDir := baseCorpus(t), t.TempDir()
	l, st := openWith(t, corpusDir, dataDir, ingest.Options{Allow: loopbackOnly})
	ctx := context.Background()
	host := strings.NewReplacer(".", "-", ":", "-").Replace(strings.TrimPrefix(srv.URL, "http://"))

	a, err := l.IngestURL(ctx, srv.URL+"/team-a/handbook", "admin")
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.IngestURL(ctx, srv.URL+"/team-b/handbook/", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if a.DocID != "ingested/"+host+"-team-a-handbook" || b.DocID != "ingested/"+host+"-team-b-handbook" || a.Replaced || b.Replaced {
		t.Fatalf("IDs %+v %+v", a, b)
	}
	served(t, l, a.DocID, "Team A ships on Mondays")
	served(t, l, b.DocID, "Team B ships on Fridays")

	// The same page again (its fragment aside) is an update.
	version.Store(2)
	again, err := l.IngestURL(ctx, srv.URL+"/team-a/handbook#top", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if again.DocID != a.DocID || !again.Replaced {
		t.Errorf("re-ingesting the page: %+v, want %s replaced", again, a.DocID)
	}
	served(t, l, a.DocID, "(version 2)")
	served(t, l, b.DocID, "Team B ships on Fridays")

	// /a_b and /a-b make the same slug: the second gets a hash, and keeps it.
	ab1, err := l.IngestURL(ctx, srv.URL+"/a_b", "admin")
	if err != nil {
		t.Fatal(err)
	}
	ab2, err := l.IngestURL(ctx, srv.URL+"/a-b", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if ab1.DocID != "ingested/"+host+"-a-b" || !strings.HasPrefix(ab2.DocID, ab1.DocID+"-") || len(ab2.DocID) != len(ab1.DocID)+9 {
		t.Errorf("colliding slugs: %s and %s", ab1.DocID, ab2.DocID)
	}
	if ab2again, err := l.IngestURL(ctx, srv.URL+"/a-b", "admin"); err != nil || ab2again.DocID != ab2.DocID || !ab2again.Replaced {
		t.Errorf("re-ingesting the hashed one: %+v %v", ab2again, err)
	}
	served(t, l, ab1.DocID, "Underscores")
	served(t, l, ab2.DocID, "Hyphens")
	if got := len(l.Index().Docs()); got != 5 {
		t.Errorf("%d articles, want 5: %v", got, docIDs(l.Index()))
	}

	// A restart serves the same IDs.
	st.Close()
	l2, _ := openWith(t, corpusDir, dataDir, ingest.Options{Allow: loopbackOnly})
	for _, id := range []string{a.DocID, b.DocID, ab1.DocID, ab2.DocID} {
		if _, ok := l2.Index().Doc(id); !ok {
			t.Errorf("%s lost across a restart", id)
		}
	}
	// Long URLs keep IDs short enough for Discord's choices.
	if s := pageSlugs("example.com/" + strings.Repeat("very-long-segment/", 20)); len(s) != 1 || len(s[0]) > maxSlug {
		t.Errorf("long slug %q", s)
	}
}

// TestUploadsWithTheSameNameAreRefused (issue 14, item 4): a second upload
// named notes.md does not replace the first; the refusal names the article
// that has the name; after /forget the name is free.
func TestUploadsWithTheSameNameAreRefused(t *testing.T) {
	l, _ := open(t, baseCorpus(t), t.TempDir())
	ctx := context.Background()
	first, err := l.IngestFile(ctx, "notes.md", []byte("# Team A notes\n\nTeam A meets on Tuesdays.\n"), "alice")
	if err != nil || first.DocID != "ingested/notes" {
		t.Fatalf("first upload: %+v %v", first, err)
	}
	for _, name := range []string{"notes.md", "Notes.txt", "NOTES.html"} {
		_, err = l.IngestFile(ctx, name, []byte("# Team B notes\n\nTeam B meets on Thursdays.\n"), "bob")
		if !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), "ingested/notes") || !strings.Contains(err.Error(), "Team A notes") ||
			!strings.Contains(err.Error(), "rename the file") {
			t.Errorf("second %s: err = %v, want a refusal naming ingested/notes (“Team A notes”)", name, err)
		}
	}
	served(t, l, "ingested/notes", "Team A meets on Tuesdays")
	if _, err := l.Forget(ctx, "ingested/notes"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.IngestFile(ctx, "notes.md", []byte("# Team B notes\n\nTeam B meets on Thursdays.\n"), "bob"); err != nil {
		t.Errorf("after /forget: %v", err)
	}
	served(t, l, "ingested/notes", "Team B meets on Thursdays")
}

// TestIngestedFrontMatterRoundTrips (issue 14, item 5): a page whose URL
// has a backslash in its query, Markdown with its own front matter (CRLF,
// a hostile title) and text without any are saved with their URL written
// by the YAML encoder, in one block, and served with title and URL, also
// after a restart.
func TestIngestedFrontMatterRoundTrips(t *testing.T) {
	title := `Quote "q", back\slash \n, colon: yes, --- and … ünïcödé`
	pages := map[string]struct{ ctype, body string }{
		"/notes":   {"text/markdown", "---\r\ntitle: '" + strings.ReplaceAll(title, "'", "''") + "'\r\nauthor: Ann\r\n---\r\nNotes are kept for a year.\r\n"},
		"/plain":   {"text/plain", "Plain\n\nPlain pages are kept for a month.\n"},
		"/page":    {"text/html", "<html><head><title>Page</title></head><body><p>Pages are kept for a week.</p></body></html>"},
		"/quoted":  {"text/markdown", "# Quoted\n\nQuoted URLs are not linked.\n"},
		"/already": {"text/markdown", "---\nurl: https://docs.example.com/already\n---\n# Already\n\nAlready linked.\n"},
	}
	mux := http.NewServeMux()
	for path, p := range pages {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", p.ctype)
			w.Write([]byte(p.body))
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	corpusDir, dataDir := baseCorpus(t), t.TempDir()
	l, st := openWith(t, corpusDir, dataDir, ingest.Options{Allow: loopbackOnly})
	ctx := context.Background()
	tests := []struct {
		url, wantURL, wantTitle, text string
	}{
		{srv.URL + `/notes?q=a\b&r=c:d`, srv.URL + `/notes?q=a%5Cb&r=c:d`, title, "Notes are kept for a year."},
		{srv.URL + "/plain?x=---", srv.URL + "/plain?x=---", "Plain", "Plain pages are kept for a month."},
		{srv.URL + "/page?a=1&b=2", srv.URL + "/page?a=1&b=2", "Page", "Pages are kept for a week."},
		{srv.URL + `/quoted?q="x"`, "", "Quoted", "Quoted URLs are not linked."},
		{srv.URL + "/already", "https://docs.example.com/already", "Already", "Already linked."},
	}
	check := func(l *Library, when string, ids []string) {
		for i, tt := range tests {
			d, ok := l.Index().Doc(ids[i])
			if !ok {
				t.Errorf("%s: %s (%s) not served", when, ids[i], tt.url)
				continue
			}
			if d.URL != tt.wantURL || d.Title != strings.Join(strings.Fields(tt.wantTitle), " ") {
				t.Errorf("%s: %s has title %q url %q; want %q %q", when, ids[i], d.Title, d.URL, tt.wantTitle, tt.wantURL)
			}
			served(t, l, ids[i], tt.text)
		}
	}
	var ids []string
	for _, tt := range tests {
		added, err := l.IngestURL(ctx, tt.url, "admin")
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		ids = append(ids, added.DocID)
	}
	check(l, "after ingesting", ids)
	saved, err := os.ReadFile(filepath.Join(dataDir, "ingested", strings.TrimPrefix(ids[0], IngestedPrefix)+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(saved), "---\n"); n != 2 || !strings.HasPrefix(string(saved), "---\n") || !strings.Contains(string(saved), "author: Ann") {
		t.Errorf("saved file should have one front matter block with the author kept:\n%s", saved)
	}
	if d, _ := l.Index().Doc(ids[0]); d.Author != "Ann" {
		t.Errorf("author %q", d.Author)
	}
	st.Close()
	l2, _ := openWith(t, corpusDir, dataDir, ingest.Options{Allow: loopbackOnly})
	check(l2, "after a restart", ids)
	// Every saved file loads (nothing "ingested" is skipped).
	res, err := corpus.LoadPaths(ctx, []string{filepath.Join(dataDir, "ingested")}, corpus.Options{IDPrefix: IngestedPrefix})
	if err != nil || len(res.Skipped) != 0 || len(res.Documents) != len(tests) {
		t.Errorf("ingested folder loads %d documents, skips %v (%v)", len(res.Documents), res.Skipped, err)
	}
}

// TestIngestAttachmentLimits (issue 14, item 6): uploads are fetched from
// the attachment hosts only, through the SSRF guard, within the configured
// ingest_max_bytes.
func TestIngestAttachmentLimits(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/attachments/1/pears.md", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# Pears\n\nPears are sweet and grainy.\n"))
	})
	mux.HandleFunc("/attachments/2/big.md", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# Big\n\n" + strings.Repeat("Big files are refused. ", 200)))
	})
	cdn := httptest.NewServer(mux)
	t.Cleanup(cdn.Close)
	ctx := context.Background()
	cdnHost := []string{"127.0.0.1"}
	l, _ := openWith(t, baseCorpus(t), t.TempDir(), ingest.Options{MaxBytes: 2048, AttachmentHosts: cdnHost, Allow: loopbackOnly})
	added, err := l.IngestAttachment(ctx, "pears.md", cdn.URL+"/attachments/1/pears.md", 38, "admin")
	if err != nil || added.DocID != "ingested/pears" {
		t.Fatalf("attachment: %+v %v", added, err)
	}
	served(t, l, "ingested/pears", "Pears are sweet")
	strict, _ := openWith(t, baseCorpus(t), t.TempDir(), ingest.Options{AttachmentHosts: cdnHost})
	discord, _ := openWith(t, baseCorpus(t), t.TempDir(), ingest.Options{Allow: loopbackOnly})
	tests := []struct {
		name      string
		l         *Library
		file, url string
		size      int64
		want      string
	}{
		{"declared over ingest_max_bytes", l, "big.md", cdn.URL + "/attachments/2/big.md", 5000, "over the 2048-byte limit"},
		{"body over ingest_max_bytes", l, "big.md", cdn.URL + "/attachments/2/big.md", 100, "over the 2048-byte limit"},
		{"not a CDN host", discord, "pears.md", cdn.URL + "/attachments/1/pears.md", 38, "only from cdn.discordapp.com or media.discordapp.net"},
		{"another host", l, "pears.md", "https://evil.example/pears.md", 38, "only from 127.0.0.1"},
		{"the CDN on loopback without the guard's allowance", strict, "pears.md", cdn.URL + "/attachments/1/pears.md", 38, "internal address"},
		{"not an article file", l, "pears.exe", cdn.URL + "/attachments/1/pears.md", 38, "not an article file"},
	}
	for _, tt := range tests {
		_, err := tt.l.IngestAttachment(ctx, tt.file, tt.url, tt.size, "admin")
		if err == nil || !errors.Is(err, ingest.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want a refusal mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestIngestKeepsEarlierNames: a page ingested under the old naming
// (ingested/handbook) is updated under that name, not added twice; an
// upload's name whose file does not load is free, and the broken file goes.
func TestIngestKeepsEarlierNames(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/team-a/handbook", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/markdown")
		w.Write([]byte("# Handbook\n\nThe new handbook says Tuesdays.\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	corpusDir, dataDir := baseCorpus(t), t.TempDir()
	l, st := openWith(t, corpusDir, dataDir, ingest.Options{Allow: loopbackOnly})
	ctx := context.Background()
	// As the old naming left it: a file named by the last path segment.
	old := filepath.Join(dataDir, "ingested", "handbook.md")
	write(t, old, "---\nurl: "+srv.URL+"/team-a/handbook\n---\n# Handbook\n\nThe old handbook says Mondays.\n")
	if err := st.AddIngested(ctx, store.Ingested{DocID: "ingested/handbook", Title: "Handbook", Source: srv.URL + "/team-a/handbook", File: old}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	added, err := l.IngestURL(ctx, srv.URL+"/team-a/handbook", "admin")
	if err != nil || added.DocID != "ingested/handbook" || !added.Replaced {
		t.Fatalf("re-ingest under the old name: %+v %v", added, err)
	}
	served(t, l, "ingested/handbook", "Tuesdays")
	if n := len(l.Index().Docs()); n != 2 {
		t.Errorf("%d articles, want 2: %v", n, docIDs(l.Index()))
	}
	// A file that does not load holds no name.
	broken := filepath.Join(dataDir, "ingested", "notes.pdf")
	write(t, broken, "not a PDF")
	if _, err := l.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.IngestFile(ctx, "notes.md", []byte("# Notes\n\nNotes load.\n"), "admin"); err != nil {
		t.Fatalf("upload over a broken file's name: %v", err)
	}
	served(t, l, "ingested/notes", "Notes load.")
	if _, err := os.Stat(broken); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the broken file under the name is still there: %v", err)
	}
}

// forgetsEverything is a store whose forgotten list holds every ingested
// article: a way to make a saved article not served after the reload.
type forgetsEverything struct{ *store.DB }

func (f forgetsEverything) Forgotten(ctx context.Context) (map[string]bool, error) {
	return map[string]bool{"ingested/gizmo": true}, nil
}

// TestNothingAddedThatIsNotServed (issue 14, item 5): "Added" only when
// the article is served after the reload; otherwise its file and record go
// and the error says so.
func TestNothingAddedThatIsNotServed(t *testing.T) {
	corpusDir, dataDir := baseCorpus(t), t.TempDir()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := Open(context.Background(), Options{Corpus: []string{corpusDir}, DataDir: dataDir, Store: forgetsEverything{db}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.IngestFile(context.Background(), "gizmo.md", []byte("# Gizmo\n\nGizmos need oil.\n"), "admin")
	if err == nil || !strings.Contains(err.Error(), "not served") || !strings.Contains(err.Error(), "nothing was added") {
		t.Errorf("err = %v, want it to say the article is not served", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dataDir, "ingested", "*")); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
	if recs, _ := db.Ingested(context.Background()); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
}

// TestGuildLibrary: a server's library holds its configured articles and
// those ingested in it, every ID under the server's prefix, its files under
// DataDir/guilds/ID and its records the server's; it may be empty; the
// shared library and another server's see none of it.
func TestGuildLibrary(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	db, err := store.OpenSQLite(ctx, filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	own := t.TempDir()
	if err := os.WriteFile(filepath.Join(own, "runbook.md"), []byte("# Runbook\n\nPage the on-call engineer first.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shared, err := Open(ctx, Options{Corpus: []string{baseCorpus(t)}, DataDir: dataDir, Store: db})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, Options{Guild: "100", Corpus: []string{own}, DataDir: dataDir, Store: db})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, Options{Guild: "200", DataDir: dataDir, Store: db})
	if err != nil {
		t.Fatalf("an empty server library: %v", err)
	}
	if b.Index().Len() != 0 {
		t.Errorf("server 200 has %d passages, want none", b.Index().Len())
	}
	served(t, a, "100/runbook", "Page the on-call engineer first.")
	added, err := a.IngestFile(ctx, "notes.md", []byte("# Notes\n\nTeam A meets on Tuesdays.\n"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if added.DocID != "100/ingested/notes" {
		t.Errorf("ingested as %q, want 100/ingested/notes", added.DocID)
	}
	served(t, a, "100/ingested/notes", "Team A meets on Tuesdays.")
	if _, err := os.Stat(filepath.Join(dataDir, "guilds", "100", "ingested", "notes.md")); err != nil {
		t.Errorf("the file is not under the server's folder: %v", err)
	}
	recs, _ := db.Ingested(ctx)
	if len(recs) != 1 || recs[0].Guild != "100" {
		t.Errorf("records = %+v", recs)
	}
	// The same name in another server is that server's own article.
	if added, err := b.IngestFile(ctx, "notes.md", []byte("# Notes\n\nTeam B meets on Thursdays.\n"), "bob"); err != nil || added.DocID != "200/ingested/notes" {
		t.Fatalf("server 200's notes: %+v %v", added, err)
	}
	if _, err := shared.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Library{shared, b} {
		for _, d := range l.Index().Docs() {
			if strings.HasPrefix(d.ID, "100/") {
				t.Errorf("%s is served outside server 100", d.ID)
			}
		}
	}
	// Forgetting is the server's own: not another's article, not a shared one.
	if _, err := b.Forget(ctx, "100/ingested/notes"); err == nil {
		t.Error("server 200 forgot server 100's article")
	}
	if _, err := a.Forget(ctx, shared.Index().Docs()[0].ID); err == nil {
		t.Error("a server forgot a shared article")
	}
	if _, err := a.Forget(ctx, "100/ingested/notes"); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Index().Doc("100/ingested/notes"); ok {
		t.Error("forgotten article still served")
	}
	if _, ok := b.Index().Doc("200/ingested/notes"); !ok {
		t.Error("server 200's article went with server 100's")
	}
}
