package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer/cited"
)

// Outcomes recorded per question.
const (
	outcomeAnswered  = "answered"
	outcomeAbstained = "abstained"
	outcomeRefused   = "refused"
	outcomeError     = "error"
)

func userOf(i *discordgo.InteractionCreate) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

func (b *Bot) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	if !decoded(i) {
		return // onRawEvent logs it and answers
	}
	ctx := context.Background()
	in := b.interaction(i)
	if b.closing.Load() {
		in.reply(ctx, ephemeral("footnote is restarting; please ask again in a minute."))
		return
	}
	b.inflight.Add(1)
	defer b.inflight.Done()
	// A work slot, round-robin across servers. Discord wants an answer
	// or an acknowledgement within 3 seconds: past the answer budget the
	// interaction goes on without a slot rather than fail.
	wctx, cancel := context.WithTimeout(ctx, b.opt.AnswerBudget)
	slot, err := b.work.acquire(wctx, workKey(i.GuildID, userOf(i)))
	cancel()
	if err != nil {
		b.log.Warn("no work slot in time: going on without one", "interaction", i.ID, "guild", i.GuildID, "workers", b.opt.Workers)
	}
	defer slot.release()
	in.slot = slot
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic while handling an interaction", "interaction", i.ID, "panic", fmt.Sprint(r))
			// An edit when the question was deferred; nothing when a
			// reply already went out.
			if !in.answered() {
				in.reply(ctx, ephemeral("Something went wrong on footnote's side; the error was logged."))
			}
		}
	}()
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.onCommand(ctx, in)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.onAutocomplete(ctx, in)
	case discordgo.InteractionMessageComponent:
		b.onComponent(ctx, in)
	}
}

// decoded reports whether discordgo decoded an interaction: one it could
// not comes half-filled (no ID when the error is at the top level, no
// data when it is in the data).
func decoded(i *discordgo.InteractionCreate) bool {
	if i.Interaction == nil || i.ID == "" || i.Token == "" {
		return false
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete, discordgo.InteractionMessageComponent:
		return i.Data != nil
	}
	return true
}

func (b *Bot) onCommand(ctx context.Context, i *interaction) {
	data := i.ApplicationCommandData()
	opts := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, o := range data.Options {
		opts[o.Name] = o
	}
	str := func(name string) string {
		if o, ok := opts[name]; ok {
			return o.StringValue()
		}
		return ""
	}
	if data.Name != cmdHelp && !b.limits.channelAllowed(i.GuildID, i.ChannelID) {
		i.reply(ctx, ephemeral("footnote does not answer in this channel. Ask an admin which channels it serves."))
		b.observe(data.Name, outcomeRefused, 0)
		return
	}
	switch data.Name {
	case cmdLookup, cmdCite, cmdSources, cmdFindSource:
		if !b.paced(ctx, i, data.Name) {
			return
		}
	}
	switch data.Name {
	case cmdAsk:
		private := false
		if o, ok := opts["private"]; ok {
			private = o.BoolValue()
		}
		b.ask(ctx, i, cmdAsk, str("question"), "", private)
	case cmdLookup:
		i.reply(ctx, b.lookup(ctx, i.GuildID, str("query"), str("article")))
	case cmdCite:
		i.reply(ctx, b.cite(ctx, i.GuildID, str("passage")))
	case cmdSources:
		i.reply(ctx, b.sources(ctx, i.GuildID, 0, false))
	case cmdHelp:
		i.reply(ctx, Reply{Embeds: []*discordgo.MessageEmbed{{Title: "footnote", Description: helpText, Color: colorInfo}}, Ephemeral: true})
	case cmdReload:
		b.reload(ctx, i)
	case cmdIngest:
		b.ingest(ctx, i, data)
	case cmdForget:
		b.forget(ctx, i, str("article"))
	case cmdSource:
		b.source(ctx, i, data)
	case cmdStats:
		b.stats(ctx, i)
	case cmdQuota:
		b.quota(ctx, i)
	case cmdFindSource:
		b.findSource(ctx, i, data)
	default:
		i.reply(ctx, ephemeral("Unknown command."))
	}
}

