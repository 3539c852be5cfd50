package answer

import (
	"context"
	"errors"
	"strings"

	"github.com/footnote-bot/footnote/prompts"
)

// noAnswer is what the system prompt tells the model to say when the
// passages do not answer.
const noAnswer = "NO_ANSWER"

// llmAnswer asks the model. On failure it returns a short reason (for the
// fallback notice and the log) and an Answer carrying only the dropped count.
func (s *Service) llmAnswer(ctx context.Context, q string, req Request, ps []scoredPassage) (Answer, string) {
	// Fit the passages into the context budget, best first; always at least one.
	budget := s.opt.ContextChars
	var given []scoredPassage
	data := prompts.LLMData{Question: q, Context: req.Context}
	for i, p := range ps {
		text := p.Quote()
		if i > 0 && budget-len(text) < 0 {
			break
		}
		if len(text) > budget {
			text = truncateRunes(text, budget)
		}
		budget -= len(text)
		given = append(given, p)
		data.Passages = append(data.Passages, prompts.Passage{N: len(given), Title: p.Title, Section: p.Section, Text: text})
	}
	system, err := s.prompts.Render(prompts.LLMSystem, data)
	if err != nil {
		return Answer{}, "prompt template error"
	}
	user, err := s.prompts.Render(prompts.LLMUser, data)
	if err != nil {
		return Answer{}, "prompt template error"
	}
	if b := s.opt.Budget; b != nil {
		// About four characters a token, as OpenAI's tokenizers average
		// on English.
		if ok, why := b.Allow(ctx, req.Guild, req.User, (len(system)+len(user))/4); !ok {
			return Answer{}, why
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.opt.LLMTimeout)
	defer cancel()
	out, tokens, err := s.opt.Model.Complete(cctx, system, user, req.OnDelta)
	if s.opt.Budget != nil && tokens > 0 {
		s.opt.Budget.Spend(ctx, req.Guild, req.User, tokens)
	}
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded):
			return Answer{}, "it took too long"
		case ctx.Err() != nil:
			return Answer{}, "the question was cancelled"
		}
		s.log.Warn("LLM request failed", "err", err)
		return Answer{}, "it was unavailable"
	}
	out = strings.TrimSpace(out)
	if out == "" || strings.HasPrefix(out, noAnswer) {
		if strings.HasPrefix(out, noAnswer) {
			return Answer{}, "it found no answer in the passages"
		}
		return Answer{}, "it returned an empty answer"
	}
	text, order, dropped := CheckCitations(out, len(given))
	if dropped > 0 {
		s.log.Warn("LLM cited passages it was not given", "dropped", dropped)
	}
	if len(order) == 0 {
		return Answer{Dropped: dropped}, "its answer cited no passage"
	}
	used := make([]int, len(order))
	for i, n := range order {
		used[i] = n - 1
	}
	ordered := sortCitedFirst(given, used)
	related := citations(ordered[len(used):])
	for i := range related {
		related[i].N = 0
	}
	return Answer{Question: q, Text: text, Backend: BackendLLM, Citations: citations(ordered[:len(used)]), Related: related, Dropped: dropped}, ""
}

func truncateRunes(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
