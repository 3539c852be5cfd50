package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/ireval"
	"github.com/footnote-bot/footnote/retrieval"
)

// The whole-process figures: each command is run as people run it, a
// fresh process, timed from start to exit (wall) with its peak resident
// memory as the kernel counts it (rusage maxrss). footnote's own binary
// is built once into a temporary folder; the SQLite FTS5 peer (bm25(),
// porter tokenizer, through modernc.org/sqlite as footnote's store uses
// it) runs in this binary's child mode, -engine fts5-index / fts5-search.

// timeBin is GNU time, which reports its child's peak RSS.
const timeBin = "/usr/bin/time"

type wholeRun struct {
	wall time.Duration
	rss  int64  // bytes
	out  []byte // standard output
}

// runWhole runs cmd, discarding its output, and returns its wall time and
// peak RSS; the best wall of n runs (and that run's RSS).
func runWhole(n int, name string, args ...string) wholeRun {
	var best wholeRun
	for i := 0; i < n; i++ {
		// Through /usr/bin/time: a child's rusage counts the memory its
		// parent had when it forked (Linux keeps the high-water mark
		// across exec), and time(1) is a small parent.
		rssFile := filepath.Join(os.TempDir(), fmt.Sprintf("footnote-whole-rss-%d", os.Getpid()))
		cmd := exec.Command(timeBin, append([]string{"-f", "%M", "-o", rssFile, name}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			check(fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String()))
		}
		wall := time.Since(start)
		raw, err := os.ReadFile(rssFile)
		check(err)
		var kb int64
		_, err = fmt.Sscan(strings.TrimSpace(string(raw)), &kb)
		check(err)
		os.Remove(rssFile)
		r := wholeRun{wall: wall, rss: kb << 10, out: out}
		if i == 0 || r.wall < best.wall {
			best = r
		}
		if r.wall > 5*time.Second {
			break // a long run is not repeated: its noise is small beside it
		}
	}
	return best
}

// engine is one engine of the whole-process figures: how to build its
// index from a corpus (src) or from the passages as JSON lines, and how
// to search it (a queries file or "query:TEXT", k).
type engine struct {
	name   string
	index  func(src, passages, out string) []string
	search func(out, queries, k string) []string
	answer func(out, question string) []string // nil: it has no answer path
	// latency, when set, times the engine's ranking in its own process
	// (top 10 passages for each query, after a warm-up pass) and prints
	// "P50 P99" in nanoseconds.
	latency func(out, queries string) []string
}

