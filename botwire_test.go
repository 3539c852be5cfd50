package main

import (
	"reflect"
	"testing"

	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/report"
	"github.com/footnote-bot/footnote/store"
)

// /stats shows what footnote report shows: the store's counts with the
// questions grouped by report.Summarise.
func TestBotStats(t *testing.T) {
	st := store.Stats{Questions: 4, Abstained: 3, Up: 1, Down: 2,
		Asked: []store.Asked{{Question: "How do I bake bread?", Abstained: true}, {Question: "how do i BAKE bread", Abstained: true},
			{Question: "Weather?", Abstained: true}, {Question: "How do I reload?"}},
		MostCited:  []store.Count{{Name: "guide", Count: 2}},
		WorstRated: []store.Rated{{Question: "Who wrote it?", Citations: []string{"guide#1"}, Down: 2}}}
	got := botStats(report.Summarise(st, 5))
	want := bot.Stats{Questions: 4, Abstained: 3, Up: 1, Down: 2,
		Unanswered: []bot.Count{{Name: "How do I bake bread?", Count: 2}, {Name: "Weather?", Count: 1}},
		MostCited:  []bot.Count{{Name: "guide", Count: 2}},
		WorstRated: []bot.Rated{{Question: "Who wrote it?", Citations: []string{"guide#1"}, Down: 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("botStats =\n%+v\nwant\n%+v", got, want)
	}
}
