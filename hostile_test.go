package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
	"github.com/footnote-bot/footnote/guide"
	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/hostile"
)

// sandboxChildEnv makes this test binary a sandbox's child (TestMain).
const sandboxChildEnv = "FOOTNOTE_TEST_SANDBOX_CHILD=1"

// TestMain runs the tests, or, started by a sandbox whose Env is
// sandboxChildEnv, is footnote itself: run with the child's command line
// (footnote internal-parse), as main would.
func TestMain(m *testing.M) {
	if k, v, _ := strings.Cut(sandboxChildEnv, "="); os.Getenv(k) != v {
		os.Exit(m.Run())
	}
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "footnote:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// BenchmarkHostileFiles is issue 14's hostile-file run. footnote serve runs
// as main wires it (configuration from the environment, the library and its
// file watcher on a temporary corpus folder, every article file parsed in
// the sandbox's children, which are this binary as footnote internal-parse)
// against the in-process Discord, while FOOTNOTE_HOSTILE_N /ask
// interactions (default 500) are dispatched at FOOTNOTE_HOSTILE_RATE a
// second (default 20). Meanwhile the hostile files (the three tiny PDFs,
// the FlateDecode bomb, the 5 MiB HTML formatting bomb) are dropped into
// the watched folder and each uploaded with /ingest file: from the fake's
// attachment server on loopback, and an admin runs /reload halfway through
// and again at the end. Settings other than the defaults:
// ingest_attachment_hosts 127.0.0.1 and ingest_allow_private (the
// attachments are on loopback), answer_cache_ttl 0 (every question is
// answered from the index) and guild_concurrency 1000 (see below); the fake
// Discord does not validate against the spec, as in the load benchmarks.
//
// It fails unless every question is answered (an answer observed in the
// interaction's callback or its final edit), every hostile file is named
// with its reason in a "skipped article file" log line and in its /ingest
// reply, the sound one (page-is-its-own-parent.pdf) is served, both
// /reloads answer, this process's peak RSS (VmHWM) is under 300 MB, and
// so is footnote's in all: this process and its parsing children together,
// sampled every 10 ms. The largest child's peak RSS is reported.
//
//	go test . -run '^$' -bench HostileFiles -benchtime 1x
func BenchmarkHostileFiles(b *testing.B) {
	n := hostileEnvInt("FOOTNOTE_HOSTILE_N", 500)
	rate := hostileEnvInt("FOOTNOTE_HOSTILE_RATE", 20)
	files := append(hostile.PDFs(), hostile.FlateBombFile(), hostile.FormattingBombFile())
	for range b.N {
		hostileRun(b, n, rate, files)
	}
}

func hostileRun(b *testing.B, n, rate int, files []hostile.File) {
	corpusDir, dataDir := b.TempDir(), b.TempDir()
	writeGuide(b, corpusDir)
	d := discordtest.New(b, discordtest.Options{SkipValidation: true})
	logs := newLogTap()
	env := map[string]string{
		"DISCORD_TOKEN":             discordtest.Token,
		"FOOTNOTE_DISCORD_API_URL":  d.APIURL(),
		"FOOTNOTE_DISCORD_GUILD_ID": discordtest.GuildID,
		"FOOTNOTE_CORPUS":           corpusDir,
		"FOOTNOTE_DATA_DIR":         dataDir,
		"FOOTNOTE_LOG_FORMAT":       "json",
		"FOOTNOTE_LOG_LEVEL":        "info",
		// Uploads come from the fake's attachment server on loopback.
		"FOOTNOTE_INGEST_ATTACHMENT_HOSTS": "127.0.0.1",
		"FOOTNOTE_INGEST_ALLOW_PRIVATE":    "true",
		// Every question is answered from the index, not from the cache.
		"FOOTNOTE_ANSWER_CACHE_TTL": "0",
		// The per-guild cap (default 4 at once) is flood control: all the
		// questions come from one guild, and at 20/s on a busy 2-core
		// machine a stall of 200 ms, hostile files or not, has 4 in
		// flight and refuses the next one ("answering several questions").
		// As in the load benchmarks, it is out of the way; a slow answer
		// shows in the latency instead.
		"FOOTNOTE_GUILD_CONCURRENCY": "1000",
	}
	// The sandbox as main installs it; its children are this binary.
	exe, err := selfExecutable()
	if err != nil {
		b.Skip("no executable to run as the sandbox's child:", err)
	}
	sandbox := corpus.NewSandbox(exe, corpus.SandboxCommand)
	sandbox.Env = []string{sandboxChildEnv}
	ctx, cancel := context.WithCancel(corpus.WithParser(context.Background(), sandbox))
	defer cancel()
	// The fake Discord's spec and the files built are the harness's: the
	// peak of the run is measured from here (VmHWM reset, where Linux
	// allows it), the process's over its whole life.
	runtime.GC()
	debug.FreeOSMemory()
	hwmSetup := procStatus(b, "VmHWM")
	resetHWM := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	rssStart := procStatus(b, "VmRSS")
	whole := watchRSS()
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	if !d.WaitIdentified(1, time.Minute) {
		b.Fatalf("serve never identified; logs:\n%s", logs.text())
	}
	if _, ok := d.WaitCall(time.Minute, func(c discordtest.Call) bool { return c.Method == "PUT" }); !ok {
		b.Fatal("commands never registered")
	}
	rssServing := procStatus(b, "VmRSS")

	questions := []string{"How do I reload the articles?", "What is footnote?", "Which intent do mentions need?",
		"How do I use my own articles?", "What does Show quotes do?", "What does footnote log?",
		"Which article formats are supported?", "How do I set the Discord token?", "Does footnote need an OpenAI key?",
		"How do I invite the bot to my server?"}
	// What happens while the questions are dispatched, by question number:
	// at n/10 the files are dropped into the watched folder; then, every
	// n/25 questions, a hostile file is uploaded. The sound file's upload
	// (which rebuilds the index) waits until the watcher's reload has named
	// every hostile file, so the names in the log are the watcher's; the
	// /reload, at n/2 or later, waits for that upload.
	var bad, sound []hostile.File
	for _, f := range files {
		if f.Reason != "" {
			bad = append(bad, f)
		} else {
			sound = append(sound, f)
		}
	}
	drop, every := n/10, max(n/25, 1)
	var uploads, reloads []admin
	namedByWatcher := func() bool {
		for _, f := range bad {
			if _, ok := logs.find(skippedIn(corpusDir, f.Name)); !ok {
				return false
			}
		}
		return true
	}
	type asked struct {
		id, token string
		at        time.Time
	}
	asks := make([]asked, n)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	start := time.Now()
	next := drop + every // the next upload's question number
	for j := range n {
		<-tick.C
		switch {
		case j == drop:
			dropFiles(b, corpusDir, files)
		case j >= next && len(uploads) < len(bad):
			uploads = append(uploads, ingestFile(d, bad[len(uploads)]))
			next = j + every
		case j >= next && len(uploads) < len(files) && namedByWatcher():
			uploads = append(uploads, ingestFile(d, sound[len(uploads)-len(bad)]))
			next = j + every
		case j >= n/2 && len(reloads) == 0 && len(uploads) == len(files):
			reloads = append(reloads, reload(d))
		}
		id := discordtest.Snowflake()
		asks[j] = asked{id: id, token: "tok-" + id, at: time.Now()}
		d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(id, asks[j].token, strconv.Itoa(1500000000000000000+j), questions[j%len(questions)]))
	}
	tick.Stop()

	// Every question's answer: the callback, or the final edit of a
	// deferred one.
	var lat []time.Duration
	var unanswered []string
	last := start
	for j, a := range asks {
		c, ok := d.WaitCall(time.Minute, func(c discordtest.Call) bool { return answerCall(c, a.id, a.token) })
		if !ok || !hasEmbed(c) {
			unanswered = append(unanswered, fmt.Sprintf("#%d %q: %s", j, questions[j%len(questions)], c.Body))
			continue
		}
		lat = append(lat, c.At.Sub(a.at))
		last = later(last, c.At)
	}
	wall := last.Sub(start)
	deferred := 0
	for _, c := range d.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/callback") && strings.HasPrefix(c.Path, "/api/v10/interactions/") && c.JSON()["type"] == 5.0 {
			id := strings.Split(c.Path, "/")[4]
			if slices.ContainsFunc(asks, func(a asked) bool { return a.id == id }) {
				deferred++
			}
		}
	}
	abstained := logs.count(func(r record) bool { return r.str("msg") == "question answered" && r["abstained"] == true })

	// Every upload's reply, and every hostile file named in the log.
	var problems []string
	for k := range uploads {
		u := &uploads[k]
		adminReply(d, u)
		switch {
		case u.file.Reason == "" && !strings.HasPrefix(u.reply, "Added"):
			problems = append(problems, fmt.Sprintf("/ingest %s: %q, want it added", u.file.Name, u.reply))
		case u.file.Reason != "" && (!strings.HasPrefix(u.reply, "Not added: "+u.file.Name+": ") || !strings.Contains(u.reply, u.file.Reason)):
			problems = append(problems, fmt.Sprintf("/ingest %s: %q, want \"Not added\" naming it, with %q", u.file.Name, u.reply, u.file.Reason))
		}
	}
	skipped := map[string]string{} // file → the watcher's reason
	for _, f := range bad {
		r, ok := logs.wait(time.Minute, skippedIn(corpusDir, f.Name))
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: no \"skipped article file\" log line names it", f.Name))
		case !strings.Contains(r.str("reason"), f.Reason):
			problems = append(problems, fmt.Sprintf("%s skipped with %q, want %q", f.Name, r.str("reason"), f.Reason))
		}
		skipped[f.Name] = r.str("reason")
	}
	if len(uploads) < len(files) || len(reloads) == 0 {
		problems = append(problems, fmt.Sprintf("by the last question, %d of %d files uploaded and %d /reload: the watcher had not named every hostile file", len(uploads), len(files), len(reloads)))
	}

	// /reload, halfway and after the run, and the sound PDF served.
	reloads = append(reloads, reload(d))
	for k := range reloads {
		adminReply(d, &reloads[k])
		if want := fmt.Sprintf("(%d files skipped, see the log)", len(bad)); !strings.HasPrefix(reloads[k].reply, "Reloaded: ") || !strings.Contains(reloads[k].reply, want) {
			problems = append(problems, fmt.Sprintf("/reload %d: %q, want \"Reloaded: … %s\"", k+1, reloads[k].reply, want))
		}
	}
	wid := discordtest.Snowflake()
	d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(wid, "tok-"+wid, "1599999999999999999", "When are widgets serviced?"))
	if c, ok := d.WaitCall(time.Minute, func(c discordtest.Call) bool { return answerCall(c, wid, "tok-"+wid) }); !ok || !strings.Contains(string(c.Body), "serviced every spring") {
		problems = append(problems, fmt.Sprintf("page-is-its-own-parent.pdf not answered from: %s", c.Body))
	}

	cancel()
	if err := <-served; err != nil {
		b.Errorf("serve: %v", err)
	}
	sandbox.Close()
	total, most := whole.stop()
	hwmRun := procStatus(b, "VmHWM")
	hwm := max(hwmSetup, hwmRun)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	child := int64(ru.Maxrss) << 10 // KiB on Linux

	slices.Sort(lat)
	p50, p99 := pct(lat, 50), pct(lat, 99)
	b.ReportMetric(float64(len(lat)), "answered")
	b.ReportMetric(float64(len(skipped)), "skipped")
	b.ReportMetric(float64(hwm)/1e6, "peak-RSS-MB")
	b.ReportMetric(float64(child)/1e6, "child-peak-RSS-MB")
	b.ReportMetric(float64(total)/1e6, "all-peak-RSS-MB")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	fmt.Fprintf(os.Stderr, "hostile files: %d /ask at %d/s: %d answered (%d abstained, %d deferred), dispatch→answer p50 %s p99 %s, %s from the first dispatch to the last answer\n",
		n, rate, len(lat), abstained, deferred, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), wall.Round(100*time.Millisecond))
	for _, f := range files {
		verdict := "served"
		if f.Reason != "" {
			verdict = "skipped: " + skipped[f.Name]
		}
		fmt.Fprintf(os.Stderr, "  %-26s %9d bytes  watched folder: %s\n", f.Name, len(f.Data), verdict)
	}
	for _, u := range uploads {
		fmt.Fprintf(os.Stderr, "  /ingest %-26s %6s  %s\n", u.file.Name, u.took.Round(time.Millisecond), u.reply)
	}
	for k, r := range reloads {
		fmt.Fprintf(os.Stderr, "  /reload %d %6s  %s\n", k+1, r.took.Round(time.Millisecond), r.reply)
	}
	during := "not measured apart (VmHWM could not be reset)"
	if resetHWM {
		during = fmt.Sprintf("%.1f MB during the run (from %.1f MB before serve started, %.1f MB once it served)",
			float64(hwmRun)/1e6, float64(rssStart)/1e6, float64(rssServing)/1e6)
	}
	fmt.Fprintf(os.Stderr, "  peak RSS: this process %.1f MB over its life (%.1f MB setting up the harness), %s; largest child %.1f MB\n",
		float64(hwm)/1e6, float64(hwmSetup)/1e6, during, float64(child)/1e6)
	fmt.Fprintf(os.Stderr, "  footnote in all (this process and its children's own memory, sampled every 10 ms): peak %.1f MB, up to %d children at once\n",
		float64(total)/1e6, most)
	fmt.Fprintf(os.Stderr, "  %d rebuilds (watcher, /ingest, /reload), %d hostile files skipped in all\n",
		logs.count(func(r record) bool { return r.str("msg") == "articles reloaded" }),
		logs.count(func(r record) bool { return r.str("msg") == "skipped article file" }))

	for _, u := range unanswered[:min(len(unanswered), 10)] {
		b.Errorf("unanswered: %s", u)
	}
	for _, p := range problems {
		b.Error(p)
	}
	if len(unanswered) > 0 || abstained > 0 {
		b.Fatalf("%d of %d questions unanswered, %d abstained", len(unanswered), n, abstained)
	}
	if len(problems) > 0 {
		b.Fatalf("%d hostile files or reloads not handled as they should be", len(problems))
	}
	if hwm >= 300e6 {
		b.Fatalf("peak RSS %.1f MB, want under 300 MB", float64(hwm)/1e6)
	}
	if total >= 300e6 {
		b.Fatalf("footnote in all (this process and its children) peaked at %.1f MB, want under 300 MB", float64(total)/1e6)
	}
}

