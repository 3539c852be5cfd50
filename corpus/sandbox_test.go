package corpus

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/hostile"
)

// sandboxChildEnv makes the test binary a Sandbox child (TestMain).
const sandboxChildEnv = "CORPUS_TEST_SANDBOX_CHILD=1"

// TestMain runs the tests, or, started by testSandbox, serves as a
// Sandbox's child: ServeSandbox's loop with a parser that, besides parsing
// as ServeSandbox does, misbehaves on demand the ways the meter cannot
// stop: spin.txt loops without reading, hog.txt holds memory without
// reading, crash.txt panics in a goroutine of its own.
func TestMain(m *testing.M) {
	if os.Getenv("CORPUS_TEST_SANDBOX_CHILD") != "1" {
		os.Exit(m.Run())
	}
	err := serveSandbox(context.Background(), os.Stdin, os.Stdout, os.Stderr, func(ctx context.Context, req *sandboxRequest) ([]Document, error) {
		switch req.Name {
		case "spin.txt":
			for n := 0; ; n++ {
				spins = n
			}
		case "hog.txt":
			var hold [][]byte
			for {
				hold = append(hold, make([]byte, 1<<20))
				for i := 0; i < len(hold[len(hold)-1]); i += 4096 {
					hold[len(hold)-1][i] = 1
				}
			}
		case "crash.txt":
			go panic("the parser's goroutine gave up")
			select {}
		}
		return ParseLocal(ctx, req.ID, req.Name, req.Data, Options{MaxPassageWords: req.MaxPassageWords, Budget: req.Budget, firstLine: req.FirstLine})
	})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(0)
}

// spins is what the spinning parser writes, so that its loop is a loop.
var spins int

// testSandbox is a Sandbox whose children are this test binary.
func testSandbox(t *testing.T) *Sandbox {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skip("no executable to run as the sandbox's child:", err)
	}
	s := NewSandbox(exe)
	s.Env = []string{sandboxChildEnv}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSandboxParsesAsLocal: files parsed in the sandbox are the documents
