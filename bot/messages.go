package bot

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer/cited"
)

var (
	mentionRe = regexp.MustCompile(`<@!?(\d+)>`)
	// discordMarkup is mention and channel syntax, which carries no meaning
	// for retrieval (the text still pings nobody: allowed_mentions is empty).
	discordMarkup = regexp.MustCompile(`<@[!&]?\d+>|<#\d+>|<a?:\w+:\d+>|@everyone|@here`)
)

// stripMarkup removes mentions, channel links and custom emoji from a
// question.
func stripMarkup(q string) string {
	return strings.Join(strings.Fields(discordMarkup.ReplaceAllString(q, " ")), " ")
}

// onMessage answers a message that mentions the bot or replies to one of
// its answers (needs the MESSAGE_CONTENT intent). A reply, or a question in
// a thread where footnote answered before, is a follow-up: the earlier
// question steers retrieval.
func (b *Bot) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	if !b.opt.MessageContent || m.Author == nil || m.Author.Bot || b.closing.Load() {
		return
	}
	botID := b.botID.Load().(string)
	if botID == "" {
		return
	}
	mentioned := false
	for _, u := range m.Mentions {
		if u.ID == botID {
			mentioned = true
		}
	}
	replyToBot := m.ReferencedMessage != nil && m.ReferencedMessage.Author != nil && m.ReferencedMessage.Author.ID == botID
	if !mentioned && !replyToBot {
		return
	}
	if !b.limits.channelAllowed(m.GuildID, m.ChannelID) {
		return
	}
	b.inflight.Add(1)
	defer b.inflight.Done()
	ctx := context.Background()
	start := time.Now()                                          // the latency counts the wait for a work slot
	slot, _ := b.work.acquire(ctx, workKey(m.GuildID, m.Author)) // ctx does not end
	defer slot.release()
	question := strings.TrimSpace(mentionRe.ReplaceAllStringFunc(m.Content, func(s string) string {
		if mentionRe.FindStringSubmatch(s)[1] == botID {
			return ""
		}
		return s
	}))
	earlier := ""
	if replyToBot {
		if st, ok := b.recall(ctx, "msg:"+m.ReferencedMessage.ID); ok {
			earlier = st.Question
		}
	} else if st, ok := b.recall(ctx, "chan:"+m.ChannelID); ok {
		earlier = st.Question
	}
	q := inquiry{command: "mention", idKey: "message", id: m.ID, guild: m.GuildID, channel: m.ChannelID, user: m.Author.ID,
		key: m.ID, text: stripMarkup(question), context: earlier, followUp: earlier != "", slot: slot}
	// reply sends r as a reply to the message (a message cannot be
	// ephemeral: r's flags are not sent) and remembers the answer under the
	// reply too, for follow-ups.
	reply := func(r Reply) bool {
		send := &discordgo.MessageSend{Content: r.Content, Embeds: r.Embeds, Components: r.Components,
			Reference: m.Reference(), AllowedMentions: noMentions()}
		var sent *discordgo.Message
		err := b.retry(ctx, "channel message", func() error {
			var err error
			sent, err = b.s.ChannelMessageSendComplex(m.ChannelID, send, b.reqOpts(ctx)...)
			return err
		})
		if err != nil {
			b.log.Error("reply not delivered", "message", m.ID, "question", question, "err", err)
			return false
		}
		if st, ok := b.recall(ctx, m.ID); ok && sent != nil {
			b.remember(ctx, "msg:"+sent.ID, st)
			b.remember(ctx, "chan:"+m.ChannelID, st)
		}
		return true
	}
	if q.text == "" {
		reply(Reply{Content: "Ask me a question after the mention, e.g. “@footnote what is this article about?”"})
		return
	}
	typing := func() { _ = b.s.ChannelTyping(m.ChannelID, b.reqOpts(ctx)...) }
	release, refused := b.admit(ctx, q, typing, nil) // typing while it waits for its turn
	if release == nil {
		reply(refused)
		return
	}
	defer release()
	typing()
	if b.opt.Streaming {
		slot.pause() // a language model's answer is a wait, not work
	}
	a, err := b.answer(ctx, q.guild, cited.Request{Question: q.text, Context: q.context, Guild: q.guild, User: q.user})
	_ = slot.resume(ctx)
	r, outcome := b.conclude(ctx, q, a, err, time.Since(start))
	if !reply(r) {
		outcome = outcomeError
	}
	b.observe(q.command, outcome, time.Since(start))
}
