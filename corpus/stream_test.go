package corpus

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// jsonlLine is line n of the collection streamJSONL's tests write: a
// record whose ID and text name the line.
func jsonlLine(n int) string {
	b, _ := json.Marshal(map[string]string{"_id": fmt.Sprintf("doc-%d", n), "title": fmt.Sprintf("Record %d", n),
		"text": fmt.Sprintf("Record %d of the collection tells of valves, pumps and the pressure of line %d.\n\nIts second paragraph is here.", n, n)})
	return string(b)
}

// TestStreamJSONLInParts: a JSON-lines file larger than a part is read in
// parts of whole lines, each handed on when parsed; a malformed line costs
// its part only, named by its lines; a record over MaxFileBytes (which
// then bounds records, not the file) is skipped and named by its line;
// every other record is the document a whole-file parse gives. The same
// through the Sandbox.
func TestStreamJSONLInParts(t *testing.T) {
	dir := t.TempDir()
	const lines = 60000
	const bad, long = 31000, 45000
	var all, clean strings.Builder
	for n := 1; n <= lines; n++ {
		l := jsonlLine(n)
		switch n {
		case bad:
			l = `{"_id": "doc-broken", "text": ` // malformed
		case long:
			l = `{"_id": "doc-long", "text": "` + strings.Repeat("word ", 30000) + `"}`
		default:
			clean.WriteString(l + "\n")
		}
		all.WriteString(l + "\n")
	}
	if all.Len() <= 2*jsonlPart {
		t.Fatalf("the collection is %d bytes, not over two parts (%d)", all.Len(), 2*jsonlPart)
	}
	file := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(file, []byte(all.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := parseJSONL([]byte(clean.String()), &builder{maxWords: DefaultMaxPassageWords}, 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Document{}
	for _, d := range want {
		d.Source = file
		byID[d.ID] = d
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"in process", context.Background()},
		{"sandbox", WithParser(context.Background(), testSandbox(t))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{}
			calls := 0
			skipped, err := StreamPaths(tc.ctx, []string{file}, Options{MaxFileBytes: 64 << 10}, func(docs []Document) error {
				calls++
				for _, d := range docs {
					w, ok := byID[d.ID]
					if !ok {
						t.Fatalf("document %q is not in the collection's good lines", d.ID)
					}
					if !reflect.DeepEqual(d, w) {
						t.Fatalf("document %q streamed:\n%+v\nwhole-file parse:\n%+v", d.ID, d, w)
					}
					if got[d.ID] {
						t.Fatalf("document %q handed on twice", d.ID)
					}
					got[d.ID] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls < 3 {
				t.Errorf("documents handed on in %d calls, want one a part (at least 3)", calls)
			}
			if len(skipped) != 2 {
				t.Fatalf("skipped = %+v, want the bad line's part and the long line", skipped)
			}
			m := regexp.MustCompile(`^lines (\d+)-(\d+) not loaded: line (\d+): `).FindStringSubmatch(skipped[0].Reason)
			if m == nil || skipped[0].Path != file {
				t.Fatalf("first skip = %+v, want the part with line %d named by its lines", skipped[0], bad)
			}
			from, _ := strconv.Atoi(m[1])
			to, _ := strconv.Atoi(m[2])
			at, _ := strconv.Atoi(m[3])
			if at != bad || from > bad || to < bad || to-from > lines/2 {
				t.Errorf("skip %q: want line %d named, inside a part", skipped[0].Reason, bad)
			}
			if skipped[1].Reason != fmt.Sprintf("line %d not loaded: a record over the %d-byte limit", long, 64<<10) {
				t.Errorf("second skip = %q, want line %d over the limit", skipped[1].Reason, long)
			}
			// Every good line outside the failed part, and nothing else.
			for n := 1; n <= lines; n++ {
				id := fmt.Sprintf("doc-%d", n)
				inBad := n >= from && n <= to
				if n == long || n == bad {
					continue
				}
				if got[id] == inBad {
					t.Fatalf("line %d (in the failed part: %v) loaded: %v", n, inBad, got[id])
				}
			}
		})
	}
}

// TestLoadReadsLargeCollections: LoadPaths takes a JSON-lines file over
// MaxFileBytes whole, as long as each record is within it; an ordinary
// file over it is still skipped.
func TestLoadReadsLargeCollections(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	n := 0
	for b.Len() <= jsonlPart+1 {
		n++
		b.WriteString(jsonlLine(n) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "c.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.md"), []byte("# Big\n\n"+strings.Repeat("word ", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := LoadPaths(context.Background(), []string{dir}, Options{MaxFileBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Documents) != n {
		t.Errorf("loaded %d documents from the collection, want %d", len(res.Documents), n)
	}
	if len(res.Skipped) != 1 || !strings.HasSuffix(res.Skipped[0].Path, "big.md") || !strings.Contains(res.Skipped[0].Reason, "over the") {
		t.Errorf("skipped = %+v, want big.md alone, over the limit", res.Skipped)
	}
}

// TestStreamStopsOnEmitError: the receiver's error ends the load and is
// returned.
func TestStreamStopsOnEmitError(t *testing.T) {
	stop := errors.New("enough")
	calls := 0
	_, err := StreamPaths(context.Background(), []string{"testdata/good"}, Options{}, func([]Document) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls, want %v after one", err, calls, stop)
	}
}

func TestReadLine(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int64
		want  []string // lines, "!" for errLongLine
	}{
		{"a\nbb\n", 10, []string{"a\n", "bb\n"}},
		{"a\nbb", 10, []string{"a\n", "bb"}},
		{"", 10, nil},
		{"abc\nd\n", 3, []string{"!", "d\n"}},
		{"ab\n", 3, []string{"ab\n"}},
		{strings.Repeat("x", 100) + "\nok", 10, []string{"!", "ok"}},
		{"ok\n" + strings.Repeat("x", 100), 10, []string{"ok\n", "!"}},
	} {
		r := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
		var got []string
		for {
			l, err := readLine(r, tc.limit)
			if errors.Is(err, errLongLine) {
				got = append(got, "!")
				continue
			}
			if len(l) > 0 {
				got = append(got, string(l))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("readLine(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
