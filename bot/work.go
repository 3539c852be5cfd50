package bot

import (
	"context"
	"sync"

	"github.com/bwmarrin/discordgo"
)

// work hands out the process's work slots: everything footnote does for a
// question or a command (the cooldown check, the acknowledgement, a
// refusal, the answer and its delivery) runs in a slot, at most
// Options.Workers at once. Slots are handed round-robin across servers
// and first come first served within one, so a server that floods
// footnote with questions holds at most its share: another server's
// question waits for one slot to come free, not behind the flood (issue
// 16). Without it, a thousand handlers answering, deferring and refusing
// at once crowd the CPU and the connection, and reading the next event
// off the gateway waits behind them.
type work struct {
	mu      sync.Mutex
	free    int
	waiting map[string][]chan struct{} // per server: closed when handed a slot
	ring    []string                   // servers with questions waiting, in turn
}

func newWork(slots int) *work {
	return &work{free: slots, waiting: map[string][]chan struct{}{}}
}

// workKey is whose turn a piece of work takes: the server's, or in a
// direct message the user's.
func workKey(guild string, user *discordgo.User) string {
	switch {
	case guild != "":
		return guild
	case user != nil:
		return "dm/" + user.ID
	}
	return "dm"
}

// slot is one handler's hold on a work slot. It belongs to the goroutine
// that acquired it.
type slot struct {
	w    *work
	key  string
	held bool
}

// acquire waits for a slot for a server's work (key: the server, or "dm"
// and the user for direct messages), or for ctx to end.
func (w *work) acquire(ctx context.Context, key string) (*slot, error) {
	s := &slot{w: w, key: key}
	return s, s.resume(ctx)
}

// resume takes the slot again after pause.
func (s *slot) resume(ctx context.Context) error {
	if s == nil || s.held {
		return nil
	}
	w := s.w
	w.mu.Lock()
	if w.free > 0 && len(w.ring) == 0 {
		w.free--
		w.mu.Unlock()
		s.held = true
		return nil
	}
	ch := make(chan struct{})
	if len(w.waiting[s.key]) == 0 {
		w.ring = append(w.ring, s.key)
	}
	w.waiting[s.key] = append(w.waiting[s.key], ch)
	w.mu.Unlock()
	select {
	case <-ch:
		s.held = true
		return nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	q := w.waiting[s.key]
	for i, c := range q {
		if c == ch {
			w.dequeue(s.key, i)
			w.mu.Unlock()
			return ctx.Err()
		}
	}
	w.mu.Unlock()
	// Handed a slot as ctx ended: give it on.
	s.held = true
	s.pause()
	return ctx.Err()
}

// pause gives the slot up while the handler waits for something that
// needs none (its server's turn); resume takes it back.
func (s *slot) pause() {
	if s == nil || !s.held {
		return
	}
	s.held = false
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ring) == 0 {
		w.free++
		return
	}
	// The next server in turn gets it; it goes to the back of the ring
	// if it has more waiting.
	key := w.ring[0]
	next := w.waiting[key][0]
	w.ring = w.ring[1:]
	w.dequeue(key, 0)
	if len(w.waiting[key]) > 0 {
		w.ring = append(w.ring, key)
	}
	close(next)
}

// release ends the hold for good (as pause; a released slot may be
// resumed, but handlers do not).
func (s *slot) release() { s.pause() }

// dequeue removes a server's i-th waiter, and the server from the ring
// when none is left (w.mu held).
func (w *work) dequeue(key string, i int) {
	q := w.waiting[key]
	q = append(q[:i:i], q[i+1:]...)
	if len(q) > 0 {
		w.waiting[key] = q
		return
	}
	delete(w.waiting, key)
	for j, k := range w.ring {
		if k == key {
			w.ring = append(w.ring[:j:j], w.ring[j+1:]...)
			break
		}
	}
}
