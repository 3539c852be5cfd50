package retrieval

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/footnote-bot/footnote/corpus"
)

// goodFile is a small index file (storeDocs: three documents of 7, 11
// and 15 passages, in several text blocks).
func goodFile(t testing.TB) []byte {
	t.Helper()
	return buildFile(t, storeDocs())
}

// buildFile is the index file of docs, built with the default parameters.
func buildFile(t testing.TB, docs []corpus.Document) []byte {
	t.Helper()
	ix, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := ix.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// craft reads a file's tables, lets edit change them and writes them
// again as a file with correct checksums: a file made by hand.
func craft(t testing.TB, file []byte, edit func(*fileIndex)) []byte {
	t.Helper()
	fi, err := readFileIndex(bytes.Clone(file))
	if err != nil {
		t.Fatal(err)
	}
	edit(fi)
	l, err := fi.layout()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := l.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixChecksums returns a copy of an index file with every checksum its
// table has room for made to match (what a hand-made file can do).
func fixChecksums(data []byte) []byte {
	data = bytes.Clone(data)
	if len(data) < dataOffset {
		return data
	}
	for i := range numSections {
		e := data[tableOffset+entrySize*i:]
		off, n := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
		if off <= uint64(len(data)) && n <= uint64(len(data))-off {
			binary.LittleEndian.PutUint32(e[16:20], crc32.Checksum(data[off:off+n], castagnoli))
		}
	}
	binary.LittleEndian.PutUint32(data[16:20], 0)
	binary.LittleEndian.PutUint32(data[16:20], crc32.Checksum(data[:dataOffset], castagnoli))
	return data
}

// setIDs replaces the passage IDs.
func setIDs(s *passageStore, ids []string) {
	s.IDs, s.IDEnd = nil, nil
	for _, id := range ids {
		s.IDs = append(s.IDs, id...)
		s.IDEnd = append(s.IDEnd, uint32(len(s.IDs)))
	}
}

// TestCraftedIndexFileRefused reads files with a good checksum whose
// tables disagree: each is refused as corrupt, saying what is wrong,
// before any table is used (no panic, no allocation sized by a count).
func TestCraftedIndexFileRefused(t *testing.T) {
	payload := goodFile(t)
	if _, err := Decode(craft(t, payload, func(*fileIndex) {})); err != nil {
		t.Fatalf("the untouched file: %v", err)
	}
	last := func(fi *fileIndex) *DocInfo { return &fi.Docs[len(fi.Docs)-1] }
	tests := []struct {
		name string
		edit func(*fileIndex)
		want string
	}{
		// The documents' table, which quoting a document and rebuilding an
		// index from the file read (the autocomplete panic).
		{"document starting past the passages", func(fi *fileIndex) { last(fi).First = 40 },
			`document 2 ("doc-2") starts at passage 40, past the 33 passages`},
		{"document running past the passages", func(fi *fileIndex) { last(fi).Count += 5 },
			`document 2 ("doc-2") has 20 passages from passage 18, past the 33 passages`},
		// (Counts and starts are unsigned 32-bit in the file: a negative
		// one cannot be written.)
		{"huge count", func(fi *fileIndex) { fi.Docs[0].Count = math.MaxUint32 },
			`document 0 ("doc-0") has 4294967295 passages from passage 0, past the 33 passages`},
		{"overlapping documents", func(fi *fileIndex) { fi.Docs[1].First--; fi.Docs[1].Count++ },
			`document 1 ("doc-1") starts at passage 6, want 7`},
		{"passages in no document", func(fi *fileIndex) { fi.Docs = fi.Docs[:2] },
			"the documents hold 18 passages, the passage table 33"},
		{"passage numbered with another document", func(fi *fileIndex) { fi.DocOf[3] = 2 },
			"passage 3 is numbered with document 2 but lies in document 0"},
		{"passage of an unknown document", func(fi *fileIndex) { fi.DocOf[3] = 99 }, "numbered with document 99"},
		{"two documents with one ID", func(fi *fileIndex) { fi.Docs[2].ID = "doc-0" }, `two documents with ID "doc-0"`},
		{"two passages with one ID", func(fi *fileIndex) {
			ids := make([]string, fi.Store.Len())
			for i := range ids {
				ids[i] = string(fi.Store.id(i))
			}
			ids[20] = ids[3]
			setIDs(fi.Store, ids)
		}, `two passages with ID "doc-0#4"`},
		{"fewer document numbers than passages", func(fi *fileIndex) { fi.DocOf = fi.DocOf[:32] },
			"33 passages, 32 document numbers"},
		// The passage store.
		{"passage table of another length", func(fi *fileIndex) { fi.Store.Title = fi.Store.Title[:5] }, "passage tables of different lengths"},
		{"string past the string table", func(fi *fileIndex) { fi.Store.Title[4] = uint32(len(fi.Store.Strings)) }, "string reference out of range"},
		{"passage ID past the ID bytes", func(fi *fileIndex) { fi.Store.IDEnd[32] = uint32(len(fi.Store.IDs) + 1) }, "bad passage ID offsets"},
		{"text block past the blocks", func(fi *fileIndex) { fi.Store.BlockEnd[0] = uint64(len(fi.Store.Blocks) + 1) }, "bad text block offsets"},
		{"text block starting past the passages", func(fi *fileIndex) { fi.Store.BlockStart[len(fi.Store.BlockStart)-1] = 33 }, "bad text block starts"},
		{"text block larger than a block may be", func(fi *fileIndex) { fi.Store.TextEnd[int(fi.Store.BlockStart[1])-1] = maxBlockText + 1 },
			"text block 0: 268435457 bytes of text, more than the 268435456 a block may hold"},
		{"text ends out of order", func(fi *fileIndex) { fi.Store.TextEnd[1] = fi.Store.TextEnd[0] - 1 },
			"text block 0: bad passage offsets"},
		{"short postings for many passages", func(fi *fileIndex) { fi.Post = []uint32{1} }, "32-bit postings for 33 passages"},
		// The terms, postings and impacts.
		{"term past the term bytes", func(fi *fileIndex) { fi.TermEnd[0] = uint32(len(fi.TermText) + 1) }, "bad term offsets"},
		{"postings past the posting table", func(fi *fileIndex) { fi.Start[len(fi.Start)-1]++ }, "posting tables of different lengths"},
		{"impact table out of order", func(fi *fileIndex) { fi.Table[0], fi.Table[1] = fi.Table[1], fi.Table[0] }, "impact table: entry 1"},
		{"impact NaN", func(fi *fileIndex) { fi.Table[0] = float32(math.NaN()) }, "impact table: entry 0 is NaN"},
		{"impact infinite", func(fi *fileIndex) { fi.Table[len(fi.Table)-1] = float32(math.Inf(1)) }, "is +Inf"},
		{"impact table too long", func(fi *fileIndex) { fi.Table = make([]float32, 1<<16+1) }, "impact table of 65537 entries"},
		// The scoring parameters.
		{"k1 zero", func(fi *fileIndex) { fi.Params.K1 = 0 }, "bad parameters"},
		{"k1 NaN", func(fi *fileIndex) { fi.Params.K1 = math.NaN() }, "bad parameters"},
		{"b past 1", func(fi *fileIndex) { fi.Params.B = 2 }, "bad parameters"},
		{"negative weight", func(fi *fileIndex) { fi.Params.TitleWeight = -1 }, "bad parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := Decode(craft(t, payload, tt.edit))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, %v; want %v saying %q", ix != nil, err, ErrCorrupt, tt.want)
			}
		})
	}
}

