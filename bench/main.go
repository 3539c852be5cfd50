// Command bench measures footnote's retriever against bleve (BM25 scoring)
// on the same data in one run: index build time, query latency p50/p99,
// index size and heap, on a BEIR collection and on a synthetic corpus of
// a million passages; plus footnote's template answer path (question →
// answer JSON) on the synthetic corpus. It is a module of its own so the
// product's go.mod stays free of bleve.
//
//	cd bench && go run . -collection ../../shared/eval/scifact -synthetic 1000000
//
// With -whole it measures the paths people run instead, as whole
// processes (footnote index, search --trec, one-shot search and ask),
// beside SQLite FTS5 (see whole.go); -write-corpus writes the synthetic
// corpus as JSON lines for it:
//
//	cd bench && go run . -write-corpus /tmp/syn1M -synthetic 1000000 -queries 1000
//	go run . -whole ../../shared/eval/scifact,/tmp/syn1M
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/retrieval"
)

func main() {
	collection := flag.String("collection", "../../shared/eval/scifact", "BEIR folder (corpus.jsonl, queries.jsonl)")
	synthetic := flag.Int("synthetic", 1_000_000, "passages in the synthetic corpus (0 = skip)")
	queries := flag.Int("queries", 1000, "synthetic queries")
	skipBleveSynthetic := flag.Bool("skip-bleve-synthetic", false, "do not build bleve on the synthetic corpus")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of footnote's queries here")
	engine := flag.String("engine", "", "internal: measure one engine in this process (footnote or bleve)")
	data := flag.String("data", "", "internal: collection or synthetic")
	writeTo := flag.String("write-corpus", "", "write the synthetic corpus (-synthetic passages, -queries queries) to this folder as JSON lines, and stop")
	wholeDirs := flag.String("whole", "", "comma-separated corpus folders: measure whole processes (footnote index, search, ask; FTS5) on each, and stop")
	flag.Parse()
	if *wholeDirs != "" {
		whole(strings.Split(*wholeDirs, ","), 3)
		return
	}
	switch *engine {
	case "fts5-index":
		fts5Index(*data, *collection)
		return
	case "fts5-search":
		fts5Search(*data, *collection, *queries)
		return
	case "bleve-index", "bleve-lean-index":
		bleveWholeIndex(*data, *collection, *engine == "bleve-lean-index")
		return
	case "bleve-search", "bleve-lean-search":
		bleveWholeSearch(*data, *collection, *queries, *engine == "bleve-lean-search")
		return
	case "footnote-latency":
		footnoteLatency(*data, *collection)
		return
	}
	if *writeTo != "" {
		check(writeCorpus(*writeTo, *synthetic, *queries))
		return
	}
	profilePath = *cpuprofile
	if *engine != "" {
		child(*engine, *data, *collection, *synthetic, *queries)
		return
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s; each engine measured in a fresh process\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Println("| corpus | engine | passages | build | index size | memory held | peak RSS | query p50 | query p99 | queries |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	var template string
	var notes []string
	run := func(name, data string, withBleve bool) {
		f := spawn("footnote", data, *collection, *synthetic, *queries)
		row(name, "footnote", f)
		notes = append(notes, name+": "+f.WithText)
		if f.Template != "" {
			template = f.Template
		}
		if withBleve {
			b := spawn("bleve", data, *collection, *synthetic, *queries)
			row(name, "bleve v2.6.3 (BM25)", b)
			fmt.Printf("| %s | **footnote vs bleve** | | **%.1f× faster** | %.2f× | **%.0f%%** | **%.0f%%** | **%.1f× faster** | **%.1f× faster** | |\n", name,
				float64(b.Build)/float64(f.Build), float64(f.Size)/float64(b.Size), 100*float64(f.Memory)/float64(b.Memory),
				100*float64(f.PeakRSS)/float64(b.PeakRSS), float64(b.P50)/float64(f.P50), float64(b.P99)/float64(f.P99))
		}
	}
	if *collection != "" {
		run(filepath.Base(*collection), "collection", true)
	}
	if *synthetic > 0 {
		run("synthetic "+human(*synthetic), "synthetic", !*skipBleveSynthetic)
	}
	fmt.Println()
	fmt.Println("query times are the ranking alone (passage IDs and scores), as bleve's are; with the text read:")
	for _, n := range notes {
		fmt.Println("- " + n)
	}
	if template != "" {
		fmt.Println()
		fmt.Println(template)
	}
}

// spawn measures one engine in a fresh process, so neither engine's
// garbage or caches count against the other.
func spawn(engine, data, collection string, synthetic, queries int) result {
	args := []string{"-engine", engine, "-data", data, "-collection", collection,
		"-synthetic", fmt.Sprint(synthetic), "-queries", fmt.Sprint(queries)}
	if profilePath != "" && engine == "footnote" {
		args = append(args, "-cpuprofile", profilePath+"."+data)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	check(err)
	var r result
	check(json.Unmarshal(out, &r))
	return r
}

func child(engine, data, collection string, synthetic, nq int) {
	heap0 := heapNow()
	var docs []corpus.Document
	var qs []string
	if data == "synthetic" {
		docs, qs = synth.Corpus(synthetic, nq)
	} else {
		res, err := corpus.LoadPaths(context.Background(), []string{filepath.Join(collection, "corpus.jsonl")}, corpus.Options{})
		check(err)
		docs = res.Documents
		queries, err := ireval.ReadQueries(filepath.Join(collection, "queries.jsonl"))
		check(err)
		for _, q := range queries {
			qs = append(qs, q.Text)
		}
	}
	var r result
	switch engine {
	case "footnote":
		r = runFootnote(&docs, qs, heap0)
		if data == "synthetic" {
			r.Template = templatePath(r.footnoteIdx, qs)
		}
	case "bleve":
		r = runBleve(&docs, qs, heap0)
	default:
		check(fmt.Errorf("unknown engine %q", engine))
	}
	r.PeakRSS = peakRSS()
	check(json.NewEncoder(os.Stdout).Encode(r))
}

// rss reads the process's resident set size.
func rss() int64 { return procStatus("VmRSS:") }

// peakRSS reads the process's peak resident set size.
func peakRSS() int64 { return procStatus("VmHWM:") }

func procStatus(key string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, key) {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, key)), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

var profilePath string

type result struct {
	Build       time.Duration `json:"build"`
	Size        int64         `json:"size"`
	Heap        int64         `json:"heap"`
	RSS         int64         `json:"rss"`
	PeakRSS     int64         `json:"peak_rss"`
	Memory      int64         `json:"memory"` // heap held by the index + index files it maps
	P50         time.Duration `json:"p50"`
	P99         time.Duration `json:"p99"`
	N           int           `json:"n"`
	Passages    int           `json:"passages"`
	Template    string        `json:"template,omitempty"`
	WithText    string        `json:"with_text,omitempty"`
	footnoteIdx *retrieval.Index
}

func row(corpusName, engine string, r result) {
	fmt.Printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %d |\n", corpusName, engine, r.Passages, r.Build.Round(time.Millisecond),
		mib(r.Size), mib(r.Memory), mib(r.PeakRSS), r.P50.Round(time.Microsecond/10), r.P99.Round(time.Microsecond/10), r.N)
}

func heapNow() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func percentiles(d []time.Duration) (time.Duration, time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) == 0 {
		return 0, 0
	}
	return d[len(d)*50/100], d[min(len(d)-1, len(d)*99/100)]
}

