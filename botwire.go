package main

import (
	"context"
	"fmt"
	"time"

	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/metrics"
	"github.com/footnote-bot/footnote/quota"
	"github.com/footnote-bot/footnote/report"
	"github.com/footnote-bot/footnote/store"
)

// The bot declares what it needs of the library and the question log in
// its own types (it imports neither); these adapt them.

// botLog is the store as the bot's QuestionLog; /stats groups similar
// questions as footnote report does (report.Summarise).
type botLog struct{ db *store.DB }

var _ bot.QuestionLog = botLog{}

// LogQuestion implements bot.QuestionLog.
func (l botLog) LogQuestion(ctx context.Context, q bot.Question) error {
	return l.db.LogQuestion(ctx, store.Question(q))
}

// Vote implements bot.QuestionLog.
func (l botLog) Vote(ctx context.Context, answerKey, voter string, up bool) error {
	return l.db.Vote(ctx, answerKey, voter, up)
}

// Stats implements bot.QuestionLog.
func (l botLog) Stats(ctx context.Context, guild string, since time.Time, top int) (bot.Stats, error) {
	st, err := l.db.Stats(ctx, guild, since, top)
	if err != nil {
		return bot.Stats{}, fmt.Errorf("stats: %w", err)
	}
	return botStats(report.Summarise(st, top)), nil
}

// botStats is a summary as /stats shows it.
func botStats(sum report.Summary) bot.Stats {
	out := bot.Stats{Questions: sum.Questions, Abstained: sum.Abstained, Up: sum.Up, Down: sum.Down}
	for _, g := range sum.Unanswered {
		out.Unanswered = append(out.Unanswered, bot.Count{Name: g.Example, Count: g.Count})
	}
	for _, c := range sum.MostCited {
		out.MostCited = append(out.MostCited, bot.Count(c))
	}
	for _, r := range sum.WorstRated {
		out.WorstRated = append(out.WorstRated, bot.Rated(r))
	}
	return out
}

// botMembership records for the bot which servers footnote left.
type botMembership struct{ db *store.DB }

var _ bot.Membership = botMembership{}

func (m botMembership) GuildLeft(ctx context.Context, guild string) error {
	return m.db.GuildLeft(ctx, guild, time.Now())
}

func (m botMembership) GuildBack(ctx context.Context, guild string) error {
	return m.db.GuildBack(ctx, guild)
}

// botQuota is the LLM budget as the bot's Quota (/quota).
type botQuota struct{ q *quota.Quota }

var _ bot.Quota = botQuota{}

func (b botQuota) Used(ctx context.Context, guild, user string) (bot.QuotaUse, error) {
	u, err := b.q.Used(ctx, guild, user)
	return bot.QuotaUse(u), err
}

var _ bot.QueueObserver = (*metrics.Metrics)(nil)
