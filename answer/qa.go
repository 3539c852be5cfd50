package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// QAItem is one line of a question set: an answerable question with the
// phrases that count as its answer, or a question to abstain on.
type QAItem struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	// Gold is the phrase the cited passage must contain; Answers, when
	// given, are all accepted phrases (Gold among them).
	Gold    string   `json:"gold,omitempty"`
	Answers []string `json:"answers,omitempty"`
	Abstain bool     `json:"abstain,omitempty"`
	// Article names the article that answers (documentation sets).
	Article string `json:"article,omitempty"`
}

// Accepted is what counts as the answer: Answers, else Gold.
func (it QAItem) Accepted() []string {
	if len(it.Answers) > 0 {
		return it.Answers
	}
	return []string{it.Gold}
}

// ReadQA reads a JSON-lines question set.
func ReadQA(path string) ([]QAItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("question set: %w", err)
	}
	defer f.Close()
	var out []QAItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var it QAItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("question set %s line %d: %w", path, line, err)
		}
		if !it.Abstain && it.Gold == "" && len(it.Answers) == 0 {
			return nil, fmt.Errorf("question set %s line %d: neither gold, answers nor abstain", path, line)
		}
		if it.ID == "" {
			it.ID = fmt.Sprintf("line %d", line)
		}
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("question set %s: %w", path, err)
	}
	return out, nil
}

// QAResult is how one question was answered.
type QAResult struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	// WantAbstain is the question set's verdict: the articles do not answer.
	WantAbstain bool `json:"want_abstain"`
	Abstained   bool `json:"abstained"`
	// Confidence is the answer decision's confidence (see Decide).
	Confidence float64 `json:"confidence"`
	// InAnswer: an accepted phrase is in the answer text; At: the first of
	// the first three citations holding one (0: none).
	InAnswer bool   `json:"in_answer"`
	At       int    `json:"citation"`
	Answer   string `json:"answer"`
	// Cited are the passage IDs of the citations, in order.
	Cited []string `json:"cited,omitempty"`
	// Signals the decision was made from.
	Signals Signals `json:"signals"`
}

