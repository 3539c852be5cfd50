package answer

import (
	"math"

	"github.com/footnote-bot/footnote/answer/cited"
)

// signals reads the decision's signals off the rescored pool.
func (s *scorer) signals(cands []candidate) Signals {
	sig := Signals{Terms: len(s.q.terms)}
	if s.total > 0 {
		for i, t := range s.q.terms {
			switch {
			case t.known || len(t.derived) > 0:
			case t.name:
				sig.Missing += s.idf[i] / s.total
			default:
				sig.MissingWord += s.idf[i] / s.total
			}
		}
	}
	if len(cands) == 0 {
		return sig
	}
	c := cands[0]
	sig.Cover = c.features[fCover]
	if c.best >= 0 {
		u := c.units[c.best]
		sig.UnitCover, sig.Prox = u.cover, u.prox
		if s.q.typ != anyType || s.q.subject != "" {
			sig.Typed = -1
			if u.typed || u.defines {
				sig.Typed = 1
			}
		}
	}
	spec := -1
	for i := range s.q.terms {
		if spec < 0 || s.idf[i] > s.idf[spec] {
			spec = i
		}
	}
	if spec >= 0 {
		head, _ := s.matchText(c.hit.Passage.Title + " . " + c.hit.Passage.Section)
		body, _ := s.matchText(c.hit.Passage.Text)
		sig.Specific = max(head[spec], body[spec])
	}
	if spec >= 0 {
		// The best unit's matches; for a passage with none (code, or one
		// matched on its heading only), the passage's own.
		var match []float64
		if c.best >= 0 {
			match = c.units[c.best].match
		} else {
			head, _ := s.matchText(c.hit.Passage.Title + " . " + c.hit.Passage.Section)
			match, _ = s.matchText(c.hit.Passage.Text)
			for i := range match {
				match[i] = max(match[i], head[i])
			}
		}
		rest, got, miss := 0.0, 0.0, 0
		for i, m := range match {
			if m == 0 {
				miss++
			}
			if i != spec {
				rest += s.idf[i]
				got += m * s.idf[i]
			}
		}
		sig.Rest = 1 // a one-word question has nothing else to cover
		if rest > 0 {
			sig.Rest = got / rest
		}
		sig.Unmatched = float64(miss) / float64(len(match))
	}
	if len(s.idents) > 0 {
		sig.Ident = 2*c.features[fIdent] - 1
	}
	if len(cands) > 1 && c.score > 0 {
		sig.Margin = (c.score - cands[1].score) / c.score
	}
	sig.Focus = focus(cands)
	return sig
}

// focusTop is how many passages after the best one Focus looks at.
const focusTop = 2

// focus is the Focus signal of a rescored pool (best first): from -1
// (none of the next focusTop passages is from the best one's article) to
// 1 (all are), and 0, no evidence either way, when the whole pool is one
// article (an article set of one, or a question only one article's words
// match).
func focus(cands []candidate) float64 {
	if len(cands) < 2 {
		return 0
	}
	doc := cands[0].hit.Passage.DocID
	same := func(cs []candidate) int {
		n := 0
		for _, c := range cs {
			if c.hit.Passage.DocID == doc {
				n++
			}
		}
		return n
	}
	if same(cands) == len(cands) {
		return 0
	}
	top := cands[1:min(len(cands), 1+focusTop)]
	return 2*float64(same(top))/float64(len(top)) - 1
}

// SignalNames name the decision's inputs, in DecisionWeights order.
var SignalNames = [numSignals]string{"cover", "unit_cover", "missing", "missing_word", "specific", "prox", "typed", "margin", "ident", "focus", "rest", "unmatched"}

const numSignals = cited.NumSignals

// DecisionWeights are the logistic model's coefficients, one per signal
// (SignalNames), then the intercept.
type DecisionWeights [numSignals + 1]float64

// Decide is the confidence, in [0, 1], that the articles answer a question
// with these signals: a logistic model over them.
func (w DecisionWeights) Decide(sig Signals) float64 {
	z := w[numSignals]
	for i, x := range sig.Vector() {
		z += w[i] * x
	}
	return 1 / (1 + math.Exp(-z))
}

// decide is the service's confidence for the signals: the fitted model,
// or, with the decision switched off (Options.Without), the share of the
// question's IDF mass the best passage covers, scaled so that the old rule
// (abstain below a third) falls at the threshold.
func (s *Service) decide(sig Signals) float64 {
	if s.off[TechDecision] {
		return min(1, sig.Cover*3*s.opt.MinConfidence)
	}
	return s.opt.DecisionWeights.Decide(sig)
}
