package bot

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// limits enforces per-user cooldowns (kept in the shared State),
// per-guild concurrency with a queue, and channel allow-lists.
type limits struct {
	opt   Options
	state State
	log   *slog.Logger
	obs   QueueObserver

	mu     sync.Mutex
	guilds map[string]*guildTurns
}

// guildTurns are a guild's questions being answered and those waiting
// for a turn, first come first served.
type guildTurns struct {
	inFlight int
	waiting  []chan struct{} // closed when the turn is handed over
}

func newLimits(opt Options, state State, log *slog.Logger) *limits {
	l := &limits{opt: opt, state: state, log: log, guilds: map[string]*guildTurns{}}
	if q, ok := opt.Observer.(QueueObserver); ok {
		l.obs = q
	}
	return l
}

// QueueObserver, when the Observer is one too, is told about the wait
// queues: a guild's queue length when it changes, and how long each
// question that waited waited.
type QueueObserver interface {
	Queue(guild string, waiting int)
	Waited(guild string, took time.Duration)
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

// errQueueWait is a question whose turn did not come in time.
var errQueueWait = errors.New("waited too long for a turn")

// take starts a question for a user in a guild. At most GuildConcurrency
// questions of a guild are answered at once; the next ones wait for a
// turn, in the order they came, up to GuildQueue of them (then busy), and
// waiting is called once before one waits (to acknowledge the
// interaction). A user still in their cooldown is told how long to wait
// and takes no turn. It returns a release func that ends the turn, or the
// cooldown left, or busy, or the context's error (or errQueueWait) if the
// turn did not come before it ended. If the shared state cannot be
// reached the question goes through (logged): a cooldown is not worth an
// outage.
func (l *limits) take(ctx context.Context, guild, user string, held *slot, waiting func(position func() int)) (release func(), wait time.Duration, busy bool, err error) {
	l.mu.Lock()
	g := l.guilds[guild]
	if g == nil {
		g = &guildTurns{}
		l.guilds[guild] = g
	}
	var turn chan struct{}
	switch {
	case g.inFlight < l.opt.GuildConcurrency:
		g.inFlight++
	case len(g.waiting) >= l.opt.GuildQueue:
		l.mu.Unlock()
		return nil, 0, true, nil
	default:
		turn = make(chan struct{})
		g.waiting = append(g.waiting, turn)
		l.queued(guild, len(g.waiting))
	}
	l.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { l.release(guild) }) }
	if left := l.cooldown(ctx, guild, user); left > 0 {
		l.leave(guild, turn, release)
		return nil, left, false, nil
	}
	if turn != nil {
		if waiting != nil {
			waiting(func() int { return l.position(guild, turn) })
		}
		// Waiting for the server's turn needs no work slot.
		held.pause()
		select {
		case <-turn:
			if err := held.resume(ctx); err != nil {
				release()
				return nil, 0, false, errQueueWait
			}
		case <-ctx.Done():
			_ = held.resume(context.WithoutCancel(ctx))
			l.leave(guild, turn, release)
			err := ctx.Err()
			if errors.Is(err, context.DeadlineExceeded) {
				err = errQueueWait
			}
			return nil, 0, false, err
		}
	}
	return release, 0, false, nil
}

// release ends a turn: the first question waiting takes it over, else the
// guild has one question fewer in flight.
func (l *limits) release(guild string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.guilds[guild]
	if len(g.waiting) > 0 {
		next := g.waiting[0]
		g.waiting = g.waiting[1:]
		l.queued(guild, len(g.waiting))
		close(next)
		return
	}
	g.inFlight--
	if g.inFlight <= 0 {
		delete(l.guilds, guild)
	}
}

// leave gives up a question's place: out of the queue if it is still
// waiting there, else (it had or was just handed a turn) the turn is
// released.
func (l *limits) leave(guild string, turn chan struct{}, release func()) {
	if turn != nil {
		l.mu.Lock()
		g := l.guilds[guild]
		if i := slices.Index(g.waiting, turn); i >= 0 {
			g.waiting = slices.Delete(g.waiting, i, i+1)
			l.queued(guild, len(g.waiting))
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
	}
	release()
}

// position is a waiting question's place in its guild's queue (1: next),
// or 0 once it is no longer waiting.
func (l *limits) position(guild string, turn chan struct{}) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.guilds[guild]
	if g == nil {
		return 0
	}
	return slices.Index(g.waiting, turn) + 1
}

// queued tells the observer a guild's queue length (l.mu held).
func (l *limits) queued(guild string, n int) {
	if l.obs != nil {
		l.obs.Queue(guild, n)
	}
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
