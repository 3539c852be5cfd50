package answer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

func index(t *testing.T, texts ...string) *retrieval.Index {
	t.Helper()
	d := corpus.Document{ID: "d", Title: "Notes"}
	for i, tx := range texts {
		d.Passages = append(d.Passages, corpus.Passage{ID: "d#" + string(rune('1'+i)), DocID: "d", Title: "Notes", Paragraph: i + 1, Text: tx})
	}
	ix, err := retrieval.Build([]corpus.Document{d}, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func serviceOver(t *testing.T, ix *retrieval.Index, opt Options) *Service {
	t.Helper()
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return New(func() *retrieval.Index { return ix }, p, opt)
}

func TestAnalyse(t *testing.T) {
	ix := index(t, "The security model covers histogram buckets.", "Data retention is 15 days by default: keep it.",
		"The info function was added to join metrics.", "Warsaw's economy is characterised by manufacturing.",
		"She leads the team from the office.", "Configure the flag that sets it.")
	tests := []struct {
		q       string
		typ     answerType
		terms   string // describe()
		subject string
	}{
		{"wat is the securty model", anyType, "securty~secur model", "securty model"},
		{"How many days is data retained?", numberType, "days→day data retained?+retent", ""},
		{"how long do u keep data", numberType, "keep data", ""},
		{"wich histgram buckets?", anyType, "histgram~histogram buckets→bucket", ""},
		{"When was the info function added?", timeType, "info function added→ad", ""},
		{"Is Warsaw's economy characterized by steel?", anyType, "warsaw economy→economi characterized~characteris steel?", ""},
		{"Who leads the team?", personType, "leads→lead team", ""},
		{"Where is the office?", placeType, "office→offic", ""},
		{"How do I configure the retention?", howToType, "configure→configur retention→retent", ""},
		{"Which flag sets the retention?", settingType, "flag sets→set retention→retent", ""},
		{"What is the capital of Australia?", anyType, "capital? australia?", "capital of australia"},
	}
	for _, tt := range tests {
		q := analyse(ix, tt.q, nil)
		if q.typ != tt.typ || q.describe() != tt.terms || q.subject != tt.subject {
			t.Errorf("analyse(%q) = type %v, terms %q, subject %q; want %v, %q, %q", tt.q, q.typ, q.describe(), q.subject, tt.typ, tt.terms, tt.subject)
		}
	}
}

func TestNormalizeWordsLeavesIndexTermsAlone(t *testing.T) {
	ix := index(t, "Set the env variable and read the info page.")
	for in, want := range map[string]string{
		"how do u set the env": "how do you set the env", // "env" is an index term here
		"pls show the info":    "please show the info",   // and so is "info"
		"wich page":            "which page",             // a misspelt function word
		"wat r the docs":       "what are the docs",      // chat words
		"idk how to set it":    " how to set it",         // filler dropped
		"what is the waht":     "what is the what",       // one edit from "what"
		"Doesnt it work":       "does not it work",       // chat contraction
		"histogram":            "histogram",              // a content word
		"pages":                "pages",                  // an index term's inflection
	} {
		if got := normalizeWords(ix, in); got != want {
			t.Errorf("normalizeWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetrievalTermsWeights(t *testing.T) {
	ix := index(t, "Data retention and histogram growth.")
	var parts []string
	for _, qt := range analyse(ix, "histgram grow retain", nil).retrievalTerms() {
		parts = append(parts, fmt.Sprintf("%s=%g", qt.Term, qt.Weight))
	}
	want := "histogram=0.8 grow=1 retain=1 growth=0.5 retent=0.5"
	if got := strings.Join(parts, " "); got != want {
		t.Errorf("retrievalTerms = %q, want %q", got, want)
	}
}
