package main

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var scoreRe = regexp.MustCompile(`"score": [0-9.e+-]+`)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update and read the diff):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestAskRenderedGolden: an answer lists the passages it cites as its
// numbered Sources, and related passages apart ("See also"), unnumbered;
// the JSON keeps them apart too (citations / see_also).
func TestAskRenderedGolden(t *testing.T) {
	q := "what temperature for green tea?"
	text, _, err := runCLI(t, nil, "ask", "--corpus", "testdata/answers", "--quotes", q)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ask_cited_and_related.txt.golden", text)
	out, _, err := runCLI(t, nil, "ask", "--corpus", "testdata/answers", "--json", q)
	if err != nil {
		t.Fatal(err)
	}
	// Scores are floating point: their last digits may differ by CPU.
	golden(t, "ask_cited_and_related.json.golden", scoreRe.ReplaceAllString(out, `"score": 0`))

	// What the golden files must show, whatever they hold.
	var a struct {
		Answer    string `json:"answer"`
		Citations []struct {
			N int `json:"n"`
		} `json:"citations"`
		SeeAlso []struct {
			N int `json:"n"`
		} `json:"see_also"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Citations) != 1 || a.Citations[0].N != 1 || len(a.SeeAlso) == 0 {
		t.Fatalf("want one citation and related passages apart: %s", out)
	}
	for _, r := range a.SeeAlso {
		if r.N != 0 {
			t.Errorf("a related passage is numbered: %s", out)
		}
	}
	sources, related, _ := strings.Cut(text, "See also")
	if strings.Count(sources, "\n[") != 1 || !strings.Contains(related, "\n- ") || strings.Contains(related, "[2]") {
		t.Errorf("text output does not keep cited and related apart:\n%s", text)
	}
}
