package bot

import (
	"context"
	"time"

	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/report"
	"github.com/footnote-bot/footnote/store"
)

// The tests' library and question log, adapted to the bot's interfaces
// as the root package's botwire.go does for footnote serve.

type testLibrary struct{ *library.Library }

var _ Library = testLibrary{}

func (l testLibrary) IngestURL(ctx context.Context, url, by string) (Added, error) {
	a, err := l.Library.IngestURL(ctx, url, by)
	return Added(a), err
}

func (l testLibrary) IngestAttachment(ctx context.Context, name, url string, size int64, by string) (Added, error) {
	a, err := l.Library.IngestAttachment(ctx, name, url, size, by)
	return Added(a), err
}

type testLog struct{ db *store.DB }

var _ QuestionLog = testLog{}

func (l testLog) LogQuestion(ctx context.Context, q Question) error {
	return l.db.LogQuestion(ctx, store.Question(q))
}

func (l testLog) Vote(ctx context.Context, answerKey, voter string, up bool) error {
	return l.db.Vote(ctx, answerKey, voter, up)
}

func (l testLog) Stats(ctx context.Context, guild string, since time.Time, top int) (Stats, error) {
	st, err := l.db.Stats(ctx, guild, since, top)
	if err != nil {
		return Stats{}, err
	}
	sum := report.Summarise(st, top)
	out := Stats{Questions: sum.Questions, Abstained: sum.Abstained, Up: sum.Up, Down: sum.Down}
	for _, g := range sum.Unanswered {
		out.Unanswered = append(out.Unanswered, Count{Name: g.Example, Count: g.Count})
	}
	for _, c := range sum.MostCited {
		out.MostCited = append(out.MostCited, Count(c))
	}
	for _, r := range sum.WorstRated {
		out.WorstRated = append(out.WorstRated, Rated(r))
	}
	return out, nil
}
