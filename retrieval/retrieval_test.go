package retrieval

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/synth"
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"The cats are running", []string{"cat", "run"}},
		{"Altman’s company", []string{"altman", "compani"}},
		{"Altman's company", []string{"altman", "compani"}},
		{"don’t DON'T dont", []string{"dont", "dont", "dont"}},
		{"CAFÉ naïve Zürich", []string{"cafe", "naiv", "zurich"}},
		{"eye-wateringly expensive", []string{"eye", "water", "expens"}},
		{"o.capital io.net", []string{"o", "capit", "io", "net"}},
		{"‘em 40x GPT-4", []string{"em", "40x", "gpt", "4"}},
		{"the of and to", []string{}},
		{"日本語 text", []string{"日本語", "text"}},
		{"", []string{}},
	}
	for _, tt := range tests {
		got := Analyze(tt.in)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("Analyze(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizeOffsets(t *testing.T) {
	text := "Über’s café, naïvely"
	for _, tok := range Tokenize(text) {
		if fold(text[tok.Start:tok.End]) != tok.Text {
			t.Errorf("token %q does not match its offsets %q", tok.Text, text[tok.Start:tok.End])
		}
	}
}

func doc(id string, texts ...string) corpus.Document {
	d := corpus.Document{ID: id}
	for i, tx := range texts {
		d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("%s#%d", id, i+1), DocID: id, Paragraph: i + 1, Text: tx})
	}
	return d
}

// TestBM25HandComputed pins the formula in the package doc to numbers
// worked out by hand. Corpus: p0 "cat cat dog" (length 3), p1 "dog bird"
// (2), p2 "fish" (1); N = 3, avglen = 2, k1 = 1.2, b = 0.75.
//
//	idf(cat) = ln(1 + (3−1+0.5)/(1+0.5)) = ln(2.6667) = 0.980829
//	idf(dog) = ln(1 + (3−2+0.5)/(2+0.5)) = ln(1.6)    = 0.470004
//	norm(p0) = 1.2·(0.25 + 0.75·3/2) = 1.65;  norm(p1) = 1.2
//	cat in p0: 0.980829 · 2·2.2/(2+1.65) = 1.182370
//	dog in p0: 0.470004 · 1·2.2/(1+1.65) = 0.390192
//	dog in p1: 0.470004 · 1·2.2/(1+1.2)  = 0.470004
func TestBM25HandComputed(t *testing.T) {
	ix, err := Build([]corpus.Document{doc("a", "cat cat dog", "dog bird", "fish")}, Params{K1: 1.2, B: 0.75})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		ids   []string
		want  []float64
	}{
		{"cat", []string{"a#1"}, []float64{1.182370}},
		{"dog", []string{"a#2", "a#1"}, []float64{0.470004, 0.390192}},
		{"cat dog", []string{"a#1", "a#2"}, []float64{1.572561, 0.470004}},
		{"cat cat", []string{"a#1"}, []float64{2 * 1.182370}}, // query term frequency counts
		{"unicorn", nil, nil},
	}
	for _, tt := range tests {
		hits := ix.Search(tt.query, 10, Options{})
		if len(hits) != len(tt.ids) {
			t.Fatalf("Search(%q) = %d hits, want %d", tt.query, len(hits), len(tt.ids))
		}
		for i, h := range hits {
			if h.Passage.ID != tt.ids[i] || math.Abs(h.Score-tt.want[i]) > 1e-5 {
				t.Errorf("Search(%q)[%d] = %s %.6f, want %s %.6f", tt.query, i, h.Passage.ID, h.Score, tt.ids[i], tt.want[i])
			}
		}
	}
}

