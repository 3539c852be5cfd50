package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/synth"
	"github.com/footnote-bot/footnote/retrieval"
)

// BenchmarkServeIdleRSS runs `footnote serve --index FILE` as its own
// process over a synthetic corpus (FOOTNOTE_BENCH_PASSAGES, default 1M)
// against the in-process Discord, answers one /ask, and then reads the
// process's resident memory from /proc: issue 18's target is idle RSS ≤
// the index file's size + 100 MB. File-backed pages (the mapped index,
// the binary) are reported apart from anonymous ones (the heap).
func BenchmarkServeIdleRSS(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("FOOTNOTE_BENCH_PASSAGES")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	docs, questions := synth.Corpus(n, 1)
	ix, err := retrieval.Build(docs, retrieval.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	docs = nil
	indexFile := filepath.Join(dir, "synthetic.idx")
	if err := ix.Save(indexFile); err != nil {
		b.Fatal(err)
	}
	ix = nil
	st, err := os.Stat(indexFile)
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "footnote")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for i := 0; i < b.N; i++ {
		d := discordtest.New(b, discordtest.Options{})
		cmd := exec.Command(bin, "serve", "--index", indexFile)
		cmd.Env = append(os.Environ(), "DISCORD_TOKEN="+discordtest.Token, "FOOTNOTE_DISCORD_API_URL="+d.APIURL(),
			"FOOTNOTE_DATA_DIR="+filepath.Join(dir, fmt.Sprint("data", i)), "FOOTNOTE_WATCH=false")
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("serve%d.log", i)))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		stop := func() {
			cmd.Process.Kill()
			cmd.Wait()
			logf.Close()
		}
		fail := func(format string, a ...any) {
			stop()
			log, _ := os.ReadFile(logf.Name())
			b.Fatalf(format+"; serve's log:\n%s", append(a, log)...)
		}
		if !d.WaitIdentified(1, 2*time.Minute) {
			fail("serve never identified")
		}
		if _, ok := d.WaitCall(time.Minute, func(c discordtest.Call) bool { return c.Method == "PUT" }); !ok {
			fail("commands never registered")
		}
		ready := time.Since(start)
		id := "1700000000000000001"
		d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(id, "tok-rss", "1500000000000000001", questions[0]))
		if _, ok := d.WaitCall(time.Minute, func(c discordtest.Call) bool {
			return (strings.Contains(c.Path, "/interactions/"+id+"/") && strings.HasSuffix(c.Path, "/callback") && !strings.Contains(string(c.Body), `"type":5`)) ||
				strings.Contains(c.Path, "/webhooks/") && strings.Contains(c.Path, "tok-rss")
		}); !ok {
			fail("the question was not answered")
		}
		rss := childStatus(b, cmd.Process.Pid)
		stop()
		limit := st.Size() + 100<<20
		b.ReportMetric(float64(rss["VmRSS"])/(1<<20), "RSS-MiB")
		b.ReportMetric(float64(rss["RssAnon"])/(1<<20), "anon-MiB")
		b.ReportMetric(float64(rss["RssFile"])/(1<<20), "file-MiB")
		b.ReportMetric(float64(rss["VmHWM"])/(1<<20), "peak-MiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "index-MiB")
		b.Logf("serve --index over %d passages (file %.1f MiB): ready in %s; after one answer RSS %.1f MiB (anonymous %.1f, file-backed %.1f), peak %.1f MiB; target ≤ %.1f MiB (file + 100 MB): %v",
			n, float64(st.Size())/(1<<20), ready.Round(time.Millisecond), float64(rss["VmRSS"])/(1<<20), float64(rss["RssAnon"])/(1<<20),
			float64(rss["RssFile"])/(1<<20), float64(rss["VmHWM"])/(1<<20), float64(limit)/(1<<20), rss["VmRSS"] <= limit)
	}
}

// childStatus reads the memory fields of /proc/PID/status, in bytes.
func childStatus(b *testing.B, pid int) map[string]int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc/PID/status:", err)
	}
	defer f.Close()
	out := map[string]int64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64)
		if err == nil {
			out[k] = kb << 10
		}
	}
	return out
}
