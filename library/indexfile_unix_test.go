//go:build unix

package library

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/store"
)

// TestHostileIndexFile replaces the index file being served (with an
// article ingested, so that a reload reads the file's documents back) by a
// file with a good checksum whose document table points past its
// passages, by a named pipe and by a link to /dev/zero: the watcher's
// reload and /reload fail at once, naming the file and what is wrong, the
// previous index serves on, and a good file is read again after.
func TestHostileIndexFile(t *testing.T) {
	dataDir, idxDir := t.TempDir(), t.TempDir()
	idx := filepath.Join(idxDir, "articles.idx")
	saveIndex(t, idx, map[string]string{"alpha.md": "# Alpha\n\nAlpha text about widgets.\n", "beta.md": "# Beta\n\nBeta text.\n"})
	crafted := pastThePassages(t, idx)
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, "footnote.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs lockedBuffer
	l, err := Open(context.Background(), Options{IndexFile: idx, DataDir: dataDir, Store: st, Debounce: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.IngestFile(context.Background(), "gizmo.md", []byte("# Gizmo\n\nGizmos need oil.\n"), "admin"); err != nil {
		t.Fatal(err)
	}
	served := l.Index()
	watch(t, l)
	replace := func(put func() error) func() error {
		return func() error {
			if err := os.Remove(idx); err != nil {
				return err
			}
			return put()
		}
	}
	tests := []struct {
		name string
		put  func() error
		want string
	}{
		{"document table past the passages", func() error { return os.WriteFile(idx, crafted, 0o644) },
			"starts at passage 1001, past the 2 passages"},
		{"named pipe", replace(func() error { return syscall.Mkfifo(idx, 0o644) }), idx + " is a named pipe (FIFO), not a regular file"},
		{"link to /dev/zero", replace(func() error { return os.Symlink("/dev/zero", idx) }), idx + " is a character device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			if err := tt.put(); err != nil {
				t.Fatal(err)
			}
			eventually(t, "failed reload logged", func() bool { return strings.Contains(logs.String(), tt.want) })
			if got := logs.String(); !strings.Contains(got, "reload after a file change failed") || !strings.Contains(got, tt.want) {
				t.Errorf("the watcher logged %q, want its reload failing with %q", got, tt.want)
			}
			done := make(chan error, 1)
			go func() {
				_, err := l.Reload(context.Background())
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), idx) {
					t.Errorf("reload = %v, want an error naming %s saying %q", err, idx, tt.want)
				}
			case <-time.After(time.Minute):
				t.Fatal("reload blocked for a minute")
			}
			if l.Index() != served {
				t.Error("a failed reload changed the index being served")
			}
			for _, d := range l.Index().Docs() {
				l.Index().DocPassages(d.ID) // where autocomplete panicked
			}
		})
	}
	os.Remove(idx)
	saveIndex(t, idx, map[string]string{"delta.md": "# Delta\n\nDelta text.\n"})
	eventually(t, "good file read", func() bool { return slices.Equal(docIDs(l.Index()), []string{"delta", "ingested/gizmo"}) })
	if got := docIDs(l.Index()); !slices.Equal(got, []string{"delta", "ingested/gizmo"}) {
		t.Errorf("after a good file replaced the bad ones: %v", got)
	}
}

// pastThePassages returns the index file at path with its last document
// moved a thousand passages on, and the checksums made right again (the
// file format is in the retrieval package's doc: section 24, "document
// starts", is an array of uint32), as someone could write it by hand.
func pastThePassages(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const tableOffset, entrySize, docStarts = 24, 24, 24
	crc := func(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }
	headEnd := tableOffset + entrySize*int(binary.LittleEndian.Uint32(data[12:16]))
	e := data[tableOffset+entrySize*docStarts:]
	off, size := binary.LittleEndian.Uint64(e[0:8]), binary.LittleEndian.Uint64(e[8:16])
	last := data[off+size-4:]
	binary.LittleEndian.PutUint32(last, binary.LittleEndian.Uint32(last)+1000)
	binary.LittleEndian.PutUint32(e[16:20], crc(data[off:off+size]))
	binary.LittleEndian.PutUint32(data[16:20], 0)
	binary.LittleEndian.PutUint32(data[16:20], crc(data[:headEnd]))
	return data
}
