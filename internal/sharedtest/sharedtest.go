// Package sharedtest finds the ../shared folder (evaluation data, API specs
// and the seed article) that sits beside a clone of footnote. Tests that need
// it skip with a clear message when it is absent, as in a user's fresh clone;
// CI always has it. FOOTNOTE_SHARED overrides the location, and with
// FOOTNOTE_REQUIRE_SHARED=1 (set by .ci/run) a missing folder or file fails
// the test instead of skipping it (or, through Optional, instead of running
// it with less checking), so CI cannot silently lose what it tests.
package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Required reports whether FOOTNOTE_REQUIRE_SHARED=1 is set.
func Required() bool { return os.Getenv("FOOTNOTE_REQUIRE_SHARED") == "1" }

// find returns the shared folder, or why it was not found.
func find() (string, error) {
	if d := os.Getenv("FOOTNOTE_SHARED"); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("FOOTNOTE_SHARED=%s does not exist", d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	// Walk up to the module root (the folder with go.mod), then look beside it.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "bench")); err == nil || filepath.Base(d) != "bench" {
				s := filepath.Join(filepath.Dir(d), "shared")
				if _, err := os.Stat(s); err == nil {
					return s, nil
				}
				// bench/ is a module of its own inside the repository.
				s = filepath.Join(filepath.Dir(filepath.Dir(d)), "shared")
				if _, err := os.Stat(s); err == nil {
					return s, nil
				}
			}
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("../shared (evaluation data, specs, seed article) is not beside this clone")
}

// lookup returns a path inside the shared folder, or why it is missing.
func lookup(elem ...string) (string, error) {
	d, err := find()
	if err != nil {
		return "", err
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing from shared/", p)
	}
	return p, nil
}

// missing skips the test, or fails it under FOOTNOTE_REQUIRE_SHARED=1.
func missing(tb testing.TB, err error) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%v, and FOOTNOTE_REQUIRE_SHARED=1 requires it", err)
	}
	tb.Skipf("%v; skipping. CI always has it.", err)
}

// Dir returns the shared folder, or skips the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := find()
	if err != nil {
		missing(tb, err)
	}
	return d
}

// Path returns a path inside the shared folder, or skips the test.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, err := lookup(elem...)
	if err != nil {
		missing(tb, err)
	}
	return p
}

// Optional returns a path inside the shared folder and true, or, when it is
// absent, "" and false: for tests that run without it and check less (the
// fakes without the API specs). Under FOOTNOTE_REQUIRE_SHARED=1 an absent
// path fails the test instead.
func Optional(tb testing.TB, elem ...string) (string, bool) {
	tb.Helper()
	p, err := lookup(elem...)
	if err != nil {
		if Required() {
			tb.Fatalf("%v, and FOOTNOTE_REQUIRE_SHARED=1 requires it", err)
		}
		return "", false
	}
	return p, true
}
