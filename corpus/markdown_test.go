package corpus

import (
	"fmt"
	"strings"
	"testing"
)

func TestMarkdownBlocks(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		// Paragraphs and inline markup.
		{"a hard-wrapped paragraph is one line", "Lanternfish keeps traces\nfor fourteen days\nby default.",
			[]string{"Lanternfish keeps traces for fourteen days by default."}},
		{"a hard line break stays a newline", "first line  \nsecond line\\\nthird line",
			[]string{"first line\nsecond line\nthird line"}},
		{"emphasis and strikethrough markers are dropped", "Keep **14 days** of *recent* ~~old~~ data.",
			[]string{"Keep 14 days of recent old data."}},
		{"a link is its text", "See [the storage docs](storage.md#retention) and [this](https://x.example/a_b).",
			[]string{"See the storage docs and this."}},
		{"a reference link is its text", "Read [the guide][g] or [g].\n\n[g]: https://x.example/guide",
			[]string{"Read the guide or g."}},
		{"an image is its alt text or nothing", "Look: ![the *architecture*](a.png) ![](b.png) done.",
			[]string{"Look: the architecture done."}},
		{"an autolink is its URL", "Docs at <https://x.example/docs> or <team@x.example>.",
			[]string{"Docs at https://x.example/docs or team@x.example."}},
		{"raw inline HTML tags are dropped", "Press <kbd>Ctrl</kbd>+<kbd>C</kbd><br>to stop <!-- todo -->now.",
			[]string{"Press Ctrl+C to stop now."}},
		{"entities and escapes are decoded", "Tom &amp; Jerry &mdash; &#x41;&#66; \\*not emphasis\\* \\&amp;",
			[]string{"Tom & Jerry — AB *not emphasis* &amp;"}},
		{"a code span stays code", "Set `storage.retention` or ``a ` b``.",
			[]string{"Set `storage.retention` or ``a ` b``."}},
		{"escaped link syntax is reduced too", `\[not a link\](x.md) here`, []string{"not a link here"}},

		// Headings.
		{"ATX headings start sections", "## Retention\n\nText.", []string{"## Retention", "Text."}},
		{"a {#id} attribute is parsed away", "## Retention {#retention}\n\nText.", []string{"## Retention", "Text."}},
		{"setext headings with an attribute", "Upgrading {#up}\n---------\n\nText.", []string{"## Upgrading", "Text."}},
		{"heading markup is reduced", "### The `--web.listen` [flag](#flag)", []string{"### The `--web.listen` flag"}},
		{"a # line in fenced code is not a heading", "```sh\n# install it\nmake\n```",
			[]string{"```sh\n# install it\nmake\n```"}},

		// Code blocks.
		{"a fenced block keeps its lines and language", "~~~ yaml title=\"x.yml\"\nstorage:\n  retention: 30d   \n~~~",
			[]string{"```yaml\nstorage:\n  retention: 30d\n```"}},
		{"a language- prefix is dropped", "```language-bash\ntar xzf x.tgz\n```", []string{"```bash\ntar xzf x.tgz\n```"}},
		{"an indented block is fenced", "Run:\n\n    # print the version\n    lanternfish --version\n\nDone.",
			[]string{"Run:", "```\n# print the version\nlanternfish --version\n```", "Done."}},
		{"a fence never closed ends before the next section", "Like this:\n```go\nfunc f(\n\tx int) error {\n\n## Next section\n\nProse again.",
			[]string{"Like this:", "```go\nfunc f(\n\tx int) error {\n```", "## Next section", "Prose again."}},
		{"a closed fence keeps its headings and comments", "```sh\n# install\n\n## not a heading here\n```\n\nAfter.",
			[]string{"```sh\n# install\n\n## not a heading here\n```", "After."}},
		{"a fence never closed and no section after it stays code", "```\ncode\n\n# a comment\nmore",
			[]string{"```\ncode\n\n# a comment\nmore\n```"}},
		{"a closed fence in a list item is not taken for an open one", "- ```sh\n  make\n  ```\n\nProse.\n\n## Next\n\nMore.",
			[]string{"```sh\nmake\n```", "Prose.", "## Next", "More."}},
		{"a fence left open in a list item ends with the item", "- item\n\n  ```\n  code\n\n## Next\n\nMore.",
			[]string{"- item", "```\ncode\n```", "## Next", "More."}},
		{"a fence in an HTML comment opens nothing", "<!--\n```\n-->\n\n## Next\n\nText.", []string{"## Next", "Text."}},
		{"a fence never closed, with CRLF line ends", "```go\r\nfunc f(\r\n\r\n## Next\r\n\r\nProse.",
			[]string{"```go\nfunc f(\n```", "## Next", "Prose."}},
		{"blank lines inside code are kept", "```\none\n\n\ntwo\n```", []string{"```\none\n\n\ntwo\n```"}},
		{"an empty code block gives nothing", "```\n```\n\nText.", []string{"Text."}},

		// Lists.
		{"a list is one block, one line per item", "* `name`: shown in the UI\n* `address`: where\n  the broker listens",
			[]string{"- `name`: shown in the UI\n- `address`: where the broker listens"}},
		{"ordered lists keep their numbers", "3. three\n4. four", []string{"3. three\n4. four"}},
		{"nested lists are indented", "- a\n  - b\n    1. c\n- d", []string{"- a\n  - b\n    1. c\n- d"}},
		{"an item's paragraphs are joined", "- first para\n\n  second para\n- next", []string{"- first para second para\n- next"}},
		{"link-heavy lists keep the words", "- [Go](https://go.example/client): the Go client\n- [Java](j.md) — for the JVM",
			[]string{"- Go: the Go client\n- Java — for the JVM"}},
		{"code inside an item follows the list part before it",
			"1. Stop the server:\n\n   ```sh\n   systemctl stop lf\n   ```\n\n   Wait a moment.\n2. Upgrade.\n3. Start it.",
			[]string{"1. Stop the server:", "```sh\nsystemctl stop lf\n```", "Wait a moment.", "2. Upgrade.\n3. Start it."}},

		// Tables.
		{"a table is one block, header first", "| Setting | Default |\n|---|:--:|\n| `retention` | **14d** |\n| [path](#p) | `data/` |",
			[]string{"Setting | Default\n`retention` | 14d\npath | `data/`"}},
		{"an escaped pipe stays in its cell", "| a | b |\n|---|---|\n| x \\| y | z |", []string{"a | b\nx | y | z"}},

		// Block quotes.
		{"a NOTE quote is a paragraph", "> NOTE: Changes take effect\n> after a restart.", []string{"NOTE: Changes take effect after a restart."}},
		{"a GitHub alert marker is dropped", "> [!WARNING]\n> Version 3 cannot read version 1 data.", []string{"Version 3 cannot read version 1 data."}},
		{"quoted blocks are read as blocks", "> Intro:\n>\n> - one\n> - two\n>\n> ```\n> code\n> ```",
			[]string{"Intro:", "- one\n- two", "```\ncode\n```"}},

		// Breaks and HTML.
		{"thematic breaks are dropped", "one\n\n***\n\ntwo\n\n- - -", []string{"one", "two"}},
		{"an HTML block is reduced to its text", "<div class=\"note\">\n<p>Ask in the <a href=\"x\">chat</a>.</p>\n</div>",
			[]string{"Ask in the chat."}},
		{"an HTML block of tags only gives nothing", "<div align=\"center\">\n<img src=\"logo.png\">\n</div>\n\n<!-- hidden -->\n\nText.",
			[]string{"Text."}},
		{"scripts and styles in HTML are dropped", "<script>track()</script>\n\n<style>p{}</style>\n\nText.", []string{"Text."}},

		// Shortcodes.
		{"Hugo shortcodes are removed, their content kept", "{{< note >}}\nThis page is for **v3**.\n{{< /note >}}",
			[]string{"This page is for v3."}},
		{"percent shortcodes too, inside a sentence", "Before {{% tip %}}the tip{{% /tip %}} after.", []string{"Before the tip after."}},
		{"a shortcode written like a tag", "{{<note>}}Tagged text{{</note>}}", []string{"Tagged text"}},
		{"a template action alone is dropped", "{{ code \"examples/x.go\" }}\n\n{{template \"head\" .}}\n\nText.", []string{"Text."}},
		{"an action inside a sentence stays", "Ports are listed at {{PrometheusPorts}} today.", []string{"Ports are listed at {{PrometheusPorts}} today."}},
		{"shortcodes in code stay", "```\n{{< note >}}\n```\n\nUse `{{ .Queue }}` here.", []string{"```\n{{< note >}}\n```", "Use `{{ .Queue }}` here."}},
	}
	for _, tt := range tests {
		title := "T"
		got := showBlocks(markdownBlocks(tt.in, &title, nil))
		if strings.Join(got, "\n¶\n") != strings.Join(tt.want, "\n¶\n") {
			t.Errorf("%s: markdownBlocks(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestMarkdownTitle(t *testing.T) {
	tests := []struct {
		in, title string
		sections  []string
	}{
		{"# Guide\n\n## One\n\nText.", "Guide", []string{"One"}},
		{"---\ntitle: From front matter\n---\n# From front matter\n\nText.", "From front matter", nil},
		{"---\ntitle: From front matter\n---\n# Another\n\nText.", "From front matter", []string{"Another"}},
		{"Guide {#top}\n=====\n\nText.", "Guide", nil},
		{"# Guide\n\n# Guide\n\n# Part two\n\nText.", "Guide", []string{"Part two"}},
		{"Just text.", "doc", nil},
		{"```\n# not a title\n```", "doc", nil},
	}
	for _, tt := range tests {
		d, err := parseMarkdown("doc", tt.in, testBuilder(t, 300))
		if err != nil {
			t.Errorf("parseMarkdown(%q): %v", tt.in, err)
			continue
		}
		if d.Title != tt.title || strings.Join(d.Sections, "|") != strings.Join(tt.sections, "|") {
			t.Errorf("parseMarkdown(%q): title %q sections %q, want %q %q", tt.in, d.Title, d.Sections, tt.title, tt.sections)
		}
	}
}

func TestCapNesting(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"> > quote\n- - list\n", "> > quote\n- - list\n"},
		{strings.Repeat(">", 40) + " deep", strings.Repeat(">", 32) + `\` + strings.Repeat(">", 8) + " deep"},
		// The spaces between markers count as indentation: 22 markers and 22
		// spaces reach the limit of 32.
		{strings.Repeat("1. ", 40) + "x", strings.Repeat("1. ", 22) + `1\. ` + strings.Repeat("1. ", 17) + "x"},
		{strings.Repeat(" ", 80) + "- deep item\n", strings.Repeat(" ", 80) + `\- deep item` + "\n"},
		{strings.Repeat(" ", 80) + "not a marker\n", strings.Repeat(" ", 80) + "not a marker\n"},
	}
	for _, tt := range tests {
		if got := capNesting(tt.in); got != tt.want {
			t.Errorf("capNesting(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// hostileMarkdown are inputs that take goldmark (or a naive walk of its
// tree) quadratic time: deep nesting, thousands of unclosed link brackets
// in one paragraph, long runs of delimiters. Each would take minutes at
// this size without the bounds in markdown.go (the nesting cap and the
// link budget); BenchmarkHostileMarkdown times them.
func hostileMarkdown() map[string]string {
	const n = 512 << 10
	rep := func(s string) string { return strings.Repeat(s, n/len(s)) }
	var deep strings.Builder
	for i := 0; deep.Len() < n; i++ {
		fmt.Fprintf(&deep, "%s- item\n", strings.Repeat(" ", 2*(i%2000)))
	}
	return map[string]string{
		"nested quotes on one line":   rep("> "),
		"nested lists on one line":    rep("- "),
		"ever deeper list items":      deep.String(),
		"unclosed link destinations":  rep("[a]("),
		"shortcut references by line": rep("[a]\n"),
		"a heading of links":          "# " + rep("[a]("),
		"open brackets":               rep("["),
		"unmatched emphasis":          rep("*a "),
		"table cells of links":        "a|b\n-|-\n" + rep("x|[a](\n"),
	}
}

// TestHostileMarkdownParses: the inputs that make goldmark alone quadratic
// parse into a document (how long they take is BenchmarkHostileMarkdown's
// business, not a test's).
func TestHostileMarkdownParses(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: parses several 512 KB inputs")
	}
	for name, src := range hostileMarkdown() {
		if _, err := parseMarkdown("x", src, &builder{maxWords: 300}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkHostileMarkdown times each hostile input (512 KB each): up to
// about 2 s per MB (table cells of links, 2026-12-01), against 0.1 s per
// MB for real documentation; the parse budget's deadline bounds the rest.
func BenchmarkHostileMarkdown(b *testing.B) {
	for name, src := range hostileMarkdown() {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := parseMarkdown("x", src, &builder{maxWords: 300}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
