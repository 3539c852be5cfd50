//go:build unix

package retrieval

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/corpus"
)

// openSoon is Open, failing the test instead of hanging if Open blocks.
func openSoon(t *testing.T, path string) (*Index, error) {
	t.Helper()
	type result struct {
		ix  *Index
		err error
	}
	done := make(chan result, 1)
	go func() {
		ix, err := Open(path)
		done <- result{ix, err}
	}()
	select {
	case r := <-done:
		return r.ix, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Open(%s) blocked", path)
		return nil, nil
	}
}

// TestOpenRefusesWhatIsNotAFile gives Open a device, a named pipe (with no
// writer, which an ordinary open waits for), a folder and a socket: each is
// refused at once, naming the path and what it is, without reading.
func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.idx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zeroLink := filepath.Join(dir, "zero.idx")
	if err := os.Symlink("/dev/zero", zeroLink); err != nil {
		t.Fatal(err)
	}
	// A short folder: socket paths are limited to about 100 bytes.
	sockDir, err := os.MkdirTemp("", "fn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "s.idx")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	tests := []struct {
		name, path, what string
	}{
		{"/dev/zero", "/dev/zero", "a character device"},
		{"a link to /dev/zero", zeroLink, "a character device"},
		{"a named pipe", fifo, "a named pipe (FIFO)"},
		{"a folder", dir, "a folder"},
		{"a socket", sock, "a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skip(err)
			}
			_, err := openSoon(t, tt.path)
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tt.path+" is "+tt.what) {
				t.Errorf("Open(%s) = %v, want %v saying it is %s", tt.path, err, ErrNotRegular, tt.what)
			}
		})
	}
}

// TestOpenDoesNotBlockOnAPipe opens a named pipe as readIndexFile does,
// the check that closes the gap between its Stat and its open: the open
// returns at once and the file is refused by its mode.
func TestOpenDoesNotBlockOnAPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fifo, openFlags, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := regularFile(fifo, st); !errors.Is(err, ErrNotRegular) {
		t.Errorf("regularFile = %v, want %v", err, ErrNotRegular)
	}
}

// TestKilledSaveTempFileRemoved kills a save with SIGKILL half-way through
// writing (a child process of this test): its temporary file is left, the
// next save of the same file removes it, and a temporary file that a live
// save is writing is never removed.
func TestKilledSaveTempFileRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.idx")
	ix, err := Build(synthetic(50, 1), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// A save in another process that writes, then waits to be killed.
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "FOOTNOTE_HANGING_SAVE="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		if n, _ := out.Read(buf); !strings.Contains(string(buf[:n]), "writing") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper said %q", buf[:n])
		}
		return cmd
	}
	temps := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, ".x.idx.tmp-*"))
		return m
	}
	live := start()
	if len(temps()) != 1 {
		t.Fatalf("temporary files while the helper writes: %v", temps())
	}
	// A live save's temporary file stays.
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	if len(temps()) != 1 {
		t.Errorf("a live save's temporary file was removed: %v", temps())
	}
	live.Process.Signal(syscall.SIGKILL)
	live.Wait()
	if len(temps()) != 1 {
		t.Fatalf("temporary files after kill -9: %v", temps())
	}
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	if got := temps(); len(got) != 0 {
		t.Errorf("the killed save's temporary file is still there: %v", got)
	}
	if _, err := Open(path); err != nil {
		t.Errorf("the saved file: %v", err)
	}
}

// TestMain runs the test binary as the child process of
// TestKilledSaveTempFileRemoved when FOOTNOTE_HANGING_SAVE names a file: a
// save that writes, says so and waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("FOOTNOTE_HANGING_SAVE"); path != "" {
		saveAtomic(path, func(w io.Writer) error {
			w.Write([]byte("FOOTNOTE half an index"))
			os.Stdout.WriteString("writing\n")
			time.Sleep(time.Hour) // until killed
			return nil
		})
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestOpenMapsTheFile opens an index of some megabytes (passages of 150
// words, as articles' paragraphs run): opening allocates a small part of
// the file (its tables are used where they lie, mapped),
// searches and quotes as the built index does, and once the index is
// dropped and collected its mapping goes (the search of another index
// opened from the same file goes on).
func TestOpenMapsTheFile(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	z := rand.NewZipf(r, 1.1, 1, 20000)
	var docs []corpus.Document
	for i := range 500 {
		d := corpus.Document{ID: fmt.Sprintf("d%d", i)}
		for j := range 10 {
			var sb strings.Builder
			for range 150 {
				fmt.Fprintf(&sb, "w%d ", z.Uint64())
			}
			d.Passages = append(d.Passages, corpus.Passage{ID: fmt.Sprintf("d%d#%d", i, j+1), DocID: d.ID, Text: sb.String()})
		}
		docs = append(docs, d)
	}
	built, err := Build(docs, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.idx")
	if err := built.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := Open(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Open allocated %d bytes for a %d-byte file", after.TotalAlloc-before.TotalAlloc, st.Size())
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(st.Size())/4 {
		t.Errorf("Open allocated %d bytes for a %d-byte file", n, st.Size())
	}
	for _, q := range []string{"w1 w2", "w10 w300", "w3 w40 w77"} {
		if got, want := fmt.Sprint(ix.Search(q, 10, Options{})), fmt.Sprint(built.Search(q, 10, Options{})); got != want {
			t.Errorf("search %q: mapped %s, built %s", q, got, want)
		}
	}
	other, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mappings := func() int {
		maps, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			return -1
		}
		return strings.Count(string(maps), path)
	}
	if n := mappings(); n >= 0 {
		if n != 2 {
			t.Fatalf("%d mappings of the file with two indexes open, want 2", n)
		}
		ix = nil
		for mappings() != 1 { // the cleanup unmaps it once the index is collected
			runtime.GC()
			runtime.Gosched()
		}
	}
	if got, want := fmt.Sprint(other.Search("w1 w2", 10, Options{})), fmt.Sprint(built.Search("w1 w2", 10, Options{})); got != want {
		t.Errorf("the other mapping: %s, want %s", got, want)
	}
	if p := other.PassageAt(other.Len() - 1); p != built.PassageAt(built.Len()-1) {
		t.Errorf("last passage %+v", p)
	}
}
