//go:build !linux

package corpus

// limitAddressSpace is a no-op outside Linux: the watchdog and the
// garbage collector's limit still cap the child's memory.
func limitAddressSpace(extra int64) {}