// paced holds a public command to the per-user cooldown /ask has (one
// cooldown for all of them), refusing it with an ephemeral note inside it.
func (b *Bot) paced(ctx context.Context, i *interaction, cmd string) bool {
	uid := ""
	if u := userOf(i.InteractionCreate); u != nil {
		uid = u.ID
	}
	wait := b.limits.cooldown(ctx, i.GuildID, uid)
	if wait <= 0 {
		return true
	}
	i.reply(ctx, ephemeral(fmt.Sprintf("You're going quickly! Please wait %s before your next command.", (wait+time.Second-1).Truncate(time.Second))))
	b.observe(cmd, outcomeRefused, 0)
	return false
}

func (b *Bot) observe(command, outcome string, took time.Duration) {
	if b.obs != nil {
		b.obs.Question(command, outcome, took)
	}
}

// ask answers a question from /ask. It acknowledges within Discord's three
// seconds: a template answer that is ready within AnswerBudget is the
// reply itself; otherwise (and always when streaming) the interaction is
// deferred and the answer edited in.
func (b *Bot) ask(ctx context.Context, i *interaction, command, question, context_ string, private bool) {
	start := i.received // the latency counts the wait for a work slot
	user := userOf(i.InteractionCreate)
	uid := ""
	if user != nil {
		uid = user.ID
	}
	question = stripMarkup(question)
	if question == "" {
		i.reply(ctx, ephemeral("Please type a question, e.g. `/ask question: What is this article about?`"))
		return
	}
	q := inquiry{command: command, idKey: "interaction", id: i.ID, guild: i.GuildID, channel: i.ChannelID, user: uid,
		key: i.ID, text: question, context: context_, private: private, slot: i.slot}
	deferNow := func() bool { return i.deferReply(ctx, private) }
	// A question that must wait for its turn is acknowledged first: the
	// interaction is deferred and the answer edited in when it comes.
	release, refused := b.admit(ctx, q, func() { deferNow() }, func(position int) {
		ahead := "1 question is"
		if position > 1 {
			ahead = fmt.Sprintf("%d questions are", position)
		}
		i.progress(ctx, Reply{Content: fmt.Sprintf("⏳ This server asked many questions at once: %s ahead of yours. The answer will appear here.", ahead)})
	})
	if release == nil {
		i.reply(ctx, refused)
		return
	}
	defer release()
	req := cited.Request{Question: q.text, Context: q.context, Guild: q.guild, User: q.user}
	type result struct {
		a   cited.Answer
		err error
	}
	var st *streamer
	if b.opt.Streaming {
		if !deferNow() {
			b.observe(command, outcomeError, time.Since(start))
			return
		}
		st = newStreamer(i, b.opt.EditInterval)
		req.OnDelta = st.delta
		defer st.stop()
	}
	done := make(chan result, 1)
	go func() {
		a, err := b.answer(ctx, q.guild, req)
		done <- result{a, err}
	}()
	var res result
	if st != nil {
		// A language model's answer is a wait, not work: the slot is
		// given up meanwhile.
		i.slot.pause()
		res = <-done
		_ = i.slot.resume(ctx)
	} else {
		select {
		case res = <-done:
		case <-time.After(b.opt.AnswerBudget):
			if !deferNow() {
				b.observe(command, outcomeError, time.Since(start))
				return
			}
			res = <-done
		}
	}
	if st != nil {
		// No partial edit may land after the cited.
		st.stop()
	}
	reply, outcome := b.conclude(ctx, q, res.a, res.err, time.Since(start))
	if !i.reply(ctx, reply, "question", question, "answer", res.a.Text) {
		outcome = outcomeError
	}
	b.observe(command, outcome, time.Since(start))
}