// TestEmptyTextsRoundTrip: passages whose text is empty make empty text
// blocks, which must still read back.
func TestEmptyTextsRoundTrip(t *testing.T) {
	d := doc("a", "", "", "cat", "")
	d.Title = "Empty"
	ix, err := Build(append(synthetic(20, 9), d), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, ix)
	for i := range ix.Len() {
		if got, want := back.PassageAt(i), ix.PassageAt(i); got != want {
			t.Errorf("PassageAt(%d) = %+v, want %+v", i, got, want)
		}
	}
}

// TestTextBlockCheckedOnRead opens files whose first text block is bad
// in each way a block can be: opening does not decompress it, so the
// file opens, but reading a passage of the block gives empty text and
// Damaged says which block, the other blocks read as written, and Verify
// refuses the file. The bomb is a zstd frame that does not say its size
// and decompresses to 64 MiB while its passages say 40 bytes:
// decompressing stops near the 40 bytes (the allocations stay far below
// 64 MiB).
func TestTextBlockCheckedOnRead(t *testing.T) {
	var bomb bytes.Buffer
	enc, err := zstd.NewWriter(&bomb)
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(make([]byte, 64<<20))
	enc.Close()
	good := goodFile(t)
	want, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	// flipped changes a byte of the first block and fixes the section's
	// checksum, so that only zstd's own checksum can tell.
	flipped := func(fi *fileIndex) {
		fi.Store.Blocks = bytes.Clone(fi.Store.Blocks)
		fi.Store.Blocks[fi.Store.BlockEnd[0]-6] ^= 0x55
	}
	tests := []struct {
		name   string
		edit   func(*fileIndex)
		verify string
	}{
		{"decompressing to more than its passages", func(fi *fileIndex) { fi.Store.TextEnd[int(fi.Store.BlockStart[1])-1]-- },
			"text block 0"},
		{"decompressing to less than its passages", func(fi *fileIndex) { fi.Store.TextEnd[int(fi.Store.BlockStart[1])-1]++ },
			"text block 0: "},
		{"failing its checksum", flipped, "text block 0 does not decompress"},
		{"a bomb", func(fi *fileIndex) {
			s := fi.Store
			end := int(s.BlockStart[1])
			s.TextEnd = slices.Clone(s.TextEnd)
			for i := range end {
				s.TextEnd[i] = uint32(40 * (i + 1) / end)
			}
			blocks := append(append([]byte(nil), bomb.Bytes()...), s.Blocks[s.BlockEnd[0]:]...)
			shift := uint64(bomb.Len()) - s.BlockEnd[0]
			s.BlockEnd = slices.Clone(s.BlockEnd)
			for j := range s.BlockEnd {
				s.BlockEnd[j] += shift
			}
			s.Blocks = blocks
		}, "text block 0 decompresses to more than the 40 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := craft(t, good, tt.edit)
			if err := Verify(data); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.verify) {
				t.Errorf("Verify = %v, want %v saying %q", err, ErrCorrupt, tt.verify)
			}
			ix, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode = %v; the blocks are checked when read", err)
			}
			if err := ix.Damaged(); err != nil {
				t.Fatalf("damaged before any block was read: %v", err)
			}
			var told []error
			ix.OnDamage(func(err error) { told = append(told, err) })
			if len(told) != 0 {
				t.Fatalf("OnDamage told of %v before any block was read", told)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p := ix.PassageAt(0)
			runtime.ReadMemStats(&after)
			if p.Text != "" || p.ID != want.PassageAt(0).ID {
				t.Errorf("passage 0 of a bad block = %q %q, want its ID with empty text", p.ID, p.Text)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
				t.Errorf("reading the block allocated %d MiB", n>>20)
			}
			if err := ix.Damaged(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "text block 0") {
				t.Errorf("Damaged = %v, want a corrupt text block 0", err)
			}
			ix.PassageAt(0) // met again: not told again
			if len(told) != 1 || told[0].Error() != ix.Damaged().Error() {
				t.Errorf("OnDamage told %v, want once what Damaged says (%v)", told, ix.Damaged())
			}
			// A hook set after the damage was met hears it at once.
			var late error
			ix.OnDamage(func(err error) { late = err })
			if late == nil || late.Error() != ix.Damaged().Error() {
				t.Errorf("a hook set after the damage heard %v", late)
			}
			last := ix.Len() - 1
			if got := ix.PassageAt(last); got != want.PassageAt(last) {
				t.Errorf("passage %d of a good block = %+v, want %+v", last, got, want.PassageAt(last))
			}
		})
	}
	if err := Verify(good); err != nil {
		t.Errorf("Verify(the good file) = %v", err)
	}
}

