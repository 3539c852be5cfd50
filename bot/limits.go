package bot

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// limits enforces per-user cooldowns (kept in the shared State),
// per-guild concurrency and channel allow-lists.
type limits struct {
	opt   Options
	state State
	log   *slog.Logger

	mu       sync.Mutex
	inFlight map[string]int // guild → questions being answered
}

func newLimits(opt Options, state State, log *slog.Logger) *limits {
	return &limits{opt: opt, state: state, log: log, inFlight: map[string]int{}}
}

func (l *limits) cooldownFor(guild string) time.Duration {
	if g, ok := l.opt.Guilds[guild]; ok && g.Cooldown > 0 {
		return g.Cooldown
	}
	return l.opt.Cooldown
}

// channelAllowed reports whether questions may be asked in a channel.
func (l *limits) channelAllowed(guild, channel string) bool {
	g, ok := l.opt.Guilds[guild]
	if !ok || len(g.AllowedChannels) == 0 {
		return true
	}
	return slices.Contains(g.AllowedChannels, channel)
}

// take starts a question for a user in a guild. It returns a release func,
// or that the guild is busy, or how long the user must wait (cooldown). If
// the shared state cannot be reached the question goes through (logged):
// a cooldown is not worth an outage.
func (l *limits) take(ctx context.Context, guild, user string) (release func(), wait time.Duration, busy bool) {
	l.mu.Lock()
	if l.inFlight[guild] >= l.opt.GuildConcurrency {
		l.mu.Unlock()
		return nil, 0, true
	}
	l.inFlight[guild]++
	l.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			l.mu.Lock()
			l.inFlight[guild]--
			if l.inFlight[guild] <= 0 {
				delete(l.inFlight, guild)
			}
			l.mu.Unlock()
		})
	}
	if left := l.cooldown(ctx, guild, user); left > 0 {
		release()
		return nil, left, false
	}
	return release, 0, false
}

// cooldown reports how long a user must wait before their next question or
// public command (/ask, mentions, /lookup, /cite, /sources, Find source: one
// cooldown for all, so alternating commands is no faster), or 0 and starts
// the wait. If the shared state cannot be reached the command goes through
// (logged).
func (l *limits) cooldown(ctx context.Context, guild, user string) time.Duration {
	cd := l.cooldownFor(guild)
	if cd <= 0 {
		return 0
	}
	// Per user, across guilds and shards: one person, one pace.
	left, err := l.state.Cooldown(ctx, "user/"+user, cd)
	if err != nil {
		l.log.Warn("cooldown not checked", "err", err)
		return 0
	}
	return left
}

// maxReplyMessages is the most messages one reply may post: the response
// and two follow-ups. A passage too long for them goes as a file
// (citeReply); anything else is cut, with a note (capMessages).
const maxReplyMessages = 3

// capMessages keeps at most maxReplyMessages messages of r, noting the cut
// in the last one kept and in the log.
func (b *Bot) capMessages(i *discordgo.Interaction, r Reply) Reply {
	if 1+len(r.More) <= maxReplyMessages {
		return r
	}
	dropped := 1 + len(r.More) - maxReplyMessages
	r.More = append([]Reply(nil), r.More[:maxReplyMessages-1]...)
	note := fmt.Sprintf("(%d more messages were not sent: footnote posts at most %d per reply. `/cite` sends a long passage as a file.)", dropped, maxReplyMessages)
	last := &r
	if len(r.More) > 0 {
		last = &r.More[len(r.More)-1]
	}
	last.Content = truncate(strings.TrimSpace(last.Content+"\n"+note), maxContent)
	b.log.Warn("reply cut to the message cap", "interaction", i.ID, "messages", maxReplyMessages, "dropped", dropped)
	return r
}

// isAdmin reports whether the member may run admin commands: Manage Server
// or Administrator permission, or a configured admin role. Never in DMs.
func (l *limits) isAdmin(i *discordgo.InteractionCreate) bool {
	if i.Member == nil || i.GuildID == "" {
		return false
	}
	if i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0 {
		return true
	}
	roles := []string{}
	if l.opt.AdminRole != "" {
		roles = append(roles, l.opt.AdminRole)
	}
	if g, ok := l.opt.Guilds[i.GuildID]; ok {
		roles = append(roles, g.AdminRoles...)
	}
	for _, r := range i.Member.Roles {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// lru is a bounded least-recently-used map.
type lru[T any] struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type lruEntry[T any] struct {
	key string
	v   T
}

func newLRU[T any](max int) *lru[T] {
	return &lru[T]{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (r *lru[T]) put(key string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.items[key]; ok {
		e.Value = lruEntry[T]{key, v}
		r.ll.MoveToFront(e)
		return
	}
	r.items[key] = r.ll.PushFront(lruEntry[T]{key, v})
	for r.ll.Len() > r.max {
		last := r.ll.Back()
		r.ll.Remove(last)
		delete(r.items, last.Value.(lruEntry[T]).key)
	}
}

func (r *lru[T]) get(key string) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.items[key]
	if !ok {
		var zero T
		return zero, false
	}
	r.ll.MoveToFront(e)
	return e.Value.(lruEntry[T]).v, true
}
