package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

func TestMigrationsOnEmptyAndExistingFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "footnote.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != len(migrations) {
		t.Errorf("schema version %d, want %d", v, len(migrations))
	}
	if err := s.LogQuestion(ctx, Question{Command: "ask", Question: "kept across reopen?"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening an existing file runs nothing twice and keeps the data.
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, _ := s.Stats(ctx, time.Time{}, 10)
	if st.Questions != 1 {
		t.Errorf("questions after reopen = %d", st.Questions)
	}
	var applied int
	s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied)
	if applied != len(migrations) {
		t.Errorf("migrations applied %d times", applied)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	s, _ := OpenSQLite(ctx, path)
	s.db.Exec(`INSERT INTO schema_migrations(version, at) VALUES (999, 0)`)
	s.Close()
	if _, err := OpenSQLite(ctx, path); err == nil {
		t.Error("a database from a newer footnote was accepted")
	}
}

func TestStatsAfterScriptedUse(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
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
	s.db.Exec(`UPDATE questions SET at = ? WHERE question = 'old question'`, now.Add(-30*24*time.Hour).UnixMilli())
	s.Vote(ctx, "k1", "u1", true)
	s.Vote(ctx, "k5", "u1", false)
	s.Vote(ctx, "k5", "u2", false)
	s.Vote(ctx, "k5", "u2", false) // same voter again: counted once
	st, err := s.Stats(ctx, now.Add(-7*24*time.Hour), 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Questions != 5 || st.Abstained != 3 || st.Up != 1 || st.Down != 2 {
		t.Errorf("stats = %+v", st)
	}
	if len(st.Unanswered) != 2 || st.Unanswered[0].Count != 2 {
		t.Errorf("similar unanswered questions not grouped: %+v", st.Unanswered)
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

func TestIngestedAndForgotten(t *testing.T) {
	ctx := context.Background()
	s, _ := OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"))
	defer s.Close()
	s.AddIngested(ctx, Ingested{DocID: "web/a", Title: "A", Source: "https://e.com/a", File: "/x/a.html", Passages: 3})
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
	s.AddIngested(ctx, Ingested{DocID: "web/a", Title: "A", Source: "s", File: "f"})
	if f, _ := s.Forgotten(ctx); f["web/a"] {
		t.Error("re-ingested article still forgotten")
	}
	var _ = sql.ErrNoRows
}
