package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/footnote-bot/footnote/answer"
)

func cmdAsk(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as one JSON object")
	quotes := fs.Bool("quotes", false, "print the quoted passages under the sources")
	// search's name for how many passages; --top-k is the setting's.
	fs.Func("k", "same as --top-k", func(v string) error { return fs.Set("top-k", v) })
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	question := strings.Join(pos, " ")
	if strings.TrimSpace(question) == "" {
		return usagef("ask: give a question, e.g. footnote ask \"What is footnote?\"")
	}
	svc, ix, err := localService(ctx, cfg, e)
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
		if err := enc.Encode(a); err != nil {
			return err
		}
		return indexDamage(ix, cfg.IndexFile)
	}
	fmt.Fprintln(e.stdout, a.Text)
	if a.Notice != "" {
		fmt.Fprintf(e.stdout, "\n(%s)\n", a.Notice)
	}
	writeSources(e.stdout, a, *quotes)
	return indexDamage(ix, cfg.IndexFile)
}

// writeSources lists the passages an answer cites, numbered as its [n]
// markers are (with their text when quotes is set), then the related
// passages it does not cite, apart and unnumbered.
func writeSources(w io.Writer, a answer.Answer, quotes bool) {
	where := func(c answer.Citation) string {
		s := fmt.Sprintf("%q", c.Title)
		if c.Section != "" {
			s += " › " + c.Section
		}
		s += fmt.Sprintf(", paragraph %d", c.Paragraph)
		if c.URL != "" {
			s += " — " + c.URL
		}
		return s
	}
	if len(a.Citations) > 0 {
		fmt.Fprintln(w, "\nSources:")
	}
	for _, c := range a.Citations {
		fmt.Fprintf(w, "[%d] %s\n", c.N, where(c))
		if quotes {
			for _, l := range strings.Split(c.Text, "\n") {
				fmt.Fprintf(w, "    > %s\n", l)
			}
		}
	}
	if len(a.Related) > 0 {
		fmt.Fprintln(w, "\nSee also (related, not cited):")
	}
	for _, c := range a.Related {
		fmt.Fprintf(w, "- %s\n", where(c))
	}
}
