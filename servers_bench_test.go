package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

// heap is the live heap after a full collection.
func heap() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// mappedRSS is how much of path this process holds resident through its
// memory mappings (an index file is mapped, not read into the heap), from
// /proc/self/smaps; 0 where there is none.
func mappedRSS(path string) uint64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var total uint64
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if fields := strings.Fields(line); len(fields) >= 6 && strings.Contains(fields[0], "-") {
			in = strings.Join(fields[5:], " ") == path
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); in && ok {
			if kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
				total += kb << 10
			}
		}
	}
	return total
}

// BenchmarkServersMemory (issue 16): 1,000 servers, each with one article
// of its own, over one shared corpus (FOOTNOTE_BENCH_PASSAGES synthetic
// passages, default 1M), through the code serve runs (servers.part: a
// library and an answer service per server, the union with the shared
// index), hold at most 1.2× the memory of one such server: the live heap
// plus the index file's resident pages (the shared index is mapped, so
// the heap alone would leave out most of what a server holds). Run:
//
//	go test . -run '^$' -bench ServersMemory -benchtime 1x
func BenchmarkServersMemory(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("FOOTNOTE_BENCH_PASSAGES")); err == nil && v > 0 {
		n = v
	}
	const count = 1000
	ctx := context.Background()
	dir := b.TempDir()
	docs, _ := synth.Corpus(n, 0)
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	docs = nil
	indexFile := filepath.Join(dir, "shared.idx")
	if err := ix.Save(indexFile); err != nil {
		b.Fatal(err)
	}
	ix = nil
	data := filepath.Join(dir, "data")
	guild := func(i int) string { return fmt.Sprintf("12%017d", i) }
	for i := 0; i < count; i++ {
		g := filepath.Join(data, "guilds", guild(i), "ingested")
		if err := os.MkdirAll(g, 0o755); err != nil {
			b.Fatal(err)
		}
		text := fmt.Sprintf("# Team %d handbook\n\nTeam %d meets on Tuesdays in room %d; the on-call rotation is called falcon-%d.\n", i, i, i, i)
		if err := os.WriteFile(filepath.Join(g, "handbook.md"), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		p, err := prompts.Load("")
		if err != nil {
			b.Fatal(err)
		}
		libOpt := library.Options{IndexFile: indexFile, DataDir: data, Logger: slog.New(slog.DiscardHandler)}
		shared, err := library.Open(ctx, libOpt)
		if err != nil {
			b.Fatal(err)
		}
		srv := &servers{cfg: config.Config{}, shared: shared, sharedSvc: answer.New(shared.Index, p, answer.Options{}), libOpt: libOpt,
			log: slog.New(slog.DiscardHandler), parts: map[string]*part{},
			newService: func(index func() answer.Corpus) *answer.Service { return answer.NewOver(index, p, answer.Options{}) }}
		ask := func(g int) {
			a, err := srv.Answerer(ctx, guild(g)).Answer(ctx, answer.Request{Question: fmt.Sprintf("What is team %d's on-call rotation called?", g)})
			if err != nil || len(a.Citations) == 0 || a.Citations[0].DocID != guild(g)+"/ingested/handbook" {
				b.Fatalf("server %d: %+v, %v", g, a.Citations, err)
			}
		}
		if _, err := srv.part(ctx, guild(0)); err != nil {
			b.Fatal(err)
		}
		ask(0)
		// Memory: the live heap plus the index file's pages resident in
		// this process (the shared index is mapped).
		one := heap() + mappedRSS(indexFile)
		for g := 1; g < count; g++ {
			if _, err := srv.part(ctx, guild(g)); err != nil {
				b.Fatal(err)
			}
		}
		for g := 0; g < count; g += 97 {
			ask(g)
		}
		all := heap() + mappedRSS(indexFile)
		ratio := float64(all) / float64(one)
		b.ReportMetric(float64(one)/(1<<20), "MB-1-server")
		b.ReportMetric(float64(all)/(1<<20), "MB-1000-servers")
		b.ReportMetric(float64(mappedRSS(indexFile))/(1<<20), "MB-index-resident")
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(float64(all-one)/float64(count-1), "bytes/server")
		if ratio > 1.2 {
			b.Errorf("1,000 servers hold %.2f× the memory of one (%.0f MB against %.0f MB), want at most 1.2×", ratio, float64(all)/(1<<20), float64(one)/(1<<20))
		}
		runtime.KeepAlive(srv)
	}
}
