package retrieval

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/klauspost/compress/zstd"

	"github.com/footnote-bot/footnote/corpus"
)

// A compressed text block holds up to blockPassages passages and is closed
// once it reaches blockBytes: small enough that quoting a passage
// decompresses a few kilobytes (a few µs), large enough for zstd to find
// repeats (≈2.3× on the synthetic corpus).
const (
	blockPassages = 8
	blockBytes    = 4 << 10
)

// maxBlockText bounds the text of one block, so that a file read from disk
// cannot make a block decompress to more: a block closes at blockBytes, so
// it holds at most a few kilobytes more than its longest passage, which
// is 300 words by default (corpus.DefaultMaxPassageWords) from an article
// file of at most 64 MiB (corpus.DefaultMaxFileBytes).
const maxBlockText = 256 << 20

// passageStore keeps the passages compactly, the way Lucene keeps stored
// fields: metadata in flat tables of integers into one table of distinct
// strings, and the text in zstd-compressed blocks of a few passages.
// Reading a passage decompresses its block. Exported fields are what the
// index file stores.
type passageStore struct {
	Strings    []string // distinct document IDs, titles, sections, headings and URLs; Strings[0] is ""
	IDs        []byte   // passage IDs, concatenated
	IDEnd      []uint32 // passage i's ID is IDs[IDEnd[i-1]:IDEnd[i]]
	DocID      []uint32 // index into Strings, per passage
	Title      []uint32
	Section    []uint32
	Heading    []uint32
	URL        []uint32
	Paragraph  []uint32
	TextEnd    []uint32 // end of passage i's text in its decompressed block
	Blocks     []byte   // compressed blocks, concatenated
	BlockEnd   []uint64 // block j is Blocks[BlockEnd[j-1]:BlockEnd[j]]
	BlockStart []uint32 // block j's first passage

	// ids is the passage-ID table: for each passage the high 32 bits of
	// its ID's hash above its passage number, sorted, so that a lookup is
	// a binary search and a comparison of the IDs whose hash bits match.
	// It is built at open by a radix sort (sequential passes): a hash
	// table's random writes cost a cache miss a passage, which was most
	// of opening a million-passage file.
	ids []uint64
	// damage is the first error reading a text block met (a file's
	// blocks are checked as they are read), or a term's postings.
	damage atomic.Pointer[error]
	// onDamage hears the first damage, once (Index.OnDamage).
	onDamage atomic.Pointer[damageHook]
}

// damageHook is an OnDamage function and whether it has been told.
type damageHook struct {
	f    func(error)
	told atomic.Bool
}

// recordDamage keeps err if it is the first damage met, and tells the
// OnDamage hook.
func (s *passageStore) recordDamage(err error) {
	if s.damage.CompareAndSwap(nil, &err) {
		s.tell()
	}
}

// tell calls the hook with the first damage, once, if both are set.
func (s *passageStore) tell() {
	h, err := s.onDamage.Load(), s.damage.Load()
	if h != nil && err != nil && h.told.CompareAndSwap(false, true) {
		h.f(fmt.Errorf("%w: %v", ErrCorrupt, *err))
	}
}

// decoder is the zstd decoder every store shares: DecodeAll is safe for
// concurrent use and starts no goroutines. It decodes no more than the
// capacity left in the buffer it is given (block sizes it), and never more
// than maxBlockText, whatever a frame says of itself.
var decoder = sync.OnceValue(func() *zstd.Decoder {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderLowmem(true),
		zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderMaxMemory(maxBlockText))
	if err != nil {
		panic(fmt.Sprintf("retrieval: zstd decoder: %v", err)) // only for bad options
	}
	return dec
})

// storeBuilder fills a passageStore, compressing full blocks on a
// goroutine of its own while indexing goes on.
type storeBuilder struct {
	s      *passageStore
	strIdx map[string]uint32
	raw    []byte
	inRaw  int
	work   chan []byte
	done   chan struct{}
}

func newStoreBuilder() *storeBuilder {
	b := &storeBuilder{s: &passageStore{Strings: []string{""}}, strIdx: map[string]uint32{"": 0},
		work: make(chan []byte, 8), done: make(chan struct{})}
	// An encoder per build: its tables (a few MiB) go when the build ends.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("retrieval: zstd encoder: %v", err)) // only for bad options
	}
	go func() {
		defer close(b.done)
		for raw := range b.work {
			b.s.Blocks = enc.EncodeAll(raw, b.s.Blocks)
			b.s.BlockEnd = append(b.s.BlockEnd, uint64(len(b.s.Blocks)))
		}
	}()
	return b
}

// ref returns v's index in the string table, adding a copy of v (a
// loader's strings may be slices of a whole file, which the store must not
// keep alive).
func (b *storeBuilder) ref(v string) uint32 {
	if i, ok := b.strIdx[v]; ok {
		return i
	}
	v = strings.Clone(v)
	i := uint32(len(b.s.Strings))
	b.s.Strings = append(b.s.Strings, v)
	b.strIdx[v] = i
	return i
}

// str returns the table's copy of v.
func (b *storeBuilder) str(v string) string { return b.s.Strings[b.ref(v)] }

