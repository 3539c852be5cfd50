package corpus

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
)

// SandboxCommand is the hidden subcommand under which footnote runs
// ServeSandbox: footnote's own executable, started with it, is the
// Sandbox's child.
const SandboxCommand = "internal-parse"

// A Sandbox parses article files in child processes, so that no file can
// hang, crash or exhaust the process that loads it, whatever the library
// that parses it does. The meter (see Budget) stops a parser at its reads;
// a parser that loops without reading, recurses without end or allocates
// all at once is out of its reach, and the Sandbox is the answer to it:
//
//   - the child is killed at the file's deadline (Budget.Timeout, plus a
//     grace for the child's own clear error to arrive first), or at once
//     when the caller's context ends;
//   - the child caps itself: a watchdog exits when its live heap is over
//     Budget.MaxMemory after a collection, or when the file's deadline has
//     passed (should the parent be gone); the garbage collector aims just
//     over the cap; the address space is limited (RLIMIT_AS) and the stack
//     is 64 MiB;
//   - it runs with an empty environment: the parser never sees the
//     parent's secrets.
//
// At most MaxChildren files are parsed at once, so that a burst of loads
// cannot multiply the memory the children take.
//
// A file the child fails on is an error naming the cause (the deadline,
// memory, the crash's first line), wrapping ErrOverBudget where a budget
// was the cause; the next file gets a new child. A child that parsed a
// file serves the next one (a start costs tens of milliseconds): up to
// two wait, each for Idle, and then exit.
//
// The protocol, on the child's standard input and output, is one gob
// request (sandboxRequest) and one gob response (sandboxResponse) a file,
// the response's size bounded by the parent.
type Sandbox struct {
	// Command is the child's command line: an executable that calls
	// ServeSandbox, such as footnote's own (os.Executable) with
	// SandboxCommand.
	Command []string
	// Env is the child's whole environment (none when empty).
	Env []string
	// Idle is how long a child waits for another file (default 30s).
	Idle time.Duration
	// MaxChildren bounds the files parsed at once (default one a core, at
	// most 4); a parse beyond waits for its turn, or for its context to end.
	MaxChildren int

	mu       sync.Mutex
	idle     []*worker
	closed   bool
	slots    chan struct{} // one a parse under way
	verdicts map[[sha256.Size]byte]error

	// afterSend, when set, is called once a request has been written to
	// the child (for tests: the child is parsing).
	afterSend func()
}

var _ Parser = (*Sandbox)(nil)

// NewSandbox is a Sandbox whose children run command.
func NewSandbox(command ...string) *Sandbox {
	return &Sandbox{Command: command}
}

const (
	maxIdleWorkers     = 2
	defaultIdle        = 30 * time.Second
	defaultMaxChildren = 4
	// sandboxGrace is how long past a file's timeout the parent waits for
	// the child's answer before it kills the child; the child's watchdog
	// exits at twice that past it.
	sandboxGrace = 2 * time.Second
	// Exit codes of the child's watchdog.
	exitOverMemory = 3
	exitOverTime   = 4
)

type sandboxRequest struct {
	ID, Name        string
	Data            []byte
	MaxPassageWords int
	Budget          Budget
	FirstLine       int // Options.firstLine
}

type sandboxResponse struct {
	Docs       []Document
	Err        string
	OverBudget bool
}

// maxVerdicts bounds the refusals a Sandbox remembers.
const maxVerdicts = 4096

// verdictKey names a parse by what decides its outcome: the document ID
// (which a reason may name), the format (the name's extension), the
// passage size, the budget and the bytes.
func verdictKey(id, name string, data []byte, opt Options) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%q\x00%s\x00%d\x00%+v\x00%d\x00", id, strings.ToLower(path.Ext(name)), opt.MaxPassageWords, opt.Budget, opt.firstLine)
	h.Write(data)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// remembered says whether a refusal depends on the file alone, so that
// the same bytes are refused again without a child: not a deadline, which
// a busy machine can miss with a sound file, nor a crash of unknown cause.
func remembered(err error) bool {
	msg := err.Error()
	return !strings.HasPrefix(msg, "parsing took over") && !strings.HasPrefix(msg, "the parser crashed") &&
		!strings.HasPrefix(msg, "the parser stopped")
}

