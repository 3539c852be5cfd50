package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/corpus"
)

// Discord's limits (characters).
const (
	maxContent    = 2000
	maxTitle      = 256
	maxDesc       = 4096
	maxFields     = 25
	maxFieldValue = 1024
	maxFieldName  = 256
	maxFooter     = 2048
	maxEmbedTotal = 6000
	maxEmbeds     = 10
	maxChoices    = 25
	maxChoiceText = 100
)

// Colours.
const (
	colorAnswer  = 0x2f7d5b
	colorAbstain = 0x8a8f98
	colorInfo    = 0x3a6ea5
)

// Reply is what a handler decides to send; one place sends it.
type Reply struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Ephemeral  bool
	// Update edits the message a button belongs to instead of replying.
	Update bool
	// More are further messages sent as follow-ups (long quotes).
	More []Reply
	// Attachments are files sent with the message (a passage too long to
	// quote in maxReplyMessages messages).
	Attachments []Attachment
}

// noMentions pings nobody: not @everyone, roles, users or the replied-to
// author, whatever the text says.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func ephemeral(text string) Reply { return Reply{Content: truncate(text, maxContent), Ephemeral: true} }

func runes(s string) int { return utf8.RuneCountInString(s) }

// truncate cuts s to at most n characters, at a word boundary, with "…".
func truncate(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \n") + "…"
}

// SplitText splits s into pieces of at most limit characters, preferring
// paragraph, line, sentence and word boundaries, never cutting a citation
// marker such as [12] in half, and closing and reopening a ``` code block
// that a cut falls inside.
func SplitText(s string, limit int) []string {
	if limit < 16 {
		limit = 16
	}
	var out []string
	open := false // inside a code block at the start of the next piece
	for s != "" {
		prefix := ""
		if open {
			prefix = "```\n"
		}
		budget := limit - runes(prefix)
		if runes(s) <= budget && !(open && false) {
			piece := prefix + s
			out = append(out, piece)
			break
		}
		// Leave room to close a code block.
		cutAt := byteIndexOfRune(s, budget-4)
		window := s[:cutAt]
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", "! ", "? ", " "} {
			if i := strings.LastIndex(window, sep); i > len(window)/3 {
				cut = i + len(sep)
				break
			}
		}
		if cut <= 0 {
			cut = cutAt
		}
		// Do not split a run of backticks (a code fence).
		for cut > 1 && cut < len(s) && s[cut-1] == '`' && s[cut] == '`' {
			cut--
		}
		if cut <= 1 {
			cut = cutAt
		}
		// Do not split "[12]".
		if j := strings.LastIndexByte(s[:cut], '['); j >= 0 && !strings.Contains(s[j:cut], "]") && isCitationStart(s[j:]) && j > 0 {
			cut = j
		}
		piece := prefix + strings.TrimRight(s[:cut], " \n")
		fences := strings.Count(piece, "```")
		if fences%2 == 1 {
			piece += "\n```"
			open = true
		} else {
			open = false
		}
		out = append(out, piece)
		s = strings.TrimLeft(s[cut:], " \n")
	}
	return out
}

func isCitationStart(s string) bool {
	if len(s) < 3 || s[0] != '[' {
		return false
	}
	i := 1
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 1 && i < len(s) && s[i] == ']'
}

func byteIndexOfRune(s string, n int) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for c := 0; c < n && i < len(s); c++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, "[", `\[`, "]", `\]`, ">", `\>`, "#", `\#`)

// escapeMD makes text render literally (titles, headings).
func escapeMD(s string) string { return mdEscaper.Replace(s) }

// Links. Text is text: footnote's replies contain a link only where
// footnote builds one (link, linkURL) from a URL corpus.CleanURL accepts.
// Everyone else's text (articles' passages, titles and sections, template
// and LLM answers) goes through plainText, which reduces Markdown link
// syntax to its visible words, so that Discord renders no masked link whose
// words someone else chose. A bare URL (or one in angle brackets) is left
// as it is: Discord shows it as its own address, hiding nothing.

// maskedLink is Markdown link syntax as Discord reads it: [words](target),
// the words holding at most one level of brackets, the target optionally in
// angle brackets or followed by a title; an image's "!" goes with it.
var maskedLink = regexp.MustCompile(`!?\[((?:\[[^\[\]]*\]|[^\[\]])*)\]\(\s*(?:<[^<>\n]*>|(?:\([^()\s]*\)|[^\s()])*)(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)`)

// citationWords are a citation marker's insides ("1", "2, 3").
var citationWords = regexp.MustCompile(`^\d{1,3}(?:\s*,\s*\d{1,3})*$`)