// whole measures footnote and its peers on each corpus folder: a BEIR
// collection (corpus.jsonl, queries.jsonl) or one written by
// -write-corpus (corpus/, queries.jsonl).
func whole(dirs []string, repeat int) {
	if _, err := os.Stat(timeBin); err != nil {
		check(fmt.Errorf("the whole-process figures need %s (Debian package time) for each process's peak RSS: %w", timeBin, err))
	}
	tmp, err := os.MkdirTemp("", "footnote-whole-*")
	check(err)
	defer os.RemoveAll(tmp)
	fn := filepath.Join(tmp, "footnote")
	build := exec.Command("go", "build", "-o", fn, ".")
	build.Dir = ".."
	build.Stderr = os.Stderr
	check(build.Run())
	self, err := os.Executable()
	check(err)
	script, err := filepath.Abs("xapian_peer.py")
	check(err)
	child := func(mode string) func(a, b, k string) []string {
		return func(a, b, k string) []string {
			return []string{self, "-engine", mode, "-data", a, "-collection", b, "-queries", k}
		}
	}
	engines := []engine{
		{name: "footnote",
			index:   func(src, _, out string) []string { return []string{fn, "index", "--corpus", src, "--out", out} },
			search:  func(out, q, k string) []string { return footnoteSearch(fn, out, q, k) },
			answer:  func(out, q string) []string { return []string{fn, "ask", "--index", out, q} },
			latency: func(out, q string) []string { return child("footnote-latency")(out, q, "0") }},
		{name: "FTS5",
			index:  func(src, _, out string) []string { return child("fts5-index")(src, out, "0") },
			search: func(out, q, k string) []string { return child("fts5-search")(q, out, k) }},
		{name: "bleve (default mapping)",
			index:  func(src, _, out string) []string { return child("bleve-index")(src, out, "0") },
			search: func(out, q, k string) []string { return child("bleve-search")(q, out, k) }},
		{name: "bleve (lean mapping)",
			index:  func(src, _, out string) []string { return child("bleve-lean-index")(src, out, "0") },
			search: func(out, q, k string) []string { return child("bleve-lean-search")(q, out, k) }},
	}
	if exec.Command(pythonBin, "-c", "import xapian").Run() == nil {
		engines = append(engines, engine{name: "Xapian",
			index:   func(_, passages, out string) []string { return []string{pythonBin, script, "index", passages, out} },
			search:  func(out, q, k string) []string { return []string{pythonBin, script, "search", out, q, k} },
			latency: func(out, q string) []string { return []string{pythonBin, script, "latency", out, q} }})
	} else {
		fmt.Fprintln(os.Stderr, "bench: Xapian not measured: /usr/bin/python3 cannot import xapian (Debian package python3-xapian)")
	}
	head := "| corpus | passages | what (whole process) |"
	sep := "|---|---|---|"
	for _, e := range engines {
		head += " " + e.name + " |"
		sep += "---|"
	}
	for _, e := range engines[1:] {
		head += " footnote vs " + e.name + " |"
		sep += "---|"
	}
	fmt.Println(head)
	fmt.Println(sep)
	cell := func(r wholeRun) string {
		if r.wall == 0 {
			return "–"
		}
		return fmt.Sprintf("%s, %s", r.wall.Round(time.Millisecond), mib(r.rss))
	}
	vs := func(f, peer wholeRun) string {
		if peer.wall == 0 || f.wall == 0 {
			return "–"
		}
		speed := fmt.Sprintf("%.1f× faster", float64(peer.wall)/float64(f.wall))
		if f.wall > peer.wall {
			speed = fmt.Sprintf("**%.1f× slower**", float64(f.wall)/float64(peer.wall))
		}
		return fmt.Sprintf("%s, %.2f× the RSS", speed, float64(f.rss)/float64(peer.rss))
	}
	for _, dir := range dirs {
		src := filepath.Join(dir, "corpus.jsonl")
		if _, err := os.Stat(src); err != nil {
			src = filepath.Join(dir, "corpus")
		}
		queries := filepath.Join(dir, "queries.jsonl")
		qs, err := ireval.ReadQueries(queries)
		check(err)
		name := filepath.Base(dir)
		// Xapian reads the passages footnote's loader made (written here,
		// untimed); the others load the corpus in the timed process.
		passageFile := filepath.Join(tmp, name+".passages.jsonl")
		passages := writePassages(src, passageFile)
		outs := make([]string, len(engines))
		for i := range engines {
			outs[i] = filepath.Join(tmp, fmt.Sprintf("%s.%d", name, i))
		}
		row := func(what string, each func(i int, e engine) wholeRun) []wholeRun {
			runs := make([]wholeRun, len(engines))
			line := fmt.Sprintf("| %s | %d | %s |", name, passages, what)
			for i, e := range engines {
				runs[i] = each(i, e)
				line += " " + cell(runs[i]) + " |"
			}
			for i := range engines[1:] {
				line += " " + vs(runs[0], runs[i+1]) + " |"
			}
			fmt.Println(line)
			return runs
		}
		run := func(argv []string) wholeRun { return runWhole(repeat, argv[0], argv[1:]...) }
		row("index", func(i int, e engine) wholeRun { return run(e.index(src, passageFile, outs[i])) })
		line := fmt.Sprintf("| %s | %d | index size |", name, passages)
		for i := range engines {
			line += " " + mib(pathSize(outs[i])) + " |"
		}
		for i := range engines[1:] {
			line += fmt.Sprintf(" %.2f× |", float64(pathSize(outs[0]))/float64(pathSize(outs[i+1])))
		}
		fmt.Println(line)
		for _, k := range []string{"10", "100"} {
			runs := row(fmt.Sprintf("search --trec --k %s, %d queries", k, len(qs)), func(i int, e engine) wholeRun {
				return run(e.search(outs[i], queries, k))
			})
			if k == "100" {
				var out [][]byte
				for _, r := range runs {
					out = append(out, r.out)
				}
				quality(name, passages, dir, len(engines)-1, out...)
			}
		}
		latencyRow(name, passages, engines, outs, queries, repeat)
		one := qs[0].Text
		row("one query, search --index", func(i int, e engine) wholeRun { return run(e.search(outs[i], "query:"+one, "10")) })
		row("one question, ask --index", func(i int, e engine) wholeRun {
			if e.answer == nil {
				return wholeRun{}
			}
			return run(e.answer(outs[i], one))
		})
	}
}

