package retrieval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// Index file format (version 5; 4 had no string, document or ID-order
// sections, 3 was one SHA-256-checked gob payload):
//
//	offset  size  field
//	0       8     magic "FOOTNOTE"
//	8       4     format version, uint32 big-endian
//	12      4     number of sections, uint32 little-endian
//	16      4     CRC-32C (Castagnoli) of bytes 0 to the end of the section
//	              table, this field taken as zero
//	20      4     zero
//	24      24·n  section table: per section its offset and length in bytes
//	              (uint64), the CRC-32C of its bytes (uint32) and zero
//	…             the sections, each at an offset that is a multiple of 8
//
// The sections (see layout.go) are the index's tables as little-endian
// arrays, used where they lie once the file is mapped into memory (read
// into it where it cannot be): passages, text blocks, terms, postings,
// the string table (copied out once: strings outlive the mapping) and
// the documents as columns of references into it; last a gob-encoded
// metadata section, the analyzer version and the scoring parameters. A
// file written by another format or analyzer version is refused as
// stale.
//
// Opening a file reads what answering needs and no more: it checks the
// header's and the metadata's checksums, that every section lies inside
// the file, and then that the tables agree, because a file with good
// checksums can still be made by hand. Only a regular file is opened (not
// a device, named pipe, folder or socket), of at most maxFileBytes; every
// count and offset in its tables must fall inside the table it points
// into (passage IDs, strings, text blocks, terms, posting lists,
// documents); terms must be sorted; the documents must cover the
// passages in order, one after another; passage and document IDs must
// be distinct; and the scoring parameters and impact values must be ones
// a build can make (finite, ascending). A file that fails is refused as
// corrupt, saying what is wrong. That is work in proportion to the
// passages and terms, not to the postings or the text, which are
// checked where they are first read instead: a term's postings the first
// time a query reads them (passage numbers ascending and below the
// passage count, impact codes inside the table; a term that fails
// matches nothing), a text block the first time a passage of it is read
// (its zstd checksum, and that it decompresses to exactly as many bytes
// as its passages end at, and no more than maxBlockText, checked while
// decompressing; its passages read with empty text if not). Damaged
// reports the first failure. Verify checks everything, every section's
// checksum, every term and every block, as 'footnote index --verify'
// does.
//
// A mapped file must not be truncated or rewritten in place while it is
// open (reading a page that is gone stops the process, as with any
// memory-mapped index); Save never does that: it writes a new file.
//
// Files are written mode 0644 (readable by a container's user) to a
// temporary file .NAME.tmp-DIGITS in the same folder, locked (flock) while
// it is written, synced and renamed over the target, so a crash leaves
// either the old file or the new one, never half of one. A temporary file
// a killed save left behind is unlocked, and the next save of the same
// file removes it.
const (
	fileMagic   = "FOOTNOTE"
	fileVersion = 5
	// maxFileBytes bounds the index files footnote writes and reads.
	maxFileBytes = 8 << 30
)

// ErrStale and ErrCorrupt classify index files that cannot be used;
// ErrNotRegular is a path that names something other than a file.
var (
	ErrStale      = errors.New("stale index file")
	ErrCorrupt    = errors.New("corrupt index file")
	ErrNotRegular = errors.New("not a regular file")
)

// WriteTo writes the index in the file format.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	defer runtime.KeepAlive(ix)
	l, err := ix.layout()
	if err != nil {
		return 0, err
	}
	return l.writeTo(w)
}

// layout lays the index out as a file.
func (ix *Index) layout() (*layout, error) {
	st := ix.store
	for j := range st.BlockStart {
		if n := st.TextEnd[st.blockLimit(j)-1]; n > maxBlockText {
			return nil, fmt.Errorf("encode index: text block %d holds %d bytes (a passage of about that size), more than the %d an index file may", j, n, maxBlockText)
		}
	}
	fi := fileIndex{Analyzer: AnalyzerVersion, Params: ix.params, Store: st, DocOf: ix.docOf,
		Docs: ix.docs, TermText: ix.termText, TermEnd: ix.termEnd,
		Start: ix.start, Post: ix.post, Post16: ix.post16, Imp: ix.imp, Lens: ix.lens, AvgLen: ix.avgLen, Table: ix.table}
	return fi.layout()
}