func runFootnote(docsp *[]corpus.Document, qs []string, heap0 int64) result {
	docs := *docsp
	passages := 0
	for _, d := range docs {
		passages += len(d.Passages)
	}
	rssBefore := rss()
	start := time.Now()
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	check(err)
	build := time.Since(start)
	// Drop the input: what stays is what the index holds (it keeps the
	// passage text for quoting).
	*docsp, docs = nil, nil
	heap, rssGrowth := heapNow()-heap0, rss()-rssBefore
	var size countWriter
	_, err = ix.WriteTo(&size)
	check(err)
	// Warm up, then time each query (top 10 passages). Like bleve's
	// search, Rank returns passage IDs and scores without stored text;
	// Search, which also reads the ten passages' text, is timed after.
	for _, q := range qs[:min(50, len(qs))] {
		ix.Rank(q, 10, retrieval.Options{})
	}
	if profilePath != "" {
		f, err := os.Create(profilePath)
		check(err)
		check(pprof.StartCPUProfile(f))
		for r := 0; r < 200; r++ {
			for _, q := range qs {
				ix.Rank(q, 10, retrieval.Options{})
			}
		}
		pprof.StopCPUProfile()
		f.Close()
	}
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t := time.Now()
		ix.Rank(q, 10, retrieval.Options{})
		lat = append(lat, time.Since(t))
	}
	p50, p99 := percentiles(lat)
	lat = lat[:0]
	for _, q := range qs {
		t := time.Now()
		ix.Search(q, 10, retrieval.Options{})
		lat = append(lat, time.Since(t))
	}
	s50, s99 := percentiles(lat)
	return result{Build: build, Size: int64(size), Heap: heap, RSS: rssGrowth, Memory: heap, P50: p50, P99: p99, N: len(qs), Passages: passages, footnoteIdx: ix,
		WithText: fmt.Sprintf("footnote search with the ten passages' text read: p50 %s, p99 %s", s50.Round(time.Microsecond/10), s99.Round(time.Microsecond/10))}
}

