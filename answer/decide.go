package answer

import "math"

// Signals are what the answer decision reads: how well the best passage
// and its best unit cover the question, whether the question's most
// specific words exist in the articles at all, how tightly the matched
// words sit, whether the wanted kind of answer is there, and how clearly
// the best passage leads.
type Signals struct {
	// Cover is the share of the question's IDF mass the best passage
	// (text, heading and title) matches.
	Cover float64 `json:"cover"`
	// UnitCover is the same for the best passage's best unit.
	UnitCover float64 `json:"unit_cover"`
	// Missing is the share of the question's IDF mass carried by words the
	// articles do not have in any form (no spelling correction, no
	// derivational variant) that are names or not English words
	// ("Australia", "LogQL"); MissingWord the share carried by missing
	// English words ("whole", "carpet").
	Missing     float64 `json:"missing"`
	MissingWord float64 `json:"missing_word"`
	// Specific is how the question's most specific word (highest IDF) is
	// matched in the best passage: 1, a correction's or variant's weight,
	// or 0.
	Specific float64 `json:"specific"`
	// Prox is the best unit's proximity (see proximity).
	Prox float64 `json:"prox"`
	// Typed is 1 when the question asks for a kind of answer and the best
	// unit holds one, -1 when it asks and the unit does not, 0 when the
	// question asks for no particular kind.
	Typed float64 `json:"typed"`
	// Margin is how far the best passage's question score leads the
	// second's, as a share of the best.
	Margin float64 `json:"margin"`
	// Ident is 0 when the question names no identifier (a config key, a
	// flag, a file name), else how many of them the best passage holds
	// verbatim, from -1 (none) to 1 (all).
	Ident float64 `json:"ident"`
	// Terms is the number of the question's content terms.
	Terms int `json:"terms"`
}

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
	if len(s.idents) > 0 {
		sig.Ident = 2*c.features[fIdent] - 1
	}
	if len(cands) > 1 && c.score > 0 {
		sig.Margin = (c.score - cands[1].score) / c.score
	}
	return sig
}

// SignalNames name the decision's inputs, in DecisionWeights order.
var SignalNames = [numSignals]string{"cover", "unit_cover", "missing", "missing_word", "specific", "prox", "typed", "margin", "ident"}

const numSignals = 9

// DecisionWeights are the logistic model's coefficients, one per signal
// (SignalNames), then the intercept.
type DecisionWeights [numSignals + 1]float64

// Vector lays the signals out in SignalNames order.
func (sig Signals) Vector() [numSignals]float64 {
	return [numSignals]float64{sig.Cover, sig.UnitCover, sig.Missing, sig.MissingWord, sig.Specific, sig.Prox, sig.Typed, sig.Margin, sig.Ident}
}

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