func TestTitleAndSectionWeights(t *testing.T) {
	d1 := doc("plants", "Water them weekly.")
	d1.Title = "Growing tomatoes"
	d2 := doc("misc", "Tomatoes are mentioned here once among many other words that dilute it.")
	d2.Passages[0].Section = "Other"
	ix, err := Build([]corpus.Document{d1, d2}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	hits := ix.Search("tomato", 2, Options{})
	if len(hits) != 2 || hits[0].Passage.DocID != "plants" {
		t.Fatalf("title match should rank first: %+v", hits)
	}
}

func TestRankingToyCorpus(t *testing.T) {
	ix, err := Build([]corpus.Document{
		doc("pets", "Dogs need daily walks and fresh water.", "Cats sleep most of the day."),
		doc("cars", "Electric cars need charging stations.", "Walks to the charging station are short."),
	}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		first string
	}{
		{"How long do cats sleep?", "pets#2"},
		{"charging electric cars", "cars#1"},
		{"dog walks", "pets#1"},
	}
	for _, tt := range tests {
		hits := ix.Search(tt.query, 3, Options{})
		if len(hits) == 0 || hits[0].Passage.ID != tt.first {
			t.Errorf("Search(%q) first = %v, want %s", tt.query, hits, tt.first)
		}
	}
	// Filter by document.
	hits := ix.Search("walks", 5, Options{Docs: []string{"cars"}})
	if len(hits) != 1 || hits[0].Passage.ID != "cars#2" {
		t.Errorf("filtered search = %+v", hits)
	}
	if hits := ix.Search("walks", 5, Options{Docs: []string{"nope"}}); len(hits) != 0 {
		t.Errorf("filter on unknown doc = %+v", hits)
	}
	docs := ix.SearchDocs("charging walks", 5, Options{})
	if len(docs) != 2 || docs[0].DocID != "cars" {
		t.Errorf("SearchDocs = %+v", docs)
	}
}

// bruteForce scores every passage exhaustively.
func bruteForce(ix *Index, q []QueryTerm, k int) []scored {
	scores := map[uint32]float64{}
	for _, qt := range q {
		id, ok := ix.lookup(qt.Term)
		if !ok {
			continue
		}
		docs, imp := postingsOf(ix, id)
		for i, d := range docs {
			scores[d] += qt.Weight * ix.idf(id) * float64(ix.table[imp[i]])
		}
	}
	var all []scored
	for d, s := range scores {
		all = append(all, scored{doc: d, score: s})
	}
	sort.Slice(all, func(i, j int) bool { return better(all[i], all[j]) })
	if len(all) > k {
		all = all[:k]
	}
	return all
}

// exhaustiveScore is one passage's score summed term by term.
func exhaustiveScore(ix *Index, q []QueryTerm, passageID string) float64 {
	pn, _ := ix.store.find(passageID)
	d := uint32(pn)
	total := 0.0
	for _, qt := range q {
		id, ok := ix.lookup(qt.Term)
		if !ok {
			continue
		}
		docs, imp := postingsOf(ix, id)
		for i, pd := range docs {
			if pd == d {
				total += qt.Weight * ix.idf(id) * float64(ix.table[imp[i]])
			}
		}
	}
	return total
}

// synthetic makes n passages over a Zipf-distributed vocabulary.
func synthetic(n int, seed uint64) []corpus.Document {
	r := rand.New(rand.NewPCG(seed, 1))
	z := rand.NewZipf(r, 1.1, 1, 499)
	var docs []corpus.Document
	for i := 0; i < n; i += 10 {
		d := corpus.Document{ID: fmt.Sprintf("d%d", i)}
		for j := 0; j < 10 && i+j < n; j++ {
			var sb strings.Builder
			for w := 0; w < 5+r.IntN(40); w++ {
				fmt.Fprintf(&sb, "w%d ", z.Uint64())
			}
			d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("d%d#%d", i, j+1), DocID: d.ID, Text: sb.String()})
		}
		docs = append(docs, d)
	}
	return docs
}

