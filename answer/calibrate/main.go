// Command calibrate fits footnote's question ranking and its abstention
// decision on question sets, and prints (or, with -write, writes) the
// constants of answer/weights.go.
//
//	go run ./answer/calibrate                # fit on the dev sets in ../shared/eval, print
//	go run ./answer/calibrate -write         # … and rewrite answer/weights.go
//	go run ./answer/calibrate -check DIR     # also report a held-back set (DIR/articles, DIR/questions.jsonl)
//	go run ./answer/calibrate -leave-out docs-dev  # fit without a dev set, report it as held back
//
// Two fits, both logistic regressions with a small ridge penalty, solved
// by Newton's method:
//
//  1. Ranking. For every answerable question whose pool (the passages BM25
//     hands to rescoring) holds a passage with an accepted answer and one
//     without, the model gives each passage of the pool the probability
//     exp(w·f) / Σ exp(w·f) of being the one cited first (a conditional
//     logit, as ListNet's top-one probability), and the fit maximises the
//     probability of the passages holding the answer. This aims at citation
//     1 itself, which pairwise losses do not. Every set weighs the same,
//     however many questions it has.
//  2. Decision. With the fitted ranking, every question is answered
//     without abstaining and its signals recorded; the label is whether
//     the articles answer it. Answerable and out-of-corpus questions weigh
//     the same in total within each set, and a set weighs by its size
//     (the seed set's two out-of-corpus questions would otherwise weigh
//     as much as the Wikipedia set's 150).
//
// The threshold is then the highest confidence at which no dev set of 50
// or more answerable questions abstains on more than -max-false of them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// set is a question set over its articles.
type set struct {
	name  string
	ix    *retrieval.Index
	items []answer.QAItem
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "calibrate:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	shared := fs.String("shared", "../shared", "the shared material (eval/ and corpus/)")
	write := fs.String("write", "", "rewrite this weights file (answer/weights.go) with the fitted constants")
	maxFalse := fs.Float64("max-false", 0.03, "largest share of a dev set's answerable questions the threshold may abstain on")
	ridge := fs.Float64("ridge", 0.001, "ridge penalty of both fits")
	var checks multi
	fs.Var(&checks, "check", "a held-back set to report, not fit (folder with articles/ and questions.jsonl); repeatable")
	var leave multi
	fs.Var(&leave, "leave-out", "fit without this dev set (docs-dev, squad-dev, seed, guide) and report it as held back: a check that a change generalises; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *write != "" && len(leave) > 0 {
		return fmt.Errorf("-write with -leave-out: the constants footnote ships are fitted on every dev set")
	}
	ctx := context.Background()
	eval := filepath.Join(*shared, "eval")
	dev := []struct{ name, articles, questions string }{
		{"docs-dev", filepath.Join(eval, "docs-dev", "articles"), filepath.Join(eval, "docs-dev", "questions.jsonl")},
		{"squad-dev", filepath.Join(eval, "squad-dev", "articles"), filepath.Join(eval, "squad-dev", "questions.jsonl")},
		{"seed", filepath.Join(*shared, "corpus"), filepath.Join(eval, "seed-qa-dev.jsonl")},
		{"guide", "", filepath.Join("guide", "testdata", "questions.jsonl")},
	}
	var sets, held []set
	for _, d := range dev {
		s, err := load(ctx, d.name, d.articles, d.questions)
		if err != nil {
			return err
		}
		if slices.Contains(leave, d.name) {
			s.name += " (left out)"
			held = append(held, s)
			continue
		}
		sets = append(sets, s)
	}
	for _, c := range checks {
		s, err := load(ctx, filepath.Base(c)+" (held back)", filepath.Join(c, "articles"), filepath.Join(c, "questions.jsonl"))
		if err != nil {
			return err
		}
		held = append(held, s)
	}
	p, err := prompts.Load("")
	if err != nil {
		return err
	}

	// 1. Ranking.
	pools := map[string][][]answer.Candidate{}
	golds := map[string][][]bool{}
	for _, s := range append(append([]set{}, sets...), held...) {
		svc := service(s, p, answer.Options{NoAbstain: true})
		for _, it := range s.items {
			if it.Abstain {
				continue
			}
			cands, err := svc.Explain(ctx, it.Question)
			if err != nil {
				return fmt.Errorf("%s %s: %w", s.name, it.ID, err)
			}
			g := make([]bool, len(cands))
			for i, c := range cands {
				g[i] = answer.Holds(c.Text, it.Accepted())
			}
			pools[s.name] = append(pools[s.name], cands)
			golds[s.name] = append(golds[s.name], g)
		}
	}
	var lists []list
	for _, s := range sets {
		var sl []list
		for qi, cands := range pools[s.name] {
			l := list{gold: golds[s.name][qi]}
			any, all := false, true
			for i, c := range cands {
				l.x = append(l.x, c.Features[:])
				any = any || l.gold[i]
				all = all && l.gold[i]
			}
			if any && !all {
				sl = append(sl, l)
			}
		}
		for i := range sl {
			sl[i].w = 1 / float64(len(sl))
		}
		lists = append(lists, sl...)
	}
	rw := softmaxFit(lists, *ridge)
	var rank answer.RankWeights
	// Scale so BM25 weighs 1, as the defaults read.
	scale := 1.0
	if rw[0] > 0 {
		scale = 1 / rw[0]
	}
	for i := range rank {
		rank[i] = round(rw[i] * scale)
	}
	fmt.Fprintln(out, "ranking features:", strings.Join(answer.FeatureNames[:], " "))
	fmt.Fprintln(out, "  current:", fmtVec(answer.DefaultRankWeights[:]))
	fmt.Fprintln(out, "  fitted: ", fmtVec(rank[:]))
	for _, s := range append(append([]set{}, sets...), held...) {
		fmt.Fprintf(out, "  %-22s citation 1 from the pool: current %5.1f%%, fitted %5.1f%%, BM25 alone %5.1f%%\n", s.name,
			100*top1(pools[s.name], golds[s.name], answer.DefaultRankWeights), 100*top1(pools[s.name], golds[s.name], rank),
			100*top1(pools[s.name], golds[s.name], answer.RankWeights{1}))
	}

	// 2. Decision.
	var dx [][]float64
	var dy, dw []float64
	reports := map[string]answer.QAReport{}
	for _, s := range append(append([]set{}, sets...), held...) {
		r, err := answer.EvaluateQA(ctx, service(s, p, answer.Options{NoAbstain: true, RankWeights: rank}), s.items)
		if err != nil {
			return err
		}
		reports[s.name] = r
	}
	for _, s := range sets {
		r := reports[s.name]
		pos, neg := 0, 0
		for _, res := range r.Results {
			if res.WantAbstain {
				neg++
			} else {
				pos++
			}
		}
		for _, res := range r.Results {
			v := res.Signals.Vector()
			dx = append(dx, append(v[:], 1))
			// A set weighs by its size, and within it the answerable and
			// out-of-corpus questions weigh the same in total.
			n := float64(pos + neg)
			if res.WantAbstain {
				dy = append(dy, 0)
				dw = append(dw, 0.5*n/float64(neg))
			} else {
				dy = append(dy, 1)
				dw = append(dw, 0.5*n/float64(pos))
			}
		}
	}
	total := 0.0
	for _, w := range dw {
		total += w
	}
	for i := range dw {
		dw[i] /= total
	}
	fw := logistic(dx, dy, dw, *ridge, true)
	var dec answer.DecisionWeights
	for i := range dec {
		dec[i] = round(fw[i])
	}
	// The threshold: the highest at which every dev set keeps its false
	// abstentions within maxFalse.
	var ths []float64
	for t := 0.01; t < 0.995; t += 0.01 {
		ths = append(ths, math.Round(t*100)/100)
	}
	threshold := 0.01
	for _, t := range ths {
		ok := true
		for _, s := range sets {
			if answerable(reports[s.name]) >= minThresholdSet && falseRate(reports[s.name], dec, t) > *maxFalse {
				ok = false
			}
		}
		if ok {
			threshold = t
		}
	}
	fmt.Fprintln(out, "decision signals:", strings.Join(answer.SignalNames[:], " "), "intercept")
	fmt.Fprintln(out, "  current:", fmtVec(answer.DefaultDecisionWeights[:]), "threshold", answer.DefaultMinConfidence)
	fmt.Fprintln(out, "  fitted: ", fmtVec(dec[:]), "threshold", threshold)
	for _, s := range append(append([]set{}, sets...), held...) {
		r := reports[s.name]
		fmt.Fprintf(out, "  %-22s answerable abstained %5.1f%%, out-of-corpus abstained %5.1f%% (current: %5.1f%%, %5.1f%%)\n", s.name,
			100*falseRate(r, dec, threshold), 100*oocRate(r, dec, threshold),
			100*falseRate(r, answer.DefaultDecisionWeights, answer.DefaultMinConfidence), 100*oocRate(r, answer.DefaultDecisionWeights, answer.DefaultMinConfidence))
	}
	if *write != "" {
		return writeWeights(*write, rank, dec, threshold)
	}
	return nil
}

