// Package report renders the question log's statistics for people: as text
// for the terminal and as one self-contained HTML page with charts (inline
// SVG, no scripts, no external files) for those who would rather look.
package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/footnote-bot/footnote/store"
)

// Text writes the statistics as plain text.
func Text(w io.Writer, st Summary, titles func(docID string) string) error {
	rate := 0.0
	if st.Questions > 0 {
		rate = 100 * float64(st.Abstained) / float64(st.Questions)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "footnote report since %s\n\n", st.Since.Format("2006-01-02"))
	fmt.Fprintf(&sb, "questions answered  %d\nabstained           %d (%.0f%%)\nvotes               %d up, %d down\nmedian latency      %.1f ms\n",
		st.Questions, st.Abstained, rate, st.Up, st.Down, st.LatencyP50MS)
	section := func(title string, lines []string) {
		fmt.Fprintf(&sb, "\n%s\n", title)
		if len(lines) == 0 {
			sb.WriteString("  (none)\n")
		}
		for _, l := range lines {
			fmt.Fprintf(&sb, "  %s\n", l)
		}
	}
	var lines []string
	for _, g := range st.Unanswered {
		lines = append(lines, fmt.Sprintf("%3d× %s", g.Count, g.Example))
	}
	section("Top unanswered questions", lines)
	lines = nil
	for _, c := range st.MostCited {
		lines = append(lines, fmt.Sprintf("%3d× %s", c.Count, titles(c.Name)))
	}
	section("Most-cited articles", lines)
	lines = nil
	for _, r := range st.WorstRated {
		lines = append(lines, fmt.Sprintf("down %d up %d  %s  [%s]", r.Down, r.Up, r.Question, strings.Join(r.Citations, ", ")))
	}
	section("Worst-rated answers", lines)
	lines = nil
	for _, t := range st.TopTerms {
		lines = append(lines, fmt.Sprintf("%3d× %s", t.Count, t.Name))
	}
	section("Most asked-about terms", lines)
	if len(st.Sources) > 0 {
		lines = nil
		for _, src := range st.Sources {
			l := fmt.Sprintf("%d %s  %d pages, %s", src.ID, src.URL, src.Pages, refreshed(src))
			if src.LastError != "" {
				l += "  (" + src.LastError + ")"
			}
			lines = append(lines, l)
		}
		section("Documentation sites", lines)
		lines = nil
		for _, c := range st.Changes {
			lines = append(lines, fmt.Sprintf("%s  %-7s %s", c.At.Format("2006-01-02 15:04"), c.Kind, c.URL))
		}
		section("Latest page changes", lines)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// refreshed says when a source was last refreshed.
func refreshed(src store.Source) string {
	if src.RefreshedAt.IsZero() {
		return "never refreshed"
	}
	return "refreshed " + src.RefreshedAt.Format("2006-01-02 15:04")
}

// bar is one bar of a chart.
type bar struct {
	Label          string
	Value          int
	X, Y, W, H     float64
	LabelX, LabelY float64
}

type chart struct {
	Title         string
	Width, Height float64
	Bars          []bar
	Bars2         []bar // a second series (abstentions, down votes)
	Legend        [2]string
	Empty         bool
}

// hbars lays out a horizontal bar chart.
func hbars(title string, items []store.Count, label func(string) string) chart {
	c := chart{Title: title, Width: 560, Height: float64(40 + 28*max(1, len(items)))}
	maxV := 1
	for _, it := range items {
		maxV = max(maxV, it.Count)
	}
	for i, it := range items {
		w := 300 * float64(it.Count) / float64(maxV)
		y := 30 + float64(i)*28
		c.Bars = append(c.Bars, bar{Label: label(it.Name), Value: it.Count, X: 220, Y: y, W: max(w, 2), H: 20, LabelX: 8, LabelY: y + 15})
	}
	c.Empty = len(items) == 0
	return c
}

// days lays out a two-series column chart per day.
func days(title string, ds []store.Day, a, b func(store.Day) int, legend [2]string) chart {
	c := chart{Title: title, Width: 560, Height: 240, Legend: legend}
	maxV := 1
	for _, d := range ds {
		maxV = max(maxV, a(d), b(d))
	}
	slot := 480 / float64(max(1, len(ds)))
	for i, d := range ds {
		x := 50 + float64(i)*slot
		h1 := 160 * float64(a(d)) / float64(maxV)
		h2 := 160 * float64(b(d)) / float64(maxV)
		bw := max(slot/2-4, 2)
		c.Bars = append(c.Bars, bar{Label: d.Date[5:], Value: a(d), X: x, Y: 200 - h1, W: bw, H: h1, LabelX: x, LabelY: 218})
		c.Bars2 = append(c.Bars2, bar{Value: b(d), X: x + bw + 2, Y: 200 - h2, W: bw, H: h2})
	}
	c.Empty = len(ds) == 0
	return c
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{"refreshed": refreshed}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>footnote report</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2330;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem} .sub{color:#5b6475;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1.5rem 0}
.card{border:1px solid #dde2ea;border-radius:8px;padding:1rem 1.4rem;min-width:150px}
.card b{display:block;font-size:1.8rem;color:#2f7d5b}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}
figure{border:1px solid #dde2ea;border-radius:8px;padding:.6rem;margin:0}
figcaption{font-weight:600;margin-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem} td,th{border-bottom:1px solid #e6e9ef;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{color:#5b6475;font-weight:600} .n{text-align:right;width:4rem}
</style></head><body>
<h1>footnote report</h1>
<p class="sub">Questions since {{.Since}} · generated {{.Generated}}</p>
<div class="cards">
<div class="card"><b>{{.St.Questions}}</b>questions answered</div>
<div class="card"><b>{{.AbstainRate}}</b>abstained</div>
<div class="card"><b>{{.St.Up}} / {{.St.Down}}</b>helpful / not helpful votes</div>
<div class="card"><b>{{printf "%.1f" .St.LatencyP50MS}} ms</b>median answer time</div>
</div>
<div class="charts">
{{range .Charts}}<figure><figcaption>{{.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="{{.Title}}">
{{if .Empty}}<text x="20" y="40" fill="#5b6475">No data yet</text>{{end}}
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#2f7d5b"><title>{{.Label}}: {{.Value}}</title></rect>
{{if .Label}}<text x="{{.LabelX}}" y="{{.LabelY}}" font-size="12" fill="#1d2330">{{.Label}}</text>{{end}}
{{end}}{{range .Bars2}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#c2563d"><title>{{.Value}}</title></rect>
{{end}}{{if index .Legend 0}}<rect x="50" y="228" width="10" height="10" fill="#2f7d5b"/><text x="64" y="237" font-size="11">{{index .Legend 0}}</text>
<rect x="200" y="228" width="10" height="10" fill="#c2563d"/><text x="214" y="237" font-size="11">{{index .Legend 1}}</text>{{end}}
</svg></figure>
{{end}}
</div>
<h2>Top unanswered questions</h2>
<table><tr><th class="n">times</th><th>question (similar ones grouped)</th></tr>
{{range .St.Unanswered}}<tr><td class="n">{{.Count}}</td><td>{{.Example}}</td></tr>{{else}}<tr><td></td><td>none</td></tr>{{end}}</table>
<h2>Most-cited articles</h2>
<table><tr><th class="n">citations</th><th>article</th></tr>
{{range .Cited}}<tr><td class="n">{{.Count}}</td><td>{{.Name}}</td></tr>{{else}}<tr><td></td><td>none</td></tr>{{end}}</table>
<h2>Worst-rated answers</h2>
<table><tr><th class="n">down</th><th class="n">up</th><th>question</th><th>cited passages</th></tr>
{{range .St.WorstRated}}<tr><td class="n">{{.Down}}</td><td class="n">{{.Up}}</td><td>{{.Question}}</td><td>{{range $i, $c := .Citations}}{{if $i}}, {{end}}{{$c}}{{end}}</td></tr>{{else}}<tr><td></td><td></td><td>none</td><td></td></tr>{{end}}</table>
{{if .St.Sources}}<h2>Documentation sites</h2>
<table><tr><th class="n">source</th><th>address</th><th class="n">pages</th><th>last refresh</th></tr>
{{range .St.Sources}}<tr><td class="n">{{.ID}}</td><td>{{.URL}}</td><td class="n">{{.Pages}}</td><td>{{refreshed .}}{{if .LastError}} ({{.LastError}}){{end}}</td></tr>{{end}}</table>
<h2>Latest page changes</h2>
<table><tr><th>when</th><th>change</th><th>page</th></tr>
{{range .St.Changes}}<tr><td>{{.At.Format "2006-01-02 15:04"}}</td><td>{{.Kind}}</td><td>{{.URL}}</td></tr>{{else}}<tr><td></td><td></td><td>none</td></tr>{{end}}</table>
{{end}}</body></html>
`))

// HTML writes the self-contained page.
func HTML(w io.Writer, st Summary, titles func(docID string) string, now time.Time) error {
	rate := "0%"
	if st.Questions > 0 {
		rate = fmt.Sprintf("%.0f%%", 100*float64(st.Abstained)/float64(st.Questions))
	}
	var cited []store.Count
	for _, c := range st.MostCited {
		cited = append(cited, store.Count{Name: titles(c.Name), Count: c.Count})
	}
	trunc := func(s string) string {
		if r := []rune(s); len(r) > 28 {
			return string(r[:27]) + "…"
		}
		return s
	}
	charts := []chart{
		hbars("Most asked-about topics", st.TopTerms, trunc),
		days("Questions and abstentions by day", st.Daily, func(d store.Day) int { return d.Questions }, func(d store.Day) int { return d.Abstained }, [2]string{"questions", "abstained"}),
		days("Votes by day", st.Daily, func(d store.Day) int { return d.Up }, func(d store.Day) int { return d.Down }, [2]string{"helpful", "not helpful"}),
		hbars("Most-cited articles", cited, trunc),
	}
	return page.Execute(w, map[string]any{
		"St": st, "Since": st.Since.Format("2006-01-02"), "Generated": now.Format("2006-01-02 15:04 MST"),
		"AbstainRate": rate, "Charts": charts, "Cited": cited,
	})
}
