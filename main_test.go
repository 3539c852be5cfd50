package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/internal/servicetest"
	"github.com/footnote-bot/footnote/internal/sharedtest"
	"github.com/footnote-bot/footnote/store"
)

// runCLI runs the program in-process with its own args and environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), err
}

func TestAskBuiltInGuide(t *testing.T) {
	out, _, err := runCLI(t, nil, "ask", "What is footnote?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "footnote is a Discord bot") || !strings.Contains(out, "[1]") || !strings.Contains(out, "Sources:") {
		t.Errorf("output:\n%s", out)
	}
}

func TestAskJSONShape(t *testing.T) {
	out, _, err := runCLI(t, nil, "ask", "What is footnote?", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"question", "answer", "abstained", "backend", "citations"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %q in %s", k, out)
		}
	}
	cites := got["citations"].([]any)
	c := cites[0].(map[string]any)
	for _, k := range []string{"n", "passage_id", "doc_id", "title", "section", "url", "text", "score"} {
		if _, ok := c[k]; !ok {
			t.Errorf("citation lacks %q", k)
		}
	}
	if got["backend"] != "template" || got["abstained"] != false || c["n"].(float64) != 1 {
		t.Errorf("got %v", got)
	}
}

func TestAskEmptyQuestion(t *testing.T) {
	for _, q := range []string{"", "   ", "\t\n"} {
		_, _, err := runCLI(t, nil, "ask", q)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), "give a question") {
			t.Errorf("ask %q: err = %v, want a usage error", q, err)
		}
	}
}

func TestAskAbstainsExitZero(t *testing.T) {
	out, _, err := runCLI(t, nil, "ask", "--json", "How do I bake sourdough bread?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"abstained": true`) {
		t.Errorf("output:\n%s", out)
	}
}

func TestIndexThenAskAndCorruptIndex(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "g.idx")
	out, _, err := runCLI(t, nil, "index", "--corpus", "guide/articles", "--out", idx)
	if err != nil || !strings.Contains(out, "6 documents") {
		t.Fatalf("index: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, nil, "ask", "--index", idx, "How do I reload the articles?")
	if err != nil || !strings.Contains(out, "/reload") {
		t.Fatalf("ask --index: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, nil, "index", "--verify", idx)
	if err != nil || !strings.Contains(out, idx+" is sound: 6 documents") {
		t.Fatalf("index --verify: %v\n%s", err, out)
	}
	good, _ := os.ReadFile(idx)
	// A byte in the middle (the text blocks and tables, whose checksums
	// only --verify reads) and one near the end (the metadata, read at
	// every open).
	for _, tt := range []struct {
		name string
		at   int
		cmd  []string
	}{
		{"middle", len(good) / 2, []string{"index", "--verify", idx}},
		{"metadata", len(good) - 10, []string{"search", "--index", idx, "reload"}},
	} {
		data := bytes.Clone(good)
		data[tt.at] ^= 0xff
		os.WriteFile(idx, data, 0o644)
		_, _, err = runCLI(t, nil, tt.cmd...)
		if err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s byte flipped, %s: err = %v", tt.name, tt.cmd[0], err)
		}
	}
	// Every text block zeroed (section 9 of the file's section table;
	// the format is in the retrieval package's doc): the file opens (text
	// is checked when read), search prints its hits without their text
	// and then fails, naming the file and --verify.
	data := bytes.Clone(good)
	const tableOffset, entrySize, textBlocks = 24, 24, 9
	e := data[tableOffset+entrySize*textBlocks:]
	off, n := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
	clear(data[off : off+n])
	os.WriteFile(idx, data, 0o644)
	out, _, err = runCLI(t, nil, "search", "--index", idx, "reload")
	if err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "text block") || !strings.Contains(err.Error(), "--verify") {
		t.Errorf("search of an index whose text blocks are zeroed: err = %v", err)
	}
	if !strings.Contains(out, "1. [") {
		t.Errorf("search printed no hits before the error:\n%s", out)
	}
	// ask answers from what it could read (the passages' text is gone, so
	// it abstains or answers from titles), then fails the same way, with
	// --json too.
	for _, args := range [][]string{{"ask", "--index", idx, "How do I reload the articles?"}, {"ask", "--json", "--index", idx, "How do I reload the articles?"}} {
		out, _, err = runCLI(t, nil, args...)
		if err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "text block") || !strings.Contains(err.Error(), "--verify") {
			t.Errorf("%v of an index whose text blocks are zeroed: err = %v", args[:len(args)-3], err)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("%v printed nothing before the error", args[:len(args)-3])
		}
	}
}

