package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/openaitest"
	"github.com/footnote-bot/footnote/llm"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// BenchmarkSoak asks FOOTNOTE_SOAK_N questions (default 6,000) at
// FOOTNOTE_SOAK_RATE a second (default 50, so two minutes) through the
// in-process Discord with an LLM configured, while the gateway connection
// is dropped every few seconds and the LLM fails one answer in five (500,
// 429, malformed stream, too slow). Every question must get a reply (an
// answer or an error reply); goroutines and heap must come back to where
// they started.
//
//	go test ./bot -run '^$' -bench Soak -benchtime 1x
func BenchmarkSoak(b *testing.B) {
	n := envInt("FOOTNOTE_SOAK_N", 6000)
	rate := envInt("FOOTNOTE_SOAK_RATE", 50)
	questions := []string{"How do I reload the articles?", "What is footnote?", "Which intent do mentions need?",
		"How do I use my own articles?", "What does Show quotes do?", "How do I bake sourdough bread?"}
	faults := func(r openaitest.Request) openaitest.Reply {
		ok := openaitest.Reply{Content: "Run /reload as an admin [1]. The old index keeps answering [1]."}
		switch rand.IntN(20) {
		case 0:
			return openaitest.Reply{Status: 500}
		case 1:
			return openaitest.Reply{Status: 429, RetryAfter: 1}
		case 2:
			return openaitest.Reply{Content: ok.Content, Malformed: true}
		case 3:
			return openaitest.Reply{Content: ok.Content, Delay: 2 * time.Second} // past the 1s LLM timeout
		}
		return ok
	}
	for i := 0; i < b.N; i++ {
		oa := openaitest.New(b, faults)
		d := discordtest.New(b, discordtest.Options{SkipValidation: true})
		ix, err := retrieval.Build(guideDocs(b), retrieval.DefaultParams())
		if err != nil {
			b.Fatal(err)
		}
		live := retrieval.NewLive(ix)
		p, _ := prompts.Load("")
		svc := answer.New(live.Load, p, answer.Options{LLMTimeout: time.Second,
			Model: llm.New(llm.Config{BaseURL: oa.BaseURL(), Model: "m"})})
		bot, err := New(Options{Token: discordtest.Token, APIURL: d.APIURL(), GuildID: discordtest.GuildID, Streaming: true,
			GuildConcurrency: 1 << 20, EditInterval: 500 * time.Millisecond}, svc)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		if !d.WaitIdentified(1, 10*time.Second) {
			b.Fatal("bot never identified")
		}
		time.Sleep(500 * time.Millisecond)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0, g0 := ms.HeapAlloc, runtime.NumGoroutine()

		sent := make(map[string]time.Time, n)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		start := time.Now()
		drops := 0
		for j := 0; j < n; j++ {
			<-tick.C
			if j > 0 && j%(rate*4) == 0 { // every ~4 seconds
				d.DropConnection()
				drops++
			}
			id := discordtest.Snowflake()
			tok := "tok-" + id
			sent[tok] = time.Now()
			d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(id, tok, strconv.Itoa(1500000000000000000+j), questions[j%len(questions)]))
		}
		tick.Stop()
		// Wait for every final reply: a PATCH that is not a "Writing…" edit.
		final := map[string]time.Time{}
		errorsSeen := 0
		deadline := time.Now().Add(60 * time.Second)
		for len(final) < n && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			errorsSeen = 0
			for _, c := range d.Calls() {
				if c.Method != "PATCH" || c.Status != 200 || strings.Contains(string(c.Body), "Writing…") {
					continue
				}
				parts := strings.Split(c.Path, "/")
				tok := parts[len(parts)-3]
				if _, ok := sent[tok]; ok {
					if _, seen := final[tok]; !seen {
						final[tok] = c.At
					}
					if strings.Contains(string(c.Body), "internal error") {
						errorsSeen++
					}
				}
			}
		}
		elapsed := time.Since(start)
		var lat []time.Duration
		for tok, at := range final {
			lat = append(lat, at.Sub(sent[tok]))
		}
		sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
		cancel()
		<-done
		oa.Close()
		// The fakes' own records are test scaffolding, not the bot's memory.
		d.ForgetTraffic()
		oa.ForgetRequests()
		replied := len(final)
		sent, final = nil, nil
		time.Sleep(time.Second)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap1, g1 := ms.HeapAlloc, runtime.NumGoroutine()
		lost := n - replied
		p99 := time.Duration(0)
		if len(lat) > 0 {
			p99 = lat[min(len(lat)-1, len(lat)*99/100)]
		}
		b.ReportMetric(float64(n), "asked")
		b.ReportMetric(float64(replied), "replied")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
		fmt.Fprintf(os.Stderr, "soak: %s, %d asked, %d replied (%d error replies), %d lost, %d gateway drops, %d resumes, p99 dispatch→final reply %s, goroutines %d → %d, heap %.1f → %.1f MiB\n",
			elapsed.Round(time.Second), n, replied, errorsSeen, lost, drops, d.Resumes(), p99.Round(time.Millisecond),
			g0, g1, float64(heap0)/(1<<20), float64(heap1)/(1<<20))
		if lost > 0 {
			b.Errorf("%d questions got no reply", lost)
		}
		if g1 > g0+10 {
			b.Errorf("goroutines grew from %d to %d", g0, g1)
		}
		if heap1 > heap0*2+(8<<20) {
			b.Errorf("heap grew from %d to %d bytes", heap0, heap1)
		}
	}
}