type bleveDoc struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

func runBleve(docsp *[]corpus.Document, qs []string, heap0 int64) result {
	docs := *docsp
	dir, err := os.MkdirTemp("", "bleve-bench-*")
	check(err)
	defer os.RemoveAll(dir)
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = bleveindex.BM25Scoring
	passages := 0
	rssBefore := rss()
	start := time.Now()
	idx, err := bleve.New(filepath.Join(dir, "idx"), m)
	check(err)
	batch := idx.NewBatch()
	for _, d := range docs {
		for _, p := range d.Passages {
			passages++
			check(batch.Index(p.ID, bleveDoc{Title: p.Title, Text: p.Text}))
			if batch.Size() >= 2000 {
				check(idx.Batch(batch))
				batch = idx.NewBatch()
			}
		}
	}
	check(idx.Batch(batch))
	build := time.Since(start)
	*docsp, docs, batch = nil, nil, nil
	heap, rssGrowth := heapNow()-heap0, rss()-rssBefore
	for _, q := range qs[:min(50, len(qs))] {
		search(idx, q)
	}
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t := time.Now()
		search(idx, q)
		lat = append(lat, time.Since(t))
	}
	p50, p99 := percentiles(lat)
	size := dirSize(dir)
	runtime.KeepAlive(idx)
	check(idx.Close())
	// bleve memory-maps its segment files and pages them in as it reads:
	// count them with its heap.
	return result{Build: build, Size: size, Heap: heap, RSS: rssGrowth, Memory: heap + size, P50: p50, P99: p99, N: len(qs), Passages: passages}
}

func search(idx bleve.Index, q string) {
	req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q), 10, 0, false)
	_, err := idx.Search(req)
	check(err)
}

// templatePath times question → template answer → JSON on the index.
func templatePath(ix *retrieval.Index, qs []string) string {
	p, err := prompts.Load("")
	check(err)
	live := retrieval.NewLive(ix)
	svc := answer.New(live.Load, p, answer.Options{})
	ctx := context.Background()
	lat := make([]time.Duration, 0, len(qs))
	abstained := 0
	for _, q := range qs {
		t := time.Now()
		a, err := svc.Answer(ctx, answer.Request{Question: q})
		check(err)
		_, err = json.Marshal(a)
		check(err)
		lat = append(lat, time.Since(t))
		if a.Abstained {
			abstained++
		}
	}
	p50, p99 := percentiles(lat)
	return fmt.Sprintf("template answer path (question → answer JSON) on %d passages: p50 %s, p99 %s over %d questions (%d abstained)",
		ix.Len(), p50.Round(time.Microsecond/10), p99.Round(time.Microsecond/10), len(qs), abstained)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func human(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