// streamer edits the deferred reply as an LLM answer streams in, no more
// often than every. The edits run on the streamer's own goroutine: delta
// only records the text, so a slow, retried or rate-limited edit never
// holds up reading the stream (when it did, answers could miss the LLM
// timeout). Text that arrives during an edit or the wait after it is sent
// in the next edit.
type streamer struct {
	i     *interaction
	every time.Duration

	mu     sync.Mutex
	latest string
	fresh  bool

	wake     chan struct{}
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func newStreamer(i *interaction, every time.Duration) *streamer {
	s := &streamer{i: i, every: every, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *streamer) delta(soFar string) {
	s.mu.Lock()
	s.latest, s.fresh = soFar, true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// streamingEmbed shows an answer as it is being written (LLM text: see
// plainText).
func streamingEmbed(soFar string) *discordgo.MessageEmbed {
	text := truncate(plainText(soFar), maxDesc-2) + " …"
	return &discordgo.MessageEmbed{Description: text, Color: colorAnswer, Footer: &discordgo.MessageEmbedFooter{Text: "Writing…"}}
}

func (s *streamer) run() {
	defer close(s.done)
	var last time.Time
	for {
		select {
		case <-s.quit:
			return
		case <-s.wake:
		}
		if wait := s.every - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.quit:
				t.Stop()
				return
			case <-t.C:
			}
		}
		s.mu.Lock()
		text, fresh := s.latest, s.fresh
		s.fresh = false
		s.mu.Unlock()
		if !fresh {
			continue
		}
		last = time.Now()
		s.i.progress(context.Background(), Reply{Embeds: []*discordgo.MessageEmbed{streamingEmbed(text)}})
	}
}

// stop prevents further edits and waits for one in flight. It may be
// called more than once.
func (s *streamer) stop() {
	s.stopOnce.Do(func() { close(s.quit) })
	<-s.done
}

// snippetMarks set matched words in bold.
var snippetMarks = [2]string{"**", "**"}

// lookup lists the passages best matching a query.
func (b *Bot) lookup(ctx context.Context, guild, query, article string) Reply {
	q, err := cited.CleanQuestion(query)
	if err != nil {
		return ephemeral("Please type some words to look for.")
	}
	hits, err := b.answererFor(ctx, guild).Lookup(ctx, cited.Lookup{Query: q, Article: article, N: 5,
		Highlight: cited.Highlight{Runes: 300, Mark: snippetMarks, Clean: plainText}})
	switch {
	case errors.Is(err, cited.ErrUnknownArticle):
		return ephemeral("No article with that ID; pick one from the list as you type.")
	case err != nil:
		return ephemeral("Please type some words to look for.")
	}
	if len(hits) == 0 {
		return ephemeral(fmt.Sprintf("No passage matches “%s”. Try other words, or `/sources` to see the articles.", truncate(q, 200)))
	}
	var sb strings.Builder
	for n, h := range hits {
		line := sourceLine(n+1, h.Title, h.Section, h.Paragraph, h.URL, h.PassageID)
		entry := line + "\n" + quoteBlock(h.Snippet) + "\n"
		if runes(sb.String())+runes(entry) > maxDesc {
			break
		}
		sb.WriteString(entry)
	}
	e := &discordgo.MessageEmbed{Title: truncate("Passages matching “"+plainText(q)+"”", maxTitle), Description: sb.String(), Color: colorInfo,
		Footer: &discordgo.MessageEmbedFooter{Text: "Use /cite with a passage to quote it in full"}}
	return Reply{Embeds: []*discordgo.MessageEmbed{e}}
}

// cite shows one passage: the one chosen, or for typed text the best match.
func (b *Bot) cite(ctx context.Context, guild, id string) Reply {
	p, ok := b.answererFor(ctx, guild).Passage(ctx, id)
	if !ok {
		return ephemeral("No such passage. Start typing words from it or an article title and pick from the list.")
	}
	return citeReply(p)
}

// maxAttachment bounds a passage file (Discord takes 10 MiB a message).
const maxAttachment = 8 << 20

// citeReply quotes a passage in full when that takes at most
// maxReplyMessages messages. A longer one is shown from its beginning in
// one message with the whole passage attached as a text file: one message
// and one upload whatever its length (it used to be a message per 4,000
// characters: 255 public messages for a long one). A file rather than
// ephemeral follow-ups, which would still be hundreds of messages, each a
// request in the interaction's rate-limit bucket: a file is one request,
// keeps the passage verbatim and renders no Markdown, so no link or
// mention in it is live.
func citeReply(p cited.Citation) Reply {
	r := passageReply(p)
	if 1+len(r.More) <= maxReplyMessages {
		return r
	}
	name := fileName(p.PassageID) + ".txt"
	r.More = nil
	r.Embeds = r.Embeds[:1]
	r.Embeds[0].Footer = &discordgo.MessageEmbedFooter{Text: "Continued in " + name}
	r.Content = fmt.Sprintf("This passage is too long to quote here in full (%d words); all of it is in the attached file `%s`.", len(strings.Fields(p.Text)), name)
	r.Attachments = []Attachment{{Name: name, ContentType: "text/plain; charset=utf-8", Data: passageFile(p)}}
	return r
}

// passageFile is a passage as plain text: where it is from, then its text.
func passageFile(p cited.Citation) []byte {
	var sb strings.Builder
	sb.WriteString(where(p.Title, p.Section, p.Paragraph) + "\nPassage: " + p.PassageID + "\n")
	if p.URL != "" {
		sb.WriteString("Source: " + p.URL + "\n")
	}
	sb.WriteString("\n")
	head := sb.Len()
	text := p.Text
	if head+len(text)+1 <= maxAttachment {
		sb.WriteString(text + "\n")
		return []byte(sb.String())
	}
	const note = "\n[… cut here: the passage is longer than footnote attaches]\n"
	cut := maxAttachment - head - len(note)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	sb.WriteString(text[:cut] + note)
	return []byte(sb.String())
}

// fileName makes a passage ID a file name: letters, digits, '.', '_' and
// '-' only, at most 60 characters.
func fileName(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	name := strings.Trim(string(b), ".-")
	if len(name) > 60 {
		name = name[:60]
	}
	if name == "" {
		name = "passage"
	}
	return name
}

const sourcesPerPage = 10

// sources lists the articles, a page at a time.
func (b *Bot) sources(ctx context.Context, guild string, page int, update bool) Reply {
	docs := b.answererFor(ctx, guild).Articles()
	pages := (len(docs) + sourcesPerPage - 1) / sourcesPerPage
	if pages == 0 {
		return ephemeral("No articles are loaded.")
	}
	page = min(max(page, 0), pages-1)
	var sb strings.Builder
	for _, d := range docs[page*sourcesPerPage : min(len(docs), (page+1)*sourcesPerPage)] {
		line := "**" + escapeMD(truncate(plainText(d.Title), 150)) + "**"
		if d.Author != "" {
			line += " — " + escapeMD(truncate(plainText(d.Author), 60))
		}
		line += fmt.Sprintf(" · %d passages · %s", d.Passages, inlineCode(truncate(d.ID, 60)))
		if runes(d.URL) < 500 {
			if l, ok := link("link", d.URL); ok {
				line += " · " + l
			}
		}
		sb.WriteString(line + "\n")
	}
	e := &discordgo.MessageEmbed{Title: fmt.Sprintf("Articles (%d)", len(docs)), Description: truncate(sb.String(), maxDesc), Color: colorInfo,
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Page %d of %d", page+1, pages)}}
	r := Reply{Embeds: []*discordgo.MessageEmbed{e}, Update: update}
	if pages > 1 {
		r.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: "sources:" + strconv.Itoa(page-1), Disabled: page == 0},
			discordgo.Button{Label: "Next", Style: discordgo.SecondaryButton, CustomID: "sources:" + strconv.Itoa(page+1), Disabled: page == pages-1},
		}}}
	}
	return r
}

