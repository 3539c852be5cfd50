package main

import (
	"context"
	"flag"
	"io"
)

func cmdConfig(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("config: unexpected argument %q", pos[0])
	}
	_, err = io.WriteString(e.stdout, cfg.Dump())
	return err
}
