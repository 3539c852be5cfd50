package bot

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// hostileArticles are the phishing shapes of issue 14: masked links in an
// article's text (plain text keeps them as written), in its title, and in
// its url front matter; and a document whose URL was never checked (an
// index file written before URLs were).
func hostileArticles(t *testing.T) []corpus.Document {
	t.Helper()
	files := map[string]string{
		"refunds.txt": "---\ntitle: Refunds\nurl: \"https://docs.example.com/refunds) [Verify your account](https://evil.example/login\"\n---\n" +
			"Refunds take five business days to reach your card after approval.\n\n" +
			"To request a refund, [open the official refund form](https://evil.example/phish) and enter your order number. " +
			"You can also [[write to us](https://evil.example/1)](https://evil.example/2), see ![the refund chart](https://evil.example/chart.png \"Refund chart\"), " +
			"[claim it here](<https://evil.example/a b>) or read <https://evil.example/plain>.\n",
		"shipping.md": "---\ntitle: \"[Verify your account](https://evil.example/login) Shipping\"\nurl: https://docs.example.com/shipping\n---\n" +
			"Shipping takes three days. Track parcels [on the tracking page](https://evil.example/track).\n",
		"returns.txt": "Returns\n\nReturn labels are printed from [your returns page](https://evil.example/returns) within thirty days.\n",
	}
	var docs []corpus.Document
	for _, name := range []string{"refunds.txt", "shipping.md", "returns.txt"} {
		d, err := corpus.Parse(context.Background(), strings.TrimSuffix(name, name[strings.LastIndex(name, "."):]), name, []byte(files[name]), corpus.Options{})
		if err != nil || len(d) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		docs = append(docs, d[0])
	}
	// As from an old index file: a URL no check has seen.
	old := &docs[2]
	old.URL = "https://docs.example.com/returns) [Verify](https://evil.example/login"
	for i := range old.Passages {
		old.Passages[i].URL = old.URL
	}
	return docs
}

// linkTarget finds what Discord would take as a masked link's target.
var linkTarget = regexp.MustCompile(`\]\(\s*<?([^\s)>]*)`)

// replyTexts is every text of a reply and its follow-ups, named.
func replyTexts(r Reply) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, r Reply)
	walk = func(prefix string, r Reply) {
		out[prefix+"content"] = r.Content
		for i, e := range r.Embeds {
			p := prefix + "embed" + string(rune('0'+i)) + "."
			out[p+"title"], out[p+"description"] = e.Title, e.Description
			if e.Footer != nil {
				out[p+"footer"] = e.Footer.Text
			}
			if e.Author != nil {
				out[p+"author"] = e.Author.Name
			}
			for j, f := range e.Fields {
				out[p+"field"+string(rune('0'+j))+".name"], out[p+"field"+string(rune('0'+j))+".value"] = f.Name, f.Value
			}
		}
		for i, m := range r.More {
			walk(prefix+"more"+string(rune('0'+i))+".", m)
		}
	}
	walk("", r)
	return out
}

func embedURLs(r Reply) []string {
	var out []string
	for _, e := range r.Embeds {
		out = append(out, e.URL)
	}
	for _, m := range r.More {
		out = append(out, embedURLs(m)...)
	}
	return out
}

// assertNoForeignLinks: every masked link in the reply is one footnote
// built, to a checked URL on the articles' own host; no link goes to the
// attacker's host; every embed URL is a checked URL or none.
func assertNoForeignLinks(t *testing.T, what string, r Reply) {
	t.Helper()
	for name, text := range replyTexts(r) {
		for _, m := range linkTarget.FindAllStringSubmatch(text, -1) {
			target := m[1]
			clean, err := corpus.CleanURL(target)
			u, _ := url.Parse(target)
			if err != nil || clean != target || u.Host != "docs.example.com" {
				t.Errorf("%s: %s has a masked link to %q that footnote did not build:\n%s", what, name, target, text)
			}
		}
		if strings.Contains(text, "](https://evil") || strings.Contains(text, "](<https://evil") {
			t.Errorf("%s: %s links to the attacker:\n%s", what, name, text)
		}
	}
	for _, u := range embedURLs(r) {
		if u == "" {
			continue
		}
		if clean, err := corpus.CleanURL(u); err != nil || clean != u || strings.Contains(u, "evil") {
			t.Errorf("%s: embed url %q is not a checked URL", what, u)
		}
	}
}

func allText(r Reply) string {
	var sb strings.Builder
	for _, s := range replyTexts(r) {
		sb.WriteString(s + "\n")
	}
	return sb.String()
}

