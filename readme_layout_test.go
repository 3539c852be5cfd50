package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeLayoutMatchesTheTree: every file and folder README's "Project
// layout" names exists, every package and every non-test Go file of the
// root package is named there.
func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "## Project layout")
	if start < 0 {
		t.Fatal("README has no Project layout section")
	}
	block := text[start:]
	block = block[strings.Index(block, "```")+3:]
	block = block[:strings.Index(block, "```")]
	named := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		// A line names paths up to the first run of two spaces.
		head, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		for _, p := range strings.Fields(head) {
			named[strings.TrimSuffix(p, "/")] = true
			if _, err := os.Stat(p); err != nil {
				t.Errorf("README's layout names %s, which does not exist", p)
			}
		}
	}
	for _, f := range must(filepath.Glob("*.go")) {
		if !strings.HasSuffix(f, "_test.go") && !named[f] {
			t.Errorf("%s is not in README's layout", f)
		}
	}
	out, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/footnote-bot/footnote"
	for _, pkg := range strings.Fields(string(out)) {
		dir := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		if dir == "" || strings.HasPrefix(dir, "internal/") {
			continue // the root package is its files; internal/ is one line
		}
		if !named[dir] {
			t.Errorf("package %s is not in README's layout", dir)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
