package corpus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/metrics"
	"time"
)

// Budget bounds the parsing of one file. Every article file is someone
// else's bytes: a 600-byte PDF can describe a page tree without end, a
// 300 KB one can inflate to gigabytes of text, and 80 KB of HTML can build
// a million elements. The budget is enforced while the file is parsed, not
// after: the libraries underneath read their input through a meter (see
// meter) that checks the deadline, the context and the memory allocated at
// every read, PDF content streams are read through a limit on their
// decompressed bytes, and the PDF page tree and the HTML tree are counted
// as they are walked. A file over budget is skipped with a reason that
// wraps ErrOverBudget.
//
// What the meter cannot stop (a library looping without reading, or one
// huge allocation) a Sandbox stops: it parses in a child process that is
// killed at the deadline and whose memory is capped.
//
// Zero fields take the defaults below.
type Budget struct {
	// Timeout is the wall-clock time one file may take.
	Timeout time.Duration
	// MaxMemory bounds the memory one file's parsing may take: in this
	// process, the bytes allocated while a parser reads (plus
	// MemoryPerInputByte for each byte of the file, so that a large
	// file is not refused for its size alone); in a Sandbox, also the
	// child's live heap.
	MaxMemory int64
	// MaxPages bounds a PDF's pages, the number it declares included.
	MaxPages int
	// MaxObjects bounds a PDF's cross-reference table (object numbers),
	// checked before the PDF library allocates it.
	MaxObjects int
	// MaxStreamBytes bounds the decompressed bytes of a PDF's content
	// streams and font maps, together.
	MaxStreamBytes int64
	// MaxTextBytes bounds the text extracted from one PDF.
	MaxTextBytes int64
	// MaxNodes bounds the nodes of an HTML page's tree.
	MaxNodes int
}

// Defaults for Budget.
const (
	DefaultParseTimeout   = 30 * time.Second
	DefaultMaxMemory      = 256 << 20
	DefaultMaxPages       = 10_000
	DefaultMaxObjects     = 1 << 20
	DefaultMaxStreamBytes = 128 << 20
	DefaultMaxTextBytes   = 16 << 20
	DefaultMaxNodes       = 1_000_000

	// MemoryPerInputByte is the allocation the in-process meter allows
	// for each byte of the file on top of MaxMemory.
	MemoryPerInputByte = 16
)

func (b Budget) withDefaults() Budget {
	if b.Timeout <= 0 {
		b.Timeout = DefaultParseTimeout
	}
	if b.MaxMemory <= 0 {
		b.MaxMemory = DefaultMaxMemory
	}
	if b.MaxPages <= 0 {
		b.MaxPages = DefaultMaxPages
	}
	if b.MaxObjects <= 0 {
		b.MaxObjects = DefaultMaxObjects
	}
	if b.MaxStreamBytes <= 0 {
		b.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if b.MaxTextBytes <= 0 {
		b.MaxTextBytes = DefaultMaxTextBytes
	}
	if b.MaxNodes <= 0 {
		b.MaxNodes = DefaultMaxNodes
	}
	return b
}

// ErrOverBudget marks a file whose parsing went over its Budget.
var ErrOverBudget = errors.New("over the parsing budget")

type budgetError struct{ msg string }

func (e *budgetError) Error() string        { return e.msg }
func (e *budgetError) Is(target error) bool { return target == ErrOverBudget }

// overBudget is an error that wraps ErrOverBudget.
func overBudget(format string, args ...any) error {
	return &budgetError{msg: fmt.Sprintf(format, args...)}
}

// mib renders a byte count for a reason.
func mib(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// meter enforces a budget on a library that parses from a reader: each of
// the library's reads passes through it and first checks the context (the
// caller's cancellation and the file's deadline), the bytes allocated since
// the parse began, and, for random access, the bytes read so far. The first
// failure sticks: every later read fails the same way, and the parser's
// caller reports m.err rather than whatever the library made of the failed
// read.
//
// The allocation figure is the process's (runtime/metrics), so in a busy
// process it counts other goroutines' allocations too; a Sandbox child
// parses one file at a time and counts only its own.
type meter struct {
	budget  Budget
	parent  context.Context // the caller's: its end is a cancellation, not a budget
	ctx     context.Context // with the file's deadline
	timeout time.Duration

	maxAlloc uint64
	alloc0   uint64
	sample   []metrics.Sample

	maxRead int64 // 0: no bound on reads
	read    int64

	err error
}

const allocMetric = "/gc/heap/allocs:bytes"

// newMeter starts metering the parse of a file of size bytes under budget
// b (its defaults filled in); stop releases the deadline's timer.
func newMeter(ctx context.Context, b Budget, size int) (m *meter, stop func()) {
	b = b.withDefaults()
	dctx, cancel := context.WithTimeout(ctx, b.Timeout)
	m = &meter{
		budget:   b,
		parent:   ctx,
		ctx:      dctx,
		timeout:  b.Timeout,
		maxAlloc: uint64(b.MaxMemory) + uint64(size)*MemoryPerInputByte,
		sample:   []metrics.Sample{{Name: allocMetric}},
	}
	m.alloc0 = m.allocated()
	return m, cancel
}

func (m *meter) allocated() uint64 {
	metrics.Read(m.sample)
	if m.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m.sample[0].Value.Uint64()
}

// check reports the first way the parse is over its budget, or nil.
func (m *meter) check() error {
	if m.err != nil {
		return m.err
	}
	switch {
	case m.parent.Err() != nil:
		m.err = m.parent.Err()
	case m.ctx.Err() != nil:
		m.err = overBudget("parsing took over %v", m.timeout)
	case m.maxRead > 0 && m.read > m.maxRead:
		m.err = overBudget("parsing re-read over %s of the file (a structure that refers to itself?)", mib(m.maxRead))
	default:
		if a := m.allocated() - m.alloc0; a > m.maxAlloc {
			m.err = overBudget("parsing used over %s of memory", mib(int64(m.maxAlloc)))
		}
	}
	return m.err
}

// maxMeteredRead is the most a metered read returns at once, so that the
// work a parser does between two checks stays small.
const maxMeteredRead = 1024

// meteredReader is r read under m.
type meteredReader struct {
	r io.Reader
	m *meter
}

func (r meteredReader) Read(p []byte) (int, error) {
	if err := r.m.check(); err != nil {
		return 0, err
	}
	if len(p) > maxMeteredRead {
		p = p[:maxMeteredRead]
	}
	return r.r.Read(p)
}

// meteredReaderAt is r read under m, counting every byte read: a library
// that reads the same objects over and over (a loop in the file's
// structure) runs out of m.maxRead.
type meteredReaderAt struct {
	r io.ReaderAt
	m *meter
}

func (r meteredReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := r.m.check(); err != nil {
		return 0, err
	}
	r.m.read += int64(len(p))
	return r.r.ReadAt(p, off)
}

// heapInUse is the memory the process's objects and stacks take.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}
