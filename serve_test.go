package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
)

// serveWait bounds the waits for what serve does (identify, answer, report
// a metric): they return as soon as it happens, so a long bound costs a
// passing test nothing and keeps a loaded machine (-race, packages in
// parallel) from failing it.
const serveWait = time.Minute

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeEndToEnd runs the whole program (`footnote serve`) against the
// in-process Discord: configuration from the environment, the real bot,
// an /ask answered, SIGTERM (context cancel) shuts it down cleanly, and the
// token never appears in the logs.
func TestServeEndToEnd(t *testing.T) {
	d := discordtest.New(t, discordtest.Options{})
	addr := freeAddr(t)
	env := map[string]string{
		"FOOTNOTE_HTTP_ADDR":        addr,
		"FOOTNOTE_DATA_DIR":         t.TempDir(),
		"DISCORD_TOKEN":             discordtest.Token,
		"FOOTNOTE_DISCORD_API_URL":  d.APIURL(),
		"FOOTNOTE_DISCORD_GUILD_ID": discordtest.GuildID,
		"FOOTNOTE_LOG_FORMAT":       "json",
		"FOOTNOTE_LOG_LEVEL":        "debug",
		"FOOTNOTE_LLM_API_KEY":      "sk-should-never-be-logged",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), &out, logs, func(k string) string { return env[k] })
	}()
	if !d.WaitIdentified(1, serveWait) {
		cancel()
		t.Fatalf("never identified; logs:\n%s", logs.String())
	}
	m := discordtest.AskInteraction(discordtest.Snowflake(), "tok-e2e", "1500000000000000001", "How do I reload the articles?")
	d.Dispatch("INTERACTION_CREATE", m)
	c, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool { return strings.HasSuffix(c.Path, "/tok-e2e/callback") })
	if !ok || !strings.Contains(string(c.Body), "/reload") {
		t.Errorf("no answer: %s", c.Body)
	}
	// /metrics after the answer shows the counters moved; /readyz is ready.
	scrape := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(serveWait)
	var body string
	for time.Now().Before(deadline) {
		_, body = scrape("/metrics")
		if strings.Contains(body, `footnote_questions_total{command="ask",outcome="answered"} 1`) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		`footnote_questions_total{command="ask",outcome="answered"} 1`,
		`footnote_answer_seconds_count{command="ask"} 1`,
		`footnote_retrieval_seconds_count 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^footnote_index_passages [1-9][0-9]*$`).MatchString(body) {
		t.Error("/metrics lacks the index size")
	}
	if code, _ := scrape("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := scrape("/readyz"); code != 200 {
		t.Errorf("/readyz = %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(serveWait):
		t.Fatal("serve did not stop")
	}
	l := logs.String()
	for _, secret := range []string{discordtest.Token, "sk-should-never-be-logged"} {
		if strings.Contains(l, secret) {
			t.Errorf("secret %q in logs", secret)
		}
	}
	if !strings.Contains(l, `"msg":"question answered"`) || !strings.Contains(l, `"interaction":`) || !strings.Contains(l, `"backend":"template"`) {
		t.Errorf("answered question not logged with its details:\n%s", l)
	}
	// README's walk-through shows what a healthy start logs: those
	// messages, in any order (READY and Open race).
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)A healthy start logs.*?```text\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no healthy-start log block")
	}
	for _, m := range regexp.MustCompile(`msg=("[^"]*"|\S+)`).FindAllSubmatch(block[1], -1) {
		msg := strings.Trim(string(m[1]), `"`)
		if !strings.Contains(l, `"msg":"`+msg+`"`) {
			t.Errorf("README's healthy start shows %q, which serve did not log:\n%s", msg, l)
		}
	}
	if !strings.Contains(l, `"invite":"https://discord.com/oauth2/authorize?client_id=`) {
		t.Error("the invite URL is not logged at ready")
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeNeedsToken(t *testing.T) {
	_, _, err := runCLI(t, nil, "serve")
	if err == nil || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
		t.Errorf("err = %v", err)
	}
}

// TestServeFromIndexFile serves an index file written by 'footnote index'
// (no corpus given) and refuses a corrupt one, naming it.
func TestServeFromIndexFile(t *testing.T) {
	dir := t.TempDir()
	articles := filepath.Join(dir, "articles")
	os.Mkdir(articles, 0o755)
	os.WriteFile(filepath.Join(articles, "widgets.md"), []byte("# Widgets\n\nWidgets are polished with beeswax every spring.\n"), 0o644)
	idx := filepath.Join(dir, "w.idx")
	if out, _, err := runCLI(t, nil, "index", "--corpus", articles, "--out", idx); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	d := discordtest.New(t, discordtest.Options{})
	env := map[string]string{
		"FOOTNOTE_DATA_DIR":         t.TempDir(),
		"DISCORD_TOKEN":             discordtest.Token,
		"FOOTNOTE_DISCORD_API_URL":  d.APIURL(),
		"FOOTNOTE_DISCORD_GUILD_ID": discordtest.GuildID,
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--index", idx}, strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
	}()
	if !d.WaitIdentified(1, serveWait) {
		cancel()
		t.Fatalf("never identified; logs:\n%s", logs.String())
	}
	d.Dispatch("INTERACTION_CREATE", discordtest.AskInteraction(discordtest.Snowflake(), "tok-idx", "1500000000000000001", "What are widgets polished with?"))
	c, ok := d.WaitCall(serveWait, func(c discordtest.Call) bool { return strings.HasSuffix(c.Path, "/tok-idx/callback") })
	if !ok || !strings.Contains(string(c.Body), "beeswax") {
		t.Errorf("not answered from the index file: %s", c.Body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	data, _ := os.ReadFile(idx)
	data[len(data)/2] ^= 0xff
	os.WriteFile(idx, data, 0o644)
	err := run(context.Background(), []string{"serve", "--index", idx}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("serve with a corrupt index: %v", err)
	}
}
