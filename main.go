// Command footnote answers questions about a set of articles, in Discord or
// on the command line, and shows exactly where each answer comes from.
//
//	footnote ask [--corpus PATH]... [--index FILE] [--data-dir D] [--json] QUESTION
//	footnote search [--corpus PATH]... [--index FILE] [--k N] [--json] QUERY
//	footnote search --corpus PATH --queries FILE [--trec | --json] [--k 100]
//	footnote eval --corpus PATH --queries FILE --qrels FILE
//	footnote index --corpus PATH --out FILE
//	footnote qa [--corpus PATH]... --questions FILE
//	footnote serve [--corpus PATH]... [--index FILE]
//	footnote report [--days N] [--html FILE]
//	footnote config | version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/footnote-bot/footnote/corpus"
)

func main() {
	if oneShot(os.Args[1:], os.Getenv) {
		heapFloor(oneShotHeap, nil)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Article files are parsed in child processes of footnote itself
	// (corpus.Sandbox, the hidden command corpus.SandboxCommand), so that
	// no file can hang or exhaust the command that loads it.
	var sandbox *corpus.Sandbox
	if exe, err := selfExecutable(); err == nil {
		sandbox = corpus.NewSandbox(exe, corpus.SandboxCommand)
		ctx = corpus.WithParser(ctx, sandbox)
	}
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if sandbox != nil {
		sandbox.Close()
	}
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, "footnote:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "footnote:", err)
		os.Exit(1)
	}
}

// selfExecutable is a path that runs this very program: on Linux
// /proc/self/exe, which stays this binary when an upgrade replaces or
// deletes the file it was started from.
func selfExecutable() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usage = `footnote answers questions about a set of articles and cites its sources.

Usage:
  footnote ask [--corpus PATH]... [--index FILE] [--data-dir D] [--top-k N] [--json] [--quotes] QUESTION
  footnote search [--corpus PATH]... [--index FILE] [--k N] [--article ID] [--json] QUERY
  footnote search --corpus PATH --queries FILE [--trec | --json] [--k 100]
  footnote eval --corpus PATH --queries FILE --qrels FILE
  footnote index --corpus PATH --out FILE
  footnote qa [--corpus PATH]... --questions FILE
  footnote crawl [--data-dir D] [--include P] [--exclude P] [--max-pages N] [URL]...   keep a docs site (sitemap or start page) in the articles; no URL: refresh every source
  footnote serve [--corpus PATH]... [--index FILE]
  footnote report [--days N] [--html FILE]   what was asked, unanswered questions, votes
  footnote invite APPLICATION_ID   the URL that adds the bot to a server, with the permissions it needs
  footnote health [--url URL]   exit 0 when a running serve answers its /healthz (container health checks)
  footnote config      print the effective configuration, secrets redacted
  footnote version

Without --corpus or --index, footnote uses its built-in user guide. ask,
search and report also read the articles ingested into the data folder
(--data-dir) and leave out those forgotten there, as serve does.
Run 'footnote COMMAND -h' for a command's flags.
`

// env is the process environment as run sees it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run is the whole program: main only adds the signal context and exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	err := dispatch(ctx, e, cmd, rest)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the command printed its help
	}
	return err
}

func dispatch(ctx context.Context, e env, cmd string, rest []string) error {
	stdin, stdout, stderr := e.stdin, e.stdout, e.stderr
	switch cmd {
	case "ask":
		return cmdAsk(ctx, e, rest)
	case "search":
		return cmdSearch(ctx, e, rest)
	case "eval":
		return cmdEval(ctx, e, rest)
	case "index":
		return cmdIndex(ctx, e, rest)
	case "qa":
		return cmdQA(ctx, e, rest)
	case "crawl":
		return cmdCrawl(ctx, e, rest)
	case "report":
		return cmdReport(ctx, e, rest)
	case "serve":
		return cmdServe(ctx, e, rest)
	case "config":
		return cmdConfig(ctx, e, rest)
	case "version", "--version":
		return cmdVersion(e)
	case "health":
		return cmdHealth(ctx, e, rest)
	case "invite":
		return cmdInvite(e, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case corpus.SandboxCommand: // hidden: a sandbox's child, parsing one file at a time
		return corpus.ServeSandbox(ctx, stdin, stdout)
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", cmd)
}