// parsed here, and a child serves file after file.
func TestSandboxParsesAsLocal(t *testing.T) {
	s := testSandbox(t)
	local, err := LoadPaths(context.Background(), []string{"testdata/good", "testdata/docs", "testdata/pdf"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sandboxed, err := LoadPaths(WithParser(context.Background(), s), []string{"testdata/good", "testdata/docs", "testdata/pdf"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := renderDocs(sandboxed.Documents), renderDocs(local.Documents); got != want {
		t.Errorf("sandboxed load differs from the local one:\n%s\nwant\n%s", got, want)
	}
	if len(sandboxed.Documents) < 5 {
		t.Errorf("loaded %d documents", len(sandboxed.Documents))
	}
	s.mu.Lock()
	idle := len(s.idle)
	s.mu.Unlock()
	if idle != 1 {
		t.Errorf("%d children wait after a load, want the one that parsed every file", idle)
	}
}

// TestSandboxStopsWhatTheMeterCannot: a parser that spins without reading,
// holds memory without reading, or crashes its process is stopped and
// named; the next file gets a new child.
func TestSandboxStopsWhatTheMeterCannot(t *testing.T) {
	s := testSandbox(t)
	tests := []struct {
		name   string
		budget Budget
		reason string
		over   bool
	}{
		{"spin.txt", Budget{Timeout: 500 * time.Millisecond}, "parsing took over 500ms; the parser was stopped", true},
		{"hog.txt", Budget{MaxMemory: 64 << 20}, "parsing used over 64 MiB of memory; the parser was stopped", true},
		{"crash.txt", Budget{}, "the parser crashed: panic: the parser's goroutine gave up", false},
	}
	for _, tt := range tests {
		_, err := s.ParseFile(context.Background(), "x", tt.name, []byte("text"), Options{Budget: tt.budget})
		if err == nil || !strings.Contains(err.Error(), tt.reason) || errors.Is(err, ErrOverBudget) != tt.over {
			t.Errorf("%s: error = %v, want %q (over budget: %v)", tt.name, err, tt.reason, tt.over)
		}
		docs, err := s.ParseFile(context.Background(), "ok", "ok.md", []byte("# OK\n\nFine.\n"), Options{})
		if err != nil || len(docs) != 1 {
			t.Errorf("after %s: the next file: %v %v", tt.name, docs, err)
		}
	}
}

// TestSandboxHostileFiles: the hostile files of issue 14, parsed in the
// sandbox, end as they end here.
func TestSandboxHostileFiles(t *testing.T) {
	s := testSandbox(t)
	ctx := WithParser(context.Background(), s)
	for _, h := range append(hostilePDFs(), hostile.FlateBombFile()) {
		docs, err := Parse(ctx, "x", h.Name, h.Data, Options{})
		switch {
		case h.Reason == "":
			if err != nil || len(docs) != 1 || !strings.Contains(docs[0].Passages[0].Text, h.Text) {
				t.Errorf("%s: %v %v, want its text", h.Name, docs, err)
			}
		case err == nil || !strings.Contains(err.Error(), h.Reason) || errors.Is(err, ErrOverBudget) != h.OverBudget:
			t.Errorf("%s: error = %v, want %q", h.Name, err, h.Reason)
		}
	}
	_, err := Parse(ctx, "x", "bomb.html", formattingBomb(200<<10), Options{Budget: Budget{MaxMemory: 32 << 20}})
	if !errors.Is(err, ErrOverBudget) {
		t.Errorf("the HTML bomb: %v, want over budget", err)
	}
}

// TestSandboxMaxChildren: a parse beyond MaxChildren waits for its turn,
// gives up when its context ends, and has its turn once a slot is free.
func TestSandboxMaxChildren(t *testing.T) {
	s := testSandbox(t)
	s.MaxChildren = 1
	sent := make(chan struct{})
	s.afterSend = func() { close(sent) }
	spinCtx, stopSpin := context.WithCancel(context.Background())
	defer stopSpin()
	first := make(chan error, 1)
	go func() {
		_, err := s.ParseFile(spinCtx, "x", "spin.txt", []byte("text"), Options{})
		first <- err
	}()
	<-sent // the only slot's child is spinning
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ParseFile(ctx, "ok", "ok.md", []byte("# OK\n\nFine.\n"), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("a parse waiting for its turn, cancelled: %v", err)
	}
	stopSpin()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the spinning parse, cancelled: %v", err)
	}
	s.afterSend = nil
	if docs, err := s.ParseFile(context.Background(), "ok", "ok.md", []byte("# OK\n\nFine.\n"), Options{}); err != nil || len(docs) != 1 {
		t.Errorf("a parse once the slot is free: %v %v", docs, err)
	}
}

// TestSandboxCancel: a parse whose context ends while the child parses
// returns at once with the context's error; the child is killed.
func TestSandboxCancel(t *testing.T) {
	s := testSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	s.afterSend = cancel
	_, err := s.ParseFile(ctx, "x", "spin.txt", []byte("text"), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled parse: %v, want context.Canceled", err)
	}
	s.mu.Lock()
	idle := len(s.idle)
	s.mu.Unlock()
	if idle != 0 {
		t.Errorf("%d children kept after a cancelled parse", idle)
	}
	s.afterSend = nil
	if docs, err := s.ParseFile(context.Background(), "ok", "ok.md", []byte("# OK\n\nFine.\n"), Options{}); err != nil || len(docs) != 1 {
		t.Errorf("after the cancelled parse: %v %v", docs, err)
	}
}

// TestSandboxRemembersRefusals: a file the children refused for what it
// holds is refused again, with the same reason, without a child; the same
// bytes under another budget, changed bytes and sound files are parsed.
func TestSandboxRemembersRefusals(t *testing.T) {
	s := testSandbox(t)
	sent := 0
	s.afterSend = func() { sent++ } // ParseFile's calls are sequential here
	ctx := WithParser(context.Background(), s)
	count := hostilePDFs()[2] // count-9999999999999.pdf
	if !strings.Contains(count.Name, "count") {
		t.Fatalf("hostilePDFs()[2] is %s", count.Name)
	}
	parse := func(data []byte, opt Options) error {
		_, err := Parse(ctx, "x", count.Name, data, opt)
		return err
	}
	first := parse(count.Data, Options{})
	if first == nil || !errors.Is(first, ErrOverBudget) {
		t.Fatalf("first parse: %v, want over budget", first)
	}
	again := parse(count.Data, Options{})
	if sent != 1 || again == nil || again.Error() != first.Error() || !errors.Is(again, ErrOverBudget) {
		t.Errorf("second parse: %v after %d requests to a child, want %q after 1", again, sent, first)
	}
	if parse(count.Data, Options{Budget: Budget{MaxPages: 5}}); sent != 2 {
		t.Errorf("another budget: %d requests, want 2", sent)
	}
	changed := bytes.Replace(count.Data, []byte("9999999999999"), []byte("9999999999998"), 1)
	if err := parse(changed, Options{}); sent != 3 || err == nil {
		t.Errorf("changed bytes: %v after %d requests, want refused after 3", err, sent)
	}
	good := []byte("# Sound\n\nA sound file is parsed every time.\n")
	for range 2 {
		if _, err := Parse(ctx, "x", "good.md", good, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if sent != 5 {
		t.Errorf("a sound file twice: %d requests in all, want 5", sent)
	}
	// A deadline is not remembered: a busy machine can miss it with a
	// sound file.
	if !remembered(errors.New("malformed PDF: x")) || remembered(overBudget("parsing took over 30s; the parser was stopped")) {
		t.Error("remembered() keeps deadlines or drops malformed files")
	}
}
