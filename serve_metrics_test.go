package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/internal/discordtest"
)

// TestServeIndexMetricFollowsReload: footnote_index_passages, scraped from
// `footnote serve`, shows the index /reload swapped in.
func TestServeIndexMetricFollowsReload(t *testing.T) {
	d := discordtest.New(t, discordtest.Options{})
	articles := t.TempDir()
	os.WriteFile(filepath.Join(articles, "a.md"), []byte("# Apples\n\nApples are red.\n"), 0o644)
	addr := freeAddr(t)
	env := map[string]string{
		"FOOTNOTE_CORPUS":           articles,
		"FOOTNOTE_WATCH":            "false",
		"FOOTNOTE_HTTP_ADDR":        addr,
		"FOOTNOTE_DATA_DIR":         t.TempDir(),
		"DISCORD_TOKEN":             discordtest.Token,
		"FOOTNOTE_DISCORD_API_URL":  d.APIURL(),
		"FOOTNOTE_DISCORD_GUILD_ID": discordtest.GuildID,
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	if !d.WaitIdentified(1, serveWait) {
		t.Fatalf("never identified; logs:\n%s", logs.String())
	}
	passages := func() int {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`(?m)^footnote_index_passages ([0-9]+)$`).FindStringSubmatch(string(body))
		if m == nil {
			t.Fatal("/metrics lacks footnote_index_passages")
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if n := passages(); n != 1 {
		t.Errorf("passages before the reload = %d, want 1", n)
	}
	os.WriteFile(filepath.Join(articles, "b.md"), []byte("# Bananas\n\nBananas are yellow.\n\nThey grow in bunches.\n"), 0o644)
	reload := discordtest.AskInteraction(discordtest.Snowflake(), "tok-reload", "1500000000000000001", "")
	reload["data"] = map[string]any{"id": "1", "name": "reload", "type": 1}
	reload["member"].(map[string]any)["permissions"] = "32" // Manage Server
	d.Dispatch("INTERACTION_CREATE", reload)
	if _, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool {
		return c.Method == "PATCH" && strings.Contains(c.Path, "/tok-reload/") && strings.Contains(string(c.Body), "Reloaded")
	}); !ok {
		t.Fatalf("no reload report; logs:\n%s", logs.String())
	}
	if n := passages(); n != 3 {
		t.Errorf("passages after the reload = %d, want 3", n)
	}
}
