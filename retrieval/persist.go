package retrieval

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Index file format (version 3; 2 kept passage numbers at 32 bits always):
//
//	offset  size  field
//	0       8     magic "FOOTNOTE"
//	8       4     format version, uint32 big-endian
//	12      8     payload length in bytes, uint64 big-endian
//	20      32    SHA-256 of the payload
//	52      n     payload: a gob-encoded fileIndex
//
// The payload records the analyzer version; a file written by another
// format or analyzer version is refused as stale, one whose length or
// checksum does not match as corrupt.
//
// A file is checked whole before any of it is used, because a file with a
// good checksum can still be made by hand: only a regular file is opened
// (not a device, named pipe, folder or socket), of at most maxFileBytes,
// and read no further than its size; every count and offset in its tables
// must fall inside the table it points into (passage IDs, strings, text
// blocks, terms, postings, impact values, documents); a text block must
// decompress to exactly as many bytes as its passages end at, and no more
// than maxBlockText, checked while decompressing; the documents must cover
// the passages in order, one after another; passage and document IDs must
// be distinct; and the scoring parameters and impact values must be ones
// a build can make (finite, ascending). A file that fails is refused as
// corrupt, saying what is wrong, so searching, quoting or rebuilding from
// an index that was read cannot go wrong later.
//
// Files are written mode 0644 (readable by a container's user) to a
// temporary file .NAME.tmp-DIGITS in the same folder, locked (flock) while
// it is written, synced and renamed over the target, so a crash leaves
// either the old file or the new one, never half of one. A temporary file
// a killed save left behind is unlocked, and the next save of the same
// file removes it.
const (
	fileMagic   = "FOOTNOTE"
	fileVersion = 3
	headerSize  = 8 + 4 + 8 + 32
	// maxFileBytes bounds the index files footnote writes and reads
	// (encoding/gob's own limit on one message on 64-bit machines).
	maxFileBytes = 8 << 30
)

// ErrStale and ErrCorrupt classify index files that cannot be used;
// ErrNotRegular is a path that names something other than a file.
var (
	ErrStale      = errors.New("stale index file")
	ErrCorrupt    = errors.New("corrupt index file")
	ErrNotRegular = errors.New("not a regular file")
)

type fileIndex struct {
	Analyzer string
	Params   Params
	Store    *passageStore
	DocOf    []uint32
	Docs     []DocInfo
	TermText []byte
	TermEnd  []uint32
	Start    []uint32
	Post     []uint32
	Post16   []uint16
	Imp      []uint16
	Lens     []uint32
	AvgLen   float64
	Table    []float32
}

// WriteTo encodes the index in the file format.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	data, err := ix.encode()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(data)
	return int64(n), err
}

// encode returns the index file's bytes, header and payload.
func (ix *Index) encode() ([]byte, error) {
	st := ix.store
	for j := range st.BlockStart {
		if n := st.TextEnd[st.blockLimit(j)-1]; n > maxBlockText {
			return nil, fmt.Errorf("encode index: text block %d holds %d bytes (a passage of about that size), more than the %d an index file may", j, n, maxBlockText)
		}
	}
	var buf bytes.Buffer
	buf.Write(make([]byte, headerSize))
	fi := fileIndex{Analyzer: AnalyzerVersion, Params: ix.params, Store: st, DocOf: ix.docOf,
		Docs: ix.docs, TermText: ix.termText, TermEnd: ix.termEnd,
		Start: ix.start, Post: ix.post, Post16: ix.post16, Imp: ix.imp, Lens: ix.lens, AvgLen: ix.avgLen, Table: ix.table}
	if err := gob.NewEncoder(&buf).Encode(&fi); err != nil {
		return nil, fmt.Errorf("encode index: %w", err)
	}
	data := buf.Bytes()
	if int64(len(data)) > maxFileBytes {
		return nil, fmt.Errorf("encode index: %d bytes, more than the %d an index file may be; split the corpus", len(data), int64(maxFileBytes))
	}
	payload := data[headerSize:]
	copy(data[:8], fileMagic)
	binary.BigEndian.PutUint32(data[8:12], fileVersion)
	binary.BigEndian.PutUint64(data[12:20], uint64(len(payload)))
	sum := sha256.Sum256(payload)
	copy(data[20:headerSize], sum[:])
	return data, nil
}

