package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/ireval"
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

// whole measures footnote and FTS5 on each corpus folder: a BEIR
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
	fmt.Println("| corpus | passages | what (whole process) | footnote | FTS5 | footnote vs FTS5 |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, dir := range dirs {
		src := filepath.Join(dir, "corpus.jsonl")
		if _, err := os.Stat(src); err != nil {
			src = filepath.Join(dir, "corpus")
		}
		queries := filepath.Join(dir, "queries.jsonl")
		qs, err := ireval.ReadQueries(queries)
		check(err)
		name := filepath.Base(dir)
		idx, db := filepath.Join(tmp, name+".idx"), filepath.Join(tmp, name+".db")
		fIndex := runWhole(repeat, fn, "index", "--corpus", src, "--out", idx)
		sIndex := runWhole(1, self, "-engine", "fts5-index", "-data", src, "-collection", db)
		passages := countPassages(src)
		line := func(what string, f, s wholeRun) {
			ratio := "–"
			if s.wall > 0 {
				speed := fmt.Sprintf("%.1f× faster", float64(s.wall)/float64(f.wall))
				if f.wall > s.wall {
					speed = fmt.Sprintf("**%.1f× slower**", float64(f.wall)/float64(s.wall))
				}
				ratio = fmt.Sprintf("%s, %.2f× the RSS", speed, float64(f.rss)/float64(s.rss))
			}
			sCell := "–"
			if s.wall > 0 {
				sCell = fmt.Sprintf("%s, %s", s.wall.Round(time.Millisecond), mib(s.rss))
			}
			fmt.Printf("| %s | %d | %s | %s, %s | %s | %s |\n", name, passages, what, f.wall.Round(time.Millisecond), mib(f.rss), sCell, ratio)
		}
		line("index", fIndex, sIndex)
		fi, err := os.Stat(idx)
		check(err)
		si, err := os.Stat(db)
		check(err)
		fmt.Printf("| %s | %d | index file | %s | %s | %.2f× |\n", name, passages, mib(fi.Size()), mib(si.Size()), float64(fi.Size())/float64(si.Size()))
		for _, k := range []string{"10", "100"} {
			f := runWhole(repeat, fn, "search", "--index", idx, "--queries", queries, "--trec", "--k", k)
			s := runWhole(repeat, self, "-engine", "fts5-search", "-data", queries, "-collection", db, "-queries", k)
			line(fmt.Sprintf("search --trec --k %s, %d queries", k, len(qs)), f, s)
			if k == "100" {
				quality(name, passages, dir, f.out, s.out)
			}
		}
		one := qs[0].Text
		f := runWhole(repeat, fn, "search", "--index", idx, one)
		s := runWhole(repeat, self, "-engine", "fts5-search", "-data", "query:"+one, "-collection", db, "-queries", "10")
		line("one query, search --index", f, s)
		line("one question, ask --index", runWhole(repeat, fn, "ask", "--index", idx, one), wholeRun{})
	}
}

// quality prints both runs' nDCG@10 and recall@100 against the folder's
// judgements (the first qrels/*.tsv), when it has them.
func quality(name string, passages int, dir string, runs ...[]byte) {
	files, _ := filepath.Glob(filepath.Join(dir, "qrels", "*.tsv"))
	if len(files) == 0 {
		return
	}
	qrels, err := ireval.ReadQrels(files[0])
	check(err)
	var cells []string
	for _, out := range runs {
		run := map[string][]string{}
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 3 {
				run[f[0]] = append(run[f[0]], f[2])
			}
		}
		sc := ireval.Evaluate(run, qrels)
		cells = append(cells, fmt.Sprintf("nDCG@10 %.4f, recall@100 %.4f", sc.NDCG10, sc.Recall100))
	}
	fmt.Printf("| %s | %d | quality of the --k 100 runs (%s) | %s | %s | |\n", name, passages, filepath.Base(files[0]), cells[0], cells[1])
}

func countPassages(src string) int {
	res, err := corpus.LoadPaths(context.Background(), []string{src}, corpus.Options{})
	check(err)
	n := 0
	for _, d := range res.Documents {
		n += len(d.Passages)
	}
	return n
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

// fts5Search ranks documents (each by its best passage) for every query
// of a queries file, or for one "query:TEXT", printing a TREC run.
func fts5Search(queries, db string, k int) {
	var qs []ireval.Query
	if q, ok := strings.CutPrefix(queries, "query:"); ok {
		qs = []ireval.Query{{ID: "1", Text: q}}
	} else {
		var err error
		qs, err = ireval.ReadQueries(queries)
		check(err)
	}
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
