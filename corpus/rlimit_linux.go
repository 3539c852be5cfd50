package corpus

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// limitAddressSpace lets the process map extra more bytes than it has
// mapped now (RLIMIT_AS, the soft limit): a backstop for one huge
// allocation, which then fails at once instead of taking the machine's
// memory.
func limitAddressSpace(extra int64) {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return
	}
	f := strings.Fields(string(statm))
	if len(f) == 0 {
		return
	}
	pages, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) != nil {
		return
	}
	want := uint64(pages*int64(os.Getpagesize()) + extra)
	if want > lim.Max {
		want = lim.Max
	}
	lim.Cur = want
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
}