// Save writes the index to path atomically, mode 0644.
func (ix *Index) Save(path string) error {
	// Encoded before the temporary file exists, so that the file lives
	// only as long as writing it takes.
	data, err := ix.encode()
	if err != nil {
		return fmt.Errorf("save index %s: %w", path, err)
	}
	return saveAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
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

// Open reads an index file written by Save. It refuses at once a path that
// is not a regular file (a device such as /dev/zero, a named pipe, a
// folder), and one larger than an index file can be.
func Open(path string) (*Index, error) {
	data, err := readIndexFile(path)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	ix, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return ix, nil
}

// readIndexFile reads a regular file of at most maxFileBytes, no further
// than the size it had when opened. Its errors name the file.
func readIndexFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regularFile(path, st); err != nil {
		return nil, err
	}
	// Without blocking: a named pipe put there since the Stat would block
	// an ordinary open until a writer came; it is refused by the next
	// check instead.
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regularFile(path, st); err != nil {
		return nil, err
	}
	size := st.Size()
	if size > maxFileBytes || size > math.MaxInt {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d an index file may be", ErrCorrupt, path, size, int64(maxFileBytes))
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("read %s: %w (the file is %d bytes)", path, err, size)
	}
	return data, nil
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

// Decode reads an index from the bytes of an index file, checking every
// table (see the file format).
func Decode(data []byte) (*Index, error) {
	if len(data) < headerSize || string(data[:8]) != fileMagic {
		return nil, fmt.Errorf("%w: not a footnote index (bad magic)", ErrCorrupt)
	}
	if v := binary.BigEndian.Uint32(data[8:12]); v != fileVersion {
		return nil, fmt.Errorf("%w: format version %d, this footnote reads version %d; rebuild it with 'footnote index'", ErrStale, v, fileVersion)
	}
	n := binary.BigEndian.Uint64(data[12:20])
	payload := data[headerSize:]
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("%w: payload is %d bytes, header says %d (truncated?)", ErrCorrupt, len(payload), n)
	}
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], data[20:52]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	var fi fileIndex
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&fi); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if fi.Analyzer != AnalyzerVersion {
		return nil, fmt.Errorf("%w: built with analyzer %q, this footnote uses %q; rebuild it with 'footnote index'", ErrStale, fi.Analyzer, AnalyzerVersion)
	}
	if fi.Store == nil {
		fi.Store = &passageStore{Strings: []string{""}}
	}
	ix := &Index{params: fi.Params, store: fi.Store, docOf: fi.DocOf, docs: fi.Docs, termText: fi.TermText,
		termEnd: fi.TermEnd, start: fi.Start, post: fi.Post, post16: fi.Post16, imp: fi.Imp, lens: fi.Lens, avgLen: fi.AvgLen, table: fi.Table}
	if err := ix.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	ix.internDocs()
	ix.finish()
	for k := 1; k < len(ix.byID); k++ {
		if a, b := ix.docs[ix.byID[k-1]], ix.docs[ix.byID[k]]; a.ID == b.ID {
			return nil, fmt.Errorf("%w: two documents with ID %q", ErrCorrupt, a.ID)
		}
	}
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

// internDocs points the documents' strings at the string table's copies,
// as a build leaves them (decoding gives every field a copy of its own).
func (ix *Index) internDocs() {
	table := make(map[string]string, len(ix.store.Strings))
	for _, v := range ix.store.Strings {
		table[v] = v
	}
	in := func(v string) string {
		if t, ok := table[v]; ok {
			return t
		}
		table[v] = v
		return v
	}
	for i := range ix.docs {
		d := &ix.docs[i]
		d.Title, d.URL, d.Author, d.Date, d.Source = in(d.Title), in(d.URL), in(d.Author), in(d.Date), in(d.Source)
		for j, sec := range d.Sections {
			d.Sections[j] = in(sec)
		}
	}
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
		from, to := ix.start[t], ix.start[t+1]
		if to < from || to > uint32(posts) {
			return fmt.Errorf("bad posting offsets")
		}
		var ok bool
		if ix.post16 != nil {
			ok = ascendingBelow(ix.post16[from:to], n)
		} else {
			ok = ascendingBelow(ix.post[from:to], n)
		}
		if !ok {
			return fmt.Errorf("postings of %q out of order or past the last passage", ix.termBytes(t))
		}
		for _, c := range ix.imp[from:to] {
			if int(c) >= len(ix.table) {
				return fmt.Errorf("impact code past the table")
			}
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