func (b *storeBuilder) add(p corpus.Passage) {
	s := b.s
	s.IDs = append(s.IDs, p.ID...)
	s.IDEnd = append(s.IDEnd, uint32(len(s.IDs)))
	s.DocID = append(s.DocID, b.ref(p.DocID))
	s.Title = append(s.Title, b.ref(p.Title))
	s.Section = append(s.Section, b.ref(p.Section))
	s.Heading = append(s.Heading, b.ref(p.Heading))
	s.URL = append(s.URL, b.ref(p.URL))
	s.Paragraph = append(s.Paragraph, uint32(p.Paragraph))
	if b.inRaw == 0 {
		s.BlockStart = append(s.BlockStart, uint32(len(s.IDEnd)-1))
	}
	b.raw = append(b.raw, p.Text...)
	s.TextEnd = append(s.TextEnd, uint32(len(b.raw)))
	b.inRaw++
	if b.inRaw == blockPassages || len(b.raw) >= blockBytes {
		b.flush()
	}
}

func (b *storeBuilder) flush() {
	if b.inRaw == 0 {
		return
	}
	b.work <- b.raw
	b.raw, b.inRaw = nil, 0
}

// finish compresses the last block and returns the store, ready to read.
func (b *storeBuilder) finish() *passageStore {
	b.flush()
	close(b.work)
	<-b.done
	// Drop the slack that appending left in every table.
	s := b.s
	s.Strings, s.IDs, s.Blocks, s.BlockEnd = trimmed(s.Strings), trimmed(s.IDs), trimmed(s.Blocks), trimmed(s.BlockEnd)
	s.BlockStart = trimmed(s.BlockStart)
	for _, t := range []*[]uint32{&s.IDEnd, &s.DocID, &s.Title, &s.Section, &s.Heading, &s.URL, &s.Paragraph, &s.TextEnd} {
		*t = trimmed(*t)
	}
	s.index()
	return s
}

// trimmed drops the slack that appending left in s: a copy of a small
// table, but a large one (over 1 MiB, grown by append a quarter at a
// time) only has its capacity clipped, since copying it would double the
// build's peak memory for a saving of at most a quarter.
func trimmed[S ~[]E, E any](s S) S {
	var e E
	if n := len(s); cap(s)-n <= n/4 && uintptr(n)*unsafe.Sizeof(e) > 1<<20 {
		return s[:n:n]
	}
	return slices.Clone(s)
}

// Len is the number of passages.
func (s *passageStore) Len() int { return len(s.IDEnd) }

// check reports whether the tables agree with each other (for files read
// from disk).
func (s *passageStore) check() error {
	n := s.Len()
	for _, t := range [][]uint32{s.DocID, s.Title, s.Section, s.Heading, s.URL, s.Paragraph, s.TextEnd} {
		if len(t) != n {
			return fmt.Errorf("passage tables of different lengths")
		}
	}
	if len(s.BlockEnd) != len(s.BlockStart) || (n == 0) != (len(s.BlockStart) == 0) {
		return fmt.Errorf("%d text blocks for %d passages", len(s.BlockEnd), n)
	}
	for j, first := range s.BlockStart {
		if (j == 0 && first != 0) || (j > 0 && first <= s.BlockStart[j-1]) || int(first) >= n {
			return fmt.Errorf("bad text block starts")
		}
	}
	if len(s.Strings) == 0 || s.Strings[0] != "" {
		return fmt.Errorf("bad string table")
	}
	if !endOffsets(s.IDEnd, len(s.IDs)) {
		return fmt.Errorf("bad passage ID offsets")
	}
	for _, t := range [][]uint32{s.DocID, s.Title, s.Section, s.Heading, s.URL} {
		for _, v := range t {
			if int(v) >= len(s.Strings) {
				return fmt.Errorf("string reference out of range")
			}
		}
	}
	if !endOffsets(s.BlockEnd, len(s.Blocks)) {
		return fmt.Errorf("bad text block offsets")
	}
	// The passages of each block must end in order, at no more than a
	// block may hold, so that reading a block allocates no more.
	for j := range s.BlockEnd {
		prevT := uint32(0)
		for i := int(s.BlockStart[j]); i < s.blockLimit(j); i++ {
			if s.TextEnd[i] < prevT {
				return fmt.Errorf("text block %d: bad passage offsets", j)
			}
			prevT = s.TextEnd[i]
		}
		if prevT > maxBlockText {
			return fmt.Errorf("text block %d: %d bytes of text, more than the %d a block may hold", j, prevT, maxBlockText)
		}
	}
	return nil
}

// checkBlocks reports whether every text block decompresses to exactly
// its passages' text (check has passed).
func (s *passageStore) checkBlocks() error {
	var raw []byte
	for j := range s.BlockEnd {
		var err error
		if raw, err = s.block(j, raw[:0]); err != nil {
			return err
		}
	}
	return nil
}

// hashID is the 64-bit FNV-1a hash of a passage ID, written out so that
// hashing a million IDs at open allocates nothing (hash/fnv's hashers are
// used through an interface, and each one escapes).
func hashID[T string | []byte](id T) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	return h
}

