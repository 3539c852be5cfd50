// Package sharedtest finds the ../shared folder (evaluation data, API specs
// and the seed article) that sits beside a clone of footnote. Tests that need
// it skip with a clear message when it is absent, as in a user's fresh clone;
// CI always has it. FOOTNOTE_SHARED overrides the location.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared folder, or skips the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("FOOTNOTE_SHARED"); d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
		tb.Skipf("FOOTNOTE_SHARED=%s does not exist", d)
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	// Walk up to the module root (the folder with go.mod), then look beside it.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "bench")); err == nil || filepath.Base(d) != "bench" {
				s := filepath.Join(filepath.Dir(d), "shared")
				if _, err := os.Stat(s); err == nil {
					return s
				}
				// bench/ is a module of its own inside the repository.
				s = filepath.Join(filepath.Dir(filepath.Dir(d)), "shared")
				if _, err := os.Stat(s); err == nil {
					return s
				}
			}
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	tb.Skip("../shared (evaluation data, specs, seed article) is not beside this clone; skipping. CI always has it.")
	return ""
}

// Path returns a path inside the shared folder, or skips the test.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s is missing from shared/; skipping", p)
	}
	return p
}