// TestRepliesContainNoForeignLinks (issue 14, item 3): whatever links an
// article's text, title or url or an LLM answer holds, /ask (template and
// LLM, streaming too), Show quotes, /lookup, /cite, /sources and Find
// source show them as words; the only links are the ones footnote builds.
func TestRepliesContainNoForeignLinks(t *testing.T) {
	docs := hostileArticles(t)
	if docs[0].URL != "" || len(docs[0].Warnings) == 0 {
		t.Fatalf("the refunds url should be refused with a warning: %q %q", docs[0].URL, docs[0].Warnings)
	}
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	p, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	svc := answer.New(func() *retrieval.Index { return ix }, p, answer.Options{})
	b := &Bot{answerer: svc, state: NewLocalState(16), log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()

	replies := map[string]Reply{}
	for _, q := range []string{"How do I request a refund?", "How long does shipping take?", "How do I print a return label?"} {
		a, err := svc.Answer(ctx, answer.Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		if a.Abstained || len(a.Citations) == 0 {
			t.Fatalf("%q abstained; the test needs a cited answer", q)
		}
		replies["/ask "+q] = answerReply(a, "k", false)
		replies["Show quotes "+q] = quoteReplies(a.Citations)
		llm := a
		llm.Backend = answer.BackendLLM
		llm.Text = "Fill in [open the official refund form](https://evil.example/phish) [1]. [1](https://evil.example/x) " +
			"[Verify your account](<https://evil.example/login>) and [[nested](https://evil.example/1)](https://evil.example/2)."
		replies["/ask (LLM) "+q] = answerReply(llm, "k", false)
		replies["/ask (LLM, streaming) "+q] = Reply{Embeds: []*discordgo.MessageEmbed{streamingEmbed(llm.Text)}}
		if got := replies["/ask (LLM) "+q].Embeds[0].Description; !strings.Contains(got, "Fill in open the official refund form [1]. [1] Verify your account and nested.") {
			t.Errorf("LLM answer not reduced to its words: %q", got)
		}
	}
	for _, q := range []string{"refund form order number", "shipping tracking page", "returns page labels"} {
		replies["/lookup "+q] = b.lookup(ctx, "", q, "")
	}
	for i := 0; i < ix.Len(); i++ {
		id := ix.PassageAt(i).ID
		replies["/cite "+id] = b.cite(ctx, "", id)
	}
	replies["/sources"] = b.sources(ctx, "", 0, false)
	r, _ := b.sourcesFor(ctx, "", "To request a refund open the official refund form and enter your order number", "k2")
	replies["Find source"] = r

	for what, r := range replies {
		assertNoForeignLinks(t, what, r)
	}
	// The words stay; the shipping article's own, checked URL is linked.
	quotes := allText(replies["/cite refunds#2"])
	for _, want := range []string{"open the official refund form", "write to us", "the refund chart", "claim it here", "<https://evil.example/plain>"} {
		if !strings.Contains(quotes, want) {
			t.Errorf("/cite lost the words %q:\n%s", want, quotes)
		}
	}
	if src := allText(replies["/sources"]); !strings.Contains(src, "[link](https://docs.example.com/shipping)") || strings.Count(src, "](") != 1 {
		t.Errorf("/sources should link the shipping article only:\n%s", src)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no links here", "no links here"},
		{"[open the form](https://evil.example/phish)", "open the form"},
		{"see ![chart](https://evil.example/c.png \"t\") now", "see chart now"},
		{"[a](<https://evil.example/a b>)", "a"},
		{"[[x](https://evil.example/1)](https://evil.example/2)", "x"},
		{"[1](https://evil.example) and [2, 3](https://evil.example)", "[1] and [2, 3]"},
		{"[wiki](https://en.wikipedia.org/wiki/Go_(lang))", "wiki"},
		{"cut [open the form](https://evil.exam", "cut [open the form]\u200b(https://evil.exam"},
		{"odd ](https://evil.example/x) left", "odd ]\u200b(https://evil.example/x) left"},
		{"[a]\n(https://evil.example)", "[a]\n(https://evil.example)"},
		{"citations [1] and [2] stay", "citations [1] and [2] stay"},
		{"bare https://evil.example/x stays", "bare https://evil.example/x stays"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := plainText(tt.in); strings.Contains(got, "](") {
			t.Errorf("plainText(%q) = %q still holds ](", tt.in, got)
		}
	}
}

func FuzzPlainText(f *testing.F) {
	f.Add("[open the form](https://evil.example/phish)")
	f.Add("[[[[a](b)](c)](d)](e)")
	f.Add("![x](<y z> \"t\")")
	f.Fuzz(func(t *testing.T, s string) {
		if got := plainText(s); strings.Contains(got, "](") {
			t.Fatalf("plainText(%q) = %q holds ](", s, got)
		}
	})
}