// plainText reduces every masked link in s to its words ("[1](…)" to the
// citation marker "[1]"), links nested in the words included, and breaks
// whatever "](" is left so no link can form around it.
func plainText(s string) string {
	if !strings.Contains(s, "](") {
		return s
	}
	for range 8 { // each pass removes one level of nesting
		out := maskedLink.ReplaceAllStringFunc(s, func(m string) string {
			words := maskedLink.FindStringSubmatch(m)[1]
			if citationWords.MatchString(strings.TrimSpace(words)) {
				return "[" + strings.TrimSpace(words) + "]"
			}
			return words
		})
		if out == s {
			break
		}
		s = out
	}
	return strings.ReplaceAll(s, "](", "]\u200b(")
}

// linkURL is rawURL as footnote links to it, or "" when it is not a URL
// corpus.CleanURL accepts (an index file written before URLs were checked,
// an HTML canonical link, a URL in JSON lines).
func linkURL(rawURL string) string {
	u, err := corpus.CleanURL(rawURL)
	if err != nil {
		return ""
	}
	return u
}

// link is the one place footnote writes a masked link: label (footnote's
// words, already escaped) to a checked URL; without one, the label alone.
func link(label, rawURL string) (string, bool) {
	u := linkURL(rawURL)
	if u == "" {
		return label, false
	}
	return "[" + label + "](" + u + ")", true
}

// inlineCode shows an ID as code; a backtick in it (an ID is a file name
// or a JSON lines field) cannot end the code early.
func inlineCode(s string) string {
	return "`" + plainText(strings.ReplaceAll(s, "`", "ˋ")) + "`"
}

// neutralise stops quoted article text from closing or opening a code
// block or a spoiler around the rest of the message.
func neutralise(s string) string {
	return strings.NewReplacer("```", "`\u200b`\u200b`", "||", "|\u200b|").Replace(s)
}

// quoteBlock renders someone else's text as a Discord block quote, as text.
func quoteBlock(s string) string {
	lines := strings.Split(neutralise(plainText(strings.TrimSpace(s))), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// where names a passage: "Title › Section, ¶3" (as text: see plainText).
func where(title, section string, paragraph int) string {
	w := plainText(title)
	if section != "" {
		w += " › " + plainText(section)
	}
	return fmt.Sprintf("%s, ¶%d", w, paragraph)
}

// sourceLine is one line of a Sources list: a link to the passage when its
// URL is one footnote links to, else the passage ID.
func sourceLine(n int, title, section string, paragraph int, url, passageID string) string {
	label := escapeMD(truncate(where(title, section, paragraph), 200))
	mark := fmt.Sprintf("`[%d]` ", n)
	if n == 0 {
		mark = "• " // a related passage: not a citation
	}
	if runes(url) < 700 {
		if l, ok := link(label, url); ok {
			return mark + l
		}
	}
	return fmt.Sprintf("%s%s · %s", mark, label, inlineCode(truncate(passageID, 90)))
}

// sourceFields packs lines into fields of at most 1024 characters without
// splitting a line.
func sourceFields(lines []string, name string) []*discordgo.MessageEmbedField {
	var fields []*discordgo.MessageEmbedField
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		n := name
		if len(fields) > 0 {
			n = name + " (continued)"
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: n, Value: cur.String()})
		cur.Reset()
	}
	for _, l := range lines {
		l = truncate(l, maxFieldValue)
		if runes(cur.String())+runes(l)+1 > maxFieldValue {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	flush()
	if len(fields) > maxFields {
		fields = fields[:maxFields]
	}
	return fields
}

// embedSize counts the characters Discord counts towards the 6000 limit.
func embedSize(e *discordgo.MessageEmbed) int {
	n := runes(e.Title) + runes(e.Description)
	for _, f := range e.Fields {
		n += runes(f.Name) + runes(f.Value)
	}
	if e.Footer != nil {
		n += runes(e.Footer.Text)
	}
	if e.Author != nil {
		n += runes(e.Author.Name)
	}
	return n
}

// fitEmbeds drops trailing fields until the total is within 6000.
func fitEmbed(e *discordgo.MessageEmbed, budget int) {
	for embedSize(e) > budget && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	if embedSize(e) > budget {
		e.Description = truncate(e.Description, max(1, runes(e.Description)-(embedSize(e)-budget)))
	}
}

// answerReply renders an answer: the text with its [n] markers, a Sources
// list linking each citation, and the Show quotes and vote buttons.
func answerReply(a cited.Answer, key string, private bool) Reply {
	color := colorAnswer
	if a.Abstained {
		color = colorAbstain
	}
	parts := SplitText(plainText(a.Text), maxDesc)
	e := &discordgo.MessageEmbed{Description: parts[0], Color: color}
	var lines, related []string
	for _, c := range a.Citations {
		line := sourceLine(c.N, c.Title, c.Section, c.Paragraph, c.URL, c.PassageID)
		if !c.Updated.IsZero() {
			line += " · page updated " + ago(c.Updated, time.Now())
		}
		lines = append(lines, line)
	}
	for _, c := range a.Related {
		related = append(related, sourceLine(0, c.Title, c.Section, c.Paragraph, c.URL, c.PassageID))
	}
	// The evidence first; related passages apart, unnumbered, and the
	// first to go when the embed is full.
	e.Fields = append(sourceFields(lines, "Sources"), sourceFields(related, "See also")...)
	if len(e.Fields) > maxFields {
		e.Fields = e.Fields[:maxFields]
	}
	footer := "From the articles (template answer)"
	if a.Backend == cited.BackendLLM {
		footer = "Written by a language model from the cited passages"
	}
	if a.Notice != "" {
		footer = a.Notice
	}
	e.Footer = &discordgo.MessageEmbedFooter{Text: truncate(footer, maxFooter)}
	fitEmbed(e, maxEmbedTotal)
	r := Reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: private}
	// An answer longer than one description continues in further embeds.
	total := embedSize(e)
	for _, p := range parts[1:] {
		if len(r.Embeds) >= maxEmbeds || total+runes(p) > maxEmbedTotal {
			break
		}
		r.Embeds = append(r.Embeds, &discordgo.MessageEmbed{Description: p, Color: color})
		total += runes(p)
	}
	if !a.Abstained && key != "" {
		r.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Show quotes", Style: discordgo.SecondaryButton, CustomID: "quotes:" + key},
			discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: "vote:up:" + key},
			discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: "vote:down:" + key},
		}}}
	}
	return r
}

