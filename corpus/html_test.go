package corpus

import (
	"strings"
	"testing"
)

// body is enough article text for readability to take a page as content.
const body = `<p>Lanternfish follows messages through a queue and records how long each one waited before a consumer picked it up, without anything installed on the producers.</p>
<p>It reads the broker's own management interface every few seconds and keeps the traces on local disk for fourteen days unless told otherwise.</p>`

func TestHTMLTitle(t *testing.T) {
	tests := []struct {
		name, head, content, want string
	}{
		{"a site suffix after | is cut", `<title>Getting started | Lanternfish</title>`, body, "Getting started"},
		{"the part the <h1> matches is kept", `<title>Lanternfish - Getting started</title>`, `<h1>Getting started</h1>` + body, "Getting started"},
		{"og:site_name names the suffix", `<title>Queues and brokers — Lanternfish Docs</title><meta property="og:site_name" content="Lanternfish Docs">`, body, "Queues and brokers"},
		{"a long part after a hyphen is not a site name", `<title>Go 1.22 - what changed in the runtime and the scheduler</title>`, body, "Go 1.22 - what changed in the runtime and the scheduler"},
		{"og:title wins over <title>", `<title>Lanternfish</title><meta property="og:title" content="Retention">`, body, "Retention"},
		{"a <title> that is only the site name gives way to the <h1>", `<title>Lanternfish</title><meta property="og:site_name" content="Lanternfish">`, `<h1>Alerts</h1>` + body, "Alerts"},
		{"a <title> moved into the body by an <svg> in the head is still found",
			`<svg style="display:none"><symbol id="i"><title>Search</title></symbol></svg><title>Getting started | Lanternfish</title>`,
			`<h2>Introduction</h2>` + body, "Getting started"},
		{"an icon's <svg><title> is never the title", `<svg><title>Search</title></svg>`, `<h1>Retention</h1>` + body, "Retention"},
		{"no title and no <h1>: an <h2> does not name the page", ``, `<h2>Introduction</h2>` + body, "page"},
		{"the <h1> in the site header is not the page's", `<title>Lanternfish</title><meta property="og:site_name" content="Lanternfish">`,
			`</article><header><h1>Lanternfish</h1></header><article><h1>Ports</h1>` + body, "Ports"},
	}
	for _, tt := range tests {
		page := "<!doctype html><html><head>" + tt.head + "</head><body><article>" + tt.content + "</article></body></html>"
		d, err := parseHTML("page", []byte(page), testBuilder(t, 300))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d.Title != tt.want {
			t.Errorf("%s: title = %q, want %q", tt.name, d.Title, tt.want)
		}
		for _, s := range d.Sections {
			if strings.EqualFold(s, d.Title) {
				t.Errorf("%s: the title %q is also a section", tt.name, s)
			}
		}
	}
}

func TestHTMLBlocks(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"<pre> is a code block with its language", `<pre><code class="hljs language-yaml">storage:
  retention: 30d
</code></pre>`, []string{"```yaml\nstorage:\n  retention: 30d\n```"}},
		{"inline <code> stays code", `<p>Set <code>storage.retention</code>, then restart.</p>`, []string{"Set `storage.retention`, then restart."}},
		{"a nested list", `<ul><li>server<ul><li>web UI</li><li>API</li></ul></li><li><p>client</p><p>with three commands</p></li></ul>`,
			[]string{"- server\n  - web UI\n  - API\n- client with three commands"}},
		{"an ordered list keeps its start", `<ol start="3"><li>Stop it.</li><li>Start it.</li></ol>`, []string{"3. Stop it.\n4. Start it."}},
		{"a <pre> in an item follows the list part before it", `<ol><li>Unpack:<pre>tar xzf lf.tgz</pre></li><li>Run it.</li></ol>`,
			[]string{"1. Unpack:", "```\ntar xzf lf.tgz\n```", "2. Run it."}},
		{"a data table is rows, header first, short cells kept", `<table><thead><tr><th>Port</th><th>Use</th></tr></thead>
<tbody><tr><td>9470</td><td>Web <em>UI</em></td></tr><tr><td>9471</td><td><code>gossip</code></td></tr></tbody></table>`,
			[]string{"Port | Use\n9470 | Web UI\n9471 | `gossip`"}},
		{"a layout table is read as containers", `<table><tr><td><h3>Left</h3><p>Left column text.</p></td><td><p>Right column text.</p></td></tr></table>`,
			[]string{"### Left", "Left column text.", "Right column text."}},
		{"a heading's permalink is dropped", `<h2 id="ports">Ports <a class="anchor" href="#ports">¶</a></h2><h2>C# clients<a href="#c">#</a></h2>`,
			[]string{"## Ports", "## C# clients"}},
		{"loose text between blocks is a paragraph", `<div>Some loose text<p>A paragraph.</p>More loose text</div>`,
			[]string{"Some loose text", "A paragraph.", "More loose text"}},
	}
	for _, tt := range tests {
		got := showBlocks(htmlFragmentBlocks(tt.in, nil))
		if strings.Join(got, "\n¶\n") != strings.Join(tt.want, "\n¶\n") {
			t.Errorf("%s: htmlFragmentBlocks(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
