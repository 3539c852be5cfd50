package answer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/retrieval"
)

func lookupDocs() []corpus.Document {
	long := strings.Repeat("x", 120)
	mk := func(id, title string, texts ...string) corpus.Document {
		d := corpus.Document{ID: id, Title: title, URL: "https://example.com/" + id}
		for i, t := range texts {
			d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("%s#%d", id, i+1), DocID: id, Title: title, Paragraph: i + 1, URL: d.URL, Text: t})
		}
		return d
	}
	return []corpus.Document{
		mk("pets", "Pets at home", "Dogs need daily walks and fresh water.", "Cats sleep most of the day, [see](https://evil.example) the chart."),
		mk("cars", "Electric cars", "Electric cars need charging stations.", "Walks to the charging station are short."),
		mk(long, "Long names", "Walks with a long name."),
	}
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	svc := service(t, lookupDocs(), Options{})
	hl := cited.Highlight{Runes: 300, Mark: [2]string{"<", ">"}, Clean: strings.ToUpper}
	tests := []struct {
		name    string
		l       cited.Lookup
		want    []string // passage IDs
		wantErr error
		snippet string // of the first
	}{
		{"best first", cited.Lookup{Query: "charging electric cars", Highlight: hl}, []string{"cars#1", "cars#2"}, nil, "<ELECTRIC> <CARS> NEED <CHARGING> STATIONS."},
		{"in one article", cited.Lookup{Query: "walks", Article: "cars", Highlight: hl}, []string{"cars#2"}, nil, "<WALKS> TO THE CHARGING STATION ARE SHORT."},
		{"at most N", cited.Lookup{Query: "daily walks", N: 1, Highlight: hl}, []string{"pets#1"}, nil, "DOGS NEED <DAILY> <WALKS> AND FRESH WATER."},
		{"unknown article", cited.Lookup{Query: "walks", Article: "boats"}, nil, ErrUnknownArticle, ""},
		{"empty query", cited.Lookup{Query: " \u200b "}, nil, ErrEmptyQuestion, ""},
		{"nothing matches", cited.Lookup{Query: "zebra"}, []string{}, nil, ""},
	}
	for _, tt := range tests {
		got, err := svc.Lookup(ctx, tt.l)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if tt.want == nil {
			continue
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.PassageID)
		}
		if strings.Join(ids, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: %v, want %v", tt.name, ids, tt.want)
		}
		if len(got) > 0 {
			c := got[0]
			if c.Snippet != tt.snippet || c.N != 1 || len(c.Matched) == 0 || !strings.HasPrefix(c.URL, "https://example.com/") {
				t.Errorf("%s: first is %+v, want snippet %q, numbered, matched terms and a URL", tt.name, c, tt.snippet)
			}
		}
	}
}

func TestPassage(t *testing.T) {
	ctx := context.Background()
	svc := service(t, lookupDocs(), Options{})
	tests := []struct {
		typed, want string
		ok          bool
	}{
		{" pets#2 ", "pets#2", true},            // a chosen passage
		{"where do cats sleep", "pets#2", true}, // typed text: the best match
		{"zebra", "", false},                    // neither
		{"the and of", "", false},               // stop words only
	}
	for _, tt := range tests {
		c, ok := svc.Passage(ctx, tt.typed)
		if ok != tt.ok || c.PassageID != tt.want {
			t.Errorf("Passage(%q) = %s %v, want %s %v", tt.typed, c.PassageID, ok, tt.want, tt.ok)
		}
	}
	c, _ := svc.Passage(ctx, "pets#2")
	if !strings.Contains(c.Text, "Cats sleep") || c.Title != "Pets at home" || c.Paragraph != 2 {
		t.Errorf("passage shown as %+v", c)
	}
}

