package bot

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/footnote-bot/footnote/answer"
)

// citeRe matches citation markers as answers write them: [1] to [999].
var citeRe = regexp.MustCompile(`\[\d{1,3}\]`)

// checkSplit asserts SplitText's promises.
func checkSplit(t *testing.T, in string, limit int) []string {
	t.Helper()
	parts := SplitText(in, limit)
	// A piece may leave a code block open only if the input does.
	balanced := strings.Count(in, "```")%2 == 0 && !strings.Contains(in, "````")
	if limit < 16 {
		limit = 16
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > limit {
			t.Fatalf("part %d has %d characters, limit %d: %q", i, n, limit, p)
		}
		if balanced && strings.Count(p, "```")%2 != 0 {
			t.Fatalf("part %d leaves a code block open: %q", i, p)
		}
	}
	joined := strings.Join(parts, " ")
	if len(citeRe.FindAllString(in, -1)) != len(citeRe.FindAllString(joined, -1)) {
		t.Fatalf("citation markers cut: in %q, parts %q", in, parts)
	}
	// SplitText may add fences and drop white space at cuts; everything
	// else must survive in order.
	strip := func(s string) string {
		s = strings.ReplaceAll(s, "`", "")
		return strings.Join(strings.Fields(s), "")
	}
	if strip(in) != strip(joined) {
		t.Fatalf("text lost or changed:\n in: %q\nout: %q", in, parts)
	}
	return parts
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("Widgets click into place [1]. ", 100)
	tests := []struct {
		name  string
		in    string
		limit int
		want  int // pieces
	}{
		{"short", "Hello [1].", 2000, 1},
		{"sentences", long, 200, 0},
		{"paragraphs", strings.Repeat("Para one is here.\n\n", 50), 100, 0},
		{"no spaces", strings.Repeat("x", 500), 100, 6},
		{"code block", "Intro.\n```\n" + strings.Repeat("code line\n", 40) + "```\nAfter.", 120, 0},
		{"unicode", strings.Repeat("é ", 300), 50, 0},
	}
	for _, tt := range tests {
		parts := checkSplit(t, tt.in, tt.limit)
		if tt.want > 0 && len(parts) != tt.want {
			t.Errorf("%s: %d parts, want %d", tt.name, len(parts), tt.want)
		}
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("Widgets click into place [1]. Then [12] more.", 20)
	f.Add("```\ncode\n```", 16)
	f.Add(strings.Repeat("[1]", 40), 17)
	f.Fuzz(func(t *testing.T, in string, limit int) {
		if !utf8.ValidString(in) || limit <= 0 || limit > 5000 {
			return
		}
		checkSplit(t, in, limit)
	})
}

func TestAnswerReplyWithinEmbedLimits(t *testing.T) {
	a := answer.Answer{Text: strings.Repeat("A very long answer sentence with a citation [1]. ", 200), Backend: answer.BackendLLM}
	for i := 1; i <= 40; i++ {
		a.Citations = append(a.Citations, answer.Citation{N: i, PassageID: "doc#1", Title: strings.Repeat("Long title ", 20),
			Section: "Section", Paragraph: i, URL: "https://example.com/a#:~:text=" + strings.Repeat("x", 100)})
	}
	r := answerReply(a, "123", false)
	total := 0
	if len(r.Embeds) > maxEmbeds {
		t.Fatalf("%d embeds", len(r.Embeds))
	}
	for _, e := range r.Embeds {
		if runes(e.Description) > maxDesc || len(e.Fields) > maxFields {
			t.Errorf("embed over limits: desc %d fields %d", runes(e.Description), len(e.Fields))
		}
		for _, f := range e.Fields {
			if runes(f.Value) > maxFieldValue || runes(f.Name) > maxFieldName {
				t.Errorf("field over limits: %d", runes(f.Value))
			}
			for _, line := range strings.Split(f.Value, "\n") {
				if !strings.HasPrefix(line, "`[") {
					t.Errorf("a source line was cut: %q", line)
				}
			}
		}
		total += embedSize(e)
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds total %d characters, over 6000", total)
	}
}

func TestQuotesNeutraliseMarkdown(t *testing.T) {
	q := quoteBlock("Line one\n```\nrm -rf /\n``` ||spoiler|| @everyone")
	if strings.Contains(q, "```") || strings.Contains(q, "||") {
		t.Errorf("quote can break out of its block: %q", q)
	}
	for _, l := range strings.Split(q, "\n") {
		if !strings.HasPrefix(l, "> ") {
			t.Errorf("line outside the quote: %q", l)
		}
	}
}
