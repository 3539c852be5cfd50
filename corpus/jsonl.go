package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
// A malformed line fails the file, naming the line.
func parseJSONL(data []byte, b *builder) ([]Document, error) {
	var docs []Document
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
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