// TestEvalAndQAReportDamagedPostings: eval and qa over an index file whose
// postings fail their check print their scores, then fail naming the file
// and --verify (the scores lack what the damaged terms held). Over a
// sound file they succeed.
func TestEvalAndQAReportDamagedPostings(t *testing.T) {
	corpus, queries, qrels := tinyCollection(t)
	idx := filepath.Join(t.TempDir(), "tiny.idx")
	if _, _, err := runCLI(t, nil, "index", "--corpus", corpus, "--out", idx); err != nil {
		t.Fatal(err)
	}
	questions := filepath.Join(t.TempDir(), "questions.jsonl")
	os.WriteFile(questions, []byte(`{"id": "t1", "question": "do cats sleep a lot", "gold": "Cats sleep a lot.", "answers": ["Cats sleep a lot."], "article": "a"}`+"\n"), 0o644)
	evalArgs := []string{"eval", "--index", idx, "--queries", queries, "--qrels", qrels}
	qaArgs := []string{"qa", "--index", idx, "--questions", questions}
	for _, args := range [][]string{evalArgs, qaArgs} {
		if out, _, err := runCLI(t, nil, args...); err != nil || strings.TrimSpace(out) == "" {
			t.Fatalf("%s over a sound index: %v\n%s", args[0], err, out)
		}
	}
	// Every 16-bit passage number set past the passages (section 17 of
	// the section table): each term's postings fail their check when a
	// query first reads them.
	data, _ := os.ReadFile(idx)
	const tableOffset, entrySize, post16 = 24, 24, 17
	e := data[tableOffset+entrySize*post16:]
	off, n := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
	if n == 0 {
		t.Fatal("the tiny index has no 16-bit postings")
	}
	for i := off; i < off+n; i++ {
		data[i] = 0xff
	}
	os.WriteFile(idx, data, 0o644)
	for _, args := range [][]string{evalArgs, append(slices.Clone(evalArgs), "--json"), qaArgs} {
		out, _, err := runCLI(t, nil, args...)
		if err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "postings of") || !strings.Contains(err.Error(), "--verify") {
			t.Errorf("%v over damaged postings: err = %v", args, err)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("%v printed nothing before the error", args)
		}
	}
}

func TestSearchJSONAndArticleFilter(t *testing.T) {
	out, _, err := runCLI(t, nil, "search", "--json", "--k", "2", "--article", "running-the-bot", "token")
	if err != nil {
		t.Fatal(err)
	}
	var hits []map[string]any
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || len(hits) > 2 {
		t.Fatalf("hits = %d", len(hits))
	}
	for _, h := range hits {
		if h["doc_id"] != "running-the-bot" || !strings.Contains(h["snippet"].(string), "**token**") {
			t.Errorf("hit = %v", h)
		}
	}
	if _, _, err := runCLI(t, nil, "search", "--article", "nope", "token"); err == nil {
		t.Error("unknown article accepted")
	}
}

