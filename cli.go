package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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

// setup parses a command's flags into the configuration.
func setup(e env, fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	fs.SetOutput(e.stderr)
	file, apply := config.Flags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, nil, err
		}
		return config.Config{}, nil, usagef("%s: %v", fs.Name(), err)
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
