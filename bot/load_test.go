package bot

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// BenchmarkAskLoad fires /ask interactions at a fixed rate through the
// in-process Discord (gateway dispatch → discordgo → bot → template answer
// → interaction callback over HTTP) and reports the time from dispatch to
// callback. Corpus: the synthetic corpus of FOOTNOTE_LOAD_PASSAGES passages
// (default 1,000,000); rate FOOTNOTE_LOAD_RATE questions/s (default 200);
// FOOTNOTE_LOAD_N questions (default 2,000).
//
//	go test ./bot -run '^$' -bench AskLoad -benchtime 1x
func BenchmarkAskLoad(b *testing.B) {
	passages := envInt("FOOTNOTE_LOAD_PASSAGES", 1_000_000)
	rate := envInt("FOOTNOTE_LOAD_RATE", 200)
	n := envInt("FOOTNOTE_LOAD_N", 2000)
	docs, qs := synth.Corpus(passages, n)
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	docs = nil
	live := retrieval.NewLive(ix)
	p, _ := prompts.Load("")
	svc := answer.New(live.Load, p, answer.Options{})
	for i := 0; i < b.N; i++ {
		d := discordtest.New(b, discordtest.Options{SkipValidation: true})
		bot, err := New(Options{Token: discordtest.Token, APIURL: d.APIURL(), GuildID: discordtest.GuildID,
			GuildConcurrency: 1 << 20}, svc)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		if !d.WaitIdentified(1, 10*time.Second) {
			b.Fatal("bot never identified")
		}
		sent := make(map[string]time.Time, n)
		tokens := make([]string, n)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		start := time.Now()
		for j := 0; j < n; j++ {
			<-tick.C
			id := discordtest.Snowflake()
			tokens[j] = "tok-" + id
			m := discordtest.AskInteraction(id, tokens[j], strconv.Itoa(1500000000000000000+j), qs[j%len(qs)])
			sent[tokens[j]] = time.Now()
			d.Dispatch("INTERACTION_CREATE", m)
		}
		tick.Stop()
		// Wait for every callback.
		deadline := time.Now().Add(30 * time.Second)
		var lat []time.Duration
		var last time.Time
		for {
			lat = lat[:0]
			for _, c := range d.Calls() {
				if c.Method == "POST" && strings.HasSuffix(c.Path, "/callback") {
					parts := strings.Split(c.Path, "/")
					tok := parts[len(parts)-2]
					if at, ok := sent[tok]; ok {
						lat = append(lat, c.At.Sub(at))
						if c.At.After(last) {
							last = c.At
						}
					}
				}
			}
			if len(lat) >= n || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-done
		if len(lat) < n {
			b.Errorf("only %d of %d interactions acknowledged", len(lat), n)
		}
		sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
		p50, p99 := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
		elapsed := last.Sub(start)
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "answers/s")
		b.ReportMetric(float64(len(lat)), "acknowledged")
		fmt.Fprintf(os.Stderr, "load: %d passages, %d /ask at %d/s: acknowledged %d, dispatch→callback p50 %s p99 %s, throughput %.0f/s\n",
			ix.Len(), n, rate, len(lat), p50.Round(time.Microsecond*10), p99.Round(time.Microsecond*10), float64(len(lat))/elapsed.Seconds())
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
