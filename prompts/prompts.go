// Package prompts holds every piece of wording footnote shows or sends: the
// template answers, the abstention, the notices and the LLM's system and user
// prompts. Each is a text/template file embedded in the binary; a folder of
// files with the same names (FOOTNOTE_PROMPTS_DIR) overrides them one by one.
package prompts

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var builtin embed.FS

// Names of the templates, and the data each receives.
const (
	Answer         = "answer"          // AnswerData
	Abstain        = "abstain"         // AbstainData
	Author         = "author"          // DocData
	Date           = "date"            // DocData
	About          = "about"           // DocData
	Sections       = "sections"        // DocData
	LLMSystem      = "llm_system"      // LLMData
	LLMUser        = "llm_user"        // LLMData
	FallbackNotice = "fallback_notice" // NoticeData
)

// Sentence is one sentence of an answer and the citation it carries.
// Code, when set, is a code block (a Markdown fence) the sentence
// introduces ("Run it with:"), shown after it.
type Sentence struct {
	Text string
	N    int
	Code string
}

// AnswerData feeds the answer template.
type AnswerData struct {
	Question  string
	Sentences []Sentence
}

// AbstainData feeds the abstention template.
type AbstainData struct {
	Question string
	Articles int
}

// SectionRef is a section heading and the citation of its first passage.
type SectionRef struct {
	Heading string
	N       int
}

// DocData feeds the whole-article templates.
type DocData struct {
	Title    string
	Author   string
	Date     string
	URL      string
	Lead     string // the article's first sentence
	N        int    // citation for the author, date or lead
	Sections []SectionRef
	Matching bool // Sections are those matching the question
}

// Passage is one numbered passage given to the LLM.
type Passage struct {
	N       int
	Title   string
	Section string
	Text    string
}

// LLMData feeds the LLM prompts.
type LLMData struct {
	Question string
	Context  string // the earlier question of a follow-up, if any
	Passages []Passage
}

// NoticeData feeds notices.
type NoticeData struct {
	Reason string
}

// Set is a parsed set of templates.
type Set struct {
	t *template.Template
}

var funcs = template.FuncMap{
	"trim": strings.TrimSpace,
	// quote renders text as a block quote whose lines cannot close it early.
	"quote": func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		for i, l := range lines {
			lines[i] = "> " + l
		}
		return strings.Join(lines, "\n")
	},
	"add": func(a, b int) int { return a + b },
}

// Load parses the built-in templates, then any *.tmpl files in dir (which may
// be empty) over them. A file whose name is not a built-in template is an
// error, so a typo does not pass silently.
func Load(dir string) (*Set, error) {
	root := template.New("prompts").Funcs(funcs).Option("missingkey=error")
	names, err := fs.Glob(builtin, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, n := range names {
		data, err := builtin.ReadFile(n)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(n), ".tmpl")
		known[name] = true
		if _, err := root.New(name).Parse(string(data)); err != nil {
			return nil, fmt.Errorf("built-in prompt %s: %w", name, err)
		}
	}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("prompts dir %s: %w", dir, err)
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("prompts dir: %w", err)
		}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".tmpl")
			if !known[name] {
				return nil, fmt.Errorf("prompts dir %s: %s is not a known template (known: %s)", dir, filepath.Base(f), strings.Join(Names(), ", "))
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("prompts dir: %w", err)
			}
			if _, err := root.New(name).Parse(string(data)); err != nil {
				return nil, fmt.Errorf("prompt %s: %w", f, err)
			}
		}
	}
	return &Set{t: root}, nil
}

// Names lists the built-in template names.
func Names() []string {
	names, _ := fs.Glob(builtin, "templates/*.tmpl")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(filepath.Base(n), ".tmpl")
	}
	sort.Strings(out)
	return out
}

// Render executes a template, trimming surrounding white space.
func (s *Set) Render(name string, data any) (string, error) {
	var sb strings.Builder
	if err := s.t.ExecuteTemplate(&sb, name, data); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return strings.TrimSpace(sb.String()), nil
}
