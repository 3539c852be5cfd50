package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/footnote-bot/footnote/bot"
)

// cmdInvite prints the URL that adds the bot to a server.
func cmdInvite(e env, args []string) error {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	if err := parseOwn(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !snowflake(fs.Arg(0)) {
		return usagef("invite: give the application ID (developer portal → your application → General Information → Application ID), e.g. footnote invite 1100000000000000001")
	}
	names, _ := bot.PermissionNames(bot.Permissions)
	fmt.Fprintln(e.stdout, bot.InviteURL(fs.Arg(0)))
	fmt.Fprintf(e.stdout, "\nOpen it while signed in to Discord as someone with Manage Server in the server to add footnote to.\nPermissions asked for: %s (%d).\n", strings.Join(names, ", "), bot.Permissions)
	return nil
}

// snowflake reports whether s looks like a Discord ID.
func snowflake(s string) bool {
	if len(s) < 15 || len(s) > 21 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