// ParseFile parses one file in a child process (see Sandbox). A file the
// children refused for what it holds (malformed, or over a budget other
// than the deadline) is refused again, with the same reason and no child,
// until its bytes change: every rebuild of a library parses its files
// again, and a hostile file would otherwise cost a child's memory each
// time.
func (s *Sandbox) ParseFile(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error) {
	opt = opt.withDefaults()
	key := verdictKey(id, name, data, opt)
	s.mu.Lock()
	if err, ok := s.verdicts[key]; ok {
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	docs, err := s.parseFile(ctx, id, name, data, opt)
	if err != nil && ctx.Err() == nil && remembered(err) {
		s.mu.Lock()
		if s.verdicts == nil || len(s.verdicts) >= maxVerdicts {
			s.verdicts = map[[sha256.Size]byte]error{}
		}
		s.verdicts[key] = err
		s.mu.Unlock()
	}
	return docs, err
}

func (s *Sandbox) parseFile(ctx context.Context, id, name string, data []byte, opt Options) ([]Document, error) {
	s.mu.Lock()
	if s.slots == nil {
		n := s.MaxChildren
		if n <= 0 {
			// One child a core, at most four: each may hold up to its
			// budget's memory, and parsing more at once than there are
			// cores only adds memory, not speed.
			n = max(1, min(defaultMaxChildren, runtime.GOMAXPROCS(0)))
		}
		s.slots = make(chan struct{}, n)
	}
	slots := s.slots
	s.mu.Unlock()
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, err := s.get()
	if err != nil {
		return nil, fmt.Errorf("starting the parser: %w", err)
	}
	req := sandboxRequest{ID: id, Name: name, Data: data, MaxPassageWords: opt.MaxPassageWords, Budget: opt.Budget, FirstLine: opt.firstLine}
	w.out.n = 2*int64(len(data)) + 4*opt.Budget.MaxTextBytes + 16<<20
	type result struct {
		resp sandboxResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		if r.err = w.enc.Encode(&req); r.err == nil {
			if s.afterSend != nil {
				s.afterSend()
			}
			r.err = w.dec.Decode(&r.resp)
		}
		done <- r
	}()
	timer := time.NewTimer(opt.Budget.Timeout + sandboxGrace)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, w.fail(opt.Budget)
		}
		s.put(w)
		switch {
		case r.resp.OverBudget:
			return nil, &budgetError{msg: r.resp.Err}
		case r.resp.Err != "":
			return nil, errors.New(r.resp.Err)
		}
		return r.resp.Docs, nil
	case <-timer.C:
		w.kill()
		<-done
		w.cleanup()
		return nil, overBudget("parsing took over %v; the parser was stopped", opt.Budget.Timeout)
	case <-ctx.Done():
		w.kill()
		<-done
		w.cleanup()
		return nil, ctx.Err()
	}
}

// Close stops the children that wait for a file.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, w := range idle {
		w.stop()
	}
	return nil
}

func (s *Sandbox) get() (*worker, error) {
	s.mu.Lock()
	for len(s.idle) > 0 {
		w := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		w.timer.Stop()
		if !w.exited() {
			s.mu.Unlock()
			return w, nil
		}
		w.cleanup()
	}
	s.mu.Unlock()
	return s.start()
}

// put keeps a child that answered for the next file, or stops it.
func (s *Sandbox) put(w *worker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.idle) >= maxIdleWorkers {
		go w.stop()
		return
	}
	idle := s.Idle
	if idle <= 0 {
		idle = defaultIdle
	}
	s.idle = append(s.idle, w)
	w.timer = time.AfterFunc(idle, func() {
		s.mu.Lock()
		for i, v := range s.idle {
			if v == w {
				s.idle = append(s.idle[:i], s.idle[i+1:]...)
				s.mu.Unlock()
				w.stop()
				return
			}
		}
		s.mu.Unlock()
	})
}

// worker is one child process.
type worker struct {
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	enc    *gob.Encoder
	dec    *gob.Decoder
	out    *boundedReader
	stderr *tailWriter
	done   chan struct{} // closed when the process has exited
	timer  *time.Timer   // while idle
}

func (s *Sandbox) start() (*worker, error) {
	if len(s.Command) == 0 {
		return nil, errors.New("sandbox has no command")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(s.Command[0], s.Command[1:]...)
	cmd.Env = append([]string{}, s.Env...) // not nil: nothing inherited
	cmd.Stdin, cmd.Stdout = inR, outW
	w := &worker{cmd: cmd, stdin: inW, stdout: outR, stderr: &tailWriter{}, done: make(chan struct{})}
	cmd.Stderr = w.stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(w.done)
	}()
	w.out = &boundedReader{r: outR}
	w.enc = gob.NewEncoder(inW)
	w.dec = gob.NewDecoder(bufio.NewReader(w.out))
	return w, nil
}

func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *worker) kill() { _ = w.cmd.Process.Kill() }

// cleanup releases a child that has been killed or has exited, once
// nothing reads from it.
func (w *worker) cleanup() {
	w.kill()
	<-w.done
	w.stdin.Close()
	w.stdout.Close()
}

// stop ends an idle child: it exits at the end of its input.
func (w *worker) stop() {
	w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(time.Second):
	}
	w.cleanup()
}

