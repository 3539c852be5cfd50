package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/retrieval"
)

// servers gives each Discord server its own knowledge (bot.Servers).
//
// The shared articles (the top-level corpus, and those ingested before
// servers had their own) are one library, indexed once. A server that
// configures articles (guilds.ID.corpus) or ingests one gets a library of
// its own: a small index searched together with the shared one
// (retrieval.Union, scored with both indexes' statistics) unless the
// server sets shared: false; its /reload, /ingest and /forget touch only
// it. A server with no articles of its own answers from the shared
// service itself, and direct messages always do.
type servers struct {
	cfg    config.Config
	shared *library.Library
	// sharedSvc answers from the shared articles alone.
	sharedSvc *answer.Service
	// newService makes a server's answer service over its corpus.
	newService func(index func() answer.Corpus) *answer.Service
	// libOpt is the shared library's options, the template for a
	// server's (its store, fetcher, parser, data folder).
	libOpt library.Options
	// watch, when set, watches a server's configured folders.
	watch func(l *library.Library)
	log   *slog.Logger

	mu    sync.Mutex
	parts map[string]*part
}

// part is one server's own library and answer service, opened once.
type part struct {
	once sync.Once
	lib  *library.Library
	svc  *answer.Service
	err  error
}

var _ bot.Servers = (*servers)(nil)

// open opens the libraries of the servers that have articles of their own
// (configured, or recorded in the store as ingested there), so their
// answers are ready before the first question.
func (s *servers) open(ctx context.Context, ingestedIn []string) error {
	want := map[string]bool{}
	for id, g := range s.cfg.Guilds {
		if len(g.Corpus) > 0 || !g.UsesShared() {
			want[id] = true
		}
	}
	for _, g := range ingestedIn {
		if g != "" {
			want[g] = true
		}
	}
	for g := range want {
		if _, err := s.part(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// part opens (once) and returns guild's own library and service.
func (s *servers) part(ctx context.Context, guild string) (*part, error) {
	s.mu.Lock()
	p, ok := s.parts[guild]
	if !ok {
		p = &part{}
		s.parts[guild] = p
	}
	s.mu.Unlock()
	// Opening parses the server's files (ingested ones are someone
	// else's): outside the lock, once.
	p.once.Do(func() {
		g := s.cfg.Guilds[guild]
		opt := s.libOpt
		opt.Guild, opt.Corpus, opt.IndexFile, opt.Mirror = guild, g.Corpus, "", nil
		p.lib, p.err = library.Open(ctx, opt)
		if p.err != nil {
			p.err = fmt.Errorf("server %s's articles: %w", guild, p.err)
			return
		}
		own := p.lib
		if g.UsesShared() {
			p.svc = s.newService(func() answer.Corpus { return retrieval.NewUnion(s.shared.Index(), own.Index()) })
		} else {
			p.svc = s.newService(func() answer.Corpus { return own.Index() })
		}
		s.log.Info("server articles loaded", "guild", guild, "articles", len(own.Index().Docs()), "passages", own.Index().Len(), "shared", g.UsesShared())
		if s.watch != nil && len(g.Corpus) > 0 {
			s.watch(own)
		}
	})
	return p, p.err
}

// has reports whether guild has a library of its own (opened or opening).
func (s *servers) has(guild string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.parts[guild]
	return ok
}

// Answerer implements bot.Servers.
func (s *servers) Answerer(ctx context.Context, guild string) bot.Answerer {
	if guild == "" {
		return s.sharedSvc
	}
	if !s.has(guild) && s.cfg.Guilds[guild].UsesShared() {
		return s.sharedSvc
	}
	p, err := s.part(ctx, guild)
	if err != nil {
		// Never another server's articles, nor the shared ones for a
		// server that does not share them: nothing, until it loads.
		s.log.Error("a server's articles could not be opened", "guild", guild, "err", err)
		return s.newService(func() answer.Corpus { return retrieval.NewUnion(nil, nil) })
	}
	return p.svc
}

// Library implements bot.Servers.
func (s *servers) Library(ctx context.Context, guild string) bot.Library {
	if guild == "" {
		return nil
	}
	p, err := s.part(ctx, guild)
	if err != nil {
		s.log.Error("a server's articles could not be opened", "guild", guild, "err", err)
		return nil
	}
	return serverLibrary{own: p.lib, shared: s.shared, manageShared: s.managesShared(guild)}
}

// managesShared reports whether guild's admins may reload and forget the
// shared articles: the server the config names the operator's
// (manage_shared: true), or every server while none is named, as in a
// deployment for one community.
func (s *servers) managesShared(guild string) bool {
	for _, g := range s.cfg.Guilds {
		if g.ManageShared {
			return s.cfg.Guilds[guild].ManageShared
		}
	}
	return true
}

// drop forgets the servers footnote left (their data is purged): their
// libraries and their files.
func (s *servers) drop(guilds []string) {
	for _, g := range guilds {
		s.mu.Lock()
		delete(s.parts, g)
		s.mu.Unlock()
		dir := filepath.Join(s.libOpt.DataDir, "guilds", g)
		if err := os.RemoveAll(dir); err != nil {
			s.log.Warn("could not delete a server's article files", "guild", g, "dir", dir, "err", err)
		}
	}
}

// serverLibrary is what a server's admins manage: its own articles, and
// the shared ones too when it is the operator's (manage_shared).
type serverLibrary struct {
	own, shared  *library.Library
	manageShared bool
}

var _ bot.Library = serverLibrary{}

// Reload re-reads the server's articles (and the shared ones, for the
// operator's server).
func (l serverLibrary) Reload(ctx context.Context) (string, error) {
	summary, err := l.own.Reload(ctx)
	if err != nil || !l.manageShared {
		return "this server's articles: " + summary, err
	}
	shared, err := l.shared.Reload(ctx)
	return "this server's articles: " + summary + "; shared: " + shared, err
}

// IngestURL implements bot.Library.
func (l serverLibrary) IngestURL(ctx context.Context, url, by string) (bot.Added, error) {
	a, err := l.own.IngestURL(ctx, url, by)
	return bot.Added(a), err
}

// IngestAttachment implements bot.Library.
func (l serverLibrary) IngestAttachment(ctx context.Context, name, url string, size int64, by string) (bot.Added, error) {
	a, err := l.own.IngestAttachment(ctx, name, url, size, by)
	return bot.Added(a), err
}

// Forget removes one of the server's articles; a shared one only for the
// operator's server.
func (l serverLibrary) Forget(ctx context.Context, docID string) (string, error) {
	if _, ok := l.own.Index().Doc(docID); ok {
		return l.own.Forget(ctx, docID)
	}
	if _, ok := l.shared.Index().Doc(docID); ok {
		if !l.manageShared {
			return "", fmt.Errorf("%q is one of the articles every server shares, which only the operator can remove", docID)
		}
		return l.shared.Forget(ctx, docID)
	}
	return "", fmt.Errorf("no article of this server has ID %q", docID)
}
