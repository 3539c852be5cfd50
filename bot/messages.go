package bot

import (
	"context"
	"fmt"
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
	start := time.Now()
	question := strings.TrimSpace(mentionRe.ReplaceAllStringFunc(m.Content, func(s string) string {
		if mentionRe.FindStringSubmatch(s)[1] == botID {
			return ""
		}
		return s
	}))
	if stripMarkup(question) == "" {
		question = ""
	}
	earlier := ""
	if replyToBot {
		if st, ok := b.recall(ctx, "msg:"+m.ReferencedMessage.ID); ok {
			earlier = st.Question
		}
	} else if st, ok := b.recall(ctx, "chan:"+m.ChannelID); ok {
		earlier = st.Question
	}
	reply := func(r Reply) {
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
			return
		}
		if st, ok := b.recall(ctx, m.ID); ok && sent != nil {
			b.remember(ctx, "msg:"+sent.ID, st)
			b.remember(ctx, "chan:"+m.ChannelID, st)
		}
	}
	if question == "" {
		reply(Reply{Content: "Ask me a question after the mention, e.g. “@footnote what is this article about?”"})
		return
	}
	release, wait, busy := b.limits.take(ctx, m.GuildID, m.Author.ID)
	if release == nil {
		if busy {
			reply(Reply{Content: "I'm answering several questions here right now; please ask again in a moment."})
		} else {
			reply(Reply{Content: fmt.Sprintf("Please wait %s before your next question.", wait.Round(time.Second))})
		}
		b.observe("mention", outcomeRefused, 0)
		return
	}
	defer release()
	_ = b.s.ChannelTyping(m.ChannelID, b.reqOpts(ctx)...)
	a, err := b.answerer.Answer(ctx, cited.Request{Question: stripMarkup(question), Context: earlier})
	outcome := outcomeAnswered
	switch {
	case err != nil:
		b.log.Warn("question refused", "message", m.ID, "err", err)
		reply(Reply{Content: "I couldn't take that question: " + err.Error() + "."})
		outcome = outcomeRefused
	default:
		if a.Abstained {
			outcome = outcomeAbstained
		}
		b.remember(ctx, m.ID, Memory{Question: question, Answer: a})
		reply(answerReply(a, m.ID, false))
	}
	took := time.Since(start)
	if err == nil {
		b.logQuestion(ctx, m.GuildID, m.ChannelID, m.Author.ID, "mention", question, m.ID, a, took)
	}
	b.log.Info("question answered", "message", m.ID, "command", "mention", "latency", took, "backend", a.Backend,
		"passages", len(a.Citations), "abstained", a.Abstained, "outcome", outcome, "follow_up", earlier != "")
	b.observe("mention", outcome, took)
}
