package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSourcesPagesAndChanges(t *testing.T) { each(t, testSources) }

func testSources(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	a, err := s.AddSource(ctx, Source{Guild: "100", URL: "https://docs.example.org/sitemap.xml", Include: []string{"/docs/**"}, Refresh: 24 * time.Hour, AddedBy: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddSource(ctx, Source{Guild: "200", URL: "https://docs.example.org/sitemap.xml"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || other.ID == a.ID {
		t.Fatalf("source IDs %d, %d: want distinct, non-zero", a.ID, other.ID)
	}
	// The same URL again in a server updates its settings, keeping its ID.
	again, err := s.AddSource(ctx, Source{Guild: "100", URL: a.URL, Exclude: []string{"/docs/old/*"}, MaxPages: 50, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != a.ID || again.MaxPages != 50 || !slices.Equal(again.Exclude, []string{"/docs/old/*"}) || again.Refresh != time.Hour || again.AddedBy != "u1" {
		t.Errorf("re-added source = %+v; want ID %d, the new settings and the first adder", again, a.ID)
	}

	at := time.UnixMilli(time.Now().UnixMilli())
	pages := []SitePage{
		{URL: "https://docs.example.org/docs/a", DocID: "100/ingested/a", ETag: `"1"`, Lastmod: at.Add(-time.Hour), Hash: "h1", ChangedAt: at},
		{URL: "https://docs.example.org/docs/b", DocID: "100/ingested/b", LastModified: "Tue, 01 Dec 2026 10:00:00 GMT", Links: []string{"x", "y"}, Misses: 1,
			Aliases: []Alias{{URL: "https://docs.example.org/docs/b-old", Lastmod: at}, {URL: "https://docs.example.org/docs/copy"}}},
	}
	changes := []SiteChange{{At: at, URL: pages[0].URL, DocID: pages[0].DocID, Kind: ChangeAdded}, {At: at, URL: pages[1].URL, DocID: pages[1].DocID, Kind: ChangeAdded}}
	if err := s.SaveRefresh(ctx, a.ID, Refreshed{At: at, Pages: pages, Changes: changes}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SitePages(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(pages) {
		t.Errorf("pages read back:\n%v\nwant\n%v", got, pages)
	}
	// A second refresh replaces the pages and adds its changes.
	later := at.Add(time.Minute)
	if err := s.SaveRefresh(ctx, a.ID, Refreshed{At: later, Error: "1 page failed", Pages: pages[:1],
		Changes: []SiteChange{{At: later, URL: pages[1].URL, DocID: pages[1].DocID, Kind: ChangeRemoved}}}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Sources(ctx, "100")
	if err != nil || len(list) != 1 {
		t.Fatalf("Sources(100) = %v, %v", list, err)
	}
	if l := list[0]; l.Pages != 1 || !l.RefreshedAt.Equal(later) || l.LastError != "1 page failed" {
		t.Errorf("listed source = %+v; want 1 page, refreshed %v, its error", l, later)
	}
	ch, err := s.SiteChanges(ctx, "100", 0, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 3 || ch[0].Kind != ChangeRemoved || ch[0].URL != pages[1].URL {
		t.Errorf("changes = %+v; want 3, newest (the removal) first", ch)
	}
	// Another server sees none of it.
	if ch, _ := s.SiteChanges(ctx, "200", 0, time.Time{}, 10); len(ch) != 0 {
		t.Errorf("server 200 sees %d of server 100's changes", len(ch))
	}
	if _, err := s.Source(ctx, "200", a.ID); !IsNotFound(err) {
		t.Errorf("server 200 reading server 100's source: %v; want not found", err)
	}
	if _, _, err := s.RemoveSource(ctx, "200", a.ID); !IsNotFound(err) {
		t.Errorf("server 200 removing server 100's source: %v; want not found", err)
	}
	if all, _ := s.Sources(ctx, AllGuilds); len(all) != 2 {
		t.Errorf("all sources: %d, want 2", len(all))
	}
	removed, kept, err := s.RemoveSource(ctx, "100", a.ID)
	if err != nil || removed.ID != a.ID || len(kept) != 1 || kept[0].DocID != "100/ingested/a" {
		t.Fatalf("RemoveSource = %+v, %v, %v", removed, kept, err)
	}
	if p, _ := s.SitePages(ctx, a.ID); len(p) != 0 {
		t.Errorf("pages left after removal: %v", p)
	}
	if ch, _ := s.SiteChanges(ctx, AllGuilds, a.ID, time.Time{}, 10); len(ch) != 0 {
		t.Errorf("changes left after removal: %v", ch)
	}

	// A purged server's sources go with its data.
	if err := s.SaveRefresh(ctx, other.ID, Refreshed{At: at, Pages: pages[:1], Changes: changes[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := s.GuildLeft(ctx, "200", at.Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgeLeft(ctx, at.Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Sources(ctx, AllGuilds); len(all) != 0 {
		t.Errorf("sources after the purge: %v", all)
	}
	if p, _ := s.SitePages(ctx, other.ID); len(p) != 0 {
		t.Errorf("pages after the purge: %v", p)
	}
}

func TestChangeHistoryIsBounded(t *testing.T) {
	ctx := context.Background()
	b := backends(t)[0] // the bound is the same SQL on both
	s := mustOpen(t, b)
	defer s.Close()
	src, err := s.AddSource(ctx, Source{URL: "https://example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_700_000_000_000)
	for round := range 3 {
		var ch []SiteChange
		for i := range keptChanges / 2 {
			ch = append(ch, SiteChange{At: at.Add(time.Duration(round) * time.Hour), URL: fmt.Sprintf("https://example.org/%d/%d", round, i), Kind: ChangeChanged})
		}
		if err := s.SaveRefresh(ctx, src.ID, Refreshed{At: at, Changes: ch}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.SiteChanges(ctx, "", src.ID, time.Time{}, 10*keptChanges)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != keptChanges || all[len(all)-1].URL != "https://example.org/1/0" {
		t.Errorf("kept %d changes, oldest %s; want %d, the newest two rounds", len(all), all[len(all)-1].URL, keptChanges)
	}
}

func TestSourceLease(t *testing.T) { each(t, testSourceLease) }

func testSourceLease(t *testing.T, b backend) {
	ctx := context.Background()
	s := mustOpen(t, b)
	defer s.Close()
	src, err := s.AddSource(ctx, Source{URL: "https://docs.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_800_000_000_000)
	for _, tt := range []struct {
		holder string
		at     time.Time
		want   bool
	}{
		{"serve-1", now, true},                        // free
		{"crawl-7", now.Add(time.Minute), false},      // serve-1 holds it for 10 minutes
		{"serve-1", now.Add(5 * time.Minute), true},   // its holder extends it
		{"crawl-7", now.Add(14 * time.Minute), false}, // extended to 15 minutes
		{"crawl-7", now.Add(16 * time.Minute), true},  // expired: a crashed holder does not keep it
		{"serve-1", now.Add(17 * time.Minute), false}, // crawl-7's now
	} {
		got, err := s.LeaseSource(ctx, src.ID, tt.holder, tt.at, tt.at.Add(10*time.Minute))
		if err != nil || got != tt.want {
			t.Errorf("LeaseSource(%s at +%s) = %v, %v; want %v", tt.holder, tt.at.Sub(now), got, err, tt.want)
		}
	}
	if err := s.ReleaseSource(ctx, src.ID, "serve-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LeaseSource(ctx, src.ID, "serve-1", now.Add(18*time.Minute), now.Add(28*time.Minute)); got {
		t.Error("another holder's release freed crawl-7's lease")
	}
	if err := s.ReleaseSource(ctx, src.ID, "crawl-7"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LeaseSource(ctx, src.ID, "serve-1", now.Add(18*time.Minute), now.Add(28*time.Minute)); !got {
		t.Error("a released lease cannot be taken")
	}
}
