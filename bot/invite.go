package bot

import (
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Permissions are what footnote needs in a channel, and all it asks for
// when invited: to see the channel, reply in it and in its threads, show
// answers as embeds, and read the message a reply or "Find source" is
// about. Interaction responses need none of them; mentions and replies
// (channel messages) need all.
const Permissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory

// permissionNames are Discord's names for the permissions footnote uses,
// as the developer portal and a server's settings show them.
var permissionNames = []struct {
	bit  int64
	name string
}{
	{discordgo.PermissionViewChannel, "View Channels"},
	{discordgo.PermissionSendMessages, "Send Messages"},
	{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	{discordgo.PermissionEmbedLinks, "Embed Links"},
	{discordgo.PermissionReadMessageHistory, "Read Message History"},
}

// PermissionNames names the permissions in p that footnote knows, in the
// order the portal lists them, and reports whether p holds others.
func PermissionNames(p int64) (names []string, unknown bool) {
	for _, n := range permissionNames {
		if p&n.bit != 0 {
			names = append(names, n.name)
			p &^= n.bit
		}
	}
	return names, p != 0
}

// InviteURL is the link that adds footnote (application appID) to a
// server: the bot and slash-command scopes with Permissions. The person
// who follows it needs Manage Server in that server.
func InviteURL(appID string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", strconv.FormatInt(Permissions, 10))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
