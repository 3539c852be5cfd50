package retrieval

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strings"
	"unsafe"
)

// The sections of an index file, in file order. Each is a little-endian
// array of one element type; the metadata section, last, is gob.
const (
	secIDs = iota
	secIDEnd
	secDocID
	secTitle
	secSection
	secHeading
	secURL
	secParagraph
	secTextEnd
	secBlocks
	secBlockEnd
	secBlockStart
	secDocOf
	secTermText
	secTermEnd
	secStart
	secPost
	secPost16
	secImp
	secLens
	secTable
	secStrText
	secStrEnd
	secDocStr
	secDocFirst
	secDocCount
	secDocSecEnd
	secDocSecs
	secByID
	secMeta
	numSections
)

// docFields is how many string references a document has in the
// document strings section: ID, title, URL, author, date, source.
const docFields = 6

// sectionNames name the sections in errors; elemSize is each one's
// element size in bytes.
var (
	sectionNames = [numSections]string{"passage IDs", "passage ID ends", "passage documents", "passage titles",
		"passage sections", "passage headings", "passage URLs", "passage paragraphs", "text ends", "text blocks",
		"text block ends", "text block starts", "document numbers", "term bytes", "term ends", "posting starts",
		"postings", "short postings", "impact codes", "passage lengths", "impact table", "string bytes", "string ends",
		"document strings", "document starts", "document passage counts", "document section ends", "document sections", "documents by ID", "metadata"}
	elemSize = [numSections]int{1, 4, 4, 4, 4, 4, 4, 4, 4, 1, 8, 4, 4, 1, 4, 4, 4, 2, 2, 4, 4, 1, 4, 4, 4, 4, 4, 4, 4, 1}
)

const (
	tableOffset = 24 // where the section table starts
	entrySize   = 24 // offset u64, length u64, CRC-32C u32, zero u32
	// dataOffset is where the first section may start.
	dataOffset = tableOffset + entrySize*numSections
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileMeta is the metadata section: what is small, or not an array.
type fileMeta struct {
	Analyzer string
	Params   Params
	AvgLen   float64
}

// fileIndex is what an index file holds, as tables.
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
	ByID     []uint32 // read from a file; a write sorts the documents again
	// Sums are the file's section checksums (read from a file).
	Sums *[numSections]uint32
}

// littleEndian reports whether this machine stores integers as the file
// does, so that its arrays can be used where they lie.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// asBytes is the file's bytes of s: s itself where the machine is
// little-endian, an encoded copy elsewhere.
func asBytes[T uint16 | uint32 | uint64 | float32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	if littleEndian() {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
	}
	b, _ := binary.Append(nil, binary.LittleEndian, s)
	return b
}

// view is the array of Ts that b holds (len(b) a multiple of T's size):
// b itself where the machine is little-endian and b is aligned for T, a
// decoded copy otherwise. Nothing is allocated for an empty b.
func view[T uint16 | uint32 | uint64 | float32](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	n := len(b) / size
	if n == 0 {
		return nil
	}
	if littleEndian() && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	out := make([]T, n)
	binary.Decode(b, binary.LittleEndian, out)
	return out
}

// layout is an index file ready to write: its header and section table,
// and the sections' bytes.
type layout struct {
	head []byte
	secs [numSections][]byte
	sums [numSections]uint32
	size int64
}

