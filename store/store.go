// Package store keeps what footnote remembers between runs: the question
// log, feedback votes, ingested and forgotten articles. The default is a
// SQLite file (pure Go, modernc.org/sqlite, so the binary stays static) in
// the data folder; replicas of one deployment share a PostgreSQL database
// instead (pgx). Both run the same forward-only migrations at open, each
// statement translated to the dialect (see forDialect), and the same tests.
//
// The question log records no user names or IDs unless the caller passes
// them (setting log_users).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Question is one logged question.
type Question struct {
	At        time.Time
	Guild     string
	Channel   string
	User      string // empty unless user logging is on
	Command   string
	Question  string
	Backend   string
	Latency   time.Duration
	Abstained bool
	AnswerKey string   // interaction or message ID, for votes
	Citations []string // passage IDs in citation order
	DocIDs    []string // their documents
}

// Ingested describes an article added through /ingest.
type Ingested struct {
	// Guild is the server it was ingested in; "" for the shared articles.
	Guild    string
	DocID    string
	Title    string
	Source   string // URL or attachment name
	File     string // where its copy is kept
	Passages int
	AddedAt  time.Time
	AddedBy  string
}

// DB is the store, on SQLite or PostgreSQL.
type DB struct {
	db      *sql.DB
	dialect dialect
	// translated caches forDialect's work: a statement is translated
	// once, not on every query.
	translated sync.Map // SQLite statement → this dialect's
}

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// migrations run in order, once each; never edit one that has shipped.
var migrations = []string{
	`CREATE TABLE questions (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,
		guild TEXT NOT NULL DEFAULT '',
		channel TEXT NOT NULL DEFAULT '',
		user TEXT NOT NULL DEFAULT '',
		command TEXT NOT NULL,
		question TEXT NOT NULL,
		backend TEXT NOT NULL DEFAULT '',
		latency_ms REAL NOT NULL DEFAULT 0,
		abstained INTEGER NOT NULL DEFAULT 0,
		answer_key TEXT NOT NULL DEFAULT '',
		citations TEXT NOT NULL DEFAULT '',
		doc_ids TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX questions_at ON questions(at);
	CREATE INDEX questions_key ON questions(answer_key);
	CREATE TABLE votes (
		answer_key TEXT NOT NULL,
		voter TEXT NOT NULL,
		up INTEGER NOT NULL,
		at INTEGER NOT NULL,
		PRIMARY KEY (answer_key, voter)
	);
	CREATE TABLE ingested (
		doc_id TEXT PRIMARY KEY,
		title TEXT NOT NULL,
		source TEXT NOT NULL,
		file TEXT NOT NULL,
		passages INTEGER NOT NULL,
		added_at INTEGER NOT NULL,
		added_by TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE forgotten (
		doc_id TEXT PRIMARY KEY,
		at INTEGER NOT NULL
	);`,
	// The servers footnote was removed from, and when: their questions and
	// votes are deleted after a grace period unless footnote comes back.
	`CREATE TABLE guilds_left (
		guild TEXT PRIMARY KEY,
		at INTEGER NOT NULL
	);`,
	// Articles belong to a server ('' for the shared ones): a server's
	// are ingested, listed, forgotten and purged apart.
	`ALTER TABLE ingested ADD COLUMN guild TEXT NOT NULL DEFAULT '';
	ALTER TABLE forgotten ADD COLUMN guild TEXT NOT NULL DEFAULT '';
	CREATE INDEX ingested_guild ON ingested(guild);`,
	// Documentation sites kept fresh (sources.go): the sources, what was
	// last seen of each page, and what each refresh changed.
	`CREATE TABLE sources (
		id INTEGER PRIMARY KEY,
		guild TEXT NOT NULL DEFAULT '',
		url TEXT NOT NULL,
		include_paths TEXT NOT NULL DEFAULT '',
		exclude_paths TEXT NOT NULL DEFAULT '',
		max_pages INTEGER NOT NULL DEFAULT 0,
		max_bytes INTEGER NOT NULL DEFAULT 0,
		refresh_s INTEGER NOT NULL DEFAULT 0,
		configured INTEGER NOT NULL DEFAULT 0,
		added_by TEXT NOT NULL DEFAULT '',
		added_at INTEGER NOT NULL,
		refreshed_at INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		lease_by TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		UNIQUE (guild, url)
	);
	CREATE TABLE source_pages (
		source_id INTEGER NOT NULL,
		url TEXT NOT NULL,
		doc_id TEXT NOT NULL DEFAULT '',
		fetched_url TEXT NOT NULL DEFAULT '',
		etag TEXT NOT NULL DEFAULT '',
		last_modified TEXT NOT NULL DEFAULT '',
		lastmod INTEGER NOT NULL DEFAULT 0,
		hash TEXT NOT NULL DEFAULT '',
		links TEXT NOT NULL DEFAULT '',
		aliases TEXT NOT NULL DEFAULT '',
		misses INTEGER NOT NULL DEFAULT 0,
		changed_at INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (source_id, url)
	);
	CREATE TABLE source_changes (
		id INTEGER PRIMARY KEY,
		source_id INTEGER NOT NULL,
		at INTEGER NOT NULL,
		url TEXT NOT NULL,
		doc_id TEXT NOT NULL DEFAULT '',
		kind TEXT NOT NULL
	);
	CREATE INDEX source_changes_at ON source_changes(source_id, at);`,
}