// Save writes the index to path atomically, mode 0644.
func (ix *Index) Save(path string) error {
	defer runtime.KeepAlive(ix)
	// Laid out (checksums computed) before the temporary file exists, so
	// that the file lives only as long as writing it takes.
	l, err := ix.layout()
	if err != nil {
		return fmt.Errorf("save index %s: %w", path, err)
	}
	return saveAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if _, err := l.writeTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// tempPrefix begins the names of path's temporary files; CreateTemp ends
// them with decimal digits.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// saveAtomic writes through write into a temporary file beside path, syncs
// it and renames it over path; on any failure path is untouched and the
// temporary file removed. The temporary file is locked while it exists,
// so that another save can tell it from one a killed save left behind,
// which it removes first.
func saveAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	removeStaleTemps(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("save index %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	lockTemp(tmp)
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("save index %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save index %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save index %s: %w", path, err)
	}
	if !renameOpen {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("save index %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		tmp.Close()
		return fmt.Errorf("save index %s: %w", path, err)
	}
	if renameOpen {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("save index %s: %w", path, err)
		}
	}
	return nil
}

// staleTempAge is how long a temporary file may go unwritten before it is
// taken for one a killed save left, where locks cannot tell: Save encodes
// the index first, so writing the file takes seconds.
const staleTempAge = time.Hour

// removeStaleTemps removes the temporary files of path that saves killed
// while writing left behind: regular files named like them (tempPrefix and
// digits) that no live save holds locked (see abandoned). It only tidies
// up, so it reports nothing.
func removeStaleTemps(path string) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(name, openFlags, 0)
		if err != nil {
			continue
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && abandoned(f, st) {
			os.Remove(name)
		}
		f.Close()
	}
}

// Open opens an index file written by Save, mapping it into memory
// where it can (see the file format). It refuses at once a path that is
// not a regular file (a device such as /dev/zero, a named pipe, a folder),
// and one larger than an index file can be. The mapping lasts as long as
// the index.
func Open(path string) (*Index, error) {
	data, release, err := loadIndexFile(path)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	ix, err := Decode(data)
	if err != nil {
		release()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	if release != nil {
		runtime.AddCleanup(ix, func(release func()) { release() }, release)
	}
	return ix, nil
}

// VerifyFile checks an index file whole: what Open checks, every
// section's checksum and every text block.
func VerifyFile(path string) error {
	data, release, err := loadIndexFile(path)
	if err != nil {
		return fmt.Errorf("verify index: %w", err)
	}
	defer release()
	if err := Verify(data); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	return nil
}

// Verify checks the bytes of an index file whole (see VerifyFile).
func Verify(data []byte) error {
	if err := verifySections(data); err != nil {
		return err
	}
	ix, err := Decode(data)
	if err != nil {
		return err
	}
	if err := ix.store.checkBlocks(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	ix.checkTerms()
	return ix.Damaged()
}

// loadIndexFile maps (or reads) a regular file of at most maxFileBytes,
// no further than the size it had when opened; release unmaps it. Its
// errors name the file.
func loadIndexFile(path string) (data []byte, release func(), err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if err := regularFile(path, st); err != nil {
		return nil, nil, err
	}
	// Without blocking: a named pipe put there since the Stat would block
	// an ordinary open until a writer came; it is refused by the next
	// check instead.
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, nil, err
	}
	if err := regularFile(path, st); err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size > maxFileBytes || size > math.MaxInt {
		return nil, nil, fmt.Errorf("%w: %s is %d bytes, more than the %d an index file may be", ErrCorrupt, path, size, int64(maxFileBytes))
	}
	if size >= dataOffset {
		if data, release, err := mapFile(f, int(size)); err == nil {
			return data, release, nil
		}
	}
	// Read into memory aligned for the file's widest entries.
	words := make([]uint64, (size+7)/8)
	data = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)[:size]
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w (the file is %d bytes)", path, err, size)
	}
	return data, func() {}, nil
}