func (fi *fileIndex) layout() (*layout, error) {
	s := fi.Store
	var meta bytes.Buffer
	if err := gob.NewEncoder(&meta).Encode(&fileMeta{Analyzer: fi.Analyzer, Params: fi.Params, AvgLen: fi.AvgLen}); err != nil {
		return nil, fmt.Errorf("encode index: %w", err)
	}
	// The documents as columns of references into the string table (a
	// build puts their strings there; any other is added).
	strs := s.Strings
	refs := make(map[string]uint32, len(strs))
	for i, v := range strs {
		if _, ok := refs[v]; !ok {
			refs[v] = uint32(i)
		}
	}
	ref := func(v string) uint32 {
		r, ok := refs[v]
		if !ok {
			if len(strs) == len(s.Strings) {
				strs = slices.Clone(strs)
			}
			r = uint32(len(strs))
			strs = append(strs, v)
			refs[v] = r
		}
		return r
	}
	nd := len(fi.Docs)
	docStr := make([]uint32, 0, docFields*nd)
	first, count, secEnd := make([]uint32, nd), make([]uint32, nd), make([]uint32, nd)
	var docSecs []uint32
	for i, d := range fi.Docs {
		if d.First < 0 || d.Count < 0 || d.First > math.MaxUint32 || d.Count > math.MaxUint32 {
			return nil, fmt.Errorf("encode index: document %q: %d passages from %d", d.ID, d.Count, d.First)
		}
		docStr = append(docStr, ref(d.ID), ref(d.Title), ref(d.URL), ref(d.Author), ref(d.Date), ref(d.Source))
		first[i], count[i] = uint32(d.First), uint32(d.Count)
		for _, sec := range d.Sections {
			docSecs = append(docSecs, ref(sec))
		}
		secEnd[i] = uint32(len(docSecs))
	}
	byID := make([]uint32, nd)
	for i := range byID {
		byID[i] = uint32(i)
	}
	slices.SortStableFunc(byID, func(a, b uint32) int { return strings.Compare(fi.Docs[a].ID, fi.Docs[b].ID) })
	var strText []byte
	strEnd := make([]uint32, len(strs))
	for i, v := range strs {
		strText = append(strText, v...)
		strEnd[i] = uint32(len(strText))
	}
	l := &layout{secs: [numSections][]byte{
		s.IDs, asBytes(s.IDEnd), asBytes(s.DocID), asBytes(s.Title), asBytes(s.Section), asBytes(s.Heading),
		asBytes(s.URL), asBytes(s.Paragraph), asBytes(s.TextEnd), s.Blocks, asBytes(s.BlockEnd), asBytes(s.BlockStart),
		asBytes(fi.DocOf), fi.TermText, asBytes(fi.TermEnd), asBytes(fi.Start), asBytes(fi.Post), asBytes(fi.Post16),
		asBytes(fi.Imp), asBytes(fi.Lens), asBytes(fi.Table), strText, asBytes(strEnd),
		asBytes(docStr), asBytes(first), asBytes(count), asBytes(secEnd), asBytes(docSecs), asBytes(byID), meta.Bytes(),
	}}
	l.head = make([]byte, dataOffset)
	copy(l.head, fileMagic)
	binary.BigEndian.PutUint32(l.head[8:12], fileVersion)
	binary.LittleEndian.PutUint32(l.head[12:16], numSections)
	off := uint64(dataOffset)
	for i, b := range l.secs {
		off = align8(off)
		e := l.head[tableOffset+entrySize*i:]
		binary.LittleEndian.PutUint64(e[0:8], off)
		binary.LittleEndian.PutUint64(e[8:16], uint64(len(b)))
		l.sums[i] = crc32.Checksum(b, castagnoli)
		binary.LittleEndian.PutUint32(e[16:20], l.sums[i])
		off += uint64(len(b))
	}
	binary.LittleEndian.PutUint32(l.head[16:20], crc32.Checksum(l.head, castagnoli))
	l.size = int64(off)
	if l.size > maxFileBytes {
		return nil, fmt.Errorf("encode index: %d bytes, more than the %d an index file may be; split the corpus", l.size, int64(maxFileBytes))
	}
	return l, nil
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

var zeros [8]byte

// writeTo writes the file: header, then each section at its offset.
func (l *layout) writeTo(w io.Writer) (int64, error) {
	n, err := w.Write(l.head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	for _, b := range l.secs {
		if pad := align8(uint64(total)) - uint64(total); pad > 0 {
			n, err := w.Write(zeros[:pad])
			total += int64(n)
			if err != nil {
				return total, err
			}
		}
		n, err := w.Write(b)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// sections checks an index file's header and section table and returns
// the sections, slices of data, and their checksums. The header's own
// checksum is checked, the sections' are not (see verifySections).
func sections(data []byte) (secs [numSections][]byte, sums [numSections]uint32, err error) {
	if len(data) < 12 || string(data[:8]) != fileMagic {
		return secs, sums, fmt.Errorf("%w: not a footnote index (bad magic)", ErrCorrupt)
	}
	if v := binary.BigEndian.Uint32(data[8:12]); v != fileVersion {
		return secs, sums, fmt.Errorf("%w: format version %d, this footnote reads version %d; rebuild it with 'footnote index'", ErrStale, v, fileVersion)
	}
	if len(data) < dataOffset {
		return secs, sums, fmt.Errorf("%w: %d bytes, shorter than the header (truncated?)", ErrCorrupt, len(data))
	}
	if n := binary.LittleEndian.Uint32(data[12:16]); n != numSections {
		return secs, sums, fmt.Errorf("%w: %d sections, want %d", ErrCorrupt, n, numSections)
	}
	head := bytes.Clone(data[:dataOffset])
	want := binary.LittleEndian.Uint32(head[16:20])
	binary.LittleEndian.PutUint32(head[16:20], 0)
	if crc32.Checksum(head, castagnoli) != want {
		return secs, sums, fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	size := uint64(len(data))
	for i := range secs {
		e := data[tableOffset+entrySize*i:]
		off, n := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
		switch {
		case off < dataOffset || off%8 != 0:
			return secs, sums, fmt.Errorf("%w: section %q at offset %d", ErrCorrupt, sectionNames[i], off)
		case off > size || n > size-off:
			return secs, sums, fmt.Errorf("%w: section %q (%d bytes at %d) runs past the end of the %d-byte file (truncated?)", ErrCorrupt, sectionNames[i], n, off, size)
		case n%uint64(elemSize[i]) != 0:
			return secs, sums, fmt.Errorf("%w: section %q is %d bytes, not a whole number of %d-byte entries", ErrCorrupt, sectionNames[i], n, elemSize[i])
		}
		secs[i] = data[off : off+n : off+n]
		sums[i] = binary.LittleEndian.Uint32(e[16:20])
	}
	return secs, sums, nil
}

// readFileIndex reads the tables of an index file, used where they lie
// in data: the header and the metadata are checked against their
// checksums, the other sections only for their bounds (the tables are
// checked for consistency afterwards).
func readFileIndex(data []byte) (*fileIndex, error) {
	secs, sums, err := sections(data)
	if err != nil {
		return nil, err
	}
	if crc32.Checksum(secs[secMeta], castagnoli) != sums[secMeta] {
		return nil, fmt.Errorf("%w: metadata checksum mismatch", ErrCorrupt)
	}
	var m fileMeta
	if err := gob.NewDecoder(bytes.NewReader(secs[secMeta])).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrCorrupt, err)
	}
	if m.Analyzer != AnalyzerVersion {
		return nil, fmt.Errorf("%w: built with analyzer %q, this footnote uses %q; rebuild it with 'footnote index'", ErrStale, m.Analyzer, AnalyzerVersion)
	}
	strs, err := readStrings(secs[secStrText], view[uint32](secs[secStrEnd]))
	if err != nil {
		return nil, err
	}
	docs, err := readDocs(strs, view[uint32](secs[secDocStr]), view[uint32](secs[secDocFirst]), view[uint32](secs[secDocCount]),
		view[uint32](secs[secDocSecEnd]), view[uint32](secs[secDocSecs]))
	if err != nil {
		return nil, err
	}
	nilIfEmpty := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		return b
	}
	st := &passageStore{Strings: strs, IDs: nilIfEmpty(secs[secIDs]), IDEnd: view[uint32](secs[secIDEnd]),
		DocID: view[uint32](secs[secDocID]), Title: view[uint32](secs[secTitle]), Section: view[uint32](secs[secSection]),
		Heading: view[uint32](secs[secHeading]), URL: view[uint32](secs[secURL]), Paragraph: view[uint32](secs[secParagraph]),
		TextEnd: view[uint32](secs[secTextEnd]), Blocks: nilIfEmpty(secs[secBlocks]), BlockEnd: view[uint64](secs[secBlockEnd]),
		BlockStart: view[uint32](secs[secBlockStart])}
	return &fileIndex{Analyzer: m.Analyzer, Params: m.Params, Store: st, DocOf: view[uint32](secs[secDocOf]), Docs: docs,
		TermText: nilIfEmpty(secs[secTermText]), TermEnd: view[uint32](secs[secTermEnd]), Start: view[uint32](secs[secStart]),
		Post: view[uint32](secs[secPost]), Post16: view[uint16](secs[secPost16]), Imp: view[uint16](secs[secImp]),
		Lens: view[uint32](secs[secLens]), AvgLen: m.AvgLen, Table: view[float32](secs[secTable]), ByID: view[uint32](secs[secByID]),
		Sums: &sums}, nil
}

// readStrings makes the string table: one copy of its bytes (strings
// outlive the mapping), cut at its ends. An empty table is the one
// string "".
func readStrings(text []byte, ends []uint32) ([]string, error) {
	if len(ends) == 0 {
		return []string{""}, nil
	}
	if !endOffsets(ends, len(text)) || int(ends[len(ends)-1]) != len(text) {
		return nil, fmt.Errorf("%w: bad string offsets", ErrCorrupt)
	}
	all := string(text)
	strs := make([]string, len(ends))
	from := uint32(0)
	for i, e := range ends {
		strs[i] = all[from:e]
		from = e
	}
	return strs, nil
}

// readDocs makes the documents from their columns, checking that the
// columns agree and every reference falls inside the string table.
func readDocs(strs []string, fields, first, count, secEnd, secs []uint32) ([]DocInfo, error) {
	nd := len(first)
	if len(fields) != docFields*nd || len(count) != nd || len(secEnd) != nd {
		return nil, fmt.Errorf("%w: document tables of different lengths", ErrCorrupt)
	}
	if !endOffsets(secEnd, len(secs)) {
		return nil, fmt.Errorf("%w: bad document section offsets", ErrCorrupt)
	}
	n := uint32(len(strs))
	for _, r := range fields {
		if r >= n {
			return nil, fmt.Errorf("%w: document string reference out of range", ErrCorrupt)
		}
	}
	sections := make([]string, len(secs))
	for i, r := range secs {
		if r >= n {
			return nil, fmt.Errorf("%w: document section reference out of range", ErrCorrupt)
		}
		sections[i] = strs[r]
	}
	docs := make([]DocInfo, nd)
	from := uint32(0)
	for i := range docs {
		f := fields[docFields*i : docFields*(i+1)]
		d := DocInfo{ID: strs[f[0]], Title: strs[f[1]], URL: strs[f[2]], Author: strs[f[3]], Date: strs[f[4]], Source: strs[f[5]],
			First: int(first[i]), Count: int(count[i])}
		if to := secEnd[i]; to > from {
			d.Sections = sections[from:to:to]
			from = to
		}
		docs[i] = d
	}
	return docs, nil
}

// verifySections checks every section of an index file against its
// checksum.
func verifySections(data []byte) error {
	secs, sums, err := sections(data)
	if err != nil {
		return err
	}
	for i, b := range secs {
		if crc32.Checksum(b, castagnoli) != sums[i] {
			return fmt.Errorf("%w: section %q: checksum mismatch", ErrCorrupt, sectionNames[i])
		}
	}
	return nil
}

// checkByID reports whether byID lists every document once, in strictly
// ascending ID order (so IDs are distinct).
func checkByID(byID []uint32, docs []DocInfo) error {
	if len(byID) != len(docs) {
		return fmt.Errorf("%d documents in ID order, %d documents", len(byID), len(docs))
	}
	seen := make([]bool, len(docs))
	for k, d := range byID {
		if int(d) >= len(docs) || seen[d] {
			return fmt.Errorf("the documents' ID order lists document %d twice or past the documents", d)
		}
		seen[d] = true
		if k > 0 {
			switch prev := docs[byID[k-1]].ID; strings.Compare(prev, docs[d].ID) {
			case 0:
				return fmt.Errorf("two documents with ID %q", prev)
			case 1:
				return fmt.Errorf("the documents' ID order puts %q before %q", prev, docs[d].ID)
			}
		}
	}
	return nil
}
