package corpus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// beirDoc is one line of a BEIR corpus.jsonl.
type beirDoc struct {
	UnderID string `json:"_id"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	URL     string `json:"url"`
}

// parseJSONL reads documents in the BEIR layout, one JSON object a line.
// A malformed line fails the file, naming the line; data's first line is
// line first+1 of its file (data is a part of a larger file when first >
// 0, see streamJSONL).
func parseJSONL(data []byte, b *builder, first int) ([]Document, error) {
	var docs []Document
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := first
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var r beirDoc
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		id := r.UnderID
		if id == "" {
			id = r.ID
		}
		if id == "" {
			return nil, fmt.Errorf("line %d: no \"_id\" or \"id\"", line)
		}
		d := Document{ID: id, Title: strings.TrimSpace(r.Title), URL: r.URL}
		var blocks []block
		for _, p := range paragraphs(strings.ReplaceAll(r.Text, "\r\n", "\n")) {
			blocks = append(blocks, block{text: p})
		}
		if len(blocks) == 0 && d.Title != "" {
			// A title-only record is still findable by its title.
			blocks = append(blocks, block{text: d.Title})
		}
		if d.Title == "" {
			d.Title = id
		}
		b.assemble(&d, blocks)
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no documents")
	}
	return docs, nil
}

// jsonlPart is about how many bytes of a JSON-lines file are parsed at a
// time: a larger file is read in parts of whole lines (streamJSONL), so
// that a collection of any size loads in bounded memory; MaxFileBytes
// then bounds each record (line), not the file.
const jsonlPart = 4 << 20

// streamJSONL reads a JSON-lines file larger than jsonlPart in parts of
// whole lines, each parsed as Parse parses a file (in the Sandbox when ctx
// carries one) and handed to emit. A part that fails to parse is skipped
// and named with its lines; a line over MaxFileBytes is skipped and named;
// the rest of the file goes on. progress gets the bytes read so far.
func streamJSONL(ctx context.Context, fsys fs.FS, name, shown string, opt Options, progress func(int64), emit func([]Document) error) ([]Skip, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return []Skip{{Path: shown, Reason: err.Error()}}, nil
	}
	defer f.Close()
	var skipped []Skip
	r := bufio.NewReaderSize(f, 1<<20)
	var part []byte
	var read int64
	line, partFirst, docs := 0, 0, 0 // lines read; lines before the part
	flush := func() error {
		if len(bytes.TrimSpace(part)) > 0 {
			o := opt
			o.firstLine = partFirst
			got, err := Parse(ctx, "", name, part, o)
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				skipped = append(skipped, Skip{Path: shown, Reason: fmt.Sprintf("lines %d-%d not loaded: %v", partFirst+1, line, err)})
			} else {
				for i := range got {
					got[i].Source = shown
				}
				docs += len(got)
				if err := emit(got); err != nil {
					return err
				}
			}
		}
		part, partFirst = part[:0], line
		progress(read)
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return skipped, err
		}
		l, err := readLine(r, opt.MaxFileBytes)
		if errors.Is(err, errLongLine) {
			// The part so far, then the long line skipped on its own.
			if err := flush(); err != nil {
				return skipped, err
			}
			line++
			partFirst = line
			skipped = append(skipped, Skip{Path: shown, Reason: fmt.Sprintf("line %d not loaded: a record over the %d-byte limit", line, opt.MaxFileBytes)})
			continue
		}
		if err != nil && err != io.EOF {
			return append(skipped, Skip{Path: shown, Reason: fmt.Sprintf("line %d: %v", line+1, err)}), nil
		}
		if len(l) > 0 {
			// A part holds whole lines, up to a part's size or the file
			// limit (a line alone may reach the limit).
			if len(part) > 0 && int64(len(part)+len(l)) > min(jsonlPart, opt.MaxFileBytes) {
				if err := flush(); err != nil {
					return skipped, err
				}
			}
			line++
			read += int64(len(l))
			part = append(part, l...)
		}
		if err == io.EOF {
			if err := flush(); err != nil {
				return skipped, err
			}
			break
		}
	}
	if docs == 0 && len(skipped) == 0 {
		skipped = append(skipped, Skip{Path: shown, Reason: "no documents"})
	}
	return skipped, nil
}

// errLongLine is readLine's for a line over its limit (which it has read
// past, keeping nothing of it).
var errLongLine = errors.New("line over the limit")

// readLine reads one line with its newline (none at the end of the file),
// at most limit bytes of it: a longer line is read to its end and dropped
// (errLongLine).
func readLine(r *bufio.Reader, limit int64) ([]byte, error) {
	var out []byte
	long := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !long {
			if int64(len(out)+len(chunk)) > limit {
				long, out = true, nil
			} else {
				out = append(out, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if long && (err == nil || err == io.EOF) {
			return nil, errLongLine
		}
		return out, err
	}
}