// writeGuide writes the built-in guide's articles into dir: the sound
// corpus the questions are answered from.
func writeGuide(b *testing.B, dir string) {
	err := fs.WalkDir(guide.FS, guide.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := fs.ReadFile(guide.FS, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// dropFiles puts files into the watched folder as a copy tool does: each
// written beside under a hidden name, then renamed in.
func dropFiles(b *testing.B, dir string, files []hostile.File) {
	for _, f := range files {
		tmp := filepath.Join(dir, "."+f.Name+".tmp")
		if err := os.WriteFile(tmp, f.Data, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.Name)); err != nil {
			b.Fatal(err)
		}
	}
}

// skippedIn matches the log line that skips the file named name in dir.
func skippedIn(dir, name string) func(record) bool {
	return func(r record) bool {
		return r.str("msg") == "skipped article file" && r.str("file") == filepath.Join(dir, name)
	}
}

// admin is an admin command dispatched, and its reply.
type admin struct {
	file      hostile.File // for /ingest
	id, token string
	at        time.Time
	reply     string
	took      time.Duration
}

const adminUser = "1500000000000000001"

func adminInteraction(name string, options []any, resolved map[string]any) (admin, map[string]any) {
	id := discordtest.Snowflake()
	a := admin{id: id, token: "tok-" + id}
	m := discordtest.AskInteraction(id, a.token, adminUser, "")
	data := map[string]any{"id": "1", "name": name, "type": 1}
	if options != nil {
		data["options"], data["resolved"] = options, resolved
	}
	m["data"] = data
	m["member"].(map[string]any)["permissions"] = "32" // Manage Server
	return a, m
}

// ingestFile uploads f to the fake's attachment server and dispatches
// /ingest file: with it.
func ingestFile(d *discordtest.Server, f hostile.File) admin {
	attID := discordtest.Snowflake()
	att := d.AddAttachment(attID, f.Name, "application/octet-stream", f.Data)
	a, m := adminInteraction("ingest", []any{map[string]any{"name": "file", "type": 11, "value": attID}},
		map[string]any{"attachments": map[string]any{attID: att}})
	a.file, a.at = f, time.Now()
	d.Dispatch("INTERACTION_CREATE", m)
	return a
}

func reload(d *discordtest.Server) admin {
	a, m := adminInteraction("reload", nil, nil)
	a.at = time.Now()
	d.Dispatch("INTERACTION_CREATE", m)
	return a
}

// adminReply waits for an admin command's reply (the edit of its deferred
// response, or an immediate one) and records it in a.
func adminReply(d *discordtest.Server, a *admin) {
	c, ok := d.WaitCall(2*time.Minute, func(c discordtest.Call) bool {
		if c.Method == "PATCH" && c.Status == 200 && strings.Contains(c.Path, "/"+a.token+"/messages/@original") {
			return true
		}
		return c.Method == "POST" && c.Path == "/api/v10/interactions/"+a.id+"/"+a.token+"/callback" && c.JSON()["type"] == 4.0
	})
	if !ok {
		a.reply = "(no reply after 2 minutes)"
		return
	}
	a.took = c.At.Sub(a.at)
	m := c.JSON()
	if data, ok := m["data"].(map[string]any); ok {
		m = data
	}
	a.reply, _ = m["content"].(string)
}

// answerCall reports whether c is what answers the interaction: its
// callback, unless that defers it, or the edit of its deferred response.
func answerCall(c discordtest.Call, id, token string) bool {
	switch {
	case c.Method == "POST" && c.Path == "/api/v10/interactions/"+id+"/"+token+"/callback":
		return c.JSON()["type"] != 5.0 // 5: deferred, the answer comes as an edit
	case c.Method == "PATCH" && c.Status == 200 && strings.Contains(c.Path, "/"+token+"/messages/@original"):
		return true
	}
	return false
}

// hasEmbed reports whether a callback or an edit carries an answer (an
// embed), not a refusal.
func hasEmbed(c discordtest.Call) bool {
	m := c.JSON()
	if data, ok := m["data"].(map[string]any); ok {
		m = data
	}
	es, _ := m["embeds"].([]any)
	return len(es) > 0
}

// procStatus is a field of /proc/self/status, in bytes.
func procStatus(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("%s: %v", field, err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// rssWatch samples the resident memory of this process and its children
// together (a sandbox's children come and go) until stopped.
type rssWatch struct {
	done chan struct{}
	peak chan [2]int64
}

func watchRSS() rssWatch {
	w := rssWatch{done: make(chan struct{}), peak: make(chan [2]int64)}
	go func() {
		var peak, most int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			kids := children()
			sum, _ := resident("self")
			for _, pid := range kids {
				// A child runs this binary: its text is this
				// process's, counted once.
				all, shared := resident(pid)
				sum += all - shared
			}
			peak, most = max(peak, sum), max(most, int64(len(kids)))
			select {
			case <-w.done:
				w.peak <- [2]int64{peak, most}
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watch: the peak of the sum, in bytes, and the most
// children seen at once.
func (w rssWatch) stop() (peak int64, children int) {
	close(w.done)
	p := <-w.peak
	return p[0], int(p[1])
}

// children are the IDs of this process's child processes, from every
// thread's list.
func children() []string {
	lists, _ := filepath.Glob("/proc/self/task/*/children")
	var out []string
	for _, l := range lists {
		data, _ := os.ReadFile(l)
		out = append(out, strings.Fields(string(data))...)
	}
	return out
}

// resident is a process's resident memory, and the part of it shared
// with other processes (file pages, its executable's among them), in
// bytes; 0 once it is gone.
func resident(pid string) (all, shared int64) {
	data, err := os.ReadFile("/proc/" + pid + "/statm")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return 0, 0
	}
	r, _ := strconv.ParseInt(f[1], 10, 64)
	sh, _ := strconv.ParseInt(f[2], 10, 64)
	page := int64(os.Getpagesize())
	return r * page, sh * page
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func hostileEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// record is one JSON log line.
type record map[string]any

func (r record) str(k string) string { s, _ := r[k].(string); return s }

// logTap is serve's log output: the JSON lines it writes, decoded, with a
// signal for those waiting on a line.
type logTap struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	records []record
	changed chan struct{} // closed and replaced at each record
}

func newLogTap() *logTap { return &logTap{changed: make(chan struct{})} }

func (l *logTap) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := slices.Index(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		var r record
		if json.Unmarshal([]byte(line), &r) == nil {
			l.records = append(l.records, r)
		}
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

func (l *logTap) count(match func(record) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if match(r) {
			n++
		}
	}
	return n
}

// find returns the first record that matches, if one has been logged.
func (l *logTap) find(match func(record) bool) (record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if match(r) {
			return r, true
		}
	}
	return nil, false
}

// wait returns the first record that matches, waiting for it to be logged.
func (l *logTap) wait(timeout time.Duration, match func(record) bool) (record, bool) {
	deadline := time.After(timeout)
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.records); seen++ {
			if match(l.records[seen]) {
				r := l.records[seen]
				l.mu.Unlock()
				return r, true
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return nil, false
		}
	}
}

func (l *logTap) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
