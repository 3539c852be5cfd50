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