// requireAdmin refuses non-admins (and DMs) with an ephemeral message.
func (b *Bot) requireAdmin(ctx context.Context, i *interaction, cmd string) bool {
	if b.limits.isAdmin(i.InteractionCreate) {
		return true
	}
	msg := "Only members with the Manage Server permission (or the footnote admin role) can use this command."
	if i.GuildID == "" {
		msg = "Admin commands only work in a server, not in direct messages."
	}
	i.reply(ctx, ephemeral(msg))
	b.observe(cmd, outcomeRefused, 0)
	return false
}

// finishAdmin reports an admin command's outcome. The message may quote
// what a page or a file said (a URL it redirected to, a title, an error),
// so it is text: see plainText.
func (b *Bot) finishAdmin(ctx context.Context, i *interaction, msg string) {
	i.reply(ctx, Reply{Content: truncate(plainText(msg), maxContent), Ephemeral: true})
}

// reload re-reads the articles (admins only).
func (b *Bot) reload(ctx context.Context, i *interaction) {
	if !b.requireAdmin(ctx, i, cmdReload) {
		return
	}
	lib := b.libraryFor(ctx, i.GuildID)
	if lib == nil {
		i.reply(ctx, ephemeral("Reloading is not available in this deployment."))
		return
	}
	if !i.deferReply(ctx, true) {
		return
	}
	summary, err := lib.Reload(ctx)
	msg := "Reloaded: " + summary + "."
	if err != nil {
		b.log.Error("reload failed", "err", err)
		msg = "Reload failed, so nothing changed and the previous articles are still being served: " + err.Error()
	}
	b.finishAdmin(ctx, i, msg)
}

