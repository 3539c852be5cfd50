package store

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/servicetest"
)

// backend opens one database; open may be called again to reopen it.
type backend struct {
	name string
	open func(t *testing.T) (*DB, error)
}

// backends are SQLite always and PostgreSQL when the test services run:
// every store test runs on both.
func backends(t *testing.T) []backend {
	path := filepath.Join(t.TempDir(), "footnote.db")
	out := []backend{{"sqlite", func(t *testing.T) (*DB, error) { return OpenSQLite(context.Background(), path) }}}
	out = append(out, backend{"postgres", func(t *testing.T) (*DB, error) {
		t.Helper()
		return OpenPostgres(context.Background(), pgURL(t))
	}})
	return out
}

// pgURL gives each top-level test its own PostgreSQL schema, shared by its
// reopenings.
var pgURLs sync.Map

func pgURL(t *testing.T) string {
	if u, ok := pgURLs.Load(t); ok {
		return u.(string)
	}
	u := servicetest.DatabaseURL(t)
	pgURLs.Store(t, u)
	return u
}

// each runs f on every backend.
func each(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func mustOpen(t *testing.T, b backend) *DB {
	t.Helper()
	s, err := b.open(t)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrationsOnEmptyAndExisting(t *testing.T) { each(t, testMigrations) }

func testMigrations(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	if v, _ := s.SchemaVersion(ctx); v != len(migrations) {
		t.Errorf("schema version %d, want %d", v, len(migrations))
	}
	if err := s.LogQuestion(ctx, Question{Command: "ask", Question: "kept across reopen?"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening an existing database runs nothing twice and keeps the data.
	s = mustOpen(t, b)
	defer s.Close()
	st, _ := s.Stats(ctx, AllGuilds, time.Time{}, 10)
	if st.Questions != 1 {
		t.Errorf("questions after reopen = %d", st.Questions)
	}
	var applied int
	s.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied)
	if applied != len(migrations) {
		t.Errorf("migrations applied %d times", applied)
	}
}

func TestNewerSchemaRefused(t *testing.T) { each(t, testNewerSchema) }

func testNewerSchema(t *testing.T, b backend) {
	s := mustOpen(t, b)
	s.exec(context.Background(), `INSERT INTO schema_migrations(version, at) VALUES (999, 0)`)
	s.Close()
	if s, err := b.open(t); err == nil {
		s.Close()
		t.Error("a database from a newer footnote was accepted")
	}
}

// Two replicas starting at once against one PostgreSQL apply each
// migration once. (SQLite has no such case: one process owns its file.)
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for _, b := range backends(t) {
		if b.name == "postgres" {
			t.Run(b.name, func(t *testing.T) { testConcurrentOpen(t, b) })
		}
	}
}

func testConcurrentOpen(t *testing.T, b backend) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := b.open(t)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := mustOpen(t, b)
	defer s.Close()
	var applied int
	s.queryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied)
	if applied != len(migrations) {
		t.Errorf("migrations applied %d times, want %d", applied, len(migrations))
	}
}

func TestStatsAfterScriptedUse(t *testing.T) { each(t, testStats) }