// TestCraftedColumnsRefused writes over entries of the document and
// string columns of a good file (what craft cannot express: layout makes
// those columns), fixes the checksums and reads it: refused as corrupt.
func TestCraftedColumnsRefused(t *testing.T) {
	docs := storeDocs()
	for i := range docs {
		docs[i].Sections = []string{"Intro", "Usage"}
	}
	good := buildFile(t, docs)
	if back, err := Decode(good); err != nil || !slices.Equal(back.Docs()[2].Sections, []string{"Intro", "Usage"}) {
		t.Fatalf("the good file: %v", err)
	}
	tests := []struct {
		name string
		sec  int
		at   int // entry
		v    uint32
		want string
	}{
		{"document ID past the string table", secDocStr, 0, math.MaxUint32, "document string reference out of range"},
		{"document title past the string table", secDocStr, 7, 1 << 20, "document string reference out of range"},
		{"document section past the string table", secDocSecs, 0, math.MaxUint32, "document section reference out of range"},
		{"document sections past their table", secDocSecEnd, 0, math.MaxUint32, "bad document section offsets"},
		{"string past the string bytes", secStrEnd, 1, math.MaxUint32, "bad string offsets"},
		{"strings out of order", secStrEnd, 2, 0, "bad string offsets"},
		{"ID order past the documents", secByID, 0, 99, "lists document 99 twice or past the documents"},
		{"a document twice in ID order", secByID, 0, 1, "twice or past the documents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Clone(good)
			off := int(binary.LittleEndian.Uint64(data[tableOffset+entrySize*tt.sec:]))
			n := int(binary.LittleEndian.Uint64(data[tableOffset+entrySize*tt.sec+8:]))
			if 4*(tt.at+1) > n {
				t.Fatalf("section %q has %d bytes", sectionNames[tt.sec], n)
			}
			binary.LittleEndian.PutUint32(data[off+4*tt.at:], tt.v)
			_, err := Decode(fixChecksums(data))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want %v saying %q", err, ErrCorrupt, tt.want)
			}
		})
	}
}

