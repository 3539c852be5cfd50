//go:build unix

package retrieval

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// openFlags opens index files without blocking: opening a named pipe for
// reading otherwise waits for a writer (and ignores SIGTERM meanwhile).
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// renameOpen renames a temporary file before closing it, so that it is
// never unlocked under its temporary name while its save is alive.
const renameOpen = true

// emptyTempAge is how long an unlocked, empty temporary file may be one
// whose save has just created it and not yet locked it.
const emptyTempAge = time.Minute

// lockTemp takes an exclusive lock (flock) on a temporary file being
// written, held until the file is closed or its process dies. Where the
// file system has no locks, the age of a file tells instead.
func lockTemp(f *os.File) {
	withFd(f, func(fd int) error { return syscall.Flock(fd, syscall.LOCK_EX) })
}

// abandoned reports whether a temporary file of an index is left over
// from a save that died: no live save holds it locked, and it is not
// one just created (a save writes only once it holds the lock, so that
// one is empty). Where locks are not supported its age alone tells.
func abandoned(f *os.File, st os.FileInfo) bool {
	err := withFd(f, func(fd int) error { return syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) })
	switch {
	case err == nil:
		// Held until f is closed, after the removal.
		if st, err := f.Stat(); err == nil {
			return st.Size() > 0 || time.Since(st.ModTime()) > emptyTempAge
		}
		return false
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false // a save is writing it
	default:
		return time.Since(st.ModTime()) > staleTempAge
	}
}

func withFd(f *os.File, op func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = op(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// mapFile maps size bytes of f read-only; release unmaps them.
func mapFile(f *os.File, size int) (data []byte, release func(), err error) {
	err = withFd(f, func(fd int) error {
		var err error
		data, err = syscall.Mmap(fd, 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}
