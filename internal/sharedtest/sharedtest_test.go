package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tb records how a helper ended the test (Fatal or Skip) instead of ending it.
type tb struct {
	testing.TB
	ended string
}

type stop struct{}

func (t *tb) Helper() {}
func (t *tb) Fatalf(format string, a ...any) {
	t.ended = "fatal: " + fmt.Sprintf(format, a...)
	panic(stop{})
}
func (t *tb) Skipf(format string, a ...any) {
	t.ended = "skip: " + fmt.Sprintf(format, a...)
	panic(stop{})
}

// run calls f with a recording tb and returns how it ended ("" = returned).
func run(f func(testing.TB)) (ended string) {
	r := &tb{}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stop); !ok {
				panic(p)
			}
		}
		ended = r.ended
	}()
	f(r)
	return ""
}

func TestMissingSkipsOrFails(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "specs"), 0o755)
	os.WriteFile(filepath.Join(dir, "specs", "x.json"), []byte("{}"), 0o644)
	t.Setenv("FOOTNOTE_SHARED", dir)
	for _, require := range []string{"", "1"} {
		t.Setenv("FOOTNOTE_REQUIRE_SHARED", require)
		want := "skip: "
		if require == "1" {
			want = "fatal: "
		}
		if got := run(func(tb testing.TB) { Path(tb, "specs", "x.json") }); got != "" {
			t.Errorf("require=%q: present file ended the test: %s", require, got)
		}
		if got := run(func(tb testing.TB) { Path(tb, "specs", "missing.json") }); !strings.HasPrefix(got, want) {
			t.Errorf("require=%q: missing file: %q, want %s…", require, got, want)
		}
		var found bool
		if got := run(func(tb testing.TB) { _, found = Optional(tb, "specs", "x.json") }); got != "" || !found {
			t.Errorf("require=%q: Optional of a present file: %q, found %v", require, got, found)
		}
		got := run(func(tb testing.TB) { _, found = Optional(tb, "specs", "missing.json") })
		if require == "1" && !strings.HasPrefix(got, "fatal: ") {
			t.Errorf("required: Optional of a missing file: %q, want fatal", got)
		}
		if require == "" && (got != "" || found) {
			t.Errorf("Optional of a missing file: %q, found %v; want neither", got, found)
		}
	}
	t.Setenv("FOOTNOTE_SHARED", filepath.Join(dir, "nope"))
	t.Setenv("FOOTNOTE_REQUIRE_SHARED", "1")
	if got := run(func(tb testing.TB) { Dir(tb) }); !strings.Contains(got, "FOOTNOTE_REQUIRE_SHARED=1") {
		t.Errorf("required, absent folder: %q", got)
	}
}
