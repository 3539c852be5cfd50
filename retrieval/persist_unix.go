//go:build unix

package retrieval

import (
	"os"
	"syscall"
)

// openFlags opens index files without blocking: opening a named pipe for
// reading otherwise waits for a writer (and ignores SIGTERM meanwhile).
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