func TestMaxScoreMatchesExhaustive(t *testing.T) {
	ix, err := Build(synthetic(3000, 7), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// The same index with 32-bit passage numbers, as a corpus of more than
	// 65,536 passages has them.
	wide, err := Build(synthetic(3000, 7), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	widen(wide)
	// The dense path (3,000 passages are within denseMax); then MaxScore,
	// forced, with windows of 64 passages and of all 3,000, and lists
	// left to seeking whenever MaxScore allows it, as the cost model
	// chooses, and never.
	for name, ix := range map[string]*Index{"16-bit": ix, "32-bit": wide} {
		checkAgainstExhaustive(t, ix, name+", dense")
		ix.denseMax = 0
		for _, bits := range []int{6, maxWindowBits} {
			for _, seek := range []int{0, seekFactor, 1 << 30} {
				ix.windowBits, ix.seekFactor = bits, seek
				checkAgainstExhaustive(t, ix, fmt.Sprintf("%s, MaxScore, window 1<<%d, seek factor %d", name, bits, seek))
			}
		}
	}
}

// widen gives a built index 32-bit passage numbers.
func widen(ix *Index) {
	for _, d := range ix.post16 {
		ix.post = append(ix.post, uint32(d))
	}
	ix.post16 = nil
}

// TestWidePostings builds more than 65,536 passages, so passage numbers
// take 32 bits, and checks search and a round trip through the file.
func TestWidePostings(t *testing.T) {
	words := []string{"red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"}
	var docs []corpus.Document
	for i := 0; i < 70000; i += 10 {
		var texts []string
		for j := i; j < i+10; j++ {
			texts = append(texts, words[j%8]+" "+words[(j/8)%8]+" "+words[(j/64)%8])
		}
		d := doc(fmt.Sprintf("d%d", i), texts...)
		docs = append(docs, d)
	}
	ix, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if ix.post == nil || ix.post16 != nil {
		t.Fatalf("70,000 passages: want 32-bit postings only (post %d, post16 %d)", len(ix.post), len(ix.post16))
	}
	back := roundTrip(t, ix)
	q := ParseQuery("cyan magenta white")
	want := bruteForce(ix, q, 20)
	for name, ix := range map[string]*Index{"built": ix, "decoded": back} {
		got := ix.SearchTerms(q, 20, Options{})
		if len(got) != len(want) {
			t.Fatalf("%s: %d hits, want %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i].Passage.ID != ix.PassageAt(int(want[i].doc)).ID || math.Abs(got[i].Score-want[i].score) > 1e-9 {
				t.Errorf("%s rank %d: %s %.6f, want %s %.6f", name, i, got[i].Passage.ID, got[i].Score, ix.PassageAt(int(want[i].doc)).ID, want[i].score)
			}
		}
	}
	// A file whose passage numbers are narrower than its passages need is
	// refused.
	back.post16 = make([]uint16, len(back.post))
	back.post = nil
	if err := back.checkPostings(); err == nil {
		t.Error("16-bit postings for 70,000 passages accepted")
	}
}

func checkAgainstExhaustive(t *testing.T, ix *Index, strategy string) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		var q []QueryTerm
		for j := 0; j < 1+r.IntN(6); j++ {
			q = append(q, QueryTerm{Term: fmt.Sprintf("w%d", r.IntN(300)), Weight: float64(1 + r.IntN(2))})
		}
		k := 1 + r.IntN(20)
		// Every third query keeps to a few documents.
		var opt Options
		if i%3 == 0 {
			for range 1 + r.IntN(4) {
				opt.Docs = append(opt.Docs, ix.docs[r.IntN(len(ix.docs))].ID)
			}
		}
		got := ix.SearchTerms(q, k, opt)
		want := bruteForce(ix, q, len(ix.lens))
		if len(opt.Docs) > 0 {
			kept := want[:0]
			for _, w := range want {
				if slices.Contains(opt.Docs, ix.docs[ix.docOf[w.doc]].ID) {
					kept = append(kept, w)
				}
			}
			want = kept
		}
		want = want[:min(k, len(want))]
		if len(got) != len(want) {
			t.Fatalf("%s: query %v k=%d %v: %d hits, want %d", strategy, q, k, opt.Docs, len(got), len(want))
		}
		for j := range got {
			// Sums in another order may differ in the last bits; a rank may
			// then hold another passage only if the two tie.
			if math.Abs(got[j].Score-want[j].score) > 1e-9 || math.Abs(got[j].Score-exhaustiveScore(ix, q, got[j].Passage.ID)) > 1e-9 {
				t.Fatalf("%s: query %v k=%d rank %d: %s %.6f, want %s %.6f", strategy, q, k, j, got[j].Passage.ID, got[j].Score, ix.PassageAt(int(want[j].doc)).ID, want[j].score)
			}
		}
	}
}