// load reads a question set and its articles (the built-in guide when
// articles is empty).
func load(ctx context.Context, name, articles, questions string) (set, error) {
	var res corpus.Result
	var err error
	if articles == "" {
		res, err = corpus.LoadFS(ctx, guide.FS, guide.Root, corpus.Options{})
	} else {
		res, err = corpus.LoadPaths(ctx, []string{articles}, corpus.Options{})
	}
	if err != nil {
		return set{}, err
	}
	ix, err := retrieval.Build(res.Documents, retrieval.DefaultParams())
	if err != nil {
		return set{}, err
	}
	items, err := answer.ReadQA(questions)
	if err != nil {
		return set{}, err
	}
	return set{name: name, ix: ix, items: items}, nil
}

func service(s set, p *prompts.Set, opt answer.Options) *answer.Service {
	opt.Logger = slog.New(slog.DiscardHandler)
	ix := s.ix
	return answer.New(func() *retrieval.Index { return ix }, p, opt)
}

// top1 is the share of questions whose best candidate under w holds an
// accepted answer.
func top1(pools [][]answer.Candidate, golds [][]bool, w answer.RankWeights) float64 {
	if len(pools) == 0 {
		return 0
	}
	hit := 0
	for qi, cands := range pools {
		best, bestScore := -1, math.Inf(-1)
		for i, c := range cands {
			sc := 0.0
			for f, x := range c.Features {
				sc += w[f] * x
			}
			if sc > bestScore {
				best, bestScore = i, sc
			}
		}
		if best >= 0 && golds[qi][best] {
			hit++
		}
	}
	return float64(hit) / float64(len(pools))
}

