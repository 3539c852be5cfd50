package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// QAItem is one line of a question set: an answerable question with a gold
// phrase the cited passage must contain, or a question to abstain on.
type QAItem struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Gold     string `json:"gold,omitempty"`
	Abstain  bool   `json:"abstain,omitempty"`
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
		if !it.Abstain && it.Gold == "" {
			return nil, fmt.Errorf("question set %s line %d: neither gold nor abstain", path, line)
		}
		out = append(out, it)
	}
	return out, sc.Err()
}

// QAReport summarises answers to a question set.
type QAReport struct {
	Answerable     int      `json:"answerable"`
	GoldAt1        int      `json:"gold_at_1"`
	GoldAt3        int      `json:"gold_at_3"`
	WronglyAbstain int      `json:"answerable_abstained"`
	OutOfCorpus    int      `json:"out_of_corpus"`
	Abstained      int      `json:"out_of_corpus_abstained"`
	Failures       []string `json:"failures,omitempty"`
}

// GoldAt1Rate is the share of answerable questions whose first citation
// holds the gold phrase.
func (r QAReport) GoldAt1Rate() float64 {
	if r.Answerable == 0 {
		return 0
	}
	return float64(r.GoldAt1) / float64(r.Answerable)
}

func (r QAReport) String() string {
	return fmt.Sprintf("answerable %d: gold in citation 1 %d (%.1f%%), in the first three %d, abstained %d; out-of-corpus %d: abstained %d",
		r.Answerable, r.GoldAt1, 100*r.GoldAt1Rate(), r.GoldAt3, r.WronglyAbstain, r.OutOfCorpus, r.Abstained)
}

// normalizeQA folds text as the question sets specify: case, curly quotes
// and apostrophes to straight ones, white space collapsed.
func normalizeQA(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}

// EvaluateQA answers every question and checks gold phrases and abstentions.
func EvaluateQA(ctx context.Context, s *Service, items []QAItem) (QAReport, error) {
	var r QAReport
	for _, it := range items {
		a, err := s.Answer(ctx, Request{Question: it.Question})
		if err != nil {
			return r, fmt.Errorf("%s: %w", it.ID, err)
		}
		if it.Abstain {
			r.OutOfCorpus++
			if a.Abstained {
				r.Abstained++
			} else {
				r.Failures = append(r.Failures, fmt.Sprintf("%s: answered an out-of-corpus question: %q", it.ID, a.Text))
			}
			continue
		}
		r.Answerable++
		if a.Abstained {
			r.WronglyAbstain++
			r.Failures = append(r.Failures, fmt.Sprintf("%s: abstained on an answerable question", it.ID))
			continue
		}
		gold := normalizeQA(it.Gold)
		at := 0
		for i, c := range a.Citations {
			if i < 3 && strings.Contains(normalizeQA(c.Text), gold) {
				at = i + 1
				break
			}
		}
		switch {
		case at == 1:
			r.GoldAt1++
			r.GoldAt3++
		case at > 1:
			r.GoldAt3++
			r.Failures = append(r.Failures, fmt.Sprintf("%s: gold in citation %d, not 1", it.ID, at))
		default:
			r.Failures = append(r.Failures, fmt.Sprintf("%s: gold %q not in the first three citations", it.ID, it.Gold))
		}
	}
	return r, nil
}
