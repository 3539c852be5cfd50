//go:build !unix

package retrieval

import (
	"errors"
	"os"
	"time"
)

// openFlags opens index files for reading (named pipes are a Unix matter).
const openFlags = os.O_RDONLY

// renameOpen is false: an open file cannot be renamed everywhere.
const renameOpen = false

// lockTemp does nothing here: the age of a temporary file tells whether a
// save is still writing it.
func lockTemp(*os.File) {}

// abandoned reports whether a temporary file of an index is left over
// from a save that died: here, whether nothing has written it for
// staleTempAge.
func abandoned(_ *os.File, st os.FileInfo) bool { return time.Since(st.ModTime()) > staleTempAge }

// mapFile does not map files here: they are read into memory instead.
func mapFile(*os.File, int) ([]byte, func(), error) {
	return nil, nil, errors.ErrUnsupported
}
