package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/footnote-bot/footnote/config"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func bufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }

// parseInterspersed parses flags that may come before or after positional
// arguments ("ask 'question' --json"). Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		dashdash := -1
		for i, a := range args {
			if a == "--" {
				dashdash = i
				break
			}
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if dashdash >= 0 && len(args)-dashdash-1 == len(rest) {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// commandSettings are the settings worth naming in each command's help
// (every setting is a flag of every command; `footnote config` and
// README's table list them all).
var commandSettings = map[string][]string{
	"ask":    {"corpus", "index", "data-dir", "top-k", "retriever", "llm-base-url", "llm-model", "config"},
	"search": {"corpus", "index", "data-dir", "retriever", "config"},
	"eval":   {"corpus", "index", "retriever", "config"},
	"index":  {"corpus", "config"},
	"qa":     {"corpus", "index", "top-k", "config"},
	"serve":  {"corpus", "index", "data-dir", "http-addr", "message-content", "retriever", "llm-base-url", "config", "log-level"},
	"report": {"data-dir", "config"},
	"crawl":  {"data-dir", "corpus", "crawl-rate", "crawl-concurrency", "ingest-allow-private", "ingest-max-bytes", "config"},
	"health": {"http-addr", "config"},
	"config": {"config"},
}

// synopsis is a command's lines of the usage text.
func synopsis(cmd string) string {
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "footnote "+cmd+" ") || strings.TrimSpace(l) == "footnote "+cmd {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// printFlags lists the flags of fs that keep selects, with their help.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(*flag.Flag) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f) {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s\n    \t%s\n", strings.TrimSpace(f.Name+" "+name), usage)
	})
}

// shortUsage prints a command's help: its synopsis, its own flags, the
// settings that matter most to it, and where the rest are.
func shortUsage(fs *flag.FlagSet, own map[string]bool) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage:\n%s\n\nFlags:\n", synopsis(fs.Name()))
		show := map[string]bool{}
		for _, n := range commandSettings[fs.Name()] {
			show[n] = true
		}
		printFlags(w, fs, func(f *flag.Flag) bool { return own[f.Name] || show[f.Name] })
		fmt.Fprintln(w, "\nEvery setting is also a flag (--NAME, or FOOTNOTE_NAME in the environment);\n'footnote config' prints them all with their values, README.md's settings table explains them.")
	}
}

// parseOwn parses the flags of a command that reads no settings (invite,
// health): -h prints its synopsis and flags on stdout.
func parseOwn(e env, fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fmt.Fprintf(e.stdout, "Usage:\n%s\n", synopsis(fs.Name()))
		printFlags(e.stdout, fs, func(*flag.Flag) bool { return true })
		return err
	}
	if err != nil {
		return usagef("%s: %v (footnote %s -h lists its flags)", fs.Name(), err, fs.Name())
	}
	return nil
}

// setup parses a command's flags into the configuration. -h prints the
// command's short help and ends the command without error.
func setup(e env, fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	own := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { own[f.Name] = true })
	file, apply := config.Flags(fs)
	// The flag package's own messages are replaced by ours: the help on
	// stdout for -h, one line naming the mistake otherwise.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			shortUsage(fs, own)()
			return config.Config{}, nil, err
		}
		return config.Config{}, nil, usagef("%s: %v (footnote %s -h lists its flags)", fs.Name(), err, fs.Name())
	}
	if *file == "" {
		*file = e.getenv("FOOTNOTE_CONFIG")
	}
	cfg, err := config.Load(*file, e.getenv, apply)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, pos, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// terminal is w when it is a terminal, to draw progress on.
func terminal(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// progress draws a bar on w when it is a terminal and the job is over
// least: set says how much is done (shown as sizes when bytes), finish
// clears the bar. Otherwise set is nil and finish does nothing.
func progress(w io.Writer, total, least int64, what string, bytes bool) (set func(done int64), finish func()) {
	f, ok := terminal(w)
	if !ok || total <= least {
		return nil, func() {}
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100 * time.Millisecond)}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount())
	}
	bar := progressbar.NewOptions64(total, opts...)
	return func(done int64) { _ = bar.Set64(done) }, func() { _ = bar.Finish() }
}

// progressBar is progress for a count of passages (over 50,000), as the
// index builders report it.
func progressBar(w io.Writer, total int, what string) (func(done, total int), func()) {
	set, finish := progress(w, int64(total), 50000, what, false)
	if set == nil {
		return nil, finish
	}
	return func(done, _ int) { set(int64(done)) }, finish
}