func testStats(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	now := time.Now()
	log := func(q string, abst bool, key string, docs ...string) {
		if err := s.LogQuestion(ctx, Question{At: now, Command: "ask", Question: q, Abstained: abst, AnswerKey: key,
			Citations: docs, DocIDs: docs, Latency: 3 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	log("How do I reload?", false, "k1", "guide")
	log("How do I bake bread?", true, "k2")
	log("how do i BAKE bread", true, "k3")
	log("What is the weather?", true, "k4")
	log("Who wrote it?", false, "k5", "article", "guide")
	log("old question", true, "k0")
	if _, err := s.exec(ctx, `UPDATE questions SET at = ? WHERE question = 'old question'`, now.Add(-30*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		key, voter string
		up         bool
	}{{"k1", "u1", true}, {"k5", "u1", false}, {"k5", "u2", false}, {"k5", "u2", false}} { // u2 twice: counted once
		if err := s.Vote(ctx, v.key, v.voter, v.up); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Stats(ctx, AllGuilds, now.Add(-7*24*time.Hour), 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Questions != 5 || st.Abstained != 3 || st.Up != 1 || st.Down != 2 {
		t.Errorf("stats = %+v", st)
	}
	// Rows out, oldest first: grouping them is report.Summarise's.
	wantAsked := []Asked{{Question: "How do I reload?", Abstained: false}, {Question: "How do I bake bread?", Abstained: true}, {Question: "how do i BAKE bread", Abstained: true},
		{Question: "What is the weather?", Abstained: true}, {Question: "Who wrote it?", Abstained: false}}
	if !slices.Equal(st.Asked, wantAsked) {
		t.Errorf("asked = %+v, want %+v", st.Asked, wantAsked)
	}
	if st.MostCited[0] != (Count{"guide", 2}) {
		t.Errorf("most cited = %+v", st.MostCited)
	}
	if len(st.WorstRated) != 1 || st.WorstRated[0].Question != "Who wrote it?" || st.WorstRated[0].Down != 2 ||
		len(st.WorstRated[0].Citations) != 2 {
		t.Errorf("worst rated = %+v", st.WorstRated)
	}
	if len(st.Daily) != 1 || st.Daily[0].Questions != 5 {
		t.Errorf("daily = %+v", st.Daily)
	}
}

func TestIngestedAndForgotten(t *testing.T) { each(t, testIngested) }

func testIngested(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	if err := s.AddIngested(ctx, Ingested{DocID: "web/a", Title: "A", Source: "https://e.com/a", File: "/x/a.html", Passages: 3}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.Ingested(ctx)
	if len(list) != 1 || list[0].Title != "A" {
		t.Fatalf("ingested = %+v", list)
	}
	in, err := s.Forget(ctx, "web/a")
	if err != nil || in.File != "/x/a.html" {
		t.Errorf("forget = %+v, %v", in, err)
	}
	f, _ := s.Forgotten(ctx)
	list, _ = s.Ingested(ctx)
	if !f["web/a"] || len(list) != 0 {
		t.Errorf("forgotten %v ingested %v", f, list)
	}
	// Ingesting it again un-forgets it.
	if err := s.AddIngested(ctx, Ingested{DocID: "web/a", Title: "A", Source: "s", File: "f"}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Forgotten(ctx); f["web/a"] {
		t.Error("re-ingested article still forgotten")
	}
	// Forgetting twice is fine (the upsert).
	for range 2 {
		if _, err := s.Forget(ctx, "web/a"); err != nil {
			t.Fatal(err)
		}
	}
	// User IDs and long latencies round-trip.
	if err := s.LogQuestion(ctx, Question{Command: "ask", Question: "q", User: "u1", Latency: 90 * time.Second}); err != nil {
		t.Fatal(err)
	}
	var user string
	var ms float64
	if err := s.queryRow(ctx, `SELECT "user", latency_ms FROM questions`).Scan(&user, &ms); err != nil || user != "u1" || ms != 90000 {
		t.Errorf("user %q latency %v: %v", user, ms, err)
	}
}

// TestStatsByGuild: a server's summary holds its own questions and the
// votes on its answers only; AllGuilds holds every server's.
func TestStatsByGuild(t *testing.T) { each(t, testStatsByGuild) }

func testStatsByGuild(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	for _, q := range []Question{
		{Guild: "100", Command: "ask", Question: "What is in A's handbook?", AnswerKey: "a1", DocIDs: []string{"handbook-a"}},
		{Guild: "100", Command: "ask", Question: "Who runs A?", Abstained: true, AnswerKey: "a2"},
		{Guild: "200", Command: "ask", Question: "What does B sell?", AnswerKey: "b1", DocIDs: []string{"catalogue-b"}},
		{Guild: "", Command: "ask", Question: "asked in a DM", AnswerKey: "d1"},
	} {
		if err := s.LogQuestion(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []struct {
		key string
		up  bool
	}{{"a1", false}, {"b1", true}} {
		if err := s.Vote(ctx, v.key, "u1", v.up); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().Add(-time.Hour)
	tests := []struct {
		guild              string
		asked              []string
		cited              string
		up, down, abstains int
	}{
		{"100", []string{"What is in A's handbook?", "Who runs A?"}, "handbook-a", 0, 1, 1},
		{"200", []string{"What does B sell?"}, "catalogue-b", 1, 0, 0},
		{"300", nil, "", 0, 0, 0},
		{AllGuilds, []string{"What is in A's handbook?", "Who runs A?", "What does B sell?", "asked in a DM"}, "", 1, 1, 1},
	}
	for _, tt := range tests {
		st, err := s.Stats(ctx, tt.guild, since, 5)
		if err != nil {
			t.Fatal(err)
		}
		var asked []string
		for _, a := range st.Asked {
			asked = append(asked, a.Question)
		}
		if !slices.Equal(asked, tt.asked) || st.Questions != len(tt.asked) || st.Up != tt.up || st.Down != tt.down || st.Abstained != tt.abstains {
			t.Errorf("guild %s: asked %q, %d questions, up %d down %d abstained %d; want %q, up %d down %d abstained %d",
				tt.guild, asked, st.Questions, st.Up, st.Down, st.Abstained, tt.asked, tt.up, tt.down, tt.abstains)
		}
		if tt.cited != "" && (len(st.MostCited) != 1 || st.MostCited[0].Name != tt.cited) {
			t.Errorf("guild %s: most cited %+v, want %s only", tt.guild, st.MostCited, tt.cited)
		}
	}
}

// TestPrune: questions and votes older than the retention go; the rest,
// and the ingested and forgotten articles, stay.
func TestPrune(t *testing.T) { each(t, testPrune) }

func testPrune(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	now := time.Now()
	for _, q := range []Question{
		{At: now.Add(-100 * 24 * time.Hour), Command: "ask", Question: "asked long ago", AnswerKey: "old"},
		{At: now.Add(-time.Hour), Command: "ask", Question: "asked today", AnswerKey: "new"},
	} {
		if err := s.LogQuestion(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"old", "new"} {
		if err := s.Vote(ctx, key, "u1", true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.exec(ctx, `UPDATE votes SET at = ? WHERE answer_key = 'old'`, now.Add(-100*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := s.AddIngested(ctx, Ingested{DocID: "ingested/x", Title: "X", Source: "s", File: "f", Passages: 1, AddedAt: now.Add(-200 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	q, v, err := s.Prune(ctx, now.Add(-90*24*time.Hour))
	if err != nil || q != 1 || v != 1 {
		t.Fatalf("Prune: %d questions, %d votes, %v; want 1, 1", q, v, err)
	}
	st, err := s.Stats(ctx, AllGuilds, time.Time{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Questions != 1 || st.Asked[0].Question != "asked today" || st.Up != 1 {
		t.Errorf("after pruning: %+v", st)
	}
	if in, err := s.Ingested(ctx); err != nil || len(in) != 1 {
		t.Errorf("ingested articles after pruning: %v, %v", in, err)
	}
}

// TestPurgeLeftGuilds: the questions and votes of a server footnote left
// before the cutoff are deleted; a server it left later, one it came back
// to, and every other server keep theirs.
func TestPurgeLeftGuilds(t *testing.T) { each(t, testPurgeLeft) }

func testPurgeLeft(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	now := time.Now()
	for _, g := range []string{"100", "200", "300", "400"} {
		if err := s.LogQuestion(ctx, Question{Guild: g, Command: "ask", Question: "asked in " + g, AnswerKey: "k" + g}); err != nil {
			t.Fatal(err)
		}
		if err := s.Vote(ctx, "k"+g, "u1", true); err != nil {
			t.Fatal(err)
		}
		if err := s.AddIngested(ctx, Ingested{Guild: g, DocID: g + "/ingested/a", Title: "A", Source: "a.md", File: "a.md"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ForgetIn(ctx, g, g+"/b"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddIngested(ctx, Ingested{DocID: "ingested/shared", Title: "S", Source: "s.md", File: "s.md"}); err != nil {
		t.Fatal(err)
	}
	for _, left := range []struct {
		guild string
		at    time.Time
	}{{"100", now.Add(-8 * 24 * time.Hour)}, {"200", now.Add(-time.Hour)}, {"300", now.Add(-9 * 24 * time.Hour)}} {
		if err := s.GuildLeft(ctx, left.guild, left.at); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.GuildLeft(ctx, "100", now); err != nil { // again: the first time counts
		t.Fatal(err)
	}
	if err := s.GuildBack(ctx, "300"); err != nil {
		t.Fatal(err)
	}
	purged, err := s.PurgeLeft(ctx, now.Add(-7*24*time.Hour))
	if err != nil || !slices.Equal(purged, []string{"100"}) {
		t.Fatalf("PurgeLeft: %v, %v; want [100]", purged, err)
	}
	for g, want := range map[string]int{"100": 0, "200": 1, "300": 1, "400": 1} {
		st, err := s.Stats(ctx, g, time.Time{}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if st.Questions != want || st.Up != want {
			t.Errorf("server %s after the purge: %d questions, %d votes; want %d", g, st.Questions, st.Up, want)
		}
	}
	if again, err := s.PurgeLeft(ctx, now.Add(-7*24*time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("a second purge: %v, %v; want none", again, err)
	}
	// The server's article records went with it; the others' and the
	// shared ones stay.
	ing, err := s.Ingested(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byGuild := map[string]int{}
	for _, in := range ing {
		byGuild[in.Guild]++
	}
	if byGuild["100"] != 0 || byGuild["200"] != 1 || byGuild[""] != 1 {
		t.Errorf("ingested by server after the purge: %v", byGuild)
	}
	f, err := s.Forgotten(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f["100/b"] || !f["200/b"] {
		t.Errorf("forgotten after the purge: %v", f)
	}
}
