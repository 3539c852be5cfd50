package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/store"
)

// TestAskSeesWhatServeServes: an article ingested into a data folder is
// answered by `footnote ask --data-dir` with the citations /ask gives
// through `footnote serve` on the same folder, and an article forgotten
// there is cited by neither.
func TestAskSeesWhatServeServes(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	const forgotten = "privacy-and-costs"
	{
		st, err := store.OpenSQLite(ctx, filepath.Join(dataDir, "footnote.db"))
		if err != nil {
			t.Fatal(err)
		}
		lib, err := library.Open(ctx, library.Options{DataDir: dataDir, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		page := "---\ntitle: Pear care\n---\n# Polishing\n\nPears are polished with beeswax and a soft cloth every autumn.\n"
		if _, err := lib.IngestFile(ctx, "pear-care.md", []byte(page), "tester"); err != nil {
			t.Fatal(err)
		}
		if _, err := lib.Forget(ctx, forgotten); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	askCLI := func(dir, q string) answer.Answer {
		t.Helper()
		out, _, err := runCLI(t, map[string]string{"FOOTNOTE_DATA_DIR": dir}, "ask", "--json", q)
		if err != nil {
			t.Fatal(err)
		}
		var a answer.Answer
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("ask --json: %v\n%s", err, out)
		}
		return a
	}
	const pears, privacy = "What are pears polished with?", "does footnote send my questions anywhere?"
	// Before: a data folder serve never ran in answers from the guide,
	// which cites the article that is forgotten above.
	if a := askCLI(t.TempDir(), privacy); a.Abstained || a.Citations[0].DocID != forgotten {
		t.Fatalf("the guide alone: %+v, want %s cited first", a.Citations, forgotten)
	}
	cli := map[string]answer.Answer{pears: askCLI(dataDir, pears), privacy: askCLI(dataDir, privacy)}
	if a := cli[pears]; a.Abstained || len(a.Citations) == 0 || a.Citations[0].DocID != library.IngestedPrefix+"pear-care" {
		t.Errorf("ask --data-dir on the ingested article: %+v", a)
	}
	for _, c := range cli[privacy].Citations {
		if c.DocID == forgotten {
			t.Errorf("ask --data-dir cites the forgotten %s", c.PassageID)
		}
	}

	d := discordtest.New(t, discordtest.Options{})
	env := map[string]string{
		"FOOTNOTE_HTTP_ADDR":        freeAddr(t),
		"FOOTNOTE_DATA_DIR":         dataDir,
		"DISCORD_TOKEN":             discordtest.Token,
		"FOOTNOTE_DISCORD_API_URL":  d.APIURL(),
		"FOOTNOTE_DISCORD_GUILD_ID": discordtest.GuildID,
		"FOOTNOTE_LOG_FORMAT":       "json",
	}
	ctx, cancel := context.WithCancel(ctx)
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), &syncBuffer{}, logs, func(k string) string { return env[k] })
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
	for i, q := range []string{pears, privacy} {
		tok := fmt.Sprintf("tok-data-%d", i)
		d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(discordtest.Snowflake(), tok, "1500000000000000001", q))
		c, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool { return strings.HasSuffix(c.Path, "/"+tok+"/callback") })
		if !ok {
			t.Fatalf("%q: no answer; logs:\n%s", q, logs.String())
		}
		var resp struct {
			Data struct {
				Embeds []struct {
					Fields []struct{ Value string }
				}
			}
		}
		if err := json.Unmarshal(c.Body, &resp); err != nil {
			t.Fatal(err)
		}
		var sources []string
		for _, e := range resp.Data.Embeds {
			for _, f := range e.Fields {
				for _, line := range strings.Split(f.Value, "\n") {
					if strings.HasPrefix(line, "`[") {
						sources = append(sources, line)
					}
				}
			}
		}
		want := cli[q].Citations
		if len(sources) != len(want) {
			t.Errorf("%q: /ask lists %d sources %q, ask --data-dir %d", q, len(sources), sources, len(want))
			continue
		}
		for j, c := range want {
			label := fmt.Sprintf("`[%d]` %s", c.N, c.Title)
			if !strings.HasPrefix(sources[j], label) || !strings.Contains(sources[j], fmt.Sprintf("¶%d", c.Paragraph)) {
				t.Errorf("%q: /ask's source %d is %q, ask --data-dir cites %s (%s, ¶%d)", q, j+1, sources[j], c.PassageID, c.Title, c.Paragraph)
			}
		}
	}
}
