package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	m := New()
	var ready atomic.Bool
	srv := httptest.NewServer(m.Handler(ready.Load))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz before ready = %d, want 503", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}
	m.Question("ask", "abstained", 3*time.Millisecond)
	m.Vote(false)
	m.Reconnect()
	m.RateLimited("edit original response")
	m.LLM(2*time.Second, "it took too long")
	m.Retrieved(time.Millisecond)
	_, body := get("/metrics")
	for _, want := range []string{
		`footnote_questions_total{command="ask",outcome="abstained"} 1`,
		`footnote_abstentions_total 1`,
		`footnote_feedback_votes_total{vote="down"} 1`,
		`footnote_gateway_reconnects_total 1`,
		`footnote_rate_limited_total{route="edit original response"} 1`,
		`footnote_llm_errors_total{reason="it took too long"} 1`,
		`footnote_llm_seconds_count 1`,
		`footnote_retrieval_seconds_count 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// connLog wraps a listener and records, in order, each connection the
// server accepts ("+") and closes ("-"), and the most open at once.
type connLog struct {
	net.Listener
	mu      sync.Mutex
	events  []string
	open    int
	maxOpen int
}

func (l *connLog) record(e string, d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	l.open += d
	l.maxOpen = max(l.maxOpen, l.open)
}

func (l *connLog) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.record("+", 1)
	return &loggedConn{Conn: c, l: l}, nil
}

type loggedConn struct {
	net.Conn
	l    *connLog
	once sync.Once
}

func (c *loggedConn) Close() error {
	c.once.Do(func() { c.l.record("-", -1) })
	return c.Conn.Close()
}

// TestIdleClientsCannotExhaustTheServer: with a cap of 4, twelve clients
// that keep their connections open after one request are served four at a
// time (the rest wait in the accept queue until an idle one times out), a
// client that sends nothing is dropped at the header timeout, and /healthz
// answers afterwards.
func TestIdleClientsCannotExhaustTheServer(t *testing.T) {
	const maxConns, clients = 4, 12
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &connLog{Listener: tcp}
	srv := NewServer(New().Handler(nil), ServerOptions{MaxConns: maxConns, IdleTimeout: 200 * time.Millisecond, ReadHeaderTimeout: 200 * time.Millisecond})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := tcp.Addr().String()

	// Each client asks once with keep-alive, reads its answer, then holds
	// the connection until the server closes it.
	type result struct {
		status int
		err    error
	}
	results := make(chan result, clients+1)
	for i := 0; i < clients; i++ {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer c.Close()
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: footnote\r\n\r\n"); err != nil {
				results <- result{err: err}
				return
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				results <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// Idle now: the server closes the connection at IdleTimeout.
			_, err = br.ReadByte()
			if err != io.EOF {
				err = fmt.Errorf("idle connection: want the server to close it, got %v", err)
			} else {
				err = nil
			}
			results <- result{status: resp.StatusCode, err: err}
		}()
	}
	// A client that connects and says nothing is dropped too.
	go func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			results <- result{err: err}
			return
		}
		defer c.Close()
		_, err = c.Read(make([]byte, 1))
		if err != io.EOF {
			err = fmt.Errorf("silent connection: want the server to close it, got %v", err)
		} else {
			err = nil
		}
		results <- result{status: -1, err: err}
	}()
	for i := 0; i < clients+1; i++ {
		select {
		case r := <-results:
			if r.err != nil {
				t.Error(r.err)
			} else if r.status != 200 && r.status != -1 {
				t.Errorf("status %d", r.status)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d clients were served and closed", i, clients+1)
		}
	}
	ln.mu.Lock()
	events, maxOpen := strings.Join(ln.events, ""), ln.maxOpen
	ln.mu.Unlock()
	if maxOpen > maxConns {
		t.Errorf("%d connections open at once, cap %d (events %s)", maxOpen, maxConns, events)
	}
	// The fifth connection was accepted only after one of the first four closed.
	if !strings.HasPrefix(events, strings.Repeat("+", maxConns)+"-") {
		t.Errorf("events = %s, want %d accepts, then a close before the next accept", events, maxConns)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz after the flood = %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

// TestIndexSizeFollowsTheServedIndex: the passage gauge is read at each
// scrape, so it shows the index swapped in by a reload.
func TestIndexSizeFollowsTheServedIndex(t *testing.T) {
	m := New()
	var n atomic.Int64
	n.Store(12)
	m.IndexSize(func() int { return int(n.Load()) })
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	scrape := func() string {
		resp, err := srv.Client().Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if body := scrape(); !strings.Contains(body, "footnote_index_passages 12\n") {
		t.Errorf("before the reload: %s", grepLine(body, "footnote_index_passages"))
	}
	n.Store(30) // a reload swapped in a bigger index
	if body := scrape(); !strings.Contains(body, "footnote_index_passages 30\n") {
		t.Errorf("after the reload: %s", grepLine(body, "footnote_index_passages"))
	}
	if body := scrape(); !strings.Contains(body, "footnote_index_damaged 0\n") {
		t.Errorf("with no damage source: %s", grepLine(body, "footnote_index_damaged"))
	}
	var damaged atomic.Bool
	m.IndexDamaged(damaged.Load)
	if body := scrape(); !strings.Contains(body, "footnote_index_damaged 0\n") {
		t.Errorf("before damage: %s", grepLine(body, "footnote_index_damaged"))
	}
	damaged.Store(true) // a question read a damaged text block
	if body := scrape(); !strings.Contains(body, "footnote_index_damaged 1\n") {
		t.Errorf("after damage: %s", grepLine(body, "footnote_index_damaged"))
	}
}

func grepLine(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return "(none)"
}