func TestTrecRunAndEval(t *testing.T) {
	corpus, queries, qrels := tinyCollection(t)
	out, _, err := runCLI(t, nil, "search", "--corpus", corpus, "--queries", queries, "--trec", "--k", "100")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "q1 Q0 a 1 ") || !strings.HasSuffix(lines[0], " footnote") || !strings.HasPrefix(lines[1], "q2 Q0 b 1 ") {
		t.Errorf("TREC run:\n%s", out)
	}
	out, _, err = runCLI(t, nil, "eval", "--corpus", corpus, "--queries", queries, "--qrels", qrels)
	if err != nil {
		t.Fatal(err)
	}
	// q1: a at rank 1 → nDCG 1. q2: b (grade 2) at 1, c never retrieved →
	// DCG 2, IDCG 2 + 1/log2(3) = 2.6309 → 0.7602. Mean 0.8801.
	if !strings.Contains(out, "nDCG@10     0.8801") || !strings.Contains(out, "Recall@100  0.7500") || !strings.Contains(out, "MRR@10      1.0000") {
		t.Errorf("eval:\n%s", out)
	}
}

func TestSeedCorpusAsk(t *testing.T) {
	dir := sharedtest.Path(t, "corpus")
	out, _, err := runCLI(t, nil, "ask", "--corpus", dir, "Who leads Meta's new team?")
	if err != nil || !strings.Contains(out, "Alexandr Wang") {
		t.Errorf("%v\n%s", err, out)
	}
}

func TestConfigCommandRedacts(t *testing.T) {
	out, _, err := runCLI(t, map[string]string{"DISCORD_TOKEN": "very-secret-token", "OPENAI_API_KEY": "sk-123"}, "config")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "very-secret-token") || strings.Contains(out, "sk-123") || !strings.Contains(out, "[redacted]") {
		t.Errorf("config output:\n%s", out)
	}
	_, _, err = runCLI(t, map[string]string{"FOOTNOTE_TOP_K": "0"}, "config")
	if err == nil || !strings.Contains(err.Error(), "top_k") {
		t.Errorf("bad setting: %v", err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCLI(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "footnote dev (commit ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %v %q", err, out)
	}
	if _, _, err := runCLI(t, nil, "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
	if _, _, err := runCLI(t, nil); err == nil {
		t.Error("no command accepted")
	}
}

func TestBadCorpusFilesWarnButLoad(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.md"), []byte("# Good\n\nTomatoes need sun.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("\x00\x01binary"), 0o644)
	out, errOut, err := runCLI(t, nil, "ask", "--corpus", dir, "What do tomatoes need?")
	if err != nil || !strings.Contains(out, "Tomatoes need sun") {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(errOut, "bad.txt") || !strings.Contains(errOut, "binary") {
		t.Errorf("warning should name the file and reason:\n%s", errOut)
	}
}

// TestReportAfterScriptedUse: footnote report reads the question log serve
// writes: the SQLite file in the data folder, or PostgreSQL when
// database_url is set.
func TestReportAfterScriptedUse(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dataDir := t.TempDir()
			env := map[string]string{"FOOTNOTE_DATA_DIR": dataDir}
			var st *store.DB
			var err error
			if backend == "postgres" {
				url := servicetest.DatabaseURL(t)
				env["FOOTNOTE_DATABASE_URL"] = url
				st, err = store.OpenPostgres(ctx, url)
			} else {
				st, err = store.OpenSQLite(ctx, filepath.Join(dataDir, "footnote.db"))
			}
			if err != nil {
				t.Fatal(err)
			}
			st.LogQuestion(ctx, store.Question{Command: "ask", Question: "How do I reload?", AnswerKey: "a1", Citations: []string{"running-the-bot#4"}, DocIDs: []string{"running-the-bot"}})
			st.LogQuestion(ctx, store.Question{Command: "ask", Question: "How to bake bread?", Abstained: true, AnswerKey: "a2"})
			st.LogQuestion(ctx, store.Question{Command: "mention", Question: "how to BAKE bread", Abstained: true, AnswerKey: "a3"})
			st.Vote(ctx, "a1", "u1", false)
			st.Close()
			out, _, err := runCLI(t, env, "report")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"questions answered  3", "abstained           2 (67%)", "2× How to bake bread?", "1× Running the footnote bot", "down 1 up 0  How do I reload?"} {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
			page := filepath.Join(t.TempDir(), "r.html")
			if _, _, err := runCLI(t, env, "report", "--html", page); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(page); !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "Running the footnote bot") {
				t.Error("HTML report lacks charts or titles")
			}
			if backend == "postgres" {
				// The data folder has no SQLite log: PostgreSQL was read.
				if _, err := os.Stat(filepath.Join(dataDir, "footnote.db")); err == nil {
					t.Error("report created a SQLite log beside the PostgreSQL one")
				}
			}
		})
	}
	if _, _, err := runCLI(t, map[string]string{"FOOTNOTE_DATA_DIR": t.TempDir()}, "report"); err == nil || !strings.Contains(err.Error(), "no question log") {
		t.Errorf("report without a log: %v", err)
	}
}