// index builds the ID lookup table. It returns the number of a passage
// whose ID an earlier one has (a file's tables are refused then), or -1.
func (s *passageStore) index() int {
	keys := make([]uint64, s.Len())
	for i := range keys {
		keys[i] = hashID(s.id(i))&^lowBits | uint64(i)
	}
	keys = sortByHigh32(keys)
	s.ids = keys
	// Equal IDs have equal hashes, so they lie in one run of equal high
	// bits (a run is rarely longer than one).
	for j := 1; j < len(keys); j++ {
		for i := j - 1; i >= 0 && keys[i]&^lowBits == keys[j]&^lowBits; i-- {
			if bytes.Equal(s.id(int(uint32(keys[i]))), s.id(int(uint32(keys[j])))) {
				return int(uint32(keys[j]))
			}
		}
	}
	return -1
}

// lowBits masks a passage number in an ID table key.
const lowBits = 1<<32 - 1

// sortByHigh32 sorts keys by their high 32 bits, stably (LSD radix sort:
// three passes of 11, 11 and 10 bits, each a sequential read and writes
// into 2,048 places).
func sortByHigh32(keys []uint64) []uint64 {
	buf := make([]uint64, len(keys))
	for _, shift := range []uint{32, 43, 54} {
		var count [1 << 11]int
		for _, k := range keys {
			count[(k>>shift)&(1<<11-1)]++
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for _, k := range keys {
			b := (k >> shift) & (1<<11 - 1)
			buf[count[b]] = k
			count[b]++
		}
		keys, buf = buf, keys
	}
	return keys
}

func (s *passageStore) id(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.IDEnd[i-1]
	}
	return s.IDs[start:s.IDEnd[i]]
}

// find returns the number of the passage with this ID.
func (s *passageStore) find(id string) (int, bool) {
	tag := hashID(id) &^ lowBits
	lo, hi := 0, len(s.ids)
	for lo < hi { // the first key with the tag or above
		mid := int(uint(lo+hi) >> 1)
		if s.ids[mid] < tag {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for ; lo < len(s.ids) && s.ids[lo]&^lowBits == tag; lo++ {
		if i := int(uint32(s.ids[lo])); string(s.id(i)) == id {
			return i, true
		}
	}
	return 0, false
}

// blockOf returns the number of the text block passage i is in.
func (s *passageStore) blockOf(i int) int {
	return sort.Search(len(s.BlockStart), func(j int) bool { return int(s.BlockStart[j]) > i }) - 1
}

// blockLimit is one past block j's last passage.
func (s *passageStore) blockLimit(j int) int {
	if j+1 < len(s.BlockStart) {
		return int(s.BlockStart[j+1])
	}
	return s.Len()
}

// block decompresses text block j, appending to dst. It makes room for as
// many bytes as the block's passages end at, and decompresses no more than
// dst can then hold: a block that holds more or less, or fails its
// checksum, is an error.
func (s *passageStore) block(j int, dst []byte) ([]byte, error) {
	start := uint64(0)
	if j > 0 {
		start = s.BlockEnd[j-1]
	}
	want := int(s.TextEnd[s.blockLimit(j)-1])
	dst = slices.Grow(dst, want)
	raw, err := decoder().DecodeAll(s.Blocks[start:s.BlockEnd[j]], dst)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return nil, fmt.Errorf("text block %d decompresses to more than the %d bytes its passages end at", j, want)
	case err != nil:
		return nil, fmt.Errorf("text block %d does not decompress: %w", j, err)
	case len(raw) != want:
		return nil, fmt.Errorf("text block %d: %d bytes, passages end at %d", j, len(raw), want)
	}
	return raw, nil
}

// passage assembles passage i, its text cut from raw, the decompressed
// block it lies in.
func (s *passageStore) passage(i int, raw []byte) corpus.Passage {
	start := uint32(0)
	if i != int(s.BlockStart[s.blockOf(i)]) {
		start = s.TextEnd[i-1]
	}
	text := ""
	if end := s.TextEnd[i]; start <= end && int(end) <= len(raw) {
		text = string(raw[start:end])
	}
	return corpus.Passage{ID: string(s.id(i)), DocID: s.Strings[s.DocID[i]], Title: s.Strings[s.Title[i]],
		Section: s.Strings[s.Section[i]], Heading: s.Strings[s.Heading[i]], Paragraph: int(s.Paragraph[i]),
		URL: s.Strings[s.URL[i]], Text: text}
}

// reader reads passages, decompressing each block once however many of
// its passages are read in a row. A block that cannot be read gives its
// passages empty text, and is reported to the store's damage record.
type storeReader struct {
	s     *passageStore
	j     int
	raw   []byte
	valid bool
}

func (r *storeReader) at(i int) corpus.Passage {
	if j := r.s.blockOf(i); !r.valid || j != r.j {
		raw, err := r.s.block(j, r.raw[:0]) // passages copy their text out
		if err != nil {
			r.s.recordDamage(err)
			raw = r.raw[:0]
		}
		r.j, r.raw, r.valid = j, raw, true
	}
	return r.s.passage(i, r.raw)
}