// ingest adds an article from a URL or an attached file (admins only).
func (b *Bot) ingest(ctx context.Context, i *interaction, data discordgo.ApplicationCommandInteractionData) {
	if !b.requireAdmin(ctx, i, cmdIngest) {
		return
	}
	lib := b.libraryFor(ctx, i.GuildID)
	if lib == nil {
		i.reply(ctx, ephemeral("Adding articles is not available in this deployment."))
		return
	}
	var url string
	var att *discordgo.MessageAttachment
	for _, o := range data.Options {
		switch o.Name {
		case "url":
			url = strings.TrimSpace(o.StringValue())
		case "file":
			if id, ok := o.Value.(string); ok && data.Resolved != nil {
				att = data.Resolved.Attachments[id]
			}
		}
	}
	if (url == "") == (att == nil) {
		i.reply(ctx, ephemeral("Give either a `url` or a `file` to add."))
		return
	}
	if !i.deferReply(ctx, true) {
		return
	}
	by := ""
	if u := userOf(i.InteractionCreate); u != nil {
		by = u.ID
	}
	var added Added
	var err error
	if url != "" {
		added, err = lib.IngestURL(ctx, url, by)
	} else {
		added, err = lib.IngestAttachment(ctx, att.Filename, att.URL, int64(att.Size), by)
	}
	if err != nil {
		b.log.Warn("ingest refused", "interaction", i.ID, "err", err)
		b.finishAdmin(ctx, i, "Not added: "+err.Error())
		return
	}
	verb := "Added"
	if added.Replaced {
		verb = "Updated"
	}
	b.log.Info("article ingested", "doc", added.DocID, "passages", added.Passages, "replaced", added.Replaced)
	b.finishAdmin(ctx, i, fmt.Sprintf("%s **%s** (%s): %d passages. Ask about it with `/ask`.", verb, escapeMD(truncate(added.Title, 200)), inlineCode(added.DocID), added.Passages))
}

// forget removes an article (admins only).
func (b *Bot) forget(ctx context.Context, i *interaction, docID string) {
	if !b.requireAdmin(ctx, i, cmdForget) {
		return
	}
	lib := b.libraryFor(ctx, i.GuildID)
	if lib == nil {
		i.reply(ctx, ephemeral("Removing articles is not available in this deployment."))
		return
	}
	if !i.deferReply(ctx, true) {
		return
	}
	title, err := lib.Forget(ctx, strings.TrimSpace(docID))
	if err != nil {
		b.finishAdmin(ctx, i, "Not removed: "+err.Error())
		return
	}
	b.finishAdmin(ctx, i, fmt.Sprintf("Removed **%s**; footnote no longer answers from it.", escapeMD(truncate(title, 200))))
}