// OpenSQLite opens (creating if needed) the SQLite file at path and runs
// pending migrations.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := writable(filepath.Dir(path)); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // SQLite writes one at a time; this keeps it simple and safe
	s := &DB{db: db, dialect: sqlite}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

// writable checks that footnote can create files in dir, to say so plainly
// (SQLite's own message is "unable to open database file (14)").
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".footnote-write-check-*")
	if err != nil {
		return fmt.Errorf("store: the data folder %s is not writable by user %d (FOOTNOTE_DATA_DIR; in a container, mount a volume the container user owns): %w", dir, os.Getuid(), err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:password@host:port/db) and runs pending migrations; an
// advisory lock keeps two replicas starting at once from both migrating.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("store: bad PostgreSQL URL") // it may hold a password: not echoed
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	s := &DB{db: db, dialect: postgres}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: PostgreSQL %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: PostgreSQL %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return s, nil
}

// forDialect translates a statement written for SQLite: PostgreSQL numbers
// its placeholders, needs 64-bit integers for millisecond times and a
// serial key, and calls floating point DOUBLE PRECISION. ("user" is quoted
// in the statements themselves: a keyword in PostgreSQL, a name in both.)
func (s *DB) forDialect(q string) string {
	if s.dialect != postgres {
		return q
	}
	if t, ok := s.translated.Load(q); ok {
		return t.(string)
	}
	t := translatePostgres(q)
	s.translated.Store(q, t)
	return t
}

func translatePostgres(q string) string {
	q = strings.ReplaceAll(q, "id INTEGER PRIMARY KEY", "id BIGSERIAL PRIMARY KEY")
	q = integerWord.ReplaceAllString(q, "BIGINT")
	q = strings.ReplaceAll(q, " REAL ", " DOUBLE PRECISION ")
	q = strings.ReplaceAll(q, "\n\t\tuser TEXT", "\n\t\t\"user\" TEXT")
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

var integerWord = regexp.MustCompile(`\bINTEGER\b`)

func (s *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.forDialect(q), args...)
}

func (s *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.forDialect(q), args...)
}

func (s *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.forDialect(q), args...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// SchemaVersion is the number of migrations applied.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *DB) migrate(ctx context.Context) error {
	// CREATE TABLE IF NOT EXISTS is not safe against a concurrent one in
	// PostgreSQL (both may try to create the type): under the lock.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7429001)`); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.forDialect(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, at INTEGER NOT NULL)`)); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration, if any, in a transaction
// (on PostgreSQL holding an advisory lock, and re-reading the version under
// it, so concurrent starts apply each migration once).
func (s *DB) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if s.dialect == postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7429001)`); err != nil {
			return false, fmt.Errorf("migration lock: %w", err)
		}
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return false, err
	}
	if have > len(migrations) {
		return false, fmt.Errorf("database schema version %d is newer than this footnote knows (%d)", have, len(migrations))
	}
	if have == len(migrations) {
		return true, nil
	}
	v := have + 1
	{
		if _, err := tx.ExecContext(ctx, s.forDialect(migrations[v-1])); err != nil {
			return false, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, s.forDialect(`INSERT INTO schema_migrations(version, at) VALUES (?, ?)`), v, time.Now().Unix()); err != nil {
			return false, err
		}
		if err := tx.Commit(); err != nil {
			return false, fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return false, nil
}

// LogQuestion records a question.
func (s *DB) LogQuestion(ctx context.Context, q Question) error {
	if q.At.IsZero() {
		q.At = time.Now()
	}
	_, err := s.exec(ctx, `INSERT INTO questions(at, guild, channel, "user", command, question, backend, latency_ms, abstained, answer_key, citations, doc_ids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.At.UnixMilli(), q.Guild, q.Channel, q.User, q.Command, q.Question, q.Backend, float64(q.Latency.Microseconds())/1000,
		b2i(q.Abstained), q.AnswerKey, strings.Join(q.Citations, "\n"), strings.Join(q.DocIDs, "\n"))
	if err != nil {
		return fmt.Errorf("store: log question: %w", err)
	}
	return nil
}

