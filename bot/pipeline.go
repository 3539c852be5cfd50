package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footnote-bot/footnote/answer/cited"
)

// inquiry is one question on its way through the bot, from /ask (and its
// private form), a mention or a reply. /ask and messages differ only in
// how they acknowledge and deliver; the rest is this pipeline: admit
// (cooldown, per-guild cap), conclude (the answer or the error as a reply,
// memory, the question log, the log line) and the count (observe).
type inquiry struct {
	command  string // "ask", "mention", …: the metrics' and the log's name
	idKey    string // "interaction" or "message": what id names, in logs
	id       string
	guild    string
	channel  string
	user     string
	key      string // what the answer is remembered under (buttons, follow-ups)
	text     string // the question, Discord markup stripped
	context  string // an earlier question that steers retrieval
	private  bool   // the answer is shown to the asker alone
	followUp bool
	slot     *slot // the handler's work slot, given up while it waits for a turn
}

// maxQueueWait bounds how long a question waits for its turn: an
// interaction's token lasts 15 minutes, and its answer must arrive within
// them.
const maxQueueWait = 14 * time.Minute

// admit takes the question's turn under the limits: release ends it. A
// question over its server's concurrency waits for its turn (waiting is
// called first, once, to acknowledge it); it is refused only for the
// asker's cooldown, a full queue, or a turn that did not come in time.
// When refused, release is nil, the refusal is counted and refused says
// why.
//
// A question that is still waiting after Options.QueueNotice has notify
// called with its place in the queue (to tell the asker), once.
func (b *Bot) admit(ctx context.Context, q inquiry, waiting func(), notify func(position int)) (release func(), refused Reply) {
	ctx, cancel := context.WithTimeout(ctx, maxQueueWait)
	defer cancel()
	start := time.Now()
	queued := false
	turn := make(chan struct{})
	defer close(turn)
	release, wait, busy, err := b.limits.take(ctx, q.guild, q.user, q.slot, func(position func() int) {
		queued = true
		if waiting != nil {
			waiting()
		}
		if notify != nil {
			go func() {
				t := time.NewTimer(b.opt.QueueNotice)
				defer t.Stop()
				select {
				case <-t.C:
					if p := position(); p > 0 {
						notify(p)
					}
				case <-turn:
				}
			}()
		}
	})
	if queued {
		if b.limits.obs != nil {
			b.limits.obs.Waited(q.guild, time.Since(start))
		}
	}
	if release != nil {
		if queued {
			b.log.Info("question waited for its turn", q.idKey, q.id, "guild", q.guild, "waited", time.Since(start))
		}
		return release, Reply{}
	}
	var msg string
	switch {
	case err != nil:
		b.log.Warn("question not answered: no turn in time", q.idKey, q.id, "guild", q.guild, "waited", time.Since(start), "err", err)
		msg = "footnote could not get to your question in time because this server asked many at once; please ask again."
	case busy:
		msg = "footnote has too many questions from this server waiting right now; please try again in a moment."
	default:
		msg = fmt.Sprintf("You're asking quickly! Please wait %s before your next question.", wait.Round(time.Second))
	}
	b.observe(q.command, outcomeRefused, 0)
	return nil, ephemeral(msg)
}

// answer asks the answer service. A panic in it (a bug, perhaps in
// parsing an article) is an internal error for this question, not the
// end of the process: /ask answers on a goroutine of its own, where
// onInteraction's recover does not reach.
func (b *Bot) answer(ctx context.Context, guild string, req cited.Request) (a cited.Answer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while answering: %v", r)
		}
	}()
	return b.answererFor(ctx, guild).Answer(ctx, req)
}

// conclude makes the reply to a question from its answer or error, and
// its outcome: a question footnote will not take (empty, too long) is
// refused with the reason; any other error is logged and the user told
// only that it was internal. An answer is remembered under q.key and
// logged with its question.
func (b *Bot) conclude(ctx context.Context, q inquiry, a cited.Answer, err error, took time.Duration) (Reply, string) {
	var reply Reply
	outcome := outcomeAnswered
	switch {
	case errors.Is(err, cited.ErrEmptyQuestion):
		reply, outcome = ephemeral("Please type a question."), outcomeRefused
	case errors.Is(err, cited.ErrQuestionTooLong):
		reply, outcome = ephemeral(fmt.Sprintf("That question is too long; please keep it under %d characters.", cited.MaxQuestionRunes)), outcomeRefused
	case err != nil:
		b.log.Error("answering failed", q.idKey, q.id, "command", q.command, "question", q.text, "err", err)
		reply, outcome = ephemeral("Sorry, footnote could not answer that because of an internal error; it was logged."), outcomeError
	default:
		if a.Abstained {
			outcome = outcomeAbstained
		}
		b.remember(ctx, q.key, Memory{Question: q.text, Answer: a})
		b.markUpdated(&a)
		reply = answerReply(a, q.key, q.private)
		b.logQuestion(ctx, q.guild, q.channel, q.user, q.command, q.text, q.key, a, took)
	}
	b.log.Info("question answered", q.idKey, q.id, "command", q.command, "latency", took, "backend", a.Backend,
		"passages", len(a.Citations), "abstained", a.Abstained, "outcome", outcome, "follow_up", q.followUp)
	return reply, outcome
}
