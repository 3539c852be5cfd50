// Package servicetest finds the engines the scale-out tests run against
// (Redis, PostgreSQL, Weaviate), started on loopback by
// scripts/services.sh, which prints the FOOTNOTE_TEST_* settings read here.
// Without them the tests skip with a message saying how to run them; with
// FOOTNOTE_REQUIRE_SERVICES=1 (set by .ci/run) a missing one fails instead.
package servicetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

func need(tb testing.TB, env, what string) string {
	tb.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	msg := what + " not configured: run `eval \"$(bash scripts/services.sh)\"` first (sets " + env + ")"
	if os.Getenv("FOOTNOTE_REQUIRE_SERVICES") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// RedisURL is the test Redis, or skips.
func RedisURL(tb testing.TB) string { return need(tb, "FOOTNOTE_TEST_REDIS_URL", "Redis") }

// WeaviateURL is the test Weaviate, or skips.
func WeaviateURL(tb testing.TB) string { return need(tb, "FOOTNOTE_TEST_WEAVIATE_URL", "Weaviate") }

// Name returns a fresh name with the prefix, for a test's own key space,
// collection or schema.
func Name(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// DatabaseURL returns a URL of the test PostgreSQL whose connections use a
// fresh schema of their own (dropped when the test ends), or skips.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := need(tb, "FOOTNOTE_TEST_DATABASE_URL", "PostgreSQL")
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	schema := Name("t_")
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
