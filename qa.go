package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/retrieval"
)

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
	svc, err := buildService(ctx, cfg, retrieval.NewLive(ix), e, nil, nil, func(o *answer.Options) {
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
	if err := writeQA(e, r, *sweep, *asJSON); err != nil {
		return err
	}
	return indexDamage(ix, cfg.IndexFile)
}

// writeQA prints a question-set evaluation, or its threshold sweep.
func writeQA(e env, r answer.QAReport, sweep, asJSON bool) error {
	if sweep {
		var th []float64
		for t := 0.05; t < 0.96; t += 0.05 {
			th = append(th, math.Round(t*100)/100)
		}
		rows := answer.Sweep(r, th)
		if asJSON {
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
	if asJSON {
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
