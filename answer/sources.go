package answer

import "context"

// maxSources is how many passages Sources returns.
const maxSources = 3

// Sources finds the passages that support a claim (Discord's "Find source"
// on someone's message): the passages ranked as for a question, up to
// three, with the same decision as Answer. Abstained means no passage
// clearly supports the claim; the closest passages are still returned.
// The answer text is empty: the caller shows the passages.
func (s *Service) Sources(ctx context.Context, claim string) (Answer, error) {
	q, err := CleanQuestion(claim)
	if err != nil {
		return Answer{}, err
	}
	ix := s.index()
	sc, cands := s.rank(ctx, ix, q, Request{Question: q})
	sig := sc.signals(cands)
	a := Answer{Question: q, Backend: BackendTemplate, Citations: []Citation{}, Signals: sig, Confidence: s.decide(sig)}
	a.Abstained = len(cands) == 0 || a.Confidence < s.opt.MinConfidence
	for i, c := range cands {
		if i == maxSources {
			break
		}
		p := c.hit.Passage
		a.Citations = append(a.Citations, Citation{N: i + 1, PassageID: p.ID, DocID: p.DocID, Title: p.Title, Section: p.Section,
			Paragraph: p.Paragraph, URL: FragmentURL(p.URL, p.Text), Text: p.Quote(), Score: c.hit.Score, Matched: c.hit.Matched})
	}
	return a, nil
}