// TestPostingsCheckedOnRead opens files whose postings for one term are
// bad: opening does not read postings, so the file opens, but the term
// matches nothing, Damaged names it, the other terms search as written,
// and Verify refuses the file.
func TestPostingsCheckedOnRead(t *testing.T) {
	good := goodFile(t)
	want, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	// The term whose postings are last in the file, and another.
	lastTerm := string(want.termBytes(want.numTerms() - 1))
	other := string(want.termBytes(0))
	if len(want.Search(lastTerm, 5, Options{})) == 0 || !want.InDoc(lastTerm, "doc-2") {
		t.Fatalf("%q is not in doc-2 of the good file", lastTerm)
	}
	tests := []struct {
		name string
		edit func(*fileIndex)
		say  string
	}{
		{"posting past the last passage", func(fi *fileIndex) {
			fi.Post16 = slices.Clone(fi.Post16)
			fi.Post16[len(fi.Post16)-1] = 33
		}, "out of order or past the last passage"},
		{"postings out of order", func(fi *fileIndex) {
			fi.Post16 = slices.Clone(fi.Post16)
			n := len(fi.Post16)
			if fi.Start[len(fi.Start)-2] > uint32(n-2) {
				t.Fatal("the last term has a single posting")
			}
			fi.Post16[n-1], fi.Post16[n-2] = fi.Post16[n-2], fi.Post16[n-1]
		}, "out of order"},
		{"impact code past the table", func(fi *fileIndex) {
			fi.Imp = slices.Clone(fi.Imp)
			fi.Imp[len(fi.Imp)-1] = uint16(len(fi.Table))
		}, "impact code past the table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := craft(t, good, tt.edit)
			ix, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode = %v; postings are checked when read", err)
			}
			if got, want := fmt.Sprint(ix.Search(other, 5, Options{})), fmt.Sprint(want.Search(other, 5, Options{})); got != want {
				t.Errorf("search %q (good postings) = %s, want %s", other, got, want)
			}
			if err := ix.Damaged(); err != nil {
				t.Fatalf("damaged before the bad postings were read: %v", err)
			}
			if hits := ix.Search(lastTerm, 5, Options{}); len(hits) != 0 {
				t.Errorf("search %q (bad postings) = %d hits, want none", lastTerm, len(hits))
			}
			if ix.InDoc(lastTerm, "doc-2") {
				t.Errorf("InDoc(%q) with bad postings", lastTerm)
			}
			if err := ix.Damaged(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.say) || !strings.Contains(err.Error(), lastTerm) {
				t.Errorf("Damaged = %v, want %v naming %q, saying %q", err, ErrCorrupt, lastTerm, tt.say)
			}
			if err := Verify(data); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("Verify = %v, want %v saying %q", err, ErrCorrupt, tt.say)
			}
		})
	}
}

// TestVerifyChecksEverySection flips one byte in each section of a file
// in turn: Verify names the section whose checksum fails (Open checks
// only the header's and the metadata's, and the tables' bounds).
func TestVerifyChecksEverySection(t *testing.T) {
	good := goodFile(t)
	secs, _, err := sections(good)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range secs {
		if len(b) == 0 {
			continue
		}
		data := bytes.Clone(good)
		off := int(binary.LittleEndian.Uint64(data[tableOffset+entrySize*i:]))
		data[off+len(b)/2] ^= 0x01
		err := Verify(data)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("section %q flipped: Verify = %v, want a checksum mismatch", sectionNames[i], err)
		} else if i != secMeta && !strings.Contains(err.Error(), sectionNames[i]) {
			t.Errorf("section %q flipped: Verify = %v, want it named", sectionNames[i], err)
		}
	}
}

