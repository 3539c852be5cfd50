package corpus

import (
	"strings"
	"testing"
)

// showBlocks renders blocks for comparison: a heading as "#"s and its text,
// any other block as its text.
func showBlocks(bl []block) []string {
	var out []string
	for _, b := range bl {
		if b.heading {
			out = append(out, strings.Repeat("#", max(b.level, 1))+" "+b.text)
			continue
		}
		out = append(out, b.text)
	}
	return out
}

func TestUnits(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"prose is split into sentences", "Counters only go up. They reset on restart.", []string{"Counters only go up.", "They reset on restart."}},
		{"a code block has no units", "```yaml\nretention: 30d\n```", nil},
		{"a code block without a language has no units", "```\n# not a heading\nrun it\n```", nil},
		{"a list gives one unit per item, markers removed", "- first item\n- second item", []string{"first item", "second item"}},
		{"nested and numbered items lose their indentation", "1. Stop it.\n  - really\n2. Start it.", []string{"Stop it.", "really", "Start it."}},
		{"a one-item bulleted list is a list", "- only item", []string{"only item"}},
		{"a table gives its rows after the header", "Port | Used for\n9470 | Web UI\n9471 | Cluster", []string{"9470 | Web UI", "9471 | Cluster"}},
		{"an empty first cell still makes a row", "a | b\n | empty first", []string{"| empty first"}},
		{"prose opening with a number is not a list", "1. Complexity: you need to know a lot.", []string{"1. Complexity: you need to know a lot."}},
		{"prose with a pipe on one line is not a table", "Use a | b to pipe. Then stop.", []string{"Use a | b to pipe.", "Then stop."}},
		{"a hard line break does not make a list", "Roses are red,\nviolets are blue.", []string{"Roses are red,\nviolets are blue."}},
		{"a line without a marker makes it prose", "- one\nnot an item", []string{"- one\nnot an item"}},
		{"a jump of two levels is not a list", "- one\n    - too deep", []string{"- one\n    - too deep"}},
		{"an inline code span is not a code block", "```a``` and more", []string{"```a``` and more"}},
	}
	for _, tt := range tests {
		got := Units(tt.text)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("%s: Units(%q) = %q, want %q", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestIsCode(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"```go\nfmt.Println()\n```", true},
		{"```\n```\n```", true},
		{"```\ncode", false},
		{"code\n```", false},
		{"``` ``a`` ```\nx\n```", false}, // a code span first, not a fence
		{"Plain prose.", false},
	}
	for _, tt := range tests {
		if got := (Passage{Text: tt.text}).IsCode(); got != tt.want {
			t.Errorf("Passage{Text: %q}.IsCode() = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestFence(t *testing.T) {
	tests := []struct {
		lang, code, want string
	}{
		{"go", "x := 1\n", "```go\nx := 1\n```"},
		{"", "\n\n  indented\n\tand tabbed  \n\n", "```\n  indented\n\tand tabbed\n```"},
		{"", "\n \n", ""},
	}
	for _, tt := range tests {
		if got := fence(tt.lang, tt.code); got != tt.want {
			t.Errorf("fence(%q, %q) = %q, want %q", tt.lang, tt.code, got, tt.want)
		}
	}
}

func TestCodeLang(t *testing.T) {
	tests := []struct{ info, want string }{
		{"go", "go"},
		{"language-bash", "bash"},
		{"yaml title=\"x.yml\"", "yaml"},
		{"{.python}", "python"},
		{"c++", "c++"},
		{"`weird`", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := codeLang(tt.info); got != tt.want {
			t.Errorf("codeLang(%q) = %q, want %q", tt.info, got, tt.want)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	tests := []struct{ code, want string }{
		{"x", "`x`"},
		{"a ` b", "``a ` b``"},
		{"`tick", "`` `tick ``"},
		{" ", ""},
	}
	for _, tt := range tests {
		if got := codeSpan(tt.code); got != tt.want {
			t.Errorf("codeSpan(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestSplitLongKeepsEachShape(t *testing.T) {
	line := "word word word word word" // five words
	code := "```sh\n" + strings.Repeat(line+"\n", 5) + "```"
	list := strings.TrimSpace(strings.Repeat("- "+line+"\n  - "+line+"\n", 3))
	table := "head one | head two\n" + strings.TrimSpace(strings.Repeat(line+" | x\n", 4))
	tests := []struct {
		name  string
		b     block
		check func(string) bool
		parts int
	}{
		{"code is cut at lines and fenced again", block{text: code, kind: kindCode}, isCode, 3},
		{"a list is cut between lines", block{text: list, kind: kindList}, isList, 3},
		{"a table repeats its header", block{text: table, kind: kindTable}, func(s string) bool {
			return isTable(s) && strings.HasPrefix(s, "head one | head two\n")
		}, 4},
	}
	for _, tt := range tests {
		parts := splitLong(tt.b, 12)
		if len(parts) != tt.parts {
			t.Errorf("%s: splitLong gave %d parts %q, want %d", tt.name, len(parts), parts, tt.parts)
		}
		for _, p := range parts {
			if wordCount(p) > 12 || !tt.check(p) {
				t.Errorf("%s: part %q is over the limit or lost its shape", tt.name, p)
			}
		}
	}
	prose := block{text: "One sentence here. " + strings.Repeat("Then another one. ", 6)}
	for _, p := range splitLong(prose, 6) {
		if !strings.HasSuffix(p, ".") || wordCount(p) > 6 {
			t.Errorf("prose part %q is not whole sentences within the limit", p)
		}
	}
	if got := splitLong(block{text: "```\n" + strings.Repeat("w ", 40) + "\n```", kind: kindCode}, 10); len(got) != 1 {
		t.Errorf("a single code line over the limit was split: %q", got)
	}
}