func TestSnippet(t *testing.T) {
	text := "Intro words here. " + strings.Repeat("filler ", 60) + "The quick brown fox jumps over the lazy dog. " + strings.Repeat("tail ", 60)
	got := Snippet(text, Analyze("fox dog"), 80, [2]string{"**", "**"})
	if !strings.Contains(got, "**fox**") || !strings.Contains(got, "**dog**") {
		t.Errorf("snippet misses matches: %q", got)
	}
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("cut snippet should show ellipses: %q", got)
	}
	short := Snippet("Cats sleep.", Analyze("cats"), 80, [2]string{"[", "]"})
	if short != "[Cats] sleep." {
		t.Errorf("short snippet = %q", short)
	}
}

func TestPersistRoundTrip(t *testing.T) {
	ix, err := Build(synthetic(500, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"w1 w2", "w10", "w3 w40 w77"} {
		a, b := ix.Search(q, 10, Options{}), back.Search(q, 10, Options{})
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("search %q differs after round trip", q)
		}
	}
	if back.Len() != ix.Len() || len(back.Docs()) != len(ix.Docs()) || back.Params() != ix.Params() {
		t.Error("index shape differs after round trip")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestPersistCorruptAndStale(t *testing.T) {
	ix, err := Build(synthetic(50, 2), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"flipped byte", mut(func(b []byte) []byte { b[len(b)-10] ^= 0xff; return b }), ErrCorrupt, "checksum"},
		{"truncated", good[:len(good)-100], ErrCorrupt, "truncated"},
		{"not an index", []byte("hello world, this is not an index file at all......"), ErrCorrupt, "magic"},
		{"empty", nil, ErrCorrupt, "magic"},
		{"future version", mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:12], 99); return b }), ErrStale, "version 99"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.data)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want %v mentioning %q", tt.name, err, tt.want, tt.msg)
		}
	}
	// A file from another analyzer version is stale, and Open names the file.
	path := filepath.Join(t.TempDir(), "old.idx")
	os.WriteFile(path, mut(func(b []byte) []byte { return b }), 0o644)
	if _, err := Open(path); err != nil {
		t.Fatalf("good file: %v", err)
	}
	os.WriteFile(path, good[:60], 0o644)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open error should name the file: %v", err)
	}
}

func TestStaleAnalyzer(t *testing.T) {
	ix, _ := Build(synthetic(20, 3), DefaultParams())
	var buf bytes.Buffer
	ix.WriteTo(&buf)
	// Another analyzer version: the string patched in the metadata, and
	// the checksums fixed.
	old := AnalyzerVersion
	data := bytes.Replace(buf.Bytes(), []byte(old), []byte(strings.Repeat("x", len(old))), 1)
	_, err := Decode(fixChecksums(data))
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "analyzer") {
		t.Errorf("err = %v, want stale analyzer", err)
	}
}

func TestConcurrentSearchAndSwap(t *testing.T) {
	a, _ := Build(synthetic(400, 5), DefaultParams())
	b, _ := Build(synthetic(400, 6), DefaultParams())
	live := NewLive(a)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ix := live.Load()
				hits := ix.Search(fmt.Sprintf("w%d w%d", i%50, g), 5, Options{})
				for _, h := range hits {
					if _, ok := ix.Passage(h.Passage.ID); !ok {
						t.Errorf("hit %s not in the index it came from", h.Passage.ID)
						return
					}
				}
			}
		}(g)
	}
	for i := 0; i < 50; i++ {
		if i%2 == 0 {
			live.Store(b)
		} else {
			live.Store(a)
		}
	}
	wg.Wait()
}

