package bot

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Command names.
const (
	cmdAsk        = "ask"
	cmdLookup     = "lookup"
	cmdCite       = "cite"
	cmdSources    = "sources"
	cmdHelp       = "help"
	cmdReload     = "reload"
	cmdIngest     = "ingest"
	cmdForget     = "forget"
	cmdStats      = "stats"
	cmdQuota      = "quota"
	cmdFindSource = "Find source"
)

// Commands is the command set registered with Discord.
func Commands() []*discordgo.ApplicationCommand {
	one, maxQ := 1, 1000
	manage := int64(discordgo.PermissionManageGuild)
	noDM := false
	return []*discordgo.ApplicationCommand{
		{Name: cmdAsk, Description: "Ask a question; the answer cites the articles it comes from", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question", Required: true, MinLength: &one, MaxLength: maxQ},
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "Only you see the answer"},
		}},
		{Name: cmdLookup, Description: "Search the article passages", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "Words to look for", Required: true, MinLength: &one, MaxLength: maxQ},
			{Type: discordgo.ApplicationCommandOptionString, Name: "article", Description: "Only this article", Autocomplete: true},
		}},
		{Name: cmdCite, Description: "Show one passage word for word with its source", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "passage", Description: "Passage (start typing a title or words)", Required: true, Autocomplete: true},
		}},
		{Name: cmdSources, Description: "List the articles footnote answers from"},
		{Name: cmdHelp, Description: "What footnote does and how to ask"},
		{Name: cmdReload, Description: "Re-read the articles (admins)", DefaultMemberPermissions: &manage, DMPermission: &noDM},
		{Name: cmdIngest, Description: "Add an article from a web page or a file (admins)", DefaultMemberPermissions: &manage, DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "url", Description: "Web page (http or https)", MaxLength: 2000},
				{Type: discordgo.ApplicationCommandOptionAttachment, Name: "file", Description: "A .md, .txt, .html or .pdf file"},
			}},
		{Name: cmdForget, Description: "Remove an article (admins)", DefaultMemberPermissions: &manage, DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "article", Description: "The article", Required: true, Autocomplete: true},
			}},
		{Name: cmdSource, Description: "Keep a documentation site in the articles (admins)", DefaultMemberPermissions: &manage, DMPermission: &noDM, Options: sourceOptions()},
		{Name: cmdStats, Description: "How footnote was used this week (admins)", DefaultMemberPermissions: &manage, DMPermission: &noDM},
		{Name: cmdQuota, Description: "How much of today's language-model budget this server and you have used"},
		{Name: cmdFindSource, Type: discordgo.MessageApplicationCommand},
	}
}

// commandsPayload is the bulk-overwrite body. discordgo encodes
// default_member_permissions as a string; Discord's API specification
// types it as an integer, so it is re-encoded as one.
func commandsPayload() ([]map[string]any, error) {
	raw, err := json.Marshal(Commands())
	if err != nil {
		return nil, err
	}
	var cmds []map[string]any
	if err := json.Unmarshal(raw, &cmds); err != nil {
		return nil, err
	}
	for _, c := range cmds {
		if s, ok := c["default_member_permissions"].(string); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("command %v: default_member_permissions %q: %w", c["name"], s, err)
			}
			c["default_member_permissions"] = n
		}
	}
	return cmds, nil
}