// TestOpenRefusesHugeFile opens a (sparse) file larger than an index file
// may be: refused by its size, before anything is read or allocated.
func TestOpenRefusesHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.idx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxFileBytes + 1); err != nil {
		f.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	f.Close()
	_, err = Open(path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path+" is 8589934593 bytes, more than the 8589934592") {
		t.Errorf("Open = %v, want a corrupt file too large", err)
	}
}

// TestSaveMode saves over nothing and over a private file: either way the
// index file is mode 0644, so a container's user can read it.
func TestSaveMode(t *testing.T) {
	ix, err := Build(synthetic(20, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	private := filepath.Join(dir, "private.idx")
	if err := os.WriteFile(private, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "new.idx"), private} {
		if err := ix.Save(path); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o644 {
			t.Errorf("%s: mode %v, want 0644", filepath.Base(path), got)
		}
	}
}

// TestFailedSaveLeavesNoTempFile fails a save in each of its steps: the
// error names the file, and nothing is left beside it.
func TestFailedSaveLeavesNoTempFile(t *testing.T) {
	ix, err := Build(synthetic(20, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(dir string) string // returns the path to save to
		save  func(path string) error
	}{
		{"write fails", func(dir string) string { return filepath.Join(dir, "x.idx") },
			func(path string) error {
				return saveAtomic(path, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("disk full") })
			}},
		{"rename fails (a folder is there)", func(dir string) string {
			p := filepath.Join(dir, "x.idx")
			os.MkdirAll(filepath.Join(p, "inside"), 0o755)
			return p
		}, ix.Save},
		{"no such folder", func(dir string) string { return filepath.Join(dir, "missing", "x.idx") }, ix.Save},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(dir)
			before, _ := os.ReadDir(dir)
			if err := tt.save(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("save = %v, want an error naming %s", err, path)
			}
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("left behind: %v (before %v)", after, before)
			}
		})
	}
}

// TestStaleTempFiles puts files beside an index before a save: the
// temporary files of killed saves of that index are removed; an empty
// one just created (a save about to lock it) is kept, and so is anything
// that only looks like one.
func TestStaleTempFiles(t *testing.T) {
	ix, err := Build(synthetic(20, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.idx")
	old := time.Now().Add(-2 * staleTempAge)
	files := []struct {
		name    string
		data    string
		old     bool
		removed bool
	}{
		{".x.idx.tmp-123", "FOOTNOTE half", true, true},
		{".x.idx.tmp-4567", "", true, true},
		{".x.idx.tmp-89", "", false, false},
		{".x.idx.tmp-12abc", "FOOTNOTE", true, false},
		{".x.idx.tmp-", "FOOTNOTE", true, false},
		{".y.idx.tmp-123", "FOOTNOTE", true, false},
		{"x.idx.tmp-123", "FOOTNOTE", true, false},
		{".x.idx.tmp-5.idx.tmp-6", "FOOTNOTE", true, false},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if f.old {
			os.Chtimes(p, old, old)
		}
	}
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if gone := errors.Is(err, os.ErrNotExist); gone != f.removed {
			t.Errorf("%s: removed %v, want %v", f.name, gone, f.removed)
		}
	}
}

// TestFingerprintSurvivesTheFile: an index and the same index saved and
// opened have one fingerprint (the opened one's is made of the file's
// section checksums, reading none of its passages); other contents or
// parameters give another.
func TestFingerprintSurvivesTheFile(t *testing.T) {
	ix, err := Build(storeDocs(), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, ix)
	if back.sums == nil {
		t.Fatal("an opened index without its file's checksums")
	}
	if a, b := ix.Fingerprint(), back.Fingerprint(); a != b {
		t.Errorf("built %s, opened %s", a, b)
	}
	other, err := Build(synthetic(30, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.K1 = 1.5
	tuned, err := Build(storeDocs(), p)
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]*Index{"other passages": other, "other parameters": tuned} {
		if o.Fingerprint() == ix.Fingerprint() {
			t.Errorf("%s: the same fingerprint %s", name, o.Fingerprint())
		}
	}
}
