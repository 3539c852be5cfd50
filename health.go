package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/footnote-bot/footnote/config"
)

func cmdHealth(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:9090/healthz", "health endpoint to check")
	if err := parseOwn(e, fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usagef("health: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", config.RedactURL(*url), resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}
