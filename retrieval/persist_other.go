//go:build !unix

package retrieval

import "os"

// openFlags opens index files for reading (named pipes are a Unix matter).
const openFlags = os.O_RDONLY
