package retrieval

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
)

// reps makes the last document's passages long enough (kilobytes) to close
// text blocks by size, the others' short enough to close them by count.
func reps(doc, n int) int {
	if doc == 2 {
		return 30 + n%40
	}
	return 1 + n%5
}

// storeDocs has passages with every field set or empty, texts of many
// lengths and scripts, and a count that is not a multiple of the block size.
func storeDocs() []corpus.Document {
	var docs []corpus.Document
	n := 0
	for d := 0; d < 3; d++ {
		doc := corpus.Document{ID: fmt.Sprintf("doc-%d", d), Title: fmt.Sprintf("Title %d", d), URL: fmt.Sprintf("https://example.com/%d", d)}
		for p := 0; p < 7+d*4; p++ {
			n++
			ps := corpus.Passage{ID: fmt.Sprintf("%s#%d", doc.ID, p+1), DocID: doc.ID, Title: doc.Title, URL: doc.URL, Paragraph: p + 1,
				Text: strings.Repeat(fmt.Sprintf("Passage %d says naïve café ’quoted’ 東京 things. ", n), reps(d, n))}
			if p%4 == 0 {
				ps.Section = fmt.Sprintf("Section %d", p/4)
				ps.Heading = ps.Section
			} else if p > 0 {
				ps.Section = fmt.Sprintf("Section %d", p/4)
			}
			doc.Passages = append(doc.Passages, ps)
		}
		docs = append(docs, doc)
	}
	return docs
}

func TestPassageStoreRoundTrip(t *testing.T) {
	docs := storeDocs()
	ix, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.idx")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]*Index{"built": ix, "loaded": back} {
		i := 0
		for _, d := range docs {
			if got := x.DocPassages(d.ID); !reflect.DeepEqual(got, d.Passages) {
				t.Errorf("%s: DocPassages(%s) differs:\n got %+v\nwant %+v", name, d.ID, got, d.Passages)
			}
			for _, want := range d.Passages {
				if got := x.PassageAt(i); got != want {
					t.Errorf("%s: PassageAt(%d) = %+v, want %+v", name, i, got, want)
				}
				if got, ok := x.Passage(want.ID); !ok || got != want {
					t.Errorf("%s: Passage(%q) = %+v, %v", name, want.ID, got, ok)
				}
				i++
			}
		}
		if i != x.Len() {
			t.Errorf("%s: Len = %d, want %d", name, x.Len(), i)
		}
		for _, missing := range []string{"", "doc-0", "doc-0#99", "nope"} {
			if _, ok := x.Passage(missing); ok {
				t.Errorf("%s: Passage(%q) found", name, missing)
			}
		}
	}
}

func TestImpactTable(t *testing.T) {
	tests := []struct {
		name     string
		distinct int
		wantLen  int
	}{
		{"exact", 1000, 1000},
		{"exact at the limit", 1 << 16, 1 << 16},
		{"quantiles past it", 100_000, 1 << 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := map[float32]struct{}{}
			for i := 0; i < tt.distinct; i++ {
				vals[float32(2.2*math.Sqrt(float64(i)/float64(tt.distinct)))] = struct{}{}
			}
			table := impactTable(vals)
			if len(table) != min(tt.wantLen, len(vals)) {
				t.Fatalf("table of %d values, want %d", len(table), tt.wantLen)
			}
			maxGap := float32(0)
			for i := 1; i < len(table); i++ {
				if table[i] <= table[i-1] {
					t.Fatalf("table not ascending at %d", i)
				}
				maxGap = max(maxGap, table[i]-table[i-1])
			}
			for v := range vals {
				got := table[nearest(table, v)]
				if len(vals) <= 1<<16 && got != v {
					t.Fatalf("exact table maps %v to %v", v, got)
				}
				if diff := float32(math.Abs(float64(got - v))); diff > maxGap/2+1e-7 {
					t.Fatalf("%v coded as %v: off by %v, more than half the widest gap %v", v, got, diff, maxGap)
				}
			}
		})
	}
}

func TestRankIsSearchWithoutText(t *testing.T) {
	ix, err := Build(synthetic(3000, 7), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"w1 w2", "w10", "w3 w40 w77", "w5 w5 w200", "nothing"} {
		for _, k := range []int{1, 10, 100} {
			hits, ranked := ix.Search(q, k, Options{}), ix.Rank(q, k, Options{})
			if len(hits) != len(ranked) {
				t.Fatalf("%q k=%d: %d hits, %d ranked", q, k, len(hits), len(ranked))
			}
			for i := range hits {
				if hits[i].Passage.ID != ranked[i].ID || hits[i].Score != ranked[i].Score {
					t.Fatalf("%q k=%d rank %d: Search %s %v, Rank %s %v", q, k, i, hits[i].Passage.ID, hits[i].Score, ranked[i].ID, ranked[i].Score)
				}
			}
		}
	}
}

