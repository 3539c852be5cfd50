package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/llm"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

func buildService(ctx context.Context, cfg config.Config, live *retrieval.Live, e env, obs answer.Observer, tweak ...func(*answer.Options)) (*answer.Service, error) {
	p, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, e.stderr)
	opt := answer.Options{TopK: cfg.TopK, LLMTimeout: cfg.LLMTimeout, ContextChars: cfg.LLMContextChars, Logger: log, Observer: obs}
	if cfg.LLMEnabled() {
		// Assign only when configured: a nil *llm.Client in a Model would be
		// a non-nil interface.
		opt.Model = llm.New(llm.Config{BaseURL: cfg.LLMBaseURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey.Reveal(),
			MaxTokens: cfg.LLMMaxTokens, Temperature: cfg.LLMTemperature})
	}
	r, err := openRetriever(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if r != nil {
		opt.Retriever = r
	}
	for _, f := range tweak {
		f(&opt)
	}
	return answer.New(live.Load, p, opt), nil
}

// localService returns an answer service over the articles serve would
// answer from (openArticles), for the one-shot commands.
func localService(ctx context.Context, cfg config.Config, e env) (*answer.Service, error) {
	ix, err := openArticles(ctx, cfg, newLogger(cfg, e.stderr), e.stderr)
	if err != nil {
		return nil, err
	}
	return buildService(ctx, cfg, retrieval.NewLive(ix), e, nil)
}

func cmdAsk(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as one JSON object")
	quotes := fs.Bool("quotes", false, "print the quoted passages under the sources")
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	question := strings.Join(pos, " ")
	if strings.TrimSpace(question) == "" {
		return usagef("ask: give a question, e.g. footnote ask \"What is footnote?\"")
	}
	svc, err := localService(ctx, cfg, e)
	if err != nil {
		return err
	}
	a, err := svc.Answer(ctx, answer.Request{Question: question})
	if err != nil {
		if errors.Is(err, answer.ErrEmptyQuestion) {
			return usagef("ask: %v", err)
		}
		return fmt.Errorf("ask: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(a)
	}
	fmt.Fprintln(e.stdout, a.Text)
	if a.Notice != "" {
		fmt.Fprintf(e.stdout, "\n(%s)\n", a.Notice)
	}
	if len(a.Citations) > 0 {
		fmt.Fprintln(e.stdout, "\nSources:")
	}
	for _, c := range a.Citations {
		where := fmt.Sprintf("%q", c.Title)
		if c.Section != "" {
			where += " › " + c.Section
		}
		where += fmt.Sprintf(", paragraph %d", c.Paragraph)
		if c.URL != "" {
			where += " — " + c.URL
		}
		fmt.Fprintf(e.stdout, "[%d] %s\n", c.N, where)
		if *quotes {
			for _, l := range strings.Split(c.Text, "\n") {
				fmt.Fprintf(e.stdout, "    > %s\n", l)
			}
		}
	}
	return nil
}

func cmdQA(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("qa", flag.ContinueOnError)
	questions := fs.String("questions", "", "JSON-lines question set ({question, gold, answers} or {question, abstain: true})")
	asJSON := fs.Bool("json", false, "print the report as JSON, every question's result included")
	sweep := fs.Bool("sweep", false, "print the trade-off between false abstentions and out-of-corpus abstentions over the abstention threshold")
	without := fs.String("without", "", "switch techniques off to measure what each adds, comma-separated: "+strings.Join(answer.Techniques, ", "))
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *questions == "" {
		return usagef("qa: usage: footnote qa [--corpus PATH]... --questions FILE [--sweep] [--json]")
	}
	var off []string
	for _, t := range strings.Split(*without, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(answer.Techniques, t) {
			return usagef("qa: --without %q: not one of %s", t, strings.Join(answer.Techniques, ", "))
		}
		off = append(off, t)
	}
	items, err := answer.ReadQA(*questions)
	if err != nil {
		return err
	}
	ix, err := loadIndex(ctx, cfg, newLogger(cfg, e.stderr), e.stderr)
	if err != nil {
		return err
	}
	svc, err := buildService(ctx, cfg, retrieval.NewLive(ix), e, nil, func(o *answer.Options) {
		o.NoAbstain = *sweep
		o.Without = off
	})
	if err != nil {
		return err
	}
	r, err := answer.EvaluateQA(ctx, svc, items)
	if err != nil {
		return err
	}
	if *sweep {
		var th []float64
		for t := 0.05; t < 0.96; t += 0.05 {
			th = append(th, math.Round(t*100)/100)
		}
		rows := answer.Sweep(r, th)
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(rows)
		}
		fmt.Fprintf(e.stdout, "threshold  answer text  citation 1  answerable abstained  out-of-corpus abstained\n")
		for _, row := range rows {
			mark := ""
			if math.Abs(row.Threshold-answer.DefaultMinConfidence) < 1e-9 {
				mark = "  (default)"
			}
			fmt.Fprintf(e.stdout, "%9.2f  %10.1f%%  %9.1f%%  %19.1f%%  %22.1f%%%s\n", row.Threshold, 100*row.InAnswer, 100*row.GoldAt1,
				100*row.FalseAbstain, 100*row.Abstained, mark)
		}
		return nil
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	fmt.Fprintln(e.stdout, r)
	for _, f := range r.Failures {
		fmt.Fprintln(e.stdout, "  -", f)
	}
	return nil
}
