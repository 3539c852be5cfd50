package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The packages' layering (issue 15): the bot only speaks Discord and
// renders answer's values, so it depends, even indirectly, on no
// retrieval, storage or article library; the shared state does not depend
// on the bot; the store does no text analysis.
func TestLayers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list dependencies with")
	}
	const mod = "github.com/footnote-bot/footnote/"
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"bot", []string{"retrieval", "store", "library"}},
		{"redisstate", []string{"bot"}},
		{"store", []string{"retrieval"}},
		{"answer/cited", []string{"retrieval", "store", "library", "corpus"}},
	}
	for _, tt := range tests {
		out, err := exec.Command(goTool, "list", "-deps", "./"+tt.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", tt.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range tt.forbidden {
				if dep == mod+f || strings.HasPrefix(dep, mod+f+"/") {
					t.Errorf("%s depends on %s", tt.pkg, dep)
				}
			}
		}
	}
}