func TestImpactCodesDenseAndMapAgree(t *testing.T) {
	ix, err := Build(synthetic(2000, 3), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the per-term lists from the index, with weighted tfs made
	// up (the codes only need to agree between the two paths).
	var lists buildLists
	tfOf := func(term, d int) uint16 { return uint16(1 + (term+d)%7) }
	for term := range ix.numTerms() {
		docs, _ := postingsOf(ix, uint32(term))
		id := lists.newTerm()
		for _, d := range docs {
			lists.add(id, d, tfOf(term, int(d)))
		}
	}
	dense := ix.impactCodes(&lists, 1<<24)
	denseTable := slices.Clone(ix.table)
	viaMap := ix.impactCodes(&lists, 0)
	if !slices.Equal(denseTable, ix.table) {
		t.Fatalf("tables differ: %d vs %d values", len(denseTable), len(ix.table))
	}
	for term := range ix.numTerms() {
		docs, _ := postingsOf(ix, uint32(term))
		for _, d := range docs {
			if a, b := dense(tfOf(term, int(d)), d), viaMap(tfOf(term, int(d)), d); a != b {
				t.Fatalf("term %d passage %d: dense code %d, map code %d", term, d, a, b)
			}
		}
	}
}

// postingsOf returns term t's passages (as 32-bit numbers) and codes.
func postingsOf(ix *Index, t uint32) ([]uint32, []uint16) {
	from, to := ix.span(t) // checked: a term whose postings are bad has none

	if ix.post16 == nil {
		return ix.post[from:to], ix.imp[from:to]
	}
	docs := make([]uint32, 0, to-from)
	for _, d := range ix.post16[from:to] {
		docs = append(docs, uint32(d))
	}
	return docs, ix.imp[from:to]
}

// TestHashIDIsFNV1a: the passage-ID hash is 64-bit FNV-1a, the same for
// an ID as a string and as bytes.
func TestHashIDIsFNV1a(t *testing.T) {
	for _, id := range []string{"", "a", "doc#1", "docs/alerting/overview#12", "Ünïcode ID"} {
		h := fnv.New64a()
		h.Write([]byte(id))
		if got, want := hashID(id), h.Sum64(); got != want || hashID([]byte(id)) != want {
			t.Errorf("hashID(%q) = %#x (bytes %#x), want %#x", id, got, hashID([]byte(id)), want)
		}
	}
}

// TestPassageIDTable: every passage is found by its ID and nothing else
// is, including where two keys share the hash bits (the run of equal
// bits is searched by comparing IDs); and the radix sort orders keys by
// their high 32 bits, keeping the input order among equal ones, as a
// stable sort does.
func TestPassageIDTable(t *testing.T) {
	b := newStoreBuilder()
	const n = 5000
	for i := range n {
		b.add(corpus.Passage{ID: fmt.Sprintf("doc-%d#%d", i/7, i%7+1), Text: "x"})
	}
	s := b.finish()
	for i := range n {
		id := fmt.Sprintf("doc-%d#%d", i/7, i%7+1)
		if got, ok := s.find(id); !ok || got != i {
			t.Fatalf("find(%q) = %d, %v; want %d", id, got, ok, i)
		}
	}
	for _, id := range []string{"", "doc-0", "doc-0#8", "doc-714#3", "DOC-0#1"} {
		if got, ok := s.find(id); ok {
			t.Errorf("find(%q) = %d, want not found", id, got)
		}
	}
	// Passage 1's number filed under passage 0's hash bits, before it:
	// finding passage 0 must pass over it by its ID.
	tag0 := hashID(s.id(0)) &^ lowBits
	s.ids = []uint64{tag0 | 1, tag0} // passage 1, then passage 0
	if got, ok := s.find(string(s.id(0))); !ok || got != 0 {
		t.Errorf("find past a key with the same hash bits = %d, %v; want 0", got, ok)
	}
	if _, ok := s.find(string(s.id(2))); ok {
		t.Error("found a passage the table does not hold")
	}

	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 20000)
	for i := range keys {
		keys[i] = uint64(r.IntN(3000))<<(32+r.IntN(22)) | uint64(i) // many equal high halves
	}
	want := slices.Clone(keys)
	slices.SortStableFunc(want, func(a, b uint64) int { return cmp.Compare(a>>32, b>>32) })
	if got := sortByHigh32(slices.Clone(keys)); !slices.Equal(got, want) {
		t.Error("sortByHigh32 differs from a stable sort by the high 32 bits")
	}
}
