package main

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/footnote-bot/footnote/bot"
)

// TestInviteURLHasREADMEsPermissions: the URL footnote invite prints asks
// for exactly the permissions README's set-up lists (by name and as the
// integer it quotes), with the bot and slash-command scopes.
func TestInviteURLHasREADMEsPermissions(t *testing.T) {
	out, _, err := runCLI(t, nil, "invite", "1100000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(strings.Fields(out)[0])
	if err != nil || u.Host != "discord.com" || u.Path != "/oauth2/authorize" {
		t.Fatalf("invite URL %q: %v", out, err)
	}
	q := u.Query()
	if q.Get("client_id") != "1100000000000000001" || q.Get("scope") != "bot applications.commands" {
		t.Errorf("client_id / scope: %v", q)
	}
	perms, err := strconv.ParseInt(q.Get("permissions"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	got, unknown := bot.PermissionNames(perms)
	if unknown {
		t.Errorf("permissions %d hold bits footnote does not name", perms)
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	step := regexp.MustCompile(`(?s)\*\*Invite it\.\*\*(.*?)\n\d+\. \*\*`).FindSubmatch(readme)
	if step == nil {
		t.Fatal("README has no \"Invite it.\" step")
	}
	listed := regexp.MustCompile(`(?s)bot permissions \*\*(.*?)\*\*`).FindSubmatch(step[1])
	if listed == nil {
		t.Fatal("README's invite step lists no bot permissions")
	}
	var want []string
	for _, n := range strings.Split(string(listed[1]), ",") {
		want = append(want, strings.Join(strings.Fields(n), " "))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("invite asks for %v, README lists %v", got, want)
	}
	if !strings.Contains(string(step[1]), "`"+q.Get("permissions")+"`") {
		t.Errorf("README's invite step does not quote the permission integer %s", q.Get("permissions"))
	}
	if _, _, err := runCLI(t, nil, "invite", "not-an-id"); err == nil {
		t.Error("invite accepted a malformed application ID")
	}
}