func TestBuildRejectsBadInput(t *testing.T) {
	if _, err := Build(nil, Params{K1: 0, B: 0.5}); err == nil {
		t.Error("k1 = 0 accepted")
	}
	if _, err := Build([]corpus.Document{doc("a", "x"), doc("a", "y")}, DefaultParams()); err == nil {
		t.Error("duplicate document IDs accepted")
	}
	ix, err := Build(nil, DefaultParams())
	if err != nil || len(ix.Search("anything", 5, Options{})) != 0 {
		t.Errorf("empty index: %v", err)
	}
}

// TestSaveFailureKeepsPreviousFile simulates a crash half-way through
// writing an index: the previous file stays valid and no temporary file
// is left behind.
func TestSaveFailureKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.idx")
	old, _ := Build(synthetic(100, 11), DefaultParams())
	if err := old.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	next, _ := Build(synthetic(200, 12), DefaultParams())
	err := saveAtomic(path, func(w io.Writer) error {
		var buf bytes.Buffer
		next.WriteTo(&buf)
		w.Write(buf.Bytes()[:buf.Len()/2]) // half written, then the "crash"
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("want the write error")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("previous index file changed")
	}
	if _, err := Open(path); err != nil {
		t.Fatalf("previous index no longer opens: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestBuildProgress(t *testing.T) {
	var calls, last int
	ix, err := BuildProgress(synthetic(10000, 4), DefaultParams(), func(done, total int) {
		calls++
		if done < last || total != 10000 {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil || ix.Len() != 10000 {
		t.Fatal(err)
	}
	if calls < 2 || last != 10000 {
		t.Errorf("progress calls %d, last %d", calls, last)
	}
}

func TestDocLookup(t *testing.T) {
	ix, err := Build(synthetic(2000, 5), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, ix)
	for name, ix := range map[string]*Index{"built": ix, "decoded": back} {
		// IDs sort in another order than they load in (d0, d10, d100, …).
		for i, d := range ix.Docs() {
			got, ok := ix.Doc(d.ID)
			if !ok || got.ID != d.ID || got.First != d.First {
				t.Fatalf("%s: Doc(%q) = %+v, %v; want document %d", name, d.ID, got, ok, i)
			}
		}
		for _, id := range []string{"", "d", "d5", "d99999", "e0"} {
			if d, ok := ix.Doc(id); ok {
				t.Errorf("%s: Doc(%q) found %q", name, id, d.ID)
			}
		}
	}
}

func TestDocumentsRoundTrip(t *testing.T) {
	docs := []corpus.Document{
		{ID: "a", Title: "Alpha", URL: "https://example.com/a", Author: "Ann", Date: "2026-01-02", Source: "a.md",
			Sections: []string{"Intro", "Más"}, Passages: []corpus.Passage{
				{ID: "a#1", DocID: "a", Title: "Alpha", Section: "Intro", Heading: "Intro", Paragraph: 1, URL: "https://example.com/a#intro", Text: "First paragraph, café."},
				{ID: "a#2", DocID: "a", Title: "Alpha", Section: "Más", Heading: "Más", Paragraph: 2, Text: "Second one."},
			}},
		{ID: "b", Title: "Beta", Passages: []corpus.Passage{{ID: "b#1", DocID: "b", Title: "Beta", Paragraph: 1, Text: "Only passage."}}},
	}
	ix, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, ix)
	if got := back.Documents(); !reflect.DeepEqual(got, docs) {
		t.Errorf("Documents() after a round trip:\n got %+v\nwant %+v", got, docs)
	}
}

// TestLargeTermFrequencies checks term frequencies past one byte of the
// build's compact postings and past the 16-bit cap, against BM25 by hand.
func TestLargeTermFrequencies(t *testing.T) {
	p := Params{K1: 1.2, B: 0.75}
	texts := []string{strings.Repeat("cat ", 300) + "dog", strings.Repeat("cat ", 70000), "dog bird"}
	ix, err := Build([]corpus.Document{doc("a", texts...)}, p)
	if err != nil {
		t.Fatal(err)
	}
	lens := []float64{301, 70000, 2}
	avg := (lens[0] + lens[1] + lens[2]) / 3
	bm25 := func(tf, df, length float64) float64 {
		idf := math.Log(1 + (3-df+0.5)/(df+0.5))
		return idf * tf * (p.K1 + 1) / (tf + p.K1*(1-p.B+p.B*length/avg))
	}
	want := map[string]float64{"a#1": bm25(300, 2, 301), "a#2": bm25(65535, 2, 70000)} // tf is capped at 65,535
	hits := ix.Search("cat", 5, Options{})
	if len(hits) != 2 {
		t.Fatalf("hits = %+v", hits)
	}
	for _, h := range hits {
		if math.Abs(h.Score-want[h.Passage.ID]) > 1e-5 {
			t.Errorf("%s scores %.6f, want %.6f", h.Passage.ID, h.Score, want[h.Passage.ID])
		}
	}
}

// roundTrip writes ix in the file format and reads it back.
func roundTrip(t *testing.T, ix *Index) *Index {
	t.Helper()
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestHugeK asks for more passages than exist: every match, no giant heap.
func TestHugeK(t *testing.T) {
	ix, err := Build([]corpus.Document{doc("a", "cat dog", "dog bird", "fish")}, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if hits := ix.Search("dog", math.MaxInt, Options{}); len(hits) != 2 {
		t.Errorf("Search(dog, MaxInt) = %d hits, want 2", len(hits))
	}
	if docs := ix.SearchDocs("dog", math.MaxInt, Options{}); len(docs) != 1 {
		t.Errorf("SearchDocs(dog, MaxInt) = %d documents, want 1", len(docs))
	}
}

// TestRankDocsMatchesBestPassagePerDocument: documents ranked from the
// postings (RankDocs) and by SearchDocs are the documents of an exhaustive
// passage ranking, each at its best passage's score, in the same order,
// at every depth.
func TestRankDocsMatchesBestPassagePerDocument(t *testing.T) {
	docs, qs := synth.Corpus(3000, 40)
	// Several passages per document, so that documents repeat in the
	// passage ranking.
	var merged []corpus.Document
	for i := 0; i+3 <= len(docs); i += 3 {
		d := corpus.Document{ID: docs[i].ID, Title: docs[i].Title}
		for _, o := range docs[i : i+3] {
			for _, p := range o.Passages {
				p.DocID, p.Paragraph = d.ID, len(d.Passages)+1
				p.ID = fmt.Sprintf("%s#%d", d.ID, p.Paragraph)
				d.Passages = append(d.Passages, p)
			}
		}
		merged = append(merged, d)
	}
	ix, err := Build(merged, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		all := BestPerDoc(ix.Search(q, ix.Len(), Options{}), ix.Len())
		for _, k := range []int{1, 10, 100, 5000} {
			want := all[:min(k, len(all))]
			got := ix.RankDocs(q, k, Options{})
			full := ix.SearchDocs(q, k, Options{})
			if len(got) != len(want) || len(full) != len(want) {
				t.Fatalf("%q k=%d: %d ranked, %d searched, want %d", q, k, len(got), len(full), len(want))
			}
			for i := range want {
				if got[i].DocID != want[i].DocID || got[i].Score != want[i].Score || full[i].DocID != want[i].DocID || full[i].Best.Passage.ID != want[i].Best.Passage.ID {
					t.Fatalf("%q k=%d rank %d: ranked %+v, searched %s (%s), want %s (%s) %v", q, k, i+1, got[i], full[i].DocID, full[i].Best.Passage.ID, want[i].DocID, want[i].Best.Passage.ID, want[i].Score)
				}
			}
		}
	}
}

// TestBuilderMatchesBuild: an index built from batches (as a streamed
// corpus is) is the same file, byte for byte, as one built from every
// document at once, whatever the batch size; and a Builder refuses what
// would make a different or broken index.
func TestBuilderMatchesBuild(t *testing.T) {
	docs, _ := synth.Corpus(2500, 1)
	file := func(ix *Index) []byte {
		t.Helper()
		var buf bytes.Buffer
		if _, err := ix.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	whole, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want := file(whole)
	for _, batch := range []int{1, 7, 500, len(docs)} {
		b, err := NewBuilder(DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		var progress []int
		b.Progress = func(done int) { progress = append(progress, done) }
		for i := 0; i < len(docs); i += batch {
			if err := b.Add(docs[i:min(i+batch, len(docs))]); err != nil {
				t.Fatalf("batch %d: Add: %v", batch, err)
			}
		}
		if b.Passages() != whole.Len() {
			t.Errorf("batch %d: Passages() = %d, want %d", batch, b.Passages(), whole.Len())
		}
		ix, err := b.Finish()
		if err != nil {
			t.Fatalf("batch %d: Finish: %v", batch, err)
		}
		if got := file(ix); !bytes.Equal(got, want) {
			t.Errorf("batch %d: file differs from Build's (%d bytes, want %d)", batch, len(got), len(want))
		}
		if !slices.IsSorted(progress) || progress[len(progress)-1] != whole.Len() {
			t.Errorf("batch %d: progress %v…, want rising to %d", batch, progress[:min(5, len(progress))], whole.Len())
		}
		if err := b.Add(docs[:1]); err == nil {
			t.Errorf("batch %d: Add after Finish succeeded", batch)
		}
		if _, err := b.Finish(); err == nil {
			t.Errorf("batch %d: second Finish succeeded", batch)
		}
	}

	// A document or passage ID seen in an earlier batch fails the build,
	// and the Builder stays failed.
	dupPassage := docs[1]
	dupPassage.ID = "another-document"
	for name, again := range map[string]corpus.Document{"document": docs[0], "passage": dupPassage} {
		b, _ := NewBuilder(DefaultParams())
		if err := b.Add(docs[:2]); err != nil {
			t.Fatal(err)
		}
		err := b.Add([]corpus.Document{again})
		if err == nil || !strings.Contains(err.Error(), "duplicate "+name+" ID") {
			t.Errorf("%s ID repeated in a later batch: Add = %v, want a duplicate %s ID error", name, err, name)
		}
		if err2 := b.Add(docs[2:3]); err2 == nil {
			t.Errorf("%s: Add after a failed Add succeeded", name)
		}
		if _, err2 := b.Finish(); err2 == nil {
			t.Errorf("%s: Finish after a failed Add succeeded", name)
		}
	}
	if _, err := NewBuilder(Params{K1: -1}); err == nil {
		t.Error("NewBuilder with K1 -1 succeeded")
	}
}

// TestParseQueryCountsRepeats: repeated terms add up in the order first
// seen, in short queries (found by scanning) and past 32 distinct terms
// (found through a map), as a map-based reference counts them.
func TestParseQueryCountsRepeats(t *testing.T) {
	reference := func(q string) []QueryTerm {
		var out []QueryTerm
		pos := map[string]int{}
		for _, tok := range Tokenize(q) {
			if stopWord(tok.Text) {
				continue
			}
			s := Stem(tok.Text)
			if i, ok := pos[s]; ok {
				out[i].Weight++
				continue
			}
			pos[s] = len(out)
			out = append(out, QueryTerm{Term: s, Weight: 1})
		}
		return out
	}
	r := rand.New(rand.NewPCG(5, 6))
	vocab := []string{"Cells", "cell", "cancer", "the", "of", "running", "runs", "Ünïcode", "don't", "x2"}
	for i := range 60 {
		vocab = append(vocab, fmt.Sprintf("word%d", i))
	}
	queries := []string{"", "the of and", "cell cells CELL", "a b c"}
	for range 200 {
		var words []string
		for range r.IntN(120) {
			words = append(words, vocab[r.IntN(len(vocab))])
		}
		queries = append(queries, strings.Join(words, " "))
	}
	long := 0
	for _, q := range queries {
		got, want := ParseQuery(q), reference(q)
		if len(want) > 32 {
			long++
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("ParseQuery(%q) = %v, want %v", q, got, want)
		}
	}
	if long == 0 {
		t.Error("no query had more than 32 distinct terms")
	}
}
