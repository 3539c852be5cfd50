package corpus

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// kindOf names a passage's shape as Units reads it.
func kindOf(text string) string {
	switch {
	case isCode(text):
		return "code"
	case isList(text):
		return "list"
	case isTable(text):
		return "table"
	}
	return "prose"
}

// renderDocs writes documents and their passages, each passage with its
// shape and its units, as the golden files hold them.
func renderDocs(docs []Document) string {
	var sb strings.Builder
	for _, d := range docs {
		fmt.Fprintf(&sb, "==== %s\ntitle: %s\n", d.ID, d.Title)
		if d.URL != "" {
			fmt.Fprintf(&sb, "url: %s\n", d.URL)
		}
		if d.Author != "" {
			fmt.Fprintf(&sb, "author: %s\n", d.Author)
		}
		fmt.Fprintf(&sb, "sections: %q\n", d.Sections)
		for _, p := range d.Passages {
			fmt.Fprintf(&sb, "\n---- %s (%s) section %q", p.ID, kindOf(p.Text), p.Section)
			if p.Heading != "" {
				fmt.Fprintf(&sb, " heading %q", p.Heading)
			}
			fmt.Fprintf(&sb, "\n%s\n", p.Text)
			for _, u := range Units(p.Text) {
				fmt.Fprintf(&sb, "  • %s\n", strings.ReplaceAll(u, "\n", "\n    "))
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// TestGoldenPassages pins the passages of every fixture in testdata/good and
// testdata/docs. After a deliberate change, run go test -run Golden -update
// and read the diff.
func TestGoldenPassages(t *testing.T) {
	for _, dir := range []string{"good", "docs"} {
		res, err := LoadPaths(context.Background(), []string{"testdata/" + dir}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) != 0 {
			t.Errorf("testdata/%s: skipped %+v", dir, res.Skipped)
		}
		got := renderDocs(res.Documents)
		golden := "testdata/" + dir + ".golden"
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -run Golden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("passages of testdata/%s differ from %s (rerun with -update and read the diff):\n%s", dir, golden, firstDiff(got, string(want)))
		}
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %q\n want %q", i+1, gl, wl)
		}
	}
	return ""
}