// footnoteSearch is footnote's search command for a queries file or one
// "query:TEXT".
func footnoteSearch(fn, idx, queries, k string) []string {
	if q, ok := strings.CutPrefix(queries, "query:"); ok {
		return []string{fn, "search", "--index", idx, "--k", k, q}
	}
	return []string{fn, "search", "--index", idx, "--queries", queries, "--trec", "--k", k}
}

// pythonBin runs the Xapian peer (xapian_peer.py): Debian's python3,
// where python3-xapian installs.
const pythonBin = "/usr/bin/python3"

// writePassages writes the passages footnote's loader makes of src as
// {"doc","title","text"} lines, for the Xapian peer, and counts them.
func writePassages(src, dst string) int {
	res, err := corpus.LoadPaths(context.Background(), []string{src}, corpus.Options{})
	check(err)
	f, err := os.Create(dst)
	check(err)
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	n := 0
	for _, d := range res.Documents {
		for _, p := range d.Passages {
			check(enc.Encode(map[string]string{"doc": d.ID, "title": p.Title, "text": p.Text}))
			n++
		}
	}
	check(w.Flush())
	check(f.Close())
	return n
}

// pathSize is a file's size, or a folder's (Xapian's database), 0 if
// absent.
func pathSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if st.IsDir() {
		return dirSize(path)
	}
	return st.Size()
}

// quality prints the runs' nDCG@10 and recall@100 against the folder's
// judgements (the first qrels/*.tsv), when it has them.
func quality(name string, passages int, dir string, peers int, runs ...[]byte) {
	files, _ := filepath.Glob(filepath.Join(dir, "qrels", "*.tsv"))
	if len(files) == 0 {
		return
	}
	qrels, err := ireval.ReadQrels(files[0])
	check(err)
	var cells []string
	for _, out := range runs {
		if out == nil {
			cells = append(cells, "–")
			continue
		}
		run := map[string][]string{}
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 3 {
				run[f[0]] = append(run[f[0]], f[2])
			}
		}
		sc := ireval.Evaluate(run, qrels)
		cells = append(cells, fmt.Sprintf("nDCG@10 %.4f, recall@100 %.4f", sc.NDCG10, sc.Recall100))
	}
	fmt.Printf("| %s | %d | quality of the --k 100 runs (%s) | %s |%s\n", name, passages, filepath.Base(files[0]), strings.Join(cells, " | "), strings.Repeat(" |", peers))
}

