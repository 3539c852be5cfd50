package discordtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/internal/apispec"
	"github.com/footnote-bot/footnote/internal/sharedtest"
)

const (
	chanMsgs = "/channels/1400000000000000001/messages"
	callback = "/interactions/1500000000000000001/tok/callback"
	edit     = "/webhooks/" + AppID + "/tok/messages/@original"
	commands = "/applications/" + AppID + "/guilds/" + GuildID + "/commands"
)

// The fake's own checks must pass what the bot sends and be able to fail:
// these cases prove both, without ../shared. Where the spec is there, the
// good cases must pass it too, so the fake's checks are not stricter than
// Discord where the spec speaks.
func TestChecks(t *testing.T) {
	long := strings.Repeat("a", 2001)
	field := func(name, value string) string { return `{"name":"` + name + `","value":"` + value + `"}` }
	tests := []struct {
		name, method, path, body string
		want                     string // "" = no problem; else a substring of one
	}{
		{"message", "POST", chanMsgs, `{"content":"hi","allowed_mentions":{"parse":[]},"message_reference":{"message_id":"1300000000000000555"}}`, ""},
		{"embed and buttons", "POST", chanMsgs, `{"embeds":[{"title":"t","description":"d","color":5814783,"fields":[` + field("Sources", "[1] a") + `],"footer":{"text":"f"}}],` +
			`"components":[{"type":1,"components":[{"type":2,"style":2,"label":"Show quotes","custom_id":"quotes:k"},{"type":2,"style":2,"emoji":{"name":"👍"},"custom_id":"vote:up:k"}]}],"allowed_mentions":{"parse":[],"replied_user":false}}`, ""},
		{"edit", "PATCH", edit, `{"content":"","embeds":[],"components":[],"allowed_mentions":{"parse":[]}}`, ""},
		{"deferred", "POST", callback, `{"type":5,"data":{"flags":64,"allowed_mentions":{"parse":[]}}}`, ""},
		{"deferred without data", "POST", callback, `{"type":5}`, ""},
		{"autocomplete", "POST", callback, `{"type":8,"data":{"choices":[{"name":"Guide","value":"guide"}]}}`, ""},
		{"commands", "PUT", commands, `[{"name":"ask","description":"Ask","options":[{"type":3,"name":"question","description":"Q","required":true,"min_length":1,"max_length":300},{"type":5,"name":"private","description":"P"}]},` +
			`{"name":"Find source","type":3}]`, ""},
		{"gateway", "GET", "/gateway", ``, ""},

		{"not JSON", "POST", chanMsgs, `{"content":`, "not JSON"},
		{"no allowed_mentions", "POST", chanMsgs, `{"content":"hi"}`, "no allowed_mentions"},
		{"pings everyone", "POST", chanMsgs, `{"content":"hi","allowed_mentions":{"parse":["everyone"]}}`, "allowed_mentions.parse"},
		{"pings a user", "PATCH", edit, `{"content":"hi","allowed_mentions":{"parse":[],"users":["1"]}}`, "allowed_mentions.users"},
		{"pings the replied user", "POST", chanMsgs, `{"content":"hi","allowed_mentions":{"parse":[],"replied_user":true}}`, "replied_user"},
		{"callback message without allowed_mentions", "POST", callback, `{"type":4,"data":{"content":"hi"}}`, "no allowed_mentions"},
		{"content too long", "POST", chanMsgs, `{"content":"` + long + `","allowed_mentions":{"parse":[]}}`, "content has 2001 characters"},
		{"content not a string", "PATCH", edit, `{"content":5,"allowed_mentions":{"parse":[]}}`, "want a string"},
		{"empty field value", "POST", chanMsgs, `{"embeds":[{"fields":[` + field("n", "") + `]}],"allowed_mentions":{"parse":[]}}`, "value has 0 characters"},
		{"embed total over 6000", "POST", chanMsgs, `{"embeds":[{"description":"` + strings.Repeat("a", 4000) + `"},{"description":"` + strings.Repeat("a", 2001) + `"}],"allowed_mentions":{"parse":[]}}`, "6000"},
		{"six action rows", "POST", chanMsgs, `{"components":[` + strings.Repeat(`{"type":1,"components":[{"type":2,"style":1,"label":"x","custom_id":"a"}]},`, 5) +
			`{"type":1,"components":[{"type":2,"style":1,"label":"x","custom_id":"b"}]}],"allowed_mentions":{"parse":[]}}`, "6 action rows"},
		{"duplicate custom_id", "POST", chanMsgs, `{"components":[{"type":1,"components":[{"type":2,"style":1,"label":"x","custom_id":"a"},{"type":2,"style":1,"label":"y","custom_id":"a"}]}],"allowed_mentions":{"parse":[]}}`, "used twice"},
		{"button without custom_id", "POST", chanMsgs, `{"components":[{"type":1,"components":[{"type":2,"style":1,"label":"x"}]}],"allowed_mentions":{"parse":[]}}`, "custom_id is required"},
		{"empty action row", "POST", chanMsgs, `{"components":[{"type":1,"components":[]}],"allowed_mentions":{"parse":[]}}`, "without components"},
		{"reply to nothing", "POST", chanMsgs, `{"content":"hi","allowed_mentions":{"parse":[]},"message_reference":{"channel_id":"1"}}`, "message_id is required"},
		{"unknown callback type", "POST", callback, `{"type":3}`, "not an interaction callback type"},
		{"callback without type", "POST", callback, `{"data":{}}`, "type is required"},
		{"too many choices", "POST", callback, `{"type":8,"data":{"choices":[` + strings.Repeat(`{"name":"a","value":"a"},`, 25) + `{"name":"a","value":"a"}]}}`, "26 items"},
		{"slash command in capitals", "PUT", commands, `[{"name":"Ask","description":"d"}]`, "want lowercase"},
		{"slash command with a space", "PUT", commands, `[{"name":"find source","description":"d"}]`, "want lowercase"},
		{"slash command without description", "PUT", commands, `[{"name":"ask"}]`, "description is required"},
		{"option name with a space", "PUT", commands, `[{"name":"ask","description":"d","options":[{"type":3,"name":"the question","description":"q"}]}]`, "option name"},
		{"required after optional", "PUT", commands, `[{"name":"ask","description":"d","options":[{"type":3,"name":"a","description":"a"},{"type":3,"name":"b","description":"b","required":true}]}]`, "after an optional"},
		{"command twice", "PUT", commands, `[{"name":"ask","description":"d"},{"name":"ask","description":"d"}]`, "twice"},
		{"message command with description", "PUT", commands, `[{"name":"Find source","type":3,"description":"d"}]`, "no description"},
		{"commands not an array", "PUT", commands, `{"name":"ask"}`, "want an array"},
		{"GET with a body", "GET", "/users/@me", `{}`, "with a body"},
	}
	var spec *apispec.Spec
	if path, ok := sharedtest.Optional(t, "specs", "discord-openapi.json"); ok {
		var err error
		if spec, err = apispec.Load(path, "/api/v10"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probs := checkRequest(tc.method, tc.path, []byte(tc.body))
			got := strings.Join(probs, "\n")
			switch {
			case tc.want == "" && len(probs) > 0:
				t.Errorf("good request flagged:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("problems = %q, want one with %q", got, tc.want)
			}
			if tc.want == "" && spec != nil {
				r := httptest.NewRequest(tc.method, "/api/v10"+tc.path, strings.NewReader(tc.body))
				if tc.body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				if _, err := spec.ValidateRequest(r, []byte(tc.body)); err != nil {
					t.Errorf("good case fails the spec: %v", err)
				}
			}
		})
	}
}

// The server runs the checks on every request, spec or not.
func TestServerChecksRequests(t *testing.T) {
	s := New(t, Options{})
	req, _ := http.NewRequest("POST", s.APIURL()+chanMsgs, strings.NewReader(`{"content":"hi @everyone"}`))
	req.Header.Set("Authorization", "Bot "+Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	probs := strings.Join(s.Problems(), "\n")
	if !strings.Contains(probs, "no allowed_mentions") {
		t.Errorf("problems = %q, want the missing allowed_mentions", probs)
	}
	s.mu.Lock()
	s.problems = nil // seen: the cleanup need not fail the test
	s.mu.Unlock()
}
