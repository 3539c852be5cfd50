package bot

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// tokenLifetime is how long an interaction token accepts edits and
// follow-ups.
const tokenLifetime = 15 * time.Minute

// errTokenExpired means an answer came too late to deliver.
var errTokenExpired = errors.New("interaction token expired (15 minutes)")

// retry runs a REST call, waiting out 429s (bounded, cancellable: unlike
// discordgo's own retry, which sleeps without limit and ignores the
// context) and retrying 5xx with backoff.
func (b *Bot) retry(ctx context.Context, route string, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		var rl *discordgo.RateLimitError
		var re *discordgo.RESTError
		var wait time.Duration
		switch {
		case errors.As(err, &rl) && attempt < 5:
			wait = rl.RetryAfter
			if wait <= 0 {
				wait = 500 * time.Millisecond
			}
			if wait > 30*time.Second {
				return err
			}
			b.log.Warn("rate limited by Discord; waiting", "route", route, "retry_after", wait)
			if b.obs != nil {
				b.obs.RateLimited(route)
			}
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500 && attempt < 3:
			wait = time.Duration(200<<attempt) * time.Millisecond
			b.log.Warn("Discord server error; retrying", "route", route, "status", re.Response.StatusCode)
		default:
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// callback sends an interaction response (acknowledgement).
func (b *Bot) callback(ctx context.Context, i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	return b.retry(ctx, "interaction callback", func() error {
		return b.s.InteractionRespond(i, resp, b.reqOpts(ctx)...)
	})
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// files gives each attempt at a request fresh readers (a retried upload
// must send the whole file again).
func files(as []Attachment) []*discordgo.File {
	if len(as) == 0 {
		return nil
	}
	out := make([]*discordgo.File, len(as))
	for i, a := range as {
		out[i] = &discordgo.File{Name: a.Name, ContentType: a.ContentType, Reader: bytes.NewReader(a.Data)}
	}
	return out
}

// send replies to an interaction with r, then sends r.More as follow-ups:
// at most maxReplyMessages messages in all (see capMessages). Handlers
// reply through interaction.reply, not this.
func (b *Bot) send(ctx context.Context, i *discordgo.Interaction, r Reply) error {
	r = b.capMessages(i, r)
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if r.Update {
		typ = discordgo.InteractionResponseUpdateMessage
	}
	var flags discordgo.MessageFlags
	if r.Ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	data := &discordgo.InteractionResponseData{Content: r.Content, Embeds: r.Embeds, Components: r.Components,
		Flags: flags, AllowedMentions: noMentions()}
	if r.Update {
		data.Flags = 0
	}
	resp := &discordgo.InteractionResponse{Type: typ, Data: data}
	err := b.retry(ctx, "interaction callback", func() error {
		data.Files = files(r.Attachments)
		return b.s.InteractionRespond(i, resp, b.reqOpts(ctx)...)
	})
	if err != nil {
		return err
	}
	b.followUps(ctx, i, r.More)
	return nil
}

func (b *Bot) followUps(ctx context.Context, i *discordgo.Interaction, more []Reply) {
	for _, m := range more {
		var flags discordgo.MessageFlags
		if m.Ephemeral {
			flags = discordgo.MessageFlagsEphemeral
		}
		params := &discordgo.WebhookParams{Content: m.Content, Embeds: m.Embeds, Components: m.Components, Flags: flags, AllowedMentions: noMentions()}
		err := b.retry(ctx, "follow-up", func() error {
			params.Files = files(m.Attachments)
			_, err := b.s.FollowupMessageCreate(i, true, params, b.reqOpts(ctx)...)
			return err
		})
		if err != nil {
			b.log.Error("follow-up not delivered", "interaction", i.ID, "err", err)
			return
		}
	}
}

// edit replaces the deferred (or earlier) response with r.
func (b *Bot) edit(ctx context.Context, i *discordgo.Interaction, r Reply) error {
	if created, err := discordgo.SnowflakeTimestamp(i.ID); err == nil && time.Since(created) > tokenLifetime {
		return errTokenExpired
	}
	r = b.capMessages(i, r)
	content := r.Content
	embeds := r.Embeds
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	components := r.Components
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	edit := &discordgo.WebhookEdit{Content: &content, Embeds: &embeds, Components: &components, AllowedMentions: noMentions()}
	err := b.retry(ctx, "edit original response", func() error {
		edit.Files = files(r.Attachments)
		_, err := b.s.InteractionResponseEdit(i, edit, b.reqOpts(ctx)...)
		return err
	})
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusNotFound || re.Response.StatusCode == http.StatusUnauthorized) {
		return errors.Join(errTokenExpired, err)
	}
	if err != nil {
		return err
	}
	b.followUps(ctx, i, r.More)
	return nil
}

// interaction is one interaction being answered, and the one place its
// response goes out: the first reply, a deferral, the edit that replaces a
// deferred reply and the follow-ups all pass through reply and
// deferReply, which log what could not be delivered. Handlers compute a
// Reply and hand it over; none of them calls Discord itself.
type interaction struct {
	*discordgo.InteractionCreate
	b *Bot

	mu        sync.Mutex
	deferred  bool // acknowledged with a deferral; the reply is an edit
	responded bool // a reply was delivered (or its delivery given up)

	slot     *slot     // the handler's work slot
	received time.Time // when footnote read it off the gateway
}

func (b *Bot) interaction(i *discordgo.InteractionCreate) *interaction {
	return &interaction{InteractionCreate: i, b: b, received: time.Now()}
}

// deferReply acknowledges the interaction ("footnote is thinking…"), once;
// the reply given later replaces it. ephemeral makes that reply visible to
// the asker only (Discord takes the flag from the deferral). It reports
// whether the interaction is deferred.
func (i *interaction) deferReply(ctx context.Context, ephemeral bool) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.deferred || i.responded {
		return i.deferred
	}
	var flags discordgo.MessageFlags
	if ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	err := i.b.callback(ctx, i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: flags, AllowedMentions: noMentions()}})
	if err != nil {
		i.b.log.Error("deferring the interaction failed", "interaction", i.ID, "err", err)
		i.responded = true // nothing more can be delivered
		return false
	}
	i.deferred = true
	return true
}

// reply delivers r: as the response itself, or as the edit of a deferred
// one. It reports whether r was delivered; a failure is logged here with
// what, if anything, is added in logArgs.
func (i *interaction) reply(ctx context.Context, r Reply, logArgs ...any) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.responded {
		i.b.log.Warn("second reply to an interaction dropped", "interaction", i.ID)
		return false
	}
	i.responded = true
	var err error
	if i.deferred {
		err = i.b.edit(ctx, i.Interaction, r)
	} else {
		err = i.b.send(ctx, i.Interaction, r)
	}
	if err != nil {
		i.b.log.Error("reply not delivered", append([]any{"interaction", i.ID, "deferred", i.deferred, "err", err}, logArgs...)...)
		return false
	}
	return true
}

// progress replaces a deferred reply with r before the final reply (an
// answer as it streams in). It does nothing unless the interaction is
// deferred and unanswered.
func (i *interaction) progress(ctx context.Context, r Reply) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.deferred || i.responded {
		return
	}
	if err := i.b.edit(ctx, i.Interaction, r); err != nil {
		i.b.log.Debug("progress edit not delivered", "interaction", i.ID, "err", err)
	}
}

// answered reports whether a reply went out (or can no longer).
func (i *interaction) answered() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.responded
}
