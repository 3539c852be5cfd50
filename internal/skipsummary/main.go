// Command skipsummary reads `go test -json` output and prints one line of
// what ran and a line per reason tests skipped: `go test ./...` shows only
// "ok" for a package that passed, whatever it skipped.
//
//	go test -json ./... | go run ./internal/skipsummary
//
// It exits 1 when a test failed (so it can end a pipeline), after the
// summary.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// location is the file:line prefix of a t.Skip message.
var location = regexp.MustCompile(`^\s*[\w./-]+\.go:\d+: `)

type counts struct {
	pass, fail, skip int
	reasons          map[string][]string // reason → tests
}

func summarise(r io.Reader) (counts, error) {
	c := counts{reasons: map[string][]string{}}
	last := map[string]string{} // package/test → its last output line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // go test's own lines (build errors) are not JSON
		}
		if e.Test == "" {
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if l := strings.TrimSpace(e.Output); l != "" && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "===") {
				last[key] = l
			}
		case "pass":
			c.pass++
		case "fail":
			c.fail++
		case "skip":
			c.skip++
			reason := location.ReplaceAllString(last[key], "")
			if reason == "" {
				reason = "(no reason given)"
			}
			c.reasons[reason] = append(c.reasons[reason], e.Test)
		}
	}
	return c, sc.Err()
}

func main() {
	c, err := summarise(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skipsummary:", err)
		os.Exit(2)
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", c.pass, c.fail, c.skip)
	reasons := make([]string, 0, len(c.reasons))
	for r := range c.reasons {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if len(c.reasons[reasons[i]]) != len(c.reasons[reasons[j]]) {
			return len(c.reasons[reasons[i]]) > len(c.reasons[reasons[j]])
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		tests := c.reasons[r]
		fmt.Printf("  %3d skipped: %s (%s)\n", len(tests), r, strings.Join(first(tests, 3), ", ")+more(tests, 3))
	}
	if c.fail > 0 {
		os.Exit(1)
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func more(s []string, n int) string {
	if len(s) <= n {
		return ""
	}
	return fmt.Sprintf(", … %d more", len(s)-n)
}
