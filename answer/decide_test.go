package answer

import (
	"context"
	"math"
	"testing"
)

func TestDecideIsMonotoneInCoverage(t *testing.T) {
	w := DefaultDecisionWeights
	low := w.Decide(Signals{Cover: 0.2, UnitCover: 0.2, Terms: 3})
	high := w.Decide(Signals{Cover: 0.9, UnitCover: 0.9, Prox: 0.5, Specific: 1, Terms: 3})
	missing := w.Decide(Signals{Cover: 0.9, UnitCover: 0.9, Prox: 0.5, Specific: 1, Missing: 0.5, Terms: 3})
	if !(low < DefaultMinConfidence && high > DefaultMinConfidence) {
		t.Errorf("confidence: low coverage %.2f, high coverage %.2f; want them either side of %.2f", low, high, DefaultMinConfidence)
	}
	if !(missing < high) {
		t.Errorf("a question whose words the articles lack is as confident (%.2f) as one they have (%.2f)", missing, high)
	}
	for _, c := range []float64{low, high, missing} {
		if c < 0 || c > 1 || math.IsNaN(c) {
			t.Errorf("confidence %v outside [0, 1]", c)
		}
	}
}

func TestSweep(t *testing.T) {
	r := QAReport{Results: []QAResult{
		{ID: "a1", Confidence: 0.9, InAnswer: true, At: 1},
		{ID: "a2", Confidence: 0.6, InAnswer: true, At: 1},
		{ID: "a3", Confidence: 0.3, InAnswer: false, At: 2},
		{ID: "a4", Confidence: 0.2, InAnswer: true, At: 1},
		{ID: "o1", WantAbstain: true, Confidence: 0.7},
		{ID: "o2", WantAbstain: true, Confidence: 0.25},
	}}
	rows := Sweep(r, []float64{0.1, 0.5, 0.8})
	want := []SweepRow{
		{Threshold: 0.1, InAnswer: 0.75, GoldAt1: 0.75, FalseAbstain: 0, Abstained: 0},
		{Threshold: 0.5, InAnswer: 0.5, GoldAt1: 0.5, FalseAbstain: 0.5, Abstained: 0.5},
		{Threshold: 0.8, InAnswer: 0.25, GoldAt1: 0.25, FalseAbstain: 0.75, Abstained: 1},
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("Sweep row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
}

func TestEvaluateQAScoresAnswerTextAndCitations(t *testing.T) {
	ix := index(t, "Prometheus listens on port 9090 by default.", "Grafana draws the dashboards.")
	s := serviceOver(t, ix, Options{})
	r, err := EvaluateQA(context.Background(), s, []QAItem{
		{ID: "q1", Question: "what port does prometheus listen on", Gold: "port 9090", Answers: []string{"port 9090", "9090."}},
		{ID: "q2", Question: "what draws the dashboards", Gold: "Grafana"},
		{ID: "q3", Question: "What is the capital of Australia?", Abstain: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Answerable != 2 || r.InAnswer != 2 || r.GoldAt1 != 2 || r.OutOfCorpus != 1 || r.Abstained != 1 {
		t.Errorf("report = %s\n%v", r, r.Failures)
	}
	if len(r.Results) != 3 || r.Results[0].Cited[0] != "d#1" {
		t.Errorf("results = %+v", r.Results)
	}
}

// TestRestAndUnmatched: a question whose words the articles have, but
// never in one sentence ("Where was the Rhine rebuilt?": one sentence names
// the Rhine, another something rebuilt), gets no rest and half its words
// unmatched; questions a sentence answers get both covered; and the fitted
// decision is less confident in a question sharing one word with the best
// sentence than in one it covers, at the same coverage.
func TestRestAndUnmatched(t *testing.T) {
	ix := index(t,
		"Huguenot refugees settled in towns along the Rhine in the seventeenth century.",
		"The Rhine rises in the Swiss Alps and flows north to the sea.",
		"Bread and cheese were sold at the market on Saturdays.",
		"The market square was rebuilt after the war.")
	s := serviceOver(t, ix, Options{NoAbstain: true})
	ask := func(q string) Signals {
		t.Helper()
		a, err := s.Answer(context.Background(), Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		return a.Signals
	}
	for _, c := range []struct {
		q               string
		rest, unmatched float64
	}{
		{"Where did Huguenot refugees settle along the Rhine?", 1, 0},
		{"Where was the Rhine rebuilt?", 0, 0.5},
		{"Does the Rhine rise in the Alps?", 1, 0},
	} {
		sig := ask(c.q)
		if math.Abs(sig.Rest-c.rest) > 1e-9 || math.Abs(sig.Unmatched-c.unmatched) > 1e-9 {
			t.Errorf("%q: rest %.2f, unmatched %.2f; want %.2f, %.2f", c.q, sig.Rest, sig.Unmatched, c.rest, c.unmatched)
		}
	}
	w := DefaultDecisionWeights
	base := Signals{Cover: 0.6, UnitCover: 0.6, Specific: 1, Prox: 0.3, Terms: 3}
	answered, oneWord := base, base
	answered.Rest, answered.Unmatched = 1, 0
	oneWord.Rest, oneWord.Unmatched = 0, 2.0/3
	if !(w.Decide(oneWord) < w.Decide(answered)) {
		t.Errorf("one shared word: confidence %.2f, not below the covered question's %.2f", w.Decide(oneWord), w.Decide(answered))
	}
}