// stats summarises the last week (admins only).
func (b *Bot) stats(ctx context.Context, i *interaction) {
	if !b.requireAdmin(ctx, i, cmdStats) {
		return
	}
	if b.opt.Log == nil {
		i.reply(ctx, ephemeral("Statistics need the question log, which is off in this deployment."))
		return
	}
	// This server's questions only: another server's are not its admins'.
	st, err := b.opt.Log.Stats(ctx, i.GuildID, time.Now().Add(-7*24*time.Hour), 5)
	if err != nil {
		b.log.Error("stats failed", "err", err)
		i.reply(ctx, ephemeral("Could not read the statistics; the error was logged."))
		return
	}
	i.reply(ctx, statsReply(st, b.answererFor(ctx, i.GuildID).Articles()))
}

func statsReply(st Stats, articles []cited.Article) Reply {
	rate := 0.0
	if st.Questions > 0 {
		rate = 100 * float64(st.Abstained) / float64(st.Questions)
	}
	e := &discordgo.MessageEmbed{Title: "footnote this week", Color: colorInfo,
		Description: fmt.Sprintf("**%d** questions answered · abstained on **%.0f%%** · 👍 %d · 👎 %d", st.Questions, rate, st.Up, st.Down)}
	list := func(name string, lines []string) {
		if len(lines) == 0 {
			lines = []string{"—"}
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: truncate(strings.Join(lines, "\n"), maxFieldValue)})
	}
	var un, cited, worst []string
	for _, g := range st.Unanswered {
		un = append(un, fmt.Sprintf("%d× %s", g.Count, escapeMD(truncate(g.Name, 150))))
	}
	titles := make(map[string]string, len(articles))
	for _, a := range articles {
		if _, ok := titles[a.ID]; !ok {
			titles[a.ID] = a.Title
		}
	}
	for _, c := range st.MostCited {
		title := c.Name
		if t, ok := titles[c.Name]; ok {
			title = t
		}
		cited = append(cited, fmt.Sprintf("%d× %s", c.Count, escapeMD(truncate(title, 150))))
	}
	for _, r := range st.WorstRated {
		worst = append(worst, fmt.Sprintf("👎 %d 👍 %d — %s (cited %s)", r.Down, r.Up, escapeMD(truncate(r.Question, 120)), truncate(strings.Join(r.Citations, ", "), 200)))
	}
	list("Top unanswered questions", un)
	list("Most-cited articles", cited)
	list("Worst-rated answers", worst)
	fitEmbed(e, maxEmbedTotal)
	return Reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true}
}

// logQuestion records an answered question in the question log.
func (b *Bot) logQuestion(ctx context.Context, guild, channel, user, command, question, key string, a cited.Answer, took time.Duration) {
	if b.opt.Log == nil {
		return
	}
	q := Question{Guild: guild, Channel: channel, Command: command, Question: question, Backend: a.Backend,
		Latency: took, Abstained: a.Abstained, AnswerKey: key}
	if b.opt.LogUsers {
		q.User = user
	}
	for _, c := range a.Citations {
		q.Citations = append(q.Citations, c.PassageID)
		q.DocIDs = append(q.DocIDs, c.DocID)
	}
	if err := b.opt.Log.LogQuestion(ctx, q); err != nil {
		b.log.Warn("question log write failed", "err", err)
	}
}