// fail is the reason a child did not answer, once it is gone.
func (w *worker) fail(b Budget) error {
	w.cleanup()
	code := w.cmd.ProcessState.ExitCode()
	line := w.stderr.reason()
	switch {
	case code == exitOverMemory:
		return overBudget("parsing used over %s of memory; the parser was stopped", mib(b.MaxMemory))
	case code == exitOverTime:
		return overBudget("parsing took over %v; the parser was stopped", b.Timeout)
	case w.out.n < 0:
		return overBudget("the parser's answer was over its bound; the parser was stopped")
	case strings.Contains(line, "out of memory"):
		return overBudget("the parser ran out of memory (%s)", line)
	case strings.Contains(line, "stack exceeds"):
		return overBudget("the parser ran out of stack, a structure nested too deeply (%s)", line)
	case line != "":
		return fmt.Errorf("the parser crashed: %s", line)
	}
	return fmt.Errorf("the parser stopped (%s)", w.cmd.ProcessState)
}

// boundedReader reads r until n bytes are left, then fails: the bound of
// the answer being read.
type boundedReader struct {
	r io.Reader
	n int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		b.n = -1
		return 0, errors.New("answer over its bound")
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// tailWriter keeps the first few KiB a child writes to its standard error
// (a crash starts with its reason).
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

const maxStderr = 16 << 10

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := maxStderr - len(t.buf); n > 0 {
		t.buf = append(t.buf, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// reason is the line that says why the child stopped: the watchdog's, a
// runtime fatal error or a panic, else the first line.
func (t *tailWriter) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[0])
}

// sandboxGCPercent is the child's GOGC.
const sandboxGCPercent = 50

// ServeSandbox is a Sandbox's child: it parses the files the parent sends
// on in, in this process (ParseLocal), answers each on out, and returns at
// the end of in. It caps the process (see Sandbox): call it only in a
// process of its own.
func ServeSandbox(ctx context.Context, in io.Reader, out io.Writer) error {
	// A child lives for a few files and is bounded by its memory, not its
	// speed: collect when the heap has grown by half, not doubled.
	debug.SetGCPercent(sandboxGCPercent)
	return serveSandbox(ctx, in, out, os.Stderr, func(ctx context.Context, req *sandboxRequest) ([]Document, error) {
		return ParseLocal(ctx, req.ID, req.Name, req.Data, Options{MaxPassageWords: req.MaxPassageWords, Budget: req.Budget, firstLine: req.FirstLine})
	})
}

func serveSandbox(ctx context.Context, in io.Reader, out io.Writer, stderr io.Writer,
	parse func(context.Context, *sandboxRequest) ([]Document, error)) error {
	debug.SetMaxStack(64 << 20)
	dec := gob.NewDecoder(bufio.NewReader(in))
	bw := bufio.NewWriter(out)
	enc := gob.NewEncoder(bw)
	for {
		var req sandboxRequest
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("sandbox request: %w", err)
		}
		b := req.Budget.withDefaults()
		limitAddressSpace(2*b.MaxMemory + 512<<20)
		stop := watchdog(b, req.Name, stderr)
		docs, err := parse(ctx, &req)
		stop()
		req.Data = nil
		resp := sandboxResponse{Docs: docs}
		if err != nil {
			resp = sandboxResponse{Err: err.Error(), OverBudget: errors.Is(err, ErrOverBudget)}
		}
		if err := enc.Encode(&resp); err != nil {
			return fmt.Errorf("sandbox response: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("sandbox response: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// watchdog ends the process when the file being parsed holds over b's
// memory, live after a collection, or outlives its deadline by twice the
// parent's grace (the parent, which kills first, may be gone). The
// collector aims at a quarter over the cap, so that it collects often
// enough near the cap to see it crossed, and not so often below it that a
// sound parse crawls. stop ends the watch.
func watchdog(b Budget, name string, stderr io.Writer) (stop func()) {
	debug.SetMemoryLimit(b.MaxMemory + b.MaxMemory/4)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(b.Timeout + 2*sandboxGrace)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		over := func(h uint64) {
			fmt.Fprintf(stderr, "footnote sandbox: %s: parsing holds %s, over %s of memory\n", name, mib(int64(h)), mib(b.MaxMemory))
			os.Exit(exitOverMemory)
		}
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if now.After(deadline) {
					fmt.Fprintf(stderr, "footnote sandbox: %s: parsing took over %v\n", name, b.Timeout)
					os.Exit(exitOverTime)
				}
				if h := liveHeap(); h > uint64(b.MaxMemory) {
					over(h)
				}
				if heapInUse() > 2*uint64(b.MaxMemory) {
					// Grown faster than the collector has looked.
					runtime.GC()
					if h := liveHeap(); h > uint64(b.MaxMemory) {
						over(h)
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
