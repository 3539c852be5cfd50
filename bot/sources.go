package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer/cited"
)

// Sources keeps documentation sites in a server's articles (/source); nil:
// the deployment has none. A refresh runs in the background, bounded by
// the process's lifetime rather than the interaction's.
type Sources interface {
	Add(ctx context.Context, guild string, s SourceSpec) (SourceInfo, error)
	// Start starts a refresh of one of guild's sources in the background.
	Start(ctx context.Context, guild string, id int64) error
	List(ctx context.Context, guild string) ([]SourceInfo, error)
	// Remove removes a source and its pages' articles, saying how many.
	Remove(ctx context.Context, guild string, id int64) (SourceInfo, int, error)
	// Changes are guild's newest page changes (source 0: every source's).
	Changes(ctx context.Context, guild string, source int64, limit int) ([]SourceChange, error)
	// Changed says when an article from a source last changed, when that
	// was within the last day.
	Changed(docID string) (time.Time, bool)
}

// SourceSpec is what /source add asks for.
type SourceSpec struct {
	URL              string
	Include, Exclude []string
	MaxPages         int
	By               string
}

// SourceInfo is a source as /source list shows it.
type SourceInfo struct {
	ID          int64
	URL         string
	Pages       int
	RefreshedAt time.Time // zero: not yet
	Next        time.Time
	LastError   string
	Running     bool
	Configured  bool
}

// SourceChange is a page a refresh added, changed or removed.
type SourceChange struct {
	Source int64
	At     time.Time
	URL    string
	Kind   string // added, changed, removed
}

// ErrSourceBusy is what Start returns while the source's refresh runs.
var ErrSourceBusy = errors.New("a refresh of this source is already running")

const (
	cmdSource         = "source"
	maxPagesPerSource = 2000
)

// sourceOptions are /source's subcommands.
func sourceOptions() []*discordgo.ApplicationCommandOption {
	one, most := 1.0, float64(maxPagesPerSource)
	id := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "id", Description: "The source's number (see /source list)", Required: true, MinValue: &one}
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Add a site from its sitemap or a start page, and fetch it", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "url", Description: "sitemap.xml, or the page to crawl from (its folder and below)", Required: true, MaxLength: 2000},
			{Type: discordgo.ApplicationCommandOptionString, Name: "include", Description: "Only these paths, comma-separated patterns (/docs/**)", MaxLength: 500},
			{Type: discordgo.ApplicationCommandOptionString, Name: "exclude", Description: "Leave out these paths, comma-separated patterns (/blog/**)", MaxLength: 500},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "max_pages", Description: "At most this many pages (default 2000)", MinValue: &one, MaxValue: most},
		}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "The sites kept, their pages, last refresh and errors"},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "refresh", Description: "Fetch a site again now", Options: []*discordgo.ApplicationCommandOption{id}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Stop keeping a site and remove its pages", Options: []*discordgo.ApplicationCommandOption{id}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "changes", Description: "Pages the last refreshes added, changed and removed", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "id", Description: "Only this source", MinValue: &one},
		}},
	}
}

// source runs /source's subcommands (admins only).
func (b *Bot) source(ctx context.Context, i *interaction, data discordgo.ApplicationCommandInteractionData) {
	if !b.requireAdmin(ctx, i, cmdSource) {
		return
	}
	if b.opt.Sources == nil {
		i.reply(ctx, ephemeral("Keeping documentation sites is not available in this deployment."))
		return
	}
	if len(data.Options) != 1 {
		i.reply(ctx, ephemeral("Use /source add, list, refresh, remove or changes."))
		return
	}
	sub := data.Options[0]
	opts := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, o := range sub.Options {
		opts[o.Name] = o
	}
	str := func(name string) string {
		if o, ok := opts[name]; ok {
			return strings.TrimSpace(o.StringValue())
		}
		return ""
	}
	num := func(name string) int64 {
		if o, ok := opts[name]; ok {
			return o.IntValue()
		}
		return 0
	}
	i.reply(ctx, b.sourceReply(ctx, i, sub.Name, str, num))
}