// findSource answers the "Find source" message command.
func (b *Bot) findSource(ctx context.Context, i *interaction, data discordgo.ApplicationCommandInteractionData) {
	var msg *discordgo.Message
	if data.Resolved != nil {
		msg = data.Resolved.Messages[data.TargetID]
	}
	if msg == nil || strings.TrimSpace(msg.Content) == "" {
		i.reply(ctx, ephemeral("That message has no text to find a source for."))
		return
	}
	r, a := b.sourcesFor(ctx, i.GuildID, msg.Content, msg.ID)
	uid := ""
	if u := userOf(i.InteractionCreate); u != nil {
		uid = u.ID
	}
	// Logged before the reply, as /ask is: a /stats right after sees it.
	b.logQuestion(ctx, i.GuildID, i.ChannelID, uid, cmdFindSource, msg.Content, msg.ID, a, 0)
	i.reply(ctx, r)
	b.observe(cmdFindSource, outcomeAnswered, 0)
}

// sourcesFor finds the passages that support a claim.
func (b *Bot) sourcesFor(ctx context.Context, guild, claim, key string) (Reply, cited.Answer) {
	text, err := cited.CleanQuestion(truncate(stripMarkup(claim), cited.MaxQuestionRunes))
	if err != nil {
		return ephemeral("That message has no text to find a source for."), cited.Answer{Abstained: true}
	}
	a, err := b.answererFor(ctx, guild).FindSource(ctx, text, cited.Highlight{Runes: 300, Mark: snippetMarks, Clean: plainText})
	if err != nil {
		return ephemeral("That message has no text to find a source for."), cited.Answer{Question: text, Abstained: true}
	}
	if len(a.Citations) == 0 {
		return Reply{Embeds: []*discordgo.MessageEmbed{{Description: "None of the articles say anything close to this message.", Color: colorAbstain}}}, a
	}
	title := "Passages that support this"
	if a.Abstained {
		title = "No passage clearly supports this; these come closest"
	}
	var sb strings.Builder
	for _, c := range a.Citations {
		sb.WriteString(sourceLine(c.N, c.Title, c.Section, c.Paragraph, c.URL, c.PassageID) + "\n" +
			quoteBlock(c.Snippet) + "\n")
	}
	b.remember(ctx, key, Memory{Question: text, Answer: a})
	e := &discordgo.MessageEmbed{Title: title, Description: truncate(sb.String(), maxDesc), Color: colorInfo}
	r := Reply{Embeds: []*discordgo.MessageEmbed{e}}
	r.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Show quotes", Style: discordgo.SecondaryButton, CustomID: "quotes:" + key}}}}
	return r, a
}

func (b *Bot) onComponent(ctx context.Context, i *interaction) {
	id := i.MessageComponentData().CustomID
	kind, rest, _ := strings.Cut(id, ":")
	switch kind {
	case "quotes":
		st, ok := b.recall(ctx, rest)
		if !ok || len(st.Answer.Citations) == 0 {
			i.reply(ctx, ephemeral("Those quotes are no longer available; ask again to see them."))
			return
		}
		i.reply(ctx, quoteReplies(st.Answer.Citations))
	case "vote":
		dir, key, _ := strings.Cut(rest, ":")
		up := dir == "up"
		st, _ := b.recall(ctx, key)
		b.log.Info("answer feedback", "interaction", i.ID, "answer", key, "up", up, "question", st.Question)
		if b.obs != nil {
			b.obs.Vote(up)
		}
		if b.opt.Log != nil {
			voter := ""
			if u := userOf(i.InteractionCreate); u != nil {
				voter = u.ID
			}
			if err := b.opt.Log.Vote(ctx, key, voter, up); err != nil {
				b.log.Warn("vote not recorded", "err", err)
			}
		}
		i.reply(ctx, ephemeral("Thanks for the feedback!"))
	case "sources":
		page, err := strconv.Atoi(rest)
		if err != nil {
			page = 0
		}
		i.reply(ctx, b.sources(ctx, i.GuildID, page, true))
	default:
		i.reply(ctx, ephemeral("That button is no longer in use."))
	}
}