// fts5Index builds an FTS5 table of footnote's passages (the same
// passages, title and text columns) in the database file db.
func fts5Index(src, db string) {
	os.Remove(db)
	res, err := corpus.LoadPaths(context.Background(), []string{src}, corpus.Options{})
	check(err)
	d, err := sql.Open("sqlite", "file:"+db+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	check(err)
	defer d.Close()
	_, err = d.Exec(`CREATE VIRTUAL TABLE p USING fts5(doc UNINDEXED, title, text, tokenize='porter unicode61')`)
	check(err)
	tx, err := d.Begin()
	check(err)
	st, err := tx.Prepare(`INSERT INTO p(doc, title, text) VALUES (?, ?, ?)`)
	check(err)
	for _, doc := range res.Documents {
		for _, p := range doc.Passages {
			_, err := st.Exec(doc.ID, p.Title, p.Text)
			check(err)
		}
	}
	check(tx.Commit())
	_, err = d.Exec(`INSERT INTO p(p) VALUES ('optimize')`)
	check(err)
}

// peerQueries reads what a peer's search mode is given: a queries file,
// or one "query:TEXT" (the one-query figure).
func peerQueries(queries string) []ireval.Query {
	if q, ok := strings.CutPrefix(queries, "query:"); ok {
		return []ireval.Query{{ID: "1", Text: q}}
	}
	qs, err := ireval.ReadQueries(queries)
	check(err)
	return qs
}

// fts5Search ranks documents (each by its best passage) for every query
// of a queries file, or for one "query:TEXT", printing a TREC run.
func fts5Search(queries, db string, k int) {
	qs := peerQueries(queries)
	d, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	check(err)
	defer d.Close()
	// Column weights in order (doc, unindexed; title; text): the title
	// counts twice, as footnote's TitleWeight.
	st, err := d.Prepare(`SELECT doc, bm25(p, 0.0, 2.0, 1.0) FROM p WHERE p MATCH ? ORDER BY bm25(p, 0.0, 2.0, 1.0) LIMIT ?`)
	check(err)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, q := range qs {
		var terms []string
		for _, t := range strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
		}) {
			terms = append(terms, `"`+t+`"`)
		}
		if len(terms) == 0 {
			continue
		}
		rows, err := st.Query(strings.Join(terms, " OR "), 2*k)
		check(err)
		seen := map[string]bool{}
		rank := 0
		for rows.Next() && rank < k {
			var doc string
			var score float64
			check(rows.Scan(&doc, &score))
			if seen[doc] {
				continue
			}
			seen[doc] = true
			rank++
			fmt.Fprintf(w, "%s Q0 %s %d %.4f fts5\n", q.ID, doc, rank, -score)
		}
		check(rows.Err())
		rows.Close()
	}
}

// latencyRow prints the in-process ranking row: each engine that can be
// timed in its own process ranks the top 10 passages of every query
// (query parsing included, no text read), after a warm-up pass; p50 and
// p99 of the best of repeat runs (by p50), and footnote's ratio to each.
func latencyRow(name string, passages int, engines []engine, outs []string, queries string, repeat int) {
	type lat struct{ p50, p99 time.Duration }
	got := make([]lat, len(engines))
	line := fmt.Sprintf("| %s | %d | in-process ranking, top 10 passages, p50 / p99 |", name, passages)
	for i, e := range engines {
		if e.latency == nil {
			line += " – |"
			continue
		}
		argv := e.latency(outs[i], queries)
		for r := 0; r < repeat; r++ {
			out, err := exec.Command(argv[0], argv[1:]...).Output()
			if err != nil {
				check(fmt.Errorf("%s: %w", strings.Join(argv, " "), err))
			}
			var p50, p99 int64
			_, err = fmt.Sscan(string(out), &p50, &p99)
			check(err)
			if r == 0 || time.Duration(p50) < got[i].p50 {
				got[i] = lat{time.Duration(p50), time.Duration(p99)}
			}
		}
		line += fmt.Sprintf(" %s / %s |", got[i].p50.Round(100*time.Nanosecond), got[i].p99.Round(100*time.Nanosecond))
	}
	for i := range engines[1:] {
		peer := got[i+1]
		if peer.p50 == 0 || got[0].p50 == 0 {
			line += " – |"
			continue
		}
		line += fmt.Sprintf(" %.1f× faster at p50, %.1f× at p99 |", float64(peer.p50)/float64(got[0].p50), float64(peer.p99)/float64(got[0].p99))
	}
	fmt.Println(line)
}

// footnoteLatency is footnote's side of the in-process ranking row: the
// index file opened as footnote opens it, Rank (top 10) timed per query
// after a warm-up pass over every query.
func footnoteLatency(idx, queries string) {
	ix, err := retrieval.Open(idx)
	check(err)
	qs := peerQueries(queries)
	for _, q := range qs {
		ix.Rank(q.Text, 10, retrieval.Options{})
	}
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t := time.Now()
		ix.Rank(q.Text, 10, retrieval.Options{})
		lat = append(lat, time.Since(t))
	}
	p50, p99 := percentiles(lat)
	fmt.Println(p50.Nanoseconds(), p99.Nanoseconds())
}
