package bot

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/answer/cited"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestAnswerEmbedGolden: the embed of an answer shows the cited passage
// as its numbered Sources and related ones apart, under "See also",
// unnumbered.
func TestAnswerEmbedGolden(t *testing.T) {
	a := cited.Answer{Question: "what temperature for green tea?", Backend: cited.BackendTemplate,
		Text: "Green tea is brewed at 80 °C, well below boiling, so that the leaves do not turn bitter. [1]",
		Citations: []cited.Citation{{N: 1, PassageID: "brewing#1", DocID: "brewing", Title: "Brewing with the Kettle", Section: "Water temperature", Paragraph: 1,
			URL: "https://docs.example.org/kettle/brewing#:~:text=Green%20tea%20is%20brewed,just%20off%20the%20boil."}},
		Related: []cited.Citation{
			{PassageID: "brewing#2", DocID: "brewing", Title: "Brewing with the Kettle", Section: "Water temperature", Paragraph: 2,
				URL: "https://docs.example.org/kettle/brewing#:~:text=The%20kettle%20remembers%20the%20last%20temperature%20you%20chose."},
			{PassageID: "notes#4", DocID: "notes", Title: "Notes (no link)", Paragraph: 4},
		}}
	r := answerReply(a, "1234", false)
	got, err := json.MarshalIndent(r.Embeds, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := "testdata/answer_embed.golden.json"
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -run Golden -update)", err)
	}
	if string(append(got, '\n')) != string(want) {
		t.Errorf("embed differs from %s (rerun with -update and read the diff):\n%s", path, got)
	}
	fields := r.Embeds[0].Fields
	if len(fields) != 2 || fields[0].Name != "Sources" || fields[1].Name != "See also" {
		t.Fatalf("fields = %+v", fields)
	}
	if strings.Count(fields[0].Value, "`[") != 1 || strings.Contains(fields[1].Value, "`[") || strings.Count(fields[1].Value, "• ") != 2 {
		t.Errorf("cited and related not kept apart: %q / %q", fields[0].Value, fields[1].Value)
	}
}
