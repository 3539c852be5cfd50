package bot

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer"
)

// limits enforces per-user cooldowns, per-guild concurrency and channel
// allow-lists.
type limits struct {
	opt Options

	mu       sync.Mutex
	lastAsk  map[string]time.Time // guild/user → when the cooldown started
	inFlight map[string]int       // guild → questions being answered
	now      func() time.Time
}

func newLimits(opt Options) *limits {
	return &limits{opt: opt, lastAsk: map[string]time.Time{}, inFlight: map[string]int{}, now: time.Now}
}

func (l *limits) cooldownFor(guild string) time.Duration {
	if g, ok := l.opt.Guilds[guild]; ok && g.Cooldown > 0 {
		return g.Cooldown
	}
	return l.opt.Cooldown
}

// maxCooldown is the longest cooldown in force anywhere.
func (l *limits) maxCooldown() time.Duration {
	m := l.opt.Cooldown
	for _, g := range l.opt.Guilds {
		m = max(m, g.Cooldown)
	}
	return m
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
// or how long the user must wait (cooldown) or that the guild is busy.
func (l *limits) take(guild, user string) (release func(), wait time.Duration, busy bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := guild + "/" + user
	if cd := l.cooldownFor(guild); cd > 0 {
		if last, ok := l.lastAsk[key]; ok && now.Sub(last) < cd {
			return nil, cd - now.Sub(last), false
		}
	}
	if l.inFlight[guild] >= l.opt.GuildConcurrency {
		return nil, 0, true
	}
	l.inFlight[guild]++
	if cd := l.cooldownFor(guild); cd > 0 {
		l.lastAsk[key] = now
		// Forget cooldowns that have run out, so the map stays small.
		if len(l.lastAsk) > 10000 {
			for k, t := range l.lastAsk {
				if now.Sub(t) > l.maxCooldown() {
					delete(l.lastAsk, k)
				}
			}
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.inFlight[guild]--
			if l.inFlight[guild] <= 0 {
				delete(l.inFlight, guild)
			}
			l.mu.Unlock()
		})
	}, 0, false
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

// stored is an answer kept for its buttons and follow-ups.
type stored struct {
	key      string
	question string
	answer   answer.Answer
}

// recentAnswers is a bounded LRU of answers by interaction or message ID.
type recentAnswers struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

func newRecent(max int) *recentAnswers {
	return &recentAnswers{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (r *recentAnswers) put(key string, v stored) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v.key = key
	if e, ok := r.items[key]; ok {
		e.Value = v
		r.ll.MoveToFront(e)
		return
	}
	r.items[key] = r.ll.PushFront(v)
	for r.ll.Len() > r.max {
		last := r.ll.Back()
		r.ll.Remove(last)
		delete(r.items, last.Value.(stored).key)
	}
}

func (r *recentAnswers) get(key string) (stored, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.items[key]
	if !ok {
		return stored{}, false
	}
	r.ll.MoveToFront(e)
	return e.Value.(stored), true
}
