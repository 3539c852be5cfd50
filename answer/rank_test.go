package answer

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/retrieval"
)

func TestProximity(t *testing.T) {
	tests := []struct {
		name      string
		positions [][2]int // word position, term
		terms     int
		want      float64
	}{
		{"adjacent pair", [][2]int{{3, 0}, {4, 1}}, 2, 1},
		{"pair three apart", [][2]int{{0, 0}, {3, 1}}, 2, 0.5},
		{"one term", [][2]int{{1, 0}, {5, 0}}, 2, 0},
		{"tightest window wins", [][2]int{{0, 0}, {9, 1}, {10, 0}}, 2, 1},
		{"three terms in five words", [][2]int{{2, 0}, {4, 1}, {6, 2}}, 3, 3.0 / 5},
		{"none", nil, 2, 0},
	}
	for _, tt := range tests {
		if got := proximity(tt.positions, tt.terms); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: proximity = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTyped(t *testing.T) {
	ix := index(t, "filler text")
	tests := []struct {
		question, sentence string
		want               bool
	}{
		{"When did the war end?", "The war ended in 1763.", true},
		{"When did the war end?", "The war ended after a long siege.", false},
		{"When did the war end in 1763?", "The war ended in 1763.", false}, // the question has the year
		{"Which version added subqueries?", "Subqueries are available in Prometheus 2.7.", true},
		{"How many soldiers were there?", "About 300 men marched.", true},
		{"How many soldiers were there?", "Many men marched.", false},
		{"Who leads the new team?", "The team is headed by former CEO Alexandr Wang.", true},
		{"Who leads the new team?", "The team is headed by a former executive.", false},
		{"How do I run it?", "Run it with `go run .` from the checkout.", true},
		{"How do I run it?", "It is a program.", false},
		{"Which flag sets the retention?", "Use --storage.tsdb.retention.time to set it.", true},
		{"Which intent do mentions need?", "Mentions need the Message Content intent.", true},
	}
	for _, tt := range tests {
		q := analyse(ix, tt.question, nil)
		s := newScorer(ix, q, tt.question, &DefaultRankWeights)
		if got := s.typed(tt.sentence); got != tt.want {
			t.Errorf("%q / %q: typed = %v, want %v", tt.question, tt.sentence, got, tt.want)
		}
	}
}

// TestRescoreFindsTheAnsweringSentence: BM25 prefers the passage that
// repeats the question's words; rescoring prefers the one whose sentence
// holds them together with the kind of answer asked for.
func TestRescoreFindsTheAnsweringSentence(t *testing.T) {
	ix := index(t,
		"The war was long and seemed without end. The war was costly. The war changed the colonies.",
		"After years of fighting in the colonies, across the sea and on the frontier, with many battles won and lost on both sides, the war ended in 1763 with the treaty of Paris.",
	)
	if hits := ix.Search("war end", 2, retrieval.Options{}); len(hits) != 2 || hits[0].Passage.ID != "d#1" {
		t.Fatalf("BM25 alone ranks %+v; the test needs it to prefer d#1", hits)
	}
	a, err := serviceOver(t, ix, Options{}).Answer(context.Background(), Request{Question: "When did the war end?"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Abstained || len(a.Citations) == 0 || a.Citations[0].PassageID != "d#2" {
		t.Fatalf("answer = %+v, want citation 1 to be the passage with the year", a)
	}
}

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		q    string
		want string
	}{
		{"what does honor_timestamps do in a scrape config?", "honor_timestamps"},
		{"how do I set --web.external-url behind a proxy?", "web.external-url"},
		{"where does prometheus.yml live", "prometheus.yml"},
		{"do counters need the _total suffix", "_total"},
		{"is mTLS supported?", "mtls"},
		{"which version is 2.7?", ""},          // a version, not an identifier
		{"is it built-in or per-request?", ""}, // hyphenated words
		{"How do I run it.", ""},               // a sentence's full stop
		{"set storage.tsdb.retention.time.", "storage.tsdb.retention.time"},
	}
	for _, tt := range tests {
		if got := strings.Join(identifiers(tt.q), " "); got != tt.want {
			t.Errorf("identifiers(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	long := strings.Repeat("word ", 200)
	got := cut(long, 700)
	if n := len([]rune(got)); n > 700 || !strings.HasSuffix(got, "word…") {
		t.Errorf("cut to %d runes: %q", n, got[len(got)-20:])
	}
	if cut("short", 700) != "short" {
		t.Error("cut changed a short text")
	}
}

func TestDefines(t *testing.T) {
	ix := index(t, "A histogram is a metric. The capital of France is Paris.")
	tests := []struct {
		question, sentence string
		want               bool
	}{
		{"What is footnote?", "footnote is a Discord bot that answers questions.", true},
		{"What is footnote?", "With footnote, members ask questions.", false},
		{"wat is a histgram", "A histogram is a metric that counts observations in buckets.", true}, // misspelt subject
		{"What is a histogram?", "`histogram_avg()`", false},
		{"What is the capital of France?", "The capital of France is Paris.", true},
		{"What is the capital of France?", "France is a country.", false},
		{"What are mixins?", "Mixins (reusable sets of alerts) ship with dashboards.", true},
		{"How do I run it?", "It is run with go run.", false}, // not a definition question
	}
	for _, tt := range tests {
		q := analyse(ix, tt.question, nil)
		s := newScorer(ix, q, tt.question, &DefaultRankWeights)
		if got := s.defines(tt.sentence); got != tt.want {
			t.Errorf("%q / %q: defines = %v, want %v (subject terms %q)", tt.question, tt.sentence, got, tt.want, q.subjectTerms)
		}
	}
}

// TestPrefixesCoverEveryWord: mayMatch never turns away a word that stems
// to a question term. Checked over the 75,000 words of the embedded word
// list: each word passes the filter built from its own stem. (It turned
// away "dying", "lying" and "tying", whose stems "die", "lie" and "tie"
// begin otherwise, until otherPrefix.)
func TestPrefixesCoverEveryWord(t *testing.T) {
	data, err := os.ReadFile("../retrieval/wordlist/words.txt")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(string(data))
	if len(words) < 70_000 {
		t.Fatalf("only %d words read", len(words))
	}
	for _, w := range words {
		for _, tok := range retrieval.Tokenize(w) {
			stem := retrieval.Stem(tok.Text)
			s := &scorer{prefixes: termPrefixes([]string{stem})}
			if !s.mayMatch(tok.Text) {
				t.Errorf("%q (stem %q) is turned away by its own stem's prefixes", tok.Text, stem)
			}
		}
	}
}