func (b *Bot) onAutocomplete(ctx context.Context, i *interaction) {
	data := i.ApplicationCommandData()
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for _, o := range data.Options {
		if o.Focused {
			focused = o
		}
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	if focused != nil {
		typed := strings.TrimSpace(focused.StringValue())
		switch {
		case data.Name == cmdLookup && focused.Name == "article":
			choices = b.articleChoices(ctx, i.GuildID, typed)
		case data.Name == cmdForget && focused.Name == "article":
			choices = b.articleChoices(ctx, i.GuildID, typed)
		case data.Name == cmdCite && focused.Name == "passage":
			choices = b.passageChoices(ctx, i.GuildID, typed)
		}
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	// Sent raw: discordgo omits an empty choices list, which Discord requires.
	endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	body := map[string]any{"type": discordgo.InteractionApplicationCommandAutocompleteResult, "data": map[string]any{"choices": choices}}
	err := b.retry(ctx, "autocomplete", func() error {
		_, err := b.s.RequestWithBucketID("POST", endpoint, body, endpoint, b.reqOpts(ctx)...)
		return err
	})
	if err != nil {
		b.log.Warn("autocomplete reply failed", "err", err)
	}
}

func choice(name, value string) *discordgo.ApplicationCommandOptionChoice {
	return &discordgo.ApplicationCommandOptionChoice{Name: truncate(strings.Join(strings.Fields(name), " "), maxChoiceText), Value: value}
}

// articleChoices offers articles whose title or ID contains the typed text.
func (b *Bot) articleChoices(ctx context.Context, guild, typed string) []*discordgo.ApplicationCommandOptionChoice {
	t := strings.ToLower(typed)
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, d := range b.answererFor(ctx, guild).Articles() {
		if len(out) == maxChoices {
			break
		}
		if runes(d.ID) > maxChoiceText {
			continue // cannot be a choice value
		}
		if t == "" || strings.Contains(strings.ToLower(d.Title), t) || strings.Contains(strings.ToLower(d.ID), t) {
			out = append(out, choice(d.Title, d.ID))
		}
	}
	return out
}

// passageChoices offers passages: by ID prefix, then by article title, then
// by a search for the typed words (see cited.Service.Suggest).
func (b *Bot) passageChoices(ctx context.Context, guild, typed string) []*discordgo.ApplicationCommandOptionChoice {
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, p := range b.answererFor(ctx, guild).Suggest(ctx, cited.Suggest{Typed: typed, N: maxChoices, MaxIDRunes: maxChoiceText, Runes: 60}) {
		out = append(out, choice(fmt.Sprintf("%s ¶%d: %s", truncate(p.Title, 40), p.Paragraph, p.Snippet), p.PassageID))
	}
	return out
}

// quota shows today's use of the language model: this server's and the
// asker's, against the daily budgets.
func (b *Bot) quota(ctx context.Context, i *interaction) {
	if b.opt.Quota == nil {
		i.reply(ctx, ephemeral("This deployment answers from the articles directly (template answers): it uses no language model, so there is no budget."))
		return
	}
	uid := ""
	if u := userOf(i.InteractionCreate); u != nil {
		uid = u.ID
	}
	use, err := b.opt.Quota.Used(ctx, i.GuildID, uid)
	if err != nil {
		b.log.Error("quota failed", "err", err)
		i.reply(ctx, ephemeral("Could not read today's use; the error was logged."))
		return
	}
	of := func(used, limit int64) string {
		if limit <= 0 {
			return fmt.Sprintf("**%d** tokens (no daily limit)", used)
		}
		return fmt.Sprintf("**%d** of **%d** tokens (%d%%)", used, limit, 100*used/limit)
	}
	where := "This server"
	if i.GuildID == "" {
		where = "Direct messages"
	}
	e := &discordgo.MessageEmbed{Title: "Language model use today", Color: colorInfo,
		Description: fmt.Sprintf("%s: %s\nYou: %s\nResets <t:%d:t> (midnight UTC). Over a budget, footnote answers from the articles directly and says why.",
			where, of(use.Guild, use.GuildLimit), of(use.User, use.UserLimit), use.Resets.Unix())}
	i.reply(ctx, Reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true})
}
