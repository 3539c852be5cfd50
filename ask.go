package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/footnote-bot/footnote/answer"
)

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