func TestSuggest(t *testing.T) {
	ctx := context.Background()
	svc := service(t, lookupDocs(), Options{})
	tests := []struct {
		name string
		sg   cited.Suggest
		want string // passage IDs
	}{
		{"nothing typed: the first passages", cited.Suggest{N: 3, MaxIDRunes: 100}, "pets#1 pets#2 cars#1"},
		{"long IDs skipped", cited.Suggest{N: 25, MaxIDRunes: 100}, "pets#1 pets#2 cars#1 cars#2"},
		{"an ID, then a search for its words", cited.Suggest{Typed: "cars#2", N: 25, Runes: 60}, "cars#2 cars#1"},
		{"a title", cited.Suggest{Typed: "electric", N: 25, MaxIDRunes: 100}, "cars#1 cars#2"},
		{"a half-typed word", cited.Suggest{Typed: "charg", N: 25, MaxIDRunes: 100, Runes: 60}, "cars#2 cars#1"},
		{"at most N", cited.Suggest{Typed: "walk", N: 2, Runes: 60}, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx#1 cars#2"},
		// The search finds N passages before IDs are checked (as the bot
		// did): the best for "walk" has an ID too long to offer.
		{"the search's passages are checked", cited.Suggest{Typed: "walk", N: 1, MaxIDRunes: 100, Runes: 60}, ""},
	}
	for _, tt := range tests {
		var ids []string
		for _, c := range svc.Suggest(ctx, tt.sg) {
			ids = append(ids, c.PassageID)
			if c.Snippet == "" {
				t.Errorf("%s: %s has no snippet", tt.name, c.PassageID)
			}
		}
		if got := strings.Join(ids, " "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestArticlesAndFindSource(t *testing.T) {
	ctx := context.Background()
	svc := service(t, lookupDocs(), Options{})
	arts := svc.Articles()
	if len(arts) != 3 || arts[0] != (Article{ID: "pets", Title: "Pets at home", URL: "https://example.com/pets", Passages: 2}) {
		t.Errorf("articles %+v", arts)
	}
	a, err := svc.FindSource(ctx, "Electric cars need charging stations", cited.Highlight{Runes: 300, Mark: [2]string{"*", "*"}})
	if err != nil || len(a.Citations) == 0 || a.Citations[0].PassageID != "cars#1" || a.Citations[0].Snippet != "*Electric* *cars* need *charging* *stations*." {
		t.Errorf("FindSource = %+v, %v", a, err)
	}
	if _, err := svc.FindSource(ctx, "  ", cited.Highlight{}); !errors.Is(err, ErrEmptyQuestion) {
		t.Errorf("empty claim: %v", err)
	}
}

// failing is a Retriever that is down.
type failing struct{}

func (failing) SearchTerms(context.Context, []retrieval.QueryTerm, int, retrieval.Options) ([]retrieval.Hit, error) {
	return nil, errors.New("connection refused")
}

// reversed is a Retriever that finds the index's passages but ranks them
// backwards, with scores of its own.
type reversed struct{ ix *retrieval.Index }

func (r reversed) SearchTerms(_ context.Context, q []retrieval.QueryTerm, k int, opt retrieval.Options) ([]retrieval.Hit, error) {
	hits := r.ix.SearchTerms(q, k, opt)
	for i, j := 0, len(hits)-1; i < j; i, j = i+1, j-1 {
		hits[i], hits[j] = hits[j], hits[i]
	}
	for i := range hits {
		hits[i].Score = float64(100 - i)
	}
	return hits, nil
}

// With a Retriever, the index scores what it finds; with one that is
// down, the index searches alone: lookups are the same either way.
func TestLookupThroughRetrievers(t *testing.T) {
	ctx := context.Background()
	docs := lookupDocs()
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := service(t, docs, Options{}).Lookup(ctx, cited.Lookup{Query: "walks charging"})
	for _, r := range []Retriever{reversed{ix}, failing{}} {
		got, err := service(t, docs, Options{Retriever: r}).Lookup(ctx, cited.Lookup{Query: "walks charging"})
		if err != nil || len(got) != len(want) {
			t.Fatalf("%T: %+v %v, want %d passages", r, got, err, len(want))
		}
		for i := range want {
			if got[i].PassageID != want[i].PassageID || got[i].Score != want[i].Score {
				t.Errorf("%T: %d is %s (%.3f), want %s (%.3f)", r, i, got[i].PassageID, got[i].Score, want[i].PassageID, want[i].Score)
			}
		}
	}
}