// tinyCollection writes a three-document BEIR collection with two judged
// queries: q1 finds a (nDCG 1), q2 finds b but not c (nDCG 0.7602).
func tinyCollection(t *testing.T) (corpus, queries, qrels string) {
	t.Helper()
	dir := t.TempDir()
	corpus = filepath.Join(dir, "corpus.jsonl")
	os.WriteFile(corpus, []byte(`{"_id":"a","title":"Cats","text":"Cats sleep a lot."}
{"_id":"b","title":"Dogs","text":"Dogs walk daily. Dogs bark."}
{"_id":"c","title":"Fish","text":"Fish swim."}
`), 0o644)
	queries = filepath.Join(dir, "q.tsv")
	os.WriteFile(queries, []byte("q1\tsleeping cats\nq2\tdog walks\n"), 0o644)
	qrels = filepath.Join(dir, "qrels.tsv")
	os.WriteFile(qrels, []byte("query-id\tcorpus-id\tscore\nq1\ta\t1\nq2\tb\t2\nq2\tc\t1\n"), 0o644)
	return corpus, queries, qrels
}

// TestReportOneGuild: footnote report --guild ID reports that server's
// questions only; without it, every server's.
func TestReportOneGuild(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.LogQuestion(ctx, store.Question{Guild: "100", Command: "ask", Question: "What is in server A's handbook?", Abstained: true, AnswerKey: "a"})
	st.LogQuestion(ctx, store.Question{Guild: "200", Command: "ask", Question: "What does server B sell?", Abstained: true, AnswerKey: "b"})
	st.Close()
	env := map[string]string{"FOOTNOTE_DATA_DIR": dataDir}
	one, _, err := runCLI(t, env, "report", "--guild", "100")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(one, "questions answered  1") || !strings.Contains(one, "server A") || strings.Contains(one, "server B") {
		t.Errorf("report --guild 100:\n%s", one)
	}
	all, _, err := runCLI(t, env, "report")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(all, "questions answered  2") || !strings.Contains(all, "server A") || !strings.Contains(all, "server B") {
		t.Errorf("report:\n%s", all)
	}
}

// TestCommandHelp: every command's -h is short, on stdout, and not an
// error; a wrong flag names itself and where the flags are listed.
func TestCommandHelp(t *testing.T) {
	for _, cmd := range []string{"ask", "search", "eval", "index", "qa", "serve", "report", "config", "health", "invite"} {
		out, _, err := runCLI(t, nil, cmd, "-h")
		if err != nil {
			t.Errorf("%s -h: %v", cmd, err)
		}
		if !strings.HasPrefix(out, "Usage:\n  footnote "+cmd) || strings.Count(out, "\n") > 40 {
			t.Errorf("%s -h: %d lines:\n%s", cmd, strings.Count(out, "\n"), out)
		}
		if cmd != "health" && cmd != "invite" && strings.Contains(out, "--weaviate-url") && cmd != "serve" {
			t.Errorf("%s -h lists settings it does not use:\n%s", cmd, out)
		}
	}
	_, _, err := runCLI(t, nil, "ask", "--bogus", "q")
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-bogus") || !strings.Contains(err.Error(), "footnote ask -h") {
		t.Errorf("ask --bogus: %v", err)
	}
}
