package bot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// finals collects the final reply to each interaction token: the callback
// when it was the answer, else the edit of the deferred response.
type final struct {
	at   time.Time
	body string
}

func finals(d *discordtest.Server) map[string]final {
	out := map[string]final{}
	for _, c := range d.Calls() {
		parts := strings.Split(c.Path, "/")
		switch {
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/callback") && !strings.Contains(string(c.Body), `"type":5`):
			out[parts[len(parts)-2]] = final{c.At, string(c.Body)}
		case c.Method == "PATCH" && strings.HasSuffix(c.Path, "/messages/@original") && c.Status == 200:
			out[parts[len(parts)-3]] = final{c.At, string(c.Body)}
		}
	}
	return out
}

// BenchmarkServersBurst (issue 16): questions arriving together, with the
// default limits (4 answered at once per server, 100 waiting): 50 in one
// server, then 10 servers × 50, all answered with citations and none
// refused, dispatch → final answer p50 / p99 reported; then one server
// floods 1,000 questions at once (beyond its queue they are refused) and
// another server's single question is timed against the same question
// asked alone (reported: issue 16 asks that it wait no longer than its own
// answer time plus one queue slot, which this process does not meet yet;
// see README). Corpus: FOOTNOTE_LOAD_PASSAGES
// synthetic passages (default 1,000,000).
//
//	go test ./bot -run '^$' -bench ServersBurst -benchtime 1x
func BenchmarkServersBurst(b *testing.B) {
	passages := envInt("FOOTNOTE_LOAD_PASSAGES", 1_000_000)
	docs, qs := synth.Corpus(passages, 600)
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	docs = nil
	p, _ := prompts.Load("")
	// Every synthetic question is answered (no abstention): the bench is
	// about delivery, and "answered with citations" is checkable.
	svc := answer.New(retrieval.NewLive(ix).Load, p, answer.Options{NoAbstain: true})
	guild := func(g int) string { return fmt.Sprintf("12%017d", g) }
	for i := 0; i < b.N; i++ {
		d := discordtest.New(b, discordtest.Options{SkipValidation: true})
		inside := &latencies{m: map[string]time.Duration{}}
		bot, err := New(Options{Token: discordtest.Token, APIURL: d.APIURL(), GuildID: discordtest.GuildID, Logger: slog.New(inside)}, svc)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		if !d.WaitIdentified(1, 10*time.Second) {
			b.Fatal("bot never identified")
		}
		seq := 0
		send := func(g int, q string) (string, time.Time) {
			seq++
			id := discordtest.Snowflake()
			tok := "tok-" + id
			at := time.Now()
			d.Dispatch("INTERACTION_CREATE", discordtest.AskInGuild(guild(g), id, tok, strconv.Itoa(1500000000000000000+seq), q))
			return tok, at
		}
		wait := func(toks map[string]time.Time) (lat []time.Duration, cited, refused int) {
			deadline := time.Now().Add(5 * time.Minute)
			for {
				f := finals(d)
				got := 0
				for tok := range toks {
					if _, ok := f[tok]; ok {
						got++
					}
				}
				if got == len(toks) || time.Now().After(deadline) {
					for tok, at := range toks {
						r, ok := f[tok]
						if !ok {
							continue
						}
						lat = append(lat, r.at.Sub(at))
						switch {
						case strings.Contains(r.body, "`[1]`"):
							cited++
						case strings.Contains(r.body, "please"):
							refused++
						}
					}
					sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
					return lat, cited, refused
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		pct := func(lat []time.Duration, p int) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, len(lat)*p/100)]
		}
		burst := func(name string, servers, each int) {
			toks := map[string]time.Time{}
			for g := 0; g < servers; g++ {
				for j := 0; j < each; j++ {
					tok, at := send(g, qs[(g*each+j)%len(qs)])
					toks[tok] = at
				}
			}
			lat, cited, refused := wait(toks)
			n := servers * each
			if cited != n || refused != 0 {
				b.Errorf("%s: %d of %d answered with citations, %d refused", name, cited, n, refused)
			}
			b.ReportMetric(float64(pct(lat, 50).Microseconds())/1000, name+"-p50-ms")
			b.ReportMetric(float64(pct(lat, 99).Microseconds())/1000, name+"-p99-ms")
			fmt.Fprintf(os.Stderr, "burst %s: %d questions, %d answered with citations, %d refused, dispatch→answer p50 %s p99 %s\n",
				name, n, cited, refused, pct(lat, 50).Round(10*time.Microsecond), pct(lat, 99).Round(10*time.Microsecond))
		}
		burst("1x50", 1, 50)
		burst("10x50", 10, 50)

		// The single question, alone (median of 9).
		single := qs[599]
		var alone []time.Duration
		toks := map[time.Duration]string{}
		for j := 0; j < 9; j++ {
			tok, at := send(20, single)
			lat, _, _ := wait(map[string]time.Time{tok: at})
			alone = append(alone, lat...)
			toks[lat[0]] = strings.TrimPrefix(tok, "tok-")
		}
		sort.Slice(alone, func(x, y int) bool { return alone[x] < alone[y] })
		tAlone := alone[len(alone)/2]
		aloneTok := toks[tAlone]
		// Server 30 floods; server 21 asks once while it does.
		flood := map[string]time.Time{}
		for j := 0; j < 1000; j++ {
			tok, at := send(30, qs[j%len(qs)])
			flood[tok] = at
		}
		tok, at := send(21, single)
		lat, cited, _ := wait(map[string]time.Time{tok: at})
		_, floodCited, floodRefused := wait(flood)
		if len(lat) != 1 || cited != 1 {
			b.Errorf("the other server's question was not answered with citations during the flood")
		} else {
			// Inside footnote: from reading the event to the answer
			// made, which the work slots schedule; the rest is the
			// gateway delivering the 1,000 events sent before it.
			in, alone := inside.of(strings.TrimPrefix(tok, "tok-")), inside.of(aloneTok)
			b.ReportMetric(float64(lat[0].Microseconds())/1000, "flood-other-ms")
			b.ReportMetric(float64(in.Microseconds())/1000, "flood-other-inside-ms")
			b.ReportMetric(float64(tAlone.Microseconds())/1000, "alone-ms")
			fmt.Fprintf(os.Stderr, "flood: 1,000 questions in one server (%d answered, %d refused: queue full); another server's question took %s from dispatch during it (%s alone), %s of it inside footnote (%s alone)\n",
				floodCited, floodRefused, lat[0].Round(10*time.Microsecond), tAlone.Round(10*time.Microsecond), in.Round(10*time.Microsecond), alone.Round(10*time.Microsecond))
			if in > 2*alone+2*time.Millisecond {
				b.Errorf("inside footnote the other server's question took %s during the flood, more than its own answer time plus one queue slot (2 × %s)", in, alone)
			}
		}
		cancel()
		<-done
	}
}

// latencies is a log handler that keeps each answered interaction's
// latency as footnote logs it: from reading the event to the answer.
type latencies struct {
	mu sync.Mutex
	m  map[string]time.Duration
}

func (l *latencies) Enabled(context.Context, slog.Level) bool { return true }
func (l *latencies) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *latencies) WithGroup(string) slog.Handler            { return l }
func (l *latencies) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "question answered" {
		return nil
	}
	var id string
	var took time.Duration
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "interaction":
			id = a.Value.String()
		case "latency":
			took = a.Value.Duration()
		}
		return true
	})
	l.mu.Lock()
	l.m[id] = took
	l.mu.Unlock()
	return nil
}

func (l *latencies) of(id string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[id]
}
