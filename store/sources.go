package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Source is a documentation site footnote keeps (a sitemap or a start page
// it crawls), in one server ("" for the shared articles).
type Source struct {
	ID               int64
	Guild            string
	URL              string
	Include, Exclude []string // path patterns
	MaxPages         int      // 0: the crawler's default
	MaxBytes         int64    // 0: the crawler's default
	Refresh          time.Duration
	// Configured sources come from the config file: they are listed and
	// refreshed like the others, but removed by editing the file.
	Configured  bool
	AddedBy     string
	AddedAt     time.Time
	RefreshedAt time.Time // zero: never refreshed
	LastError   string    // of the last refresh; "" when it went through
	Pages       int       // pages kept (filled by Sources)
}

// SitePage is what was last seen of one page of a source.
type SitePage struct {
	URL          string // canonical URL, the page's identity
	DocID        string // the ingested article it is served as
	FetchedURL   string
	ETag         string
	LastModified string
	Lastmod      time.Time // the sitemap's lastmod when it was fetched
	Hash         string
	Links        []string // in-scope links, for crawls
	Aliases      []Alias  // other URLs that were this page, with their lastmod
	Misses       int      // consecutive refreshes that did not find it
	ChangedAt    time.Time
}

// Alias is another URL found to be a page (a duplicate, a redirect).
type Alias struct {
	URL     string
	Lastmod time.Time
}

func joinAliases(as []Alias) string {
	var lines []string
	for _, a := range as {
		lines = append(lines, fmt.Sprintf("%d\t%s", millis(a.Lastmod), a.URL))
	}
	return joinLines(lines)
}

func splitAliases(s string) []Alias {
	var out []Alias
	for _, l := range splitLines(s) {
		ms, u, ok := strings.Cut(l, "\t")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(ms, 10, 64)
		out = append(out, Alias{URL: u, Lastmod: fromMillis(n)})
	}
	return out
}

// SiteChange is one page a refresh added, changed or removed.
type SiteChange struct {
	SourceID int64
	At       time.Time
	URL      string
	DocID    string
	Kind     string // ChangeAdded, ChangeChanged or ChangeRemoved
}

// Kinds of SiteChange.
const (
	ChangeAdded   = "added"
	ChangeChanged = "changed"
	ChangeRemoved = "removed"
)

// keptChanges bounds the change history of one source.
const keptChanges = 2000

func joinLines(s []string) string { return strings.Join(s, "\n") }

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// AddSource records a source, or updates the settings of the one with the
// same server and URL (keeping its pages); it returns it with its ID.
func (s *DB) AddSource(ctx context.Context, src Source) (Source, error) {
	if src.AddedAt.IsZero() {
		src.AddedAt = time.Now()
	}
	_, err := s.exec(ctx, `INSERT INTO sources(guild, url, include_paths, exclude_paths, max_pages, max_bytes, refresh_s, configured, added_by, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(guild, url) DO UPDATE SET include_paths = excluded.include_paths, exclude_paths = excluded.exclude_paths,
		max_pages = excluded.max_pages, max_bytes = excluded.max_bytes, refresh_s = excluded.refresh_s, configured = excluded.configured`,
		src.Guild, src.URL, joinLines(src.Include), joinLines(src.Exclude), src.MaxPages, src.MaxBytes, int64(src.Refresh/time.Second),
		b2i(src.Configured), src.AddedBy, src.AddedAt.UnixMilli())
	if err != nil {
		return Source{}, fmt.Errorf("store: add source: %w", err)
	}
	all, err := s.sources(ctx, `WHERE guild = ? AND url = ?`, src.Guild, src.URL)
	if err != nil || len(all) != 1 {
		return Source{}, fmt.Errorf("store: add source: reading it back: %v", err)
	}
	return all[0], nil
}

// Sources lists a server's sources (guild AllGuilds: every server's),
// oldest first.
func (s *DB) Sources(ctx context.Context, guild string) ([]Source, error) {
	if guild == AllGuilds {
		return s.sources(ctx, ``)
	}
	return s.sources(ctx, `WHERE guild = ?`, guild)
}

func (s *DB) sources(ctx context.Context, where string, args ...any) ([]Source, error) {
	rows, err := s.query(ctx, `SELECT id, guild, url, include_paths, exclude_paths, max_pages, max_bytes, refresh_s, configured, added_by, added_at, refreshed_at, last_error,
		(SELECT COUNT(*) FROM source_pages p WHERE p.source_id = sources.id AND p.doc_id <> '')
		FROM sources `+where+` ORDER BY added_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var src Source
		var inc, exc string
		var refresh, added, refreshed int64
		var configured int
		if err := rows.Scan(&src.ID, &src.Guild, &src.URL, &inc, &exc, &src.MaxPages, &src.MaxBytes, &refresh, &configured, &src.AddedBy,
			&added, &refreshed, &src.LastError, &src.Pages); err != nil {
			return nil, fmt.Errorf("store: sources: %w", err)
		}
		src.Include, src.Exclude = splitLines(inc), splitLines(exc)
		src.Refresh = time.Duration(refresh) * time.Second
		src.Configured = configured != 0
		src.AddedAt, src.RefreshedAt = time.UnixMilli(added), fromMillis(refreshed)
		out = append(out, src)
	}
	return out, rows.Err()
}

// Source returns one of a server's sources.
func (s *DB) Source(ctx context.Context, guild string, id int64) (Source, error) {
	all, err := s.sources(ctx, `WHERE guild = ? AND id = ?`, guild, id)
	if err != nil {
		return Source{}, err
	}
	if len(all) == 0 {
		return Source{}, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	return all[0], nil
}

// RemoveSource deletes one of a server's sources with its pages' records
// and changes, and returns it (with its pages, whose articles the caller
// forgets).
func (s *DB) RemoveSource(ctx context.Context, guild string, id int64) (Source, []SitePage, error) {
	src, err := s.Source(ctx, guild, id)
	if err != nil {
		return Source{}, nil, err
	}
	pages, err := s.SitePages(ctx, id)
	if err != nil {
		return Source{}, nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Source{}, nil, fmt.Errorf("store: remove source: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM source_changes WHERE source_id = ?`, `DELETE FROM source_pages WHERE source_id = ?`, `DELETE FROM sources WHERE id = ?`} {
		if _, err := tx.ExecContext(ctx, s.forDialect(q), id); err != nil {
			return Source{}, nil, fmt.Errorf("store: remove source: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Source{}, nil, fmt.Errorf("store: remove source: %w", err)
	}
	return src, pages, nil
}

// SitePages is what was last seen of a source's pages, by URL.
func (s *DB) SitePages(ctx context.Context, sourceID int64) ([]SitePage, error) {
	rows, err := s.query(ctx, `SELECT url, doc_id, fetched_url, etag, last_modified, lastmod, hash, links, aliases, misses, changed_at
		FROM source_pages WHERE source_id = ? ORDER BY url`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("store: site pages: %w", err)
	}
	defer rows.Close()
	var out []SitePage
	for rows.Next() {
		var p SitePage
		var lastmod, changed int64
		var links, aliases string
		if err := rows.Scan(&p.URL, &p.DocID, &p.FetchedURL, &p.ETag, &p.LastModified, &lastmod, &p.Hash, &links, &aliases, &p.Misses, &changed); err != nil {
			return nil, fmt.Errorf("store: site pages: %w", err)
		}
		p.Lastmod, p.ChangedAt, p.Links, p.Aliases = fromMillis(lastmod), fromMillis(changed), splitLines(links), splitAliases(aliases)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Refreshed is what one refresh of a source leaves: the pages to remember
// (replacing the ones remembered), the changes it made, and its error.
type Refreshed struct {
	At      time.Time
	Error   string
	Pages   []SitePage
	Changes []SiteChange
}

// SaveRefresh records a refresh of a source, in one transaction. The
// change history keeps a source's newest changes only (2,000).
func (s *DB) SaveRefresh(ctx context.Context, sourceID int64, r Refreshed) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save refresh: %w", err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, s.forDialect(q), args...)
		return err
	}
	res, err := tx.ExecContext(ctx, s.forDialect(`UPDATE sources SET refreshed_at = ?, last_error = ? WHERE id = ?`), r.At.UnixMilli(), r.Error, sourceID)
	if err != nil {
		return fmt.Errorf("store: save refresh: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: save refresh: source %d: %w", sourceID, ErrNotFound)
	}
	if err := exec(`DELETE FROM source_pages WHERE source_id = ?`, sourceID); err != nil {
		return fmt.Errorf("store: save refresh: %w", err)
	}
	for _, p := range r.Pages {
		if err := exec(`INSERT INTO source_pages(source_id, url, doc_id, fetched_url, etag, last_modified, lastmod, hash, links, aliases, misses, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sourceID, p.URL, p.DocID, p.FetchedURL, p.ETag, p.LastModified, millis(p.Lastmod), p.Hash,
			joinLines(p.Links), joinAliases(p.Aliases), p.Misses, millis(p.ChangedAt)); err != nil {
			return fmt.Errorf("store: save refresh: page %s: %w", p.URL, err)
		}
	}
	for _, c := range r.Changes {
		if err := exec(`INSERT INTO source_changes(source_id, at, url, doc_id, kind) VALUES (?, ?, ?, ?, ?)`,
			sourceID, c.At.UnixMilli(), c.URL, c.DocID, c.Kind); err != nil {
			return fmt.Errorf("store: save refresh: change: %w", err)
		}
	}
	if len(r.Changes) > 0 {
		if err := exec(`DELETE FROM source_changes WHERE source_id = ? AND id NOT IN
			(SELECT id FROM source_changes WHERE source_id = ? ORDER BY at DESC, id DESC LIMIT ?)`, sourceID, sourceID, keptChanges); err != nil {
			return fmt.Errorf("store: save refresh: trimming changes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save refresh: %w", err)
	}
	return nil
}

// SiteChanges lists a server's newest page changes since a time, newest
// first, at most limit; sourceID 0 means all its sources.
func (s *DB) SiteChanges(ctx context.Context, guild string, sourceID int64, since time.Time, limit int) ([]SiteChange, error) {
	q := `SELECT c.source_id, c.at, c.url, c.doc_id, c.kind FROM source_changes c JOIN sources s ON s.id = c.source_id WHERE c.at >= ?`
	args := []any{millis(since)}
	if guild != AllGuilds {
		q += ` AND s.guild = ?`
		args = append(args, guild)
	}
	if sourceID != 0 {
		q += ` AND c.source_id = ?`
		args = append(args, sourceID)
	}
	q += ` ORDER BY c.at DESC, c.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: site changes: %w", err)
	}
	defer rows.Close()
	var out []SiteChange
	for rows.Next() {
		var c SiteChange
		var at int64
		if err := rows.Scan(&c.SourceID, &at, &c.URL, &c.DocID, &c.Kind); err != nil {
			return nil, fmt.Errorf("store: site changes: %w", err)
		}
		c.At = time.UnixMilli(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// IsNotFound reports whether err is an unknown article or source.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) || errors.Is(err, sql.ErrNoRows) }

// SaveRefreshError records a refresh of a source that failed before it
// could do anything: its time and error; the pages stay as they were.
func (s *DB) SaveRefreshError(ctx context.Context, sourceID int64, at time.Time, failure error) error {
	if _, err := s.exec(ctx, `UPDATE sources SET refreshed_at = ?, last_error = ? WHERE id = ?`, at.UnixMilli(), failure.Error(), sourceID); err != nil {
		return fmt.Errorf("store: save refresh error: %w", err)
	}
	return nil
}

// LeaseSource takes a source for a refresh until a time, for holder (one
// process), unless another holder's lease runs past now: so one refresh of
// a source runs at a time across every process sharing the store. Taking
// it again extends the holder's own lease.
func (s *DB) LeaseSource(ctx context.Context, sourceID int64, holder string, now, until time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE sources SET lease_by = ?, lease_until = ? WHERE id = ? AND (lease_until < ? OR lease_by = ?)`,
		holder, until.UnixMilli(), sourceID, now.UnixMilli(), holder)
	if err != nil {
		return false, fmt.Errorf("store: lease source: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseSource gives a holder's lease of a source back.
func (s *DB) ReleaseSource(ctx context.Context, sourceID int64, holder string) error {
	if _, err := s.exec(ctx, `UPDATE sources SET lease_until = 0 WHERE id = ? AND lease_by = ?`, sourceID, holder); err != nil {
		return fmt.Errorf("store: release source: %w", err)
	}
	return nil
}