// minThresholdSet is the fewest answerable questions a set needs to bound
// the threshold: one abstention in the seed set's 12 is already 8%.
const minThresholdSet = 50

func answerable(r answer.QAReport) int { return r.Answerable }

func falseRate(r answer.QAReport, w answer.DecisionWeights, t float64) float64 {
	n, k := 0, 0
	for _, res := range r.Results {
		if !res.WantAbstain {
			n++
			if w.Decide(res.Signals) < t {
				k++
			}
		}
	}
	return ratio(k, n)
}

func oocRate(r answer.QAReport, w answer.DecisionWeights, t float64) float64 {
	n, k := 0, 0
	for _, res := range r.Results {
		if res.WantAbstain {
			n++
			if w.Decide(res.Signals) < t {
				k++
			}
		}
	}
	return ratio(k, n)
}

func ratio(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// list is one question's pool: its candidates' features, which of them
// hold an accepted answer, and the question's weight.
type list struct {
	x    [][]float64
	gold []bool
	w    float64
}

// softmaxFit maximises Σ w·log(Σ_gold p_i) − ridge/2·|θ|², with
// p_i = exp(θ·x_i)/Σ_j exp(θ·x_j), by gradient ascent with backtracking.
func softmaxFit(lists []list, ridge float64) []float64 {
	if len(lists) == 0 {
		return nil
	}
	d := len(lists[0].x[0])
	objective := func(theta []float64) (float64, []float64) {
		obj, grad := 0.0, make([]float64, d)
		for _, l := range lists {
			scores := make([]float64, len(l.x))
			top := math.Inf(-1)
			for i, x := range l.x {
				for k := range x {
					scores[i] += theta[k] * x[k]
				}
				top = math.Max(top, scores[i])
			}
			var zAll, zGold float64
			eAll, eGold := make([]float64, d), make([]float64, d)
			for i, x := range l.x {
				e := math.Exp(scores[i] - top)
				zAll += e
				for k := range x {
					eAll[k] += e * x[k]
				}
				if l.gold[i] {
					zGold += e
					for k := range x {
						eGold[k] += e * x[k]
					}
				}
			}
			obj += l.w * (math.Log(zGold) - math.Log(zAll))
			for k := range grad {
				grad[k] += l.w * (eGold[k]/zGold - eAll[k]/zAll)
			}
		}
		for k := range theta {
			obj -= ridge / 2 * theta[k] * theta[k]
			grad[k] -= ridge * theta[k]
		}
		return obj, grad
	}
	theta := make([]float64, d)
	theta[0] = 1
	obj, grad := objective(theta)
	step := 1.0
	for iter := 0; iter < 2000; iter++ {
		next := make([]float64, d)
		for k := range theta {
			next[k] = theta[k] + step*grad[k]
		}
		nobj, ngrad := objective(next)
		if nobj < obj {
			step /= 2
			if step < 1e-12 {
				break
			}
			continue
		}
		gain := nobj - obj
		theta, obj, grad = next, nobj, ngrad
		step *= 1.5
		if gain < 1e-12 {
			break
		}
	}
	return theta
}

// logistic fits weighted logistic regression P(y=1|x) = σ(w·x) with a
// ridge penalty (not on the last coordinate when intercept is set), by
// Newton's method.
func logistic(xs [][]float64, ys, ws []float64, ridge float64, intercept bool) []float64 {
	if len(xs) == 0 {
		return nil
	}
	d := len(xs[0])
	w := make([]float64, d)
	for iter := 0; iter < 50; iter++ {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for n, x := range xs {
			z := 0.0
			for i := range x {
				z += w[i] * x[i]
			}
			p := 1 / (1 + math.Exp(-z))
			for i := range x {
				g[i] += ws[n] * (p - ys[n]) * x[i]
				for j := range x {
					h[i][j] += ws[n] * p * (1 - p) * x[i] * x[j]
				}
			}
		}
		for i := range d {
			if intercept && i == d-1 {
				h[i][i] += 1e-9
				continue
			}
			g[i] += ridge * w[i]
			h[i][i] += ridge
		}
		step := solve(h, g)
		change := 0.0
		for i := range w {
			w[i] -= step[i]
			change = math.Max(change, math.Abs(step[i]))
		}
		if change < 1e-9 {
			break
		}
	}
	return w
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64{}, a[i]...), b[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if m[c][c] == 0 {
			continue
		}
		for r := range n {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for i := range n {
		if m[i][i] != 0 {
			x[i] = m[i][n] / m[i][i]
		}
	}
	return x
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func fmtVec(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%g", x)
	}
	return strings.Join(parts, " ")
}

func writeWeights(path string, rank answer.RankWeights, dec answer.DecisionWeights, threshold float64) error {
	list := func(v []float64) string {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprintf("%g", x)
		}
		return strings.Join(parts, ", ")
	}
	src := fmt.Sprintf(`// Code generated by go run ./answer/calibrate -write; DO NOT EDIT.

package answer

// DefaultRankWeights weigh the ranking features (FeatureNames).
var DefaultRankWeights = RankWeights{%s}

// DefaultDecisionWeights are the abstention model's coefficients
// (SignalNames, then the intercept).
var DefaultDecisionWeights = DecisionWeights{%s}

// DefaultMinConfidence is the confidence below which footnote abstains.
const DefaultMinConfidence = %g
`, list(rank[:]), list(dec[:]), threshold)
	return os.WriteFile(path, []byte(src), 0o644)
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