// sourceReply computes /source's reply.
func (b *Bot) sourceReply(ctx context.Context, i *interaction, sub string, str func(string) string, num func(string) int64) Reply {
	src := b.opt.Sources
	guild := i.GuildID
	switch sub {
	case "add":
		by := ""
		if u := userOf(i.InteractionCreate); u != nil {
			by = u.ID
		}
		info, err := src.Add(ctx, guild, SourceSpec{URL: str("url"), Include: patterns(str("include")), Exclude: patterns(str("exclude")), MaxPages: int(num("max_pages")), By: by})
		if err != nil {
			return ephemeral(plainText("Not added: " + err.Error()))
		}
		if err := src.Start(ctx, guild, info.ID); err != nil && !errors.Is(err, ErrSourceBusy) {
			b.log.Warn("source refresh not started", "source", info.ID, "err", err)
			return ephemeral(plainText(fmt.Sprintf("Added source %d, but its first refresh did not start: %v", info.ID, err)))
		}
		return ephemeral(fmt.Sprintf("Added source %d, %s. Its pages are being fetched now, politely (a large site takes a few minutes); `/source list` shows how far it is and `/source changes` what it added.",
			info.ID, inlineCode(truncate(info.URL, 300))))
	case "list":
		list, err := src.List(ctx, guild)
		if err != nil {
			b.log.Error("listing sources", "err", err)
			return ephemeral("Could not read the sources; the error was logged.")
		}
		return sourceListReply(list, time.Now())
	case "refresh":
		id := num("id")
		err := src.Start(ctx, guild, id)
		switch {
		case errors.Is(err, ErrSourceBusy):
			return ephemeral(fmt.Sprintf("Source %d is being refreshed already; `/source list` shows when it is done.", id))
		case err != nil:
			return ephemeral(plainText(fmt.Sprintf("Not refreshed: %v", err)))
		}
		return ephemeral(fmt.Sprintf("Refreshing source %d now; `/source changes id:%d` shows what changed when it is done.", id, id))
	case "remove":
		info, n, err := src.Remove(ctx, guild, num("id"))
		if err != nil {
			return ephemeral(plainText("Not removed: " + err.Error()))
		}
		return ephemeral(fmt.Sprintf("Removed source %d, %s, and its %d pages; footnote no longer answers from them.", info.ID, inlineCode(truncate(info.URL, 300)), n))
	case "changes":
		ch, err := src.Changes(ctx, guild, num("id"), 25)
		if err != nil {
			b.log.Error("listing source changes", "err", err)
			return ephemeral("Could not read the changes; the error was logged.")
		}
		return sourceChangesReply(ch, time.Now())
	}
	return ephemeral("Use /source add, list, refresh, remove or changes.")
}

// patterns splits a comma-separated list of path patterns.
func patterns(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ago says how long ago t was, roughly ("3 h ago").
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

func sourceListReply(list []SourceInfo, now time.Time) Reply {
	if len(list) == 0 {
		return ephemeral("No documentation sites are kept in this server yet. Add one with `/source add url:https://docs.example.org/sitemap.xml`.")
	}
	var lines []string
	for _, s := range list {
		state := "never refreshed"
		switch {
		case s.Running:
			state = "refreshing now"
		case !s.RefreshedAt.IsZero():
			state = "refreshed " + ago(s.RefreshedAt, now)
		}
		line := fmt.Sprintf("**%d** %s · %d pages · %s", s.ID, inlineCode(truncate(s.URL, 200)), s.Pages, state)
		if s.Configured {
			line += " · from the config file"
		}
		if s.LastError != "" {
			line += "\n  ⚠ " + escapeMD(truncate(plainText(s.LastError), 300))
		}
		lines = append(lines, line)
	}
	e := &discordgo.MessageEmbed{Title: "Documentation sites", Color: colorInfo, Description: truncate(strings.Join(lines, "\n"), maxDesc)}
	return Reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true}
}

func sourceChangesReply(ch []SourceChange, now time.Time) Reply {
	if len(ch) == 0 {
		return ephemeral("No pages have been added, changed or removed yet.")
	}
	var lines []string
	for _, c := range ch {
		lines = append(lines, fmt.Sprintf("%s %s · source %d · %s", c.Kind, inlineCode(truncate(c.URL, 200)), c.Source, ago(c.At, now)))
	}
	e := &discordgo.MessageEmbed{Title: "Latest page changes", Color: colorInfo, Description: truncate(strings.Join(lines, "\n"), maxDesc)}
	return Reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true}
}

// markUpdated notes on an answer's citations when their articles changed
// recently (a documentation site's page changed in its last refresh).
func (b *Bot) markUpdated(a *cited.Answer) {
	if b.opt.Sources == nil {
		return
	}
	for k := range a.Citations {
		if at, ok := b.opt.Sources.Changed(a.Citations[k].DocID); ok {
			a.Citations[k].Updated = at
		}
	}
}
