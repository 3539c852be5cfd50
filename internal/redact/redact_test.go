package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"http://localhost:11434/v1", "http://localhost:11434/v1"},
		{"https://user:hunter2@llm.example.com/v1", "https://user:xxxxx@llm.example.com/v1"},
		{"https://sk-abcdef123456@llm.example.com/v1", "https://xxxxx@llm.example.com/v1"},
		{"http://admin:p%40ss@weaviate:8080", "http://admin:xxxxx@weaviate:8080"},
		{"https://discord.example/api/v10?api_key=s3cret&v=2&X-Amz-Signature=abc", "https://discord.example/api/v10?api_key=xxxxx&v=2&X-Amz-Signature=xxxxx"},
		{"https://h/v1?api-version=2024-02-01", "https://h/v1?api-version=2024-02-01"},
		{"http://u:pw@bad host/%zz", "http://xxxxx@bad host/%zz"}, // does not parse
	} {
		if got := URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, secret := range []string{"hunter2", "sk-abcdef123456", "p%40ss", "p@ss", "s3cret", "pw@"} {
			if strings.Contains(URL(c.in), secret) {
				t.Errorf("URL(%q) = %q keeps %q", c.in, URL(c.in), secret)
			}
		}
	}
}

func TestSecrets(t *testing.T) {
	const key = "my-configured-key-42"
	for _, c := range []struct{ in, want string }{
		{"invalid key " + key + " given", "invalid key xxxxx given"},
		{"Authorization: Bearer sk-proj-AbCdEf0123456789", "Authorization: Bearer xxxxx"},
		{`{"error":{"message":"Incorrect API key provided: sk-abc123def456."}}`, `{"error":{"message":"Incorrect API key provided: sk-xxxxx."}}`},
		{`{"api_key": "zzzz-yyyy-1234", "ok": true}`, `{"api_key": "xxxxx", "ok": true}`},
		{"proxy http://bob:pa55@proxy:3128 refused", "proxy http://xxxxx@proxy:3128 refused"},
		{"model not found", "model not found"},
		{"the key ends in configured-key-42.", "the key ends in xxxxx."},
		{"the key ends in ured-key-42.", "the key ends in xxxxx."},
	} {
		if got := Secrets(c.in, key, ""); got != c.want {
			t.Errorf("Secrets(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	const key = "sk-live-0123456789abcdef"
	huge := strings.Repeat("garbage ", 6<<20) // 48 MiB
	for _, c := range []struct {
		name, in string
		max      int
		want     string // prefix of the result
	}{
		{"short", "bad\n  gateway", 200, "bad gateway"},
		{"huge", huge, 200, "garbage garbage"},
		{"key echoed", "you sent Bearer " + key + " and " + key, 200, "you sent Bearer xxxxx and xxxxx"},
		{"keys to the cut", strings.Repeat(key+" ", 1000), 200, "xxxxx xxxxx"},
	} {
		got := Excerpt(c.in, c.max, key)
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: Excerpt = %q, want it to start %q", c.name, got, c.want)
		}
		if len(got) > c.max+40 {
			t.Errorf("%s: Excerpt is %d bytes, want about %d", c.name, len(got), c.max)
		}
		if strings.Contains(got, key) || strings.Contains(got, key[:12]) && c.name != "short" {
			t.Errorf("%s: Excerpt keeps the key: %q", c.name, got)
		}
		if len(c.in) > c.max && !strings.HasSuffix(got, " bytes)") {
			t.Errorf("%s: a cut excerpt should say how long the text was: %q", c.name, got)
		}
	}
}