// Vote records (or changes) a voter's vote on an answer.
func (s *DB) Vote(ctx context.Context, answerKey, voter string, up bool) error {
	_, err := s.exec(ctx, `INSERT INTO votes(answer_key, voter, up, at) VALUES (?, ?, ?, ?)
		ON CONFLICT(answer_key, voter) DO UPDATE SET up = excluded.up, at = excluded.at`, answerKey, voter, b2i(up), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: vote: %w", err)
	}
	return nil
}

// Prune deletes the questions asked before a time and the votes cast
// before it (the question log's retention), and says how many of each.
func (s *DB) Prune(ctx context.Context, before time.Time) (questions, votes int64, err error) {
	res, err := s.exec(ctx, `DELETE FROM questions WHERE at < ?`, before.UnixMilli())
	if err != nil {
		return 0, 0, fmt.Errorf("store: prune questions: %w", err)
	}
	questions, _ = res.RowsAffected()
	if res, err = s.exec(ctx, `DELETE FROM votes WHERE at < ?`, before.UnixMilli()); err != nil {
		return questions, 0, fmt.Errorf("store: prune votes: %w", err)
	}
	votes, _ = res.RowsAffected()
	return questions, votes, nil
}

// GuildLeft records that footnote was removed from a server at a time
// (keeping the first time if it is recorded already).
func (s *DB) GuildLeft(ctx context.Context, guild string, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO guilds_left(guild, at) VALUES (?, ?) ON CONFLICT(guild) DO NOTHING`, guild, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: guild left: %w", err)
	}
	return nil
}

// GuildBack records that footnote is in a server (again): its data stays.
func (s *DB) GuildBack(ctx context.Context, guild string) error {
	if _, err := s.exec(ctx, `DELETE FROM guilds_left WHERE guild = ?`, guild); err != nil {
		return fmt.Errorf("store: guild back: %w", err)
	}
	return nil
}

// PurgeLeft deletes the questions, the votes on their answers and the
// records of the articles ingested or forgotten in them, of the servers
// footnote left before a time and did not come back to, and returns those
// servers (whose article files the caller removes).
func (s *DB) PurgeLeft(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.query(ctx, `SELECT guild FROM guilds_left WHERE at < ? ORDER BY guild`, before.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: purge left servers: %w", err)
	}
	var guilds []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return nil, err
		}
		guilds = append(guilds, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, g := range guilds {
		if err := s.purgeGuild(ctx, g); err != nil {
			return nil, err
		}
	}
	return guilds, nil
}

// purgeGuild deletes one server's questions, votes and article records,
// and its record of leaving, in one transaction.
func (s *DB) purgeGuild(ctx context.Context, guild string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: purge %s: %w", guild, err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM votes WHERE answer_key IN (SELECT answer_key FROM questions WHERE guild = ? AND answer_key <> '')`,
		`DELETE FROM questions WHERE guild = ?`,
		`DELETE FROM ingested WHERE guild = ?`,
		`DELETE FROM forgotten WHERE guild = ?`,
		`DELETE FROM source_changes WHERE source_id IN (SELECT id FROM sources WHERE guild = ?)`,
		`DELETE FROM source_pages WHERE source_id IN (SELECT id FROM sources WHERE guild = ?)`,
		`DELETE FROM sources WHERE guild = ?`,
		`DELETE FROM guilds_left WHERE guild = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.forDialect(q), guild); err != nil {
			return fmt.Errorf("store: purge %s: %w", guild, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: purge %s: %w", guild, err)
	}
	return nil
}

// AddIngested records an ingested article (replacing one with its ID).
func (s *DB) AddIngested(ctx context.Context, in Ingested) error {
	if in.AddedAt.IsZero() {
		in.AddedAt = time.Now()
	}
	_, err := s.exec(ctx, `INSERT INTO ingested(doc_id, title, source, file, passages, added_at, added_by, guild) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(doc_id) DO UPDATE SET title = excluded.title, source = excluded.source, file = excluded.file,
		passages = excluded.passages, added_at = excluded.added_at, added_by = excluded.added_by, guild = excluded.guild`,
		in.DocID, in.Title, in.Source, in.File, in.Passages, in.AddedAt.UnixMilli(), in.AddedBy, in.Guild)
	if err != nil {
		return fmt.Errorf("store: add ingested: %w", err)
	}
	_, err = s.exec(ctx, `DELETE FROM forgotten WHERE doc_id = ?`, in.DocID)
	return err
}

// Ingested lists ingested articles of every server, oldest first.
func (s *DB) Ingested(ctx context.Context) ([]Ingested, error) {
	rows, err := s.query(ctx, `SELECT doc_id, title, source, file, passages, added_at, added_by, guild FROM ingested ORDER BY added_at, doc_id`)
	if err != nil {
		return nil, fmt.Errorf("store: ingested: %w", err)
	}
	defer rows.Close()
	var out []Ingested
	for rows.Next() {
		var in Ingested
		var at int64
		if err := rows.Scan(&in.DocID, &in.Title, &in.Source, &in.File, &in.Passages, &at, &in.AddedBy, &in.Guild); err != nil {
			return nil, err
		}
		in.AddedAt = time.UnixMilli(at)
		out = append(out, in)
	}
	return out, rows.Err()
}

// ErrNotFound is returned for an unknown article.
var ErrNotFound = errors.New("not found")

// Forget removes an ingested article's record and marks the document ID
// forgotten, so a configured article with that ID is left out of loads too.
func (s *DB) Forget(ctx context.Context, docID string) (Ingested, error) {
	return s.ForgetIn(ctx, "", docID)
}

// ForgetIn is Forget for a server's article (guild "" for a shared one):
// the forgotten mark is that server's, deleted with its data.
func (s *DB) ForgetIn(ctx context.Context, guild, docID string) (Ingested, error) {
	var in Ingested
	var at int64
	err := s.queryRow(ctx, `SELECT doc_id, title, source, file, passages, added_at, added_by, guild FROM ingested WHERE doc_id = ?`, docID).
		Scan(&in.DocID, &in.Title, &in.Source, &in.File, &in.Passages, &at, &in.AddedBy, &in.Guild)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("store: forget: %w", err)
	}
	if _, err := s.exec(ctx, `DELETE FROM ingested WHERE doc_id = ?`, docID); err != nil {
		return in, fmt.Errorf("store: forget: %w", err)
	}
	if _, err := s.exec(ctx, `INSERT INTO forgotten(doc_id, at, guild) VALUES (?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET at = excluded.at, guild = excluded.guild`,
		docID, time.Now().UnixMilli(), guild); err != nil {
		return in, fmt.Errorf("store: forget: %w", err)
	}
	return in, nil
}

// Forgotten lists forgotten document IDs.
func (s *DB) Forgotten(ctx context.Context) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT doc_id FROM forgotten`)
	if err != nil {
		return nil, fmt.Errorf("store: forgotten: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Stats summarise use since a time: counts of the rows, and the
// questions asked. The store does no text analysis: grouping similar
// questions is the reader's (see report.Summarise).
type Stats struct {
	Since        time.Time
	Questions    int
	Abstained    int
	Up, Down     int
	Asked        []Asked // every question, oldest first
	MostCited    []Count // documents by citations
	WorstRated   []Rated // answers with more down than up votes
	Daily        []Day   // per day: questions, abstentions
	LatencyP50MS float64
}

// Asked is a question as it was asked, and whether footnote abstained.
type Asked struct {
	Question  string
	Abstained bool
}

// Count is a name with a count.
type Count struct {
	Name  string
	Count int
}

// Rated is an answer with its votes.
type Rated struct {
	Question  string
	Citations []string
	Up, Down  int
}

// Day is one day's activity.
type Day struct {
	Date      string
	Questions int
	Abstained int
	Up, Down  int
}

// AllGuilds asks Stats for every server's questions: the operator's view
// (footnote report). A server's admin sees its own only.
const AllGuilds = "*"

// Stats computes the summary for the questions asked in guild since the
// given time (guild AllGuilds: in every server, direct messages included),
// and the votes on their answers.
func (s *DB) Stats(ctx context.Context, guild string, since time.Time, top int) (Stats, error) {
	st := Stats{Since: since}
	where, args := `at >= ?`, []any{since.UnixMilli()}
	if guild != AllGuilds {
		where, args = `at >= ? AND guild = ?`, append(args, guild)
	}
	rows, err := s.query(ctx, `SELECT at, question, abstained, answer_key, citations, doc_ids, latency_ms FROM questions WHERE `+where+` ORDER BY at, id`, args...)
	if err != nil {
		return st, fmt.Errorf("store: stats: %w", err)
	}
	type qrow struct {
		question, key string
		cites         []string
	}
	cited := map[string]int{}
	days := map[string]*Day{}
	byKey := map[string]qrow{}
	var lat []float64
	for rows.Next() {
		var at int64
		var q, key, cites, docs string
		var abst bool
		var ms float64
		if err := rows.Scan(&at, &q, &abst, &key, &cites, &docs, &ms); err != nil {
			rows.Close()
			return st, err
		}
		st.Questions++
		lat = append(lat, ms)
		day := time.UnixMilli(at).UTC().Format("2006-01-02")
		if days[day] == nil {
			days[day] = &Day{Date: day}
		}
		days[day].Questions++
		st.Asked = append(st.Asked, Asked{Question: q, Abstained: abst})
		if abst {
			st.Abstained++
			days[day].Abstained++
		}
		for _, d := range dedupe(splitLines(docs)) {
			cited[d]++
		}
		if key != "" {
			byKey[key] = qrow{question: q, key: key, cites: splitLines(cites)}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	vq, vargs := `SELECT answer_key, up, at FROM votes WHERE at >= ?`, []any{since.UnixMilli()}
	if guild != AllGuilds {
		// A vote counts where its answer was given.
		vq, vargs = vq+` AND answer_key IN (SELECT answer_key FROM questions WHERE guild = ?)`, append(vargs, guild)
	}
	vrows, err := s.query(ctx, vq, vargs...)
	if err != nil {
		return st, fmt.Errorf("store: stats votes: %w", err)
	}
	votes := map[string]*Rated{}
	for vrows.Next() {
		var key string
		var up bool
		var at int64
		if err := vrows.Scan(&key, &up, &at); err != nil {
			vrows.Close()
			return st, err
		}
		day := time.UnixMilli(at).UTC().Format("2006-01-02")
		if days[day] == nil {
			days[day] = &Day{Date: day}
		}
		r := votes[key]
		if r == nil {
			r = &Rated{Question: byKey[key].question, Citations: byKey[key].cites}
			votes[key] = r
		}
		if up {
			st.Up++
			r.Up++
			days[day].Up++
		} else {
			st.Down++
			r.Down++
			days[day].Down++
		}
	}
	vrows.Close()
	st.MostCited = topCounts(cited, top)
	for _, r := range votes {
		if r.Down > r.Up && r.Question != "" {
			st.WorstRated = append(st.WorstRated, *r)
		}
	}
	sort.Slice(st.WorstRated, func(i, j int) bool {
		a, b := st.WorstRated[i], st.WorstRated[j]
		if a.Down-a.Up != b.Down-b.Up {
			return a.Down-a.Up > b.Down-b.Up
		}
		return a.Question < b.Question
	})
	if len(st.WorstRated) > top {
		st.WorstRated = st.WorstRated[:top]
	}
	for _, d := range days {
		st.Daily = append(st.Daily, *d)
	}
	sort.Slice(st.Daily, func(i, j int) bool { return st.Daily[i].Date < st.Daily[j].Date })
	if len(lat) > 0 {
		sort.Float64s(lat)
		st.LatencyP50MS = lat[len(lat)/2]
	}
	return st, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func topCounts(m map[string]int, n int) []Count {
	var out []Count
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
