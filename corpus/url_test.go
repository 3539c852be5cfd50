package corpus

import (
	"context"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestCleanURL(t *testing.T) {
	tests := []struct {
		in, want string // want "" = refused
	}{
		{"https://docs.example.com/refunds", "https://docs.example.com/refunds"},
		{"  HTTPS://Docs.Example.COM:443/Refunds?a=1#top  ", "https://docs.example.com/Refunds?a=1#top"},
		{"http://example.com:8080/x", "http://example.com:8080/x"},
		{"https://en.wikipedia.org/wiki/Go_(programming_language)", "https://en.wikipedia.org/wiki/Go_%28programming_language%29"},
		{`https://example.com/search?q=a\b`, "https://example.com/search?q=a%5Cb"},
		{"https://de.wikipedia.org/wiki/Köln", "https://de.wikipedia.org/wiki/K%C3%B6ln"},
		{"https://example.com/a?q=ö", "https://example.com/a?q=%C3%B6"},
		{"https://example.com/a#:~:text=one%20two,three", "https://example.com/a#:~:text=one%20two,three"},
		{"https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"},
		// Refused: the phishing shapes, and anything that is not one absolute web address.
		{"https://docs.example.com/refunds) [Verify your account](https://evil.example/login", ""},
		{"https://docs.example.com/refunds)[Verify](https://evil.example/login", ""},
		{"https://docs.example.com/a b", ""},
		{"https://docs.example.com/a\tb", ""},
		{"https://docs.example.com/a\nb", ""},
		{"https://docs.example.com/\x00", ""},
		{"https://docs.example.com/\u202egnp.exe", ""},
		{"https://docs.example.com/\u200b", ""},
		{`https://docs.example.com/"onmouseover="x`, ""},
		{"https://docs.example.com/<script>", ""},
		{"https://docs.example.com/`x`", ""},
		{"https://docs.example.com@evil.example/", ""},
		{"https://user:pw@example.com/", ""},
		{"https://bücher.example/", ""},
		{"https://аpple.com/", ""}, // Cyrillic а
		{"https://[::1]/", ""},
		{"https://exa_mple.com/", ""},
		{"https://example.com:99999/", ""},
		{"javascript:alert(1)", ""},
		{"data:text/html,<b>x</b>", ""},
		{"ftp://example.com/x", ""},
		{"//example.com/x", ""},
		{"/relative/path", ""},
		{"https:example.com", ""},
		{"https://", ""},
		{"", ""},
		{"https://example.com/" + strings.Repeat("a", MaxURLBytes), ""},
	}
	for _, tt := range tests {
		got, err := CleanURL(tt.in)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("CleanURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if got != "" {
			if again, err := CleanURL(got); again != got || err != nil {
				t.Errorf("CleanURL(CleanURL(%q)) = %q, %v; want it unchanged", tt.in, again, err)
			}
		}
	}
}

// TestFrontMatterURLValidated: a url in front matter that is not one plain
// web address (the phishing example from issue 14) is dropped with a
// warning; the article still loads, with its title and text.
func TestFrontMatterURLValidated(t *testing.T) {
	tests := []struct {
		name, url, want string
		warn            bool
	}{
		{"valid", `"https://docs.example.com/refunds"`, "https://docs.example.com/refunds", false},
		{"re-serialised", "HTTPS://Docs.Example.com/a_(b)", "https://docs.example.com/a_%28b%29", false},
		{"masked link appended", `"https://docs.example.com/refunds) [Verify your account](https://evil.example/login"`, "", true},
		{"javascript", `"javascript:alert(1)"`, "", true},
		{"relative", "/refunds", "", true},
		{"a mapping", "{a: b}", "", true},
	}
	for _, tt := range tests {
		for _, ext := range []string{".md", ".txt"} {
			src := "---\ntitle: Refunds\nurl: " + tt.url + "\n---\nRefunds take five days.\n"
			docs, err := Parse(context.Background(), "refunds", "refunds"+ext, []byte(src), Options{})
			if err != nil || len(docs) != 1 {
				t.Fatalf("%s%s: %v", tt.name, ext, err)
			}
			d := docs[0]
			if d.URL != tt.want || d.Title != "Refunds" || len(d.Passages) != 1 {
				t.Errorf("%s%s: url %q title %q passages %d; want url %q", tt.name, ext, d.URL, d.Title, len(d.Passages), tt.want)
			}
			for _, p := range d.Passages {
				if p.URL != tt.want {
					t.Errorf("%s%s: passage url %q", tt.name, ext, p.URL)
				}
			}
			if (len(d.Warnings) > 0) != tt.warn {
				t.Errorf("%s%s: warnings %q, want a warning: %v", tt.name, ext, d.Warnings, tt.warn)
			}
		}
	}
}

// TestSetFrontMatterRoundTrip: whatever the title or URL, front matter
// written by SetFrontMatter reads back as written (issue 14: a backslash in
// a URL's query made the file unreadable), and a file's own block (CRLF
// too) is updated, not doubled.
func TestSetFrontMatterRoundTrip(t *testing.T) {
	titles := []string{
		`Quotes "double" and 'single'`,
		`Back\slash \n \" \\ \x41`,
		"Line one\nline two",
		"---",
		"--- not a fence ---",
		"key: value: more",
		"# hash, & anchor *alias, !tag, %percent, @at, `tick`",
		"[Verify your account](https://evil.example/login)",
		"Ünïcödé — 日本語 — emoji 📚 — RTL \u05e9\u05dc\u05d5\u05dd",
		"yes", "null", "~", "1e3", "0x10", "2024-01-02",
		"  leading and trailing  ",
		"...",
	}
	urls := []string{
		`https://example.com/search?q=a\b&c="d"`,
		`https://example.com/search?q=a\b\\c&d=\n`,
		"https://example.com/a?x=---&y=...",
		"https://example.com/a: b #c",
		"https://example.com/ünï/日本",
		"https://docs.example.com/refunds) [Verify your account](https://evil.example/login",
	}
	bodies := []string{
		"Widgets are blue.\n",
		"---\ntitle: Old\nauthor: Ann\n---\nWidgets are blue.\n",
		"---\r\ntitle: Old\r\nauthor: Ann\r\n---\r\nWidgets are blue.\r\n",
		"\n\n---  \nauthor: Ann\n...\nWidgets are blue.\n",
		"---\n---\nWidgets are blue.\n",
	}
	for _, title := range titles {
		for _, u := range urls {
			for bi, body := range bodies {
				text, err := SetFrontMatter(body, "url", u)
				if err == nil {
					text, err = SetFrontMatter(text, "title", title)
				}
				if err != nil {
					t.Fatalf("SetFrontMatter(body %d, %q, %q): %v", bi, title, u, err)
				}
				_, raw, _, found, err := cutFrontMatter(text)
				var m map[string]string
				if err == nil && found {
					err = yaml.Unmarshal([]byte(raw), &m)
				}
				if err != nil || m["url"] != u || m["title"] != title {
					t.Errorf("body %d: the block reads back url %q title %q (%v); want %q %q", bi, m["url"], m["title"], err, u, title)
				}
				for _, ext := range []string{".md", ".txt"} {
					docs, err := Parse(context.Background(), "a", "a"+ext, []byte(text), Options{})
					if err != nil || len(docs) != 1 {
						t.Fatalf("title %q url %q body %d%s: not readable: %v\n%s", title, u, bi, ext, err, text)
					}
					d := docs[0]
					wantURL, _ := CleanURL(u)
					wantTitle := strings.Join(strings.Fields(title), " ") // titles are one line
					if d.URL != wantURL || d.Title != wantTitle {
						t.Errorf("body %d%s: read back title %q url %q; want %q %q\n%s", bi, ext, d.Title, d.URL, wantTitle, wantURL, text)
					}
					if strings.Contains(body, "Ann") && d.Author != "Ann" {
						t.Errorf("body %d%s: author lost: %q\n%s", bi, ext, d.Author, text)
					}
					if len(d.Passages) != 1 || d.Passages[0].Text != "Widgets are blue." {
						t.Errorf("body %d%s: passages %+v\n%s", bi, ext, d.Passages, text)
					}
				}
				if strings.Count(text, "\n---\n") != 1 || !strings.HasPrefix(text, "---\n") {
					t.Errorf("body %d: not exactly one block:\n%s", bi, text)
				}
			}
		}
	}
}