// quoteEmbeds renders citations' passages verbatim, one embed each (long
// passages continue in further embeds), packed into messages within the
// 10-embed and 6000-character limits.
func quoteReplies(cites []cited.Citation) Reply {
	var embeds []*discordgo.MessageEmbed
	for _, c := range cites {
		parts := SplitText(quoteBlock(c.Text), maxDesc-8)
		for i, p := range parts {
			title := fmt.Sprintf("[%d] %s", c.N, where(c.Title, c.Section, c.Paragraph))
			if i > 0 {
				title += " (continued)"
			}
			e := &discordgo.MessageEmbed{Title: truncate(title, maxTitle), Description: p, Color: colorInfo, URL: linkURL(c.URL)}
			embeds = append(embeds, e)
		}
	}
	return packEmbeds(embeds, true)
}

// packEmbeds groups embeds into one reply and follow-ups.
func packEmbeds(embeds []*discordgo.MessageEmbed, eph bool) Reply {
	var msgs []Reply
	cur := Reply{Ephemeral: eph}
	total := 0
	for _, e := range embeds {
		size := embedSize(e)
		if len(cur.Embeds) > 0 && (len(cur.Embeds) >= maxEmbeds || total+size > maxEmbedTotal) {
			msgs = append(msgs, cur)
			cur = Reply{Ephemeral: eph}
			total = 0
		}
		cur.Embeds = append(cur.Embeds, e)
		total += size
	}
	msgs = append(msgs, cur)
	first := msgs[0]
	first.More = msgs[1:]
	return first
}

// passageReply shows one passage verbatim with its source.
func passageReply(p cited.Citation) Reply {
	parts := SplitText(quoteBlock(p.Text), maxDesc-8)
	var embeds []*discordgo.MessageEmbed
	for i, part := range parts {
		e := &discordgo.MessageEmbed{Description: part, Color: colorInfo}
		if i == 0 {
			e.Title = truncate(plainText(p.Title), maxTitle)
			e.URL = linkURL(p.URL)
			if p.Section != "" {
				e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Section", Value: truncate(escapeMD(plainText(p.Section)), maxFieldValue), Inline: true})
			}
			e.Fields = append(e.Fields,
				&discordgo.MessageEmbedField{Name: "Paragraph", Value: fmt.Sprint(p.Paragraph), Inline: true},
				&discordgo.MessageEmbedField{Name: "Passage", Value: inlineCode(truncate(p.PassageID, 200)), Inline: true})
		}
		embeds = append(embeds, e)
	}
	return packEmbeds(embeds, false)
}

const helpText = `**footnote** answers questions from the articles it knows and cites every source.

• ` + "`/ask question:`" + ` — an answer with numbered citations; "Show quotes" reveals the passages. Add ` + "`private: True`" + ` for an answer only you see.
• ` + "`/lookup query: [article:]`" + ` — search the passages.
• ` + "`/cite passage:`" + ` — one passage word for word with its source.
• ` + "`/sources`" + ` — the articles footnote answers from.
• Right-click a message → Apps → **Find source** — passages that support (or come closest to) what it says.
• Mention footnote or reply to one of its answers to ask (when the server enables it); a reply is a follow-up.
• ` + "`/quota`" + ` — how much of today's language-model budget this server and you have used (when footnote uses one).
• Admins: ` + "`/reload`" + ` re-reads the articles without a restart.

When the articles do not answer a question, footnote says so instead of guessing.`