// regularFile reports an error naming what path is if it is not a regular
// file.
func regularFile(path string, st os.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "not a plain file"
	switch {
	case m.IsDir():
		what = "a folder"
	case m&os.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		what = "a socket"
	case m&os.ModeCharDevice != 0:
		what = "a character device"
	case m&os.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s is %s, %w", path, what, ErrNotRegular)
}

// Decode reads an index from the bytes of an index file, checking its
// header and tables (see the file format). The index uses data where it
// lies: data must not change while the index is in use.
func Decode(data []byte) (*Index, error) {
	fi, err := readFileIndex(data)
	if err != nil {
		return nil, err
	}
	ix := &Index{params: fi.Params, store: fi.Store, docOf: fi.DocOf, docs: fi.Docs, termText: fi.TermText,
		termEnd: fi.TermEnd, start: fi.Start, post: fi.Post, post16: fi.Post16, imp: fi.Imp, lens: fi.Lens, avgLen: fi.AvgLen, table: fi.Table}
	if err := ix.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := checkByID(fi.ByID, ix.docs); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	ix.byID, ix.sums = fi.ByID, fi.Sums
	ix.finish()
	return ix, nil
}

// check reports whether the tables of an index read from a file agree
// with each other, and builds the passage ID table.
func (ix *Index) check() error {
	if err := ix.params.check(); err != nil {
		return err
	}
	if err := ix.store.check(); err != nil {
		return err
	}
	np := ix.store.Len()
	if len(ix.docOf) != np || len(ix.lens) != np {
		return fmt.Errorf("inconsistent tables: %d passages, %d document numbers, %d lengths", np, len(ix.docOf), len(ix.lens))
	}
	if len(ix.table) > 1<<16 {
		return fmt.Errorf("impact table of %d entries", len(ix.table))
	}
	for i, v := range ix.table {
		if !(v >= 0) || math.IsInf(float64(v), 0) || (i > 0 && v < ix.table[i-1]) {
			return fmt.Errorf("impact table: entry %d is %v (want finite values ≥ 0, ascending)", i, v)
		}
	}
	if err := ix.checkPostings(); err != nil {
		return err
	}
	if err := ix.checkDocs(); err != nil {
		return err
	}
	if dup := ix.store.index(); dup >= 0 {
		return fmt.Errorf("two passages with ID %q", ix.store.id(dup))
	}
	return nil
}

// checkDocs reports whether the documents cover the passages exactly: each
// document's passages follow the previous document's, every passage is
// numbered with the document it lies in, and the counts add up to the
// passages there are.
func (ix *Index) checkDocs() error {
	np := len(ix.docOf)
	next := 0 // the passage the next document must start at
	for i, d := range ix.docs {
		switch {
		case d.First < 0 || d.First > np:
			return fmt.Errorf("document %d (%q) starts at passage %d, past the %d passages", i, d.ID, d.First, np)
		case d.First != next:
			return fmt.Errorf("document %d (%q) starts at passage %d, want %d (right after the document before)", i, d.ID, d.First, next)
		case d.Count < 0 || d.Count > np-next:
			return fmt.Errorf("document %d (%q) has %d passages from passage %d, past the %d passages", i, d.ID, d.Count, d.First, np)
		}
		for p := next; p < next+d.Count; p++ {
			if ix.docOf[p] != uint32(i) {
				return fmt.Errorf("passage %d is numbered with document %d but lies in document %d (%q)", p, ix.docOf[p], i, d.ID)
			}
		}
		next += d.Count
	}
	if next != np {
		return fmt.Errorf("the documents hold %d passages, the passage table %d", next, np)
	}
	return nil
}

// checkPostings reports whether the term and posting tables of an index
// read from a file are consistent, so that searching it cannot go wrong.
func (ix *Index) checkPostings() error {
	nt := len(ix.termEnd)
	n := uint32(ix.store.Len())
	posts := len(ix.post)
	if narrowPostings(int(n)) {
		posts = len(ix.post16)
		if ix.post != nil {
			return fmt.Errorf("32-bit postings for %d passages", n)
		}
	} else if ix.post16 != nil {
		return fmt.Errorf("16-bit postings for %d passages", n)
	}
	if len(ix.start) != nt+1 || ix.start[0] != 0 || int(ix.start[nt]) != posts || len(ix.imp) != posts {
		return fmt.Errorf("posting tables of different lengths")
	}
	if !endOffsets(ix.termEnd, len(ix.termText)) {
		return fmt.Errorf("bad term offsets")
	}
	for t := range nt {
		if t > 0 && string(ix.termBytes(t-1)) >= string(ix.termBytes(t)) {
			return fmt.Errorf("terms out of order at %q", ix.termBytes(t))
		}
		if from, to := ix.start[t], ix.start[t+1]; to < from || to > uint32(posts) {
			return fmt.Errorf("bad posting offsets")
		}
	}
	return nil
}

// endOffsets reports whether ends are the ascending end offsets of
// consecutive pieces of a buffer of n bytes.
// ascendingBelow reports whether docs ascend strictly and stay below n.
func ascendingBelow[D docNum](docs []D, n uint32) bool {
	for j, d := range docs {
		if uint32(d) >= n || (j > 0 && d <= docs[j-1]) {
			return false
		}
	}
	return true
}

func endOffsets[T uint32 | uint64](ends []T, n int) bool {
	var prev T
	for _, e := range ends {
		if e < prev || e > T(n) {
			return false
		}
		prev = e
	}
	return true
}
