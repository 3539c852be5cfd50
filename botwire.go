package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/metrics"
	"github.com/footnote-bot/footnote/quota"
	"github.com/footnote-bot/footnote/report"
	"github.com/footnote-bot/footnote/sites"
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

// botSources serves /source from the documentation sites' manager. Its
// refreshes run under ctx, serve's lifetime, not an interaction's.
type botSources struct {
	ctx context.Context
	m   *sites.Manager
}

var _ bot.Sources = botSources{}

func sourceInfo(s sites.Status) bot.SourceInfo {
	return bot.SourceInfo{ID: s.ID, URL: s.URL, Pages: s.Pages, RefreshedAt: s.RefreshedAt, Next: s.Next, LastError: s.LastError,
		Running: s.Running, Configured: s.Configured}
}

func (b botSources) Add(ctx context.Context, guild string, s bot.SourceSpec) (bot.SourceInfo, error) {
	src, err := b.m.Add(ctx, store.Source{Guild: guild, URL: s.URL, Include: s.Include, Exclude: s.Exclude, MaxPages: s.MaxPages, AddedBy: s.By})
	if err != nil {
		return bot.SourceInfo{}, err
	}
	return sourceInfo(sites.Status{Source: src}), nil
}

func (b botSources) Start(ctx context.Context, guild string, id int64) error {
	err := b.m.Start(b.ctx, guild, id, nil)
	switch {
	case errors.Is(err, sites.ErrBusy):
		return bot.ErrSourceBusy
	case store.IsNotFound(err):
		return fmt.Errorf("this server has no source %d (see /source list)", id)
	}
	return err
}

func (b botSources) List(ctx context.Context, guild string) ([]bot.SourceInfo, error) {
	list, err := b.m.List(ctx, guild)
	if err != nil {
		return nil, err
	}
	out := make([]bot.SourceInfo, len(list))
	for i, s := range list {
		out[i] = sourceInfo(s)
	}
	return out, nil
}

func (b botSources) Remove(ctx context.Context, guild string, id int64) (bot.SourceInfo, int, error) {
	src, n, err := b.m.Remove(ctx, guild, id)
	switch {
	case store.IsNotFound(err):
		return bot.SourceInfo{}, 0, fmt.Errorf("this server has no source %d (see /source list)", id)
	case errors.Is(err, sites.ErrBusy):
		return bot.SourceInfo{}, 0, fmt.Errorf("source %d is being refreshed; try again when it is done", id)
	case err != nil:
		return bot.SourceInfo{}, 0, err
	}
	return sourceInfo(sites.Status{Source: src}), n, nil
}

func (b botSources) Changes(ctx context.Context, guild string, source int64, limit int) ([]bot.SourceChange, error) {
	ch, err := b.m.Changes(ctx, guild, source, limit)
	if err != nil {
		return nil, err
	}
	out := make([]bot.SourceChange, len(ch))
	for i, c := range ch {
		out[i] = bot.SourceChange{Source: c.SourceID, At: c.At, URL: c.URL, Kind: c.Kind}
	}
	return out, nil
}

func (b botSources) Changed(docID string) (time.Time, bool) { return b.m.Changed(docID) }