// QAReport summarises answers to a question set. Rates are over the
// answerable questions (an abstention counts as not answered) and over the
// out-of-corpus ones.
type QAReport struct {
	Answerable     int        `json:"answerable"`
	InAnswer       int        `json:"answer_text"`
	GoldAt1        int        `json:"gold_at_1"`
	GoldAt3        int        `json:"gold_at_3"`
	WronglyAbstain int        `json:"answerable_abstained"`
	OutOfCorpus    int        `json:"out_of_corpus"`
	Abstained      int        `json:"out_of_corpus_abstained"`
	Failures       []string   `json:"failures,omitempty"`
	Results        []QAResult `json:"results,omitempty"`
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// GoldAt1Rate is the share of answerable questions whose first citation
// holds an accepted phrase.
func (r QAReport) GoldAt1Rate() float64 { return rate(r.GoldAt1, r.Answerable) }

// InAnswerRate is the share of answerable questions whose answer text holds
// an accepted phrase.
func (r QAReport) InAnswerRate() float64 { return rate(r.InAnswer, r.Answerable) }

// FalseAbstainRate is the share of answerable questions abstained on.
func (r QAReport) FalseAbstainRate() float64 { return rate(r.WronglyAbstain, r.Answerable) }

// AbstainRate is the share of out-of-corpus questions abstained on.
func (r QAReport) AbstainRate() float64 { return rate(r.Abstained, r.OutOfCorpus) }

func (r QAReport) String() string {
	return fmt.Sprintf("answerable %d: in the answer text %d (%.1f%%), gold in citation 1 %d (%.1f%%), in the first three %d (%.1f%%), abstained %d (%.1f%%); out-of-corpus %d: abstained %d (%.1f%%)",
		r.Answerable, r.InAnswer, 100*r.InAnswerRate(), r.GoldAt1, 100*r.GoldAt1Rate(), r.GoldAt3, 100*rate(r.GoldAt3, r.Answerable),
		r.WronglyAbstain, 100*r.FalseAbstainRate(), r.OutOfCorpus, r.Abstained, 100*r.AbstainRate())
}

// markerRe finds the citation markers of an answer text.
var markerRe = lazy(`\s*\[\d{1,3}\]`)

// normalizeQA folds text as the question sets specify: case, curly quotes
// and apostrophes to straight ones, white space collapsed.
func normalizeQA(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}

// Holds reports whether text holds one of the accepted phrases (folded, a
// trailing full stop ignored).
func Holds(text string, accepted []string) bool {
	t := normalizeQA(text)
	for _, a := range accepted {
		a = strings.TrimSuffix(normalizeQA(a), ".")
		if a != "" && strings.Contains(t, a) {
			return true
		}
	}
	return false
}

// EvaluateQA answers every question and checks accepted phrases and
// abstentions. The service's own abstention decision is used; Sweep reuses
// the results at other thresholds.
func EvaluateQA(ctx context.Context, s *Service, items []QAItem) (QAReport, error) {
	var r QAReport
	for _, it := range items {
		a, err := s.Answer(ctx, Request{Question: it.Question})
		if err != nil {
			return r, fmt.Errorf("%s: %w", it.ID, err)
		}
		res := QAResult{ID: it.ID, Question: it.Question, WantAbstain: it.Abstain, Abstained: a.Abstained,
			Confidence: a.Confidence, Answer: a.Text, Signals: a.Signals}
		// Rank order: the cited passages, then the related ones.
		ranked := append(a.Citations[:len(a.Citations):len(a.Citations)], a.Related...)
		for _, c := range ranked {
			res.Cited = append(res.Cited, c.PassageID)
		}
		if !it.Abstain && !a.Abstained {
			res.InAnswer = Holds(markerRe.ReplaceAllString(a.Text, ""), it.Accepted())
			for i, c := range ranked {
				if i < 3 && Holds(c.Text, it.Accepted()) {
					res.At = i + 1
					break
				}
			}
		}
		r.add(res, it)
	}
	return r, nil
}

// add counts one result.
func (r *QAReport) add(res QAResult, it QAItem) {
	r.Results = append(r.Results, res)
	name := fmt.Sprintf("%s %q", it.ID, it.Question)
	if it.Abstain {
		r.OutOfCorpus++
		if res.Abstained {
			r.Abstained++
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: answered an out-of-corpus question: %q", name, res.Answer))
		}
		return
	}
	r.Answerable++
	if res.Abstained {
		r.WronglyAbstain++
		r.Failures = append(r.Failures, fmt.Sprintf("%s: abstained on an answerable question", name))
		return
	}
	if res.InAnswer {
		r.InAnswer++
	}
	switch {
	case res.At == 1:
		r.GoldAt1++
		r.GoldAt3++
	case res.At > 1:
		r.GoldAt3++
		r.Failures = append(r.Failures, fmt.Sprintf("%s: gold in citation %d, not 1", name, res.At))
	default:
		r.Failures = append(r.Failures, fmt.Sprintf("%s: %q not in the first three citations", name, it.Accepted()[0]))
	}
}

// SweepRow is the trade-off at one abstention threshold.
type SweepRow struct {
	Threshold    float64 `json:"threshold"`
	InAnswer     float64 `json:"answer_text"`
	GoldAt1      float64 `json:"gold_at_1"`
	FalseAbstain float64 `json:"answerable_abstained"`
	Abstained    float64 `json:"out_of_corpus_abstained"`
}

// Sweep recomputes a report's rates at each threshold: a question is
// abstained on when its confidence is below the threshold. The report must
// come from a service that never abstains on confidence (Options.NoAbstain),
// so that every question has an answer to score.
func Sweep(r QAReport, thresholds []float64) []SweepRow {
	out := make([]SweepRow, 0, len(thresholds))
	for _, th := range thresholds {
		var s QAReport
		for _, res := range r.Results {
			if res.Confidence < th {
				res.Abstained = true
			}
			s.add(res, QAItem{ID: res.ID, Question: res.Question, Abstain: res.WantAbstain, Gold: "-"})
		}
		out = append(out, SweepRow{Threshold: th, InAnswer: s.InAnswerRate(), GoldAt1: s.GoldAt1Rate(),
			FalseAbstain: s.FalseAbstainRate(), Abstained: s.AbstainRate()})
	}
	return out
}
