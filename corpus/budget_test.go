package corpus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// testBuilder is a builder for one parse under the default budget.
func testBuilder(t testing.TB, maxWords int) *builder {
	m, stop := newMeter(context.Background(), Budget{}, 0)
	t.Cleanup(stop)
	return &builder{maxWords: maxWords, m: m}
}

// TestMeter: a metered read fails, and keeps failing, once the parse is
// cancelled, past its deadline, over its memory or over its reads; the
// reason says which, and only the budgets wrap ErrOverBudget.
func TestMeter(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		budget  Budget
		maxRead int64
		before  func(*meter)
		want    string
		over    bool
	}{
		{"within budget", context.Background(), Budget{}, 0, nil, "", false},
		{"cancelled", cancelled, Budget{}, 0, nil, "context canceled", false},
		{"past the deadline", context.Background(), Budget{Timeout: time.Nanosecond}, 0, func(m *meter) { <-m.ctx.Done() }, "parsing took over 1ns", true},
		{"over the memory", context.Background(), Budget{MaxMemory: 1 << 20}, 0, func(*meter) { sink = make([]byte, 4<<20) }, "parsing used over 1 MiB of memory", true},
		{"over the reads", context.Background(), Budget{}, 4, nil, "parsing re-read over", true},
	}
	for _, tt := range tests {
		m, stop := newMeter(tt.ctx, tt.budget, 0)
		m.maxRead = tt.maxRead
		if tt.before != nil {
			tt.before(m)
		}
		buf := make([]byte, 8)
		src := bytes.NewReader(bytes.Repeat([]byte("x"), 64))
		_, err1 := meteredReaderAt{src, m}.ReadAt(buf, 0)
		_, err2 := meteredReaderAt{src, m}.ReadAt(buf, 8)
		_, err3 := meteredReader{src, m}.Read(buf)
		stop()
		if tt.want == "" {
			if err1 != nil || err2 != nil || (err3 != nil && err3 != io.EOF) {
				t.Errorf("%s: reads failed: %v %v %v", tt.name, err1, err2, err3)
			}
			continue
		}
		err := err1
		if err == nil {
			err = err2
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrOverBudget) != tt.over {
			t.Errorf("%s: read error %v, want %q (over budget %v)", tt.name, err, tt.want, tt.over)
		}
		if err3 == nil || err == nil || err3.Error() != err.Error() {
			t.Errorf("%s: the failure did not stick: %v then %v", tt.name, err, err3)
		}
	}
}

var sink []byte

// TestMeteredReadsAreSmall: a metered read returns at most maxMeteredRead
// bytes, so the parser's work between two checks stays small.
func TestMeteredReadsAreSmall(t *testing.T) {
	m, stop := newMeter(context.Background(), Budget{}, 0)
	defer stop()
	n, err := meteredReader{bytes.NewReader(make([]byte, 1<<20)), m}.Read(make([]byte, 1<<20))
	if n != maxMeteredRead || err != nil {
		t.Errorf("read %d, %v; want %d", n, err, maxMeteredRead)
	}
}
