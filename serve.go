package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/library"
	"github.com/footnote-bot/footnote/metrics"
	"github.com/footnote-bot/footnote/quota"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, pos, err := setup(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve: unexpected argument %q", pos[0])
	}
	if cfg.DiscordToken == "" {
		return errors.New("serve: no Discord token: set DISCORD_TOKEN (see README, \"Discord set-up\"); to try footnote without Discord, run: footnote ask \"What is footnote?\"")
	}
	log := newLogger(cfg, e.stderr)
	if cfg.IndexFile != "" && len(cfg.Corpus) > 0 {
		log.Warn("both an index file and a corpus given; serving the index file", "index", cfg.IndexFile)
	}
	logScaleOut(log, cfg)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rs, err := openState(ctx, cfg)
	if err != nil {
		return err
	}
	if rs != nil {
		defer rs.Close()
	}
	libOpt := library.Options{Corpus: cfg.Corpus, IndexFile: cfg.IndexFile, DataDir: cfg.DataDir, Store: st, Logger: log, Fetcher: fetcher(cfg)}
	retr, err := openRetriever(ctx, cfg)
	if err != nil {
		return err
	}
	if retr != nil {
		// /reload, /ingest and /forget update the collection too. Serving
		// does not load it at start: 'footnote index --to weaviate' does,
		// once for all replicas.
		libOpt.Mirror = retr
	}
	lib, err := library.Open(ctx, libOpt)
	if err != nil {
		return err
	}
	live := lib.Live()
	if ix := live.Load(); ix != nil {
		source := "the built-in guide"
		switch {
		case cfg.IndexFile != "":
			source = cfg.IndexFile
		case len(cfg.Corpus) > 0:
			source = strings.Join(cfg.Corpus, ", ")
		}
		log.Info("articles loaded", "articles", len(ix.Docs()), "passages", ix.Len(), "from", source)
	}
	m := metrics.New()
	m.IndexSize(func() int {
		if ix := live.Load(); ix != nil {
			return ix.Len()
		}
		return 0
	})
	m.IndexDamaged(func() bool { return lib.Damaged() != nil })
	// The LLM's daily budgets, counted in Redis when replicas share it.
	var budget *quota.Quota
	if cfg.LLMEnabled() {
		var counter quota.Counter = quota.NewLocal()
		if rs != nil {
			counter = rs.Counter()
		}
		budget = quota.New(quota.Limits{PerGuild: int64(cfg.LLMDailyTokensPerGuild), PerUser: int64(cfg.LLMDailyTokensPerUser),
			AnswerTokens: int64(cfg.LLMMaxTokens)}, counter, log, m.LLMTokens)
	}
	prompts, svcOpt, err := serviceOptions(ctx, cfg, e, m, retr, func(o *answer.Options) {
		o.Cache, o.CacheTTL = answerCache(rs), cfg.AnswerCacheTTL
		if budget != nil {
			o.Budget = budget
		}
	})
	if err != nil {
		return err
	}
	svc := answer.New(live.Load, prompts, svcOpt)
	watch := func(l *library.Library) {
		go func() {
			if err := l.Watch(ctx); err != nil {
				log.Error("file watcher stopped", "err", err)
			}
		}()
	}
	if cfg.Watch {
		watch(lib)
	} else {
		watch = nil
	}
	// Each server's own articles: searched in process with the shared
	// ones (a server's part is small; Weaviate holds the shared articles
	// only, so a server's questions do not go to it).
	partOpt := svcOpt
	partOpt.Retriever = nil
	srv := &servers{cfg: cfg, shared: lib, sharedSvc: svc, libOpt: libOpt, watch: watch, log: log, parts: map[string]*part{},
		newService: func(index func() answer.Corpus) *answer.Service { return answer.NewOver(index, prompts, partOpt) }}
	ingested, err := st.Ingested(ctx)
	if err != nil {
		return err
	}
	var ingestedIn []string
	for _, in := range ingested {
		ingestedIn = append(ingestedIn, in.Guild)
	}
	if err := srv.open(ctx, ingestedIn); err != nil {
		return err
	}
	// Documentation sites: refreshed by the first shard only (replicas
	// share the store), in the background, stopped before the store
	// closes.
	sitesCtx, stopSites := context.WithCancel(ctx)
	siteMgr := newSites(cfg, st, libOpt.Fetcher, func(ctx context.Context, guild string) (*library.Library, error) {
		if guild == "" {
			return lib, nil
		}
		p, err := srv.part(ctx, guild)
		if err != nil {
			return nil, err
		}
		return p.lib, nil
	}, log)
	defer func() {
		stopSites()
		siteMgr.Wait()
	}()
	if err := siteMgr.Load(ctx); err != nil {
		return err
	}
	if cfg.ShardID == 0 {
		if err := siteMgr.Configure(ctx, configuredSources(cfg)); err != nil {
			return err
		}
		siteMgr.Go(sitesCtx)
	}
	opt := botOptions(cfg, log)
	opt.Observer = m
	opt.Servers = srv
	opt.Sources = botSources{ctx: sitesCtx, m: siteMgr}
	if budget != nil {
		opt.Quota = botQuota{budget}
	}
	opt.Log = botLog{st}
	opt.Membership = botMembership{st}
	opt.State = stateOption(rs)
	// The data of servers footnote left goes after the grace period: rows,
	// then their libraries and files.
	// The pruner stops before the store closes (defers run last first),
	// whatever ends serve.
	pctx, stopPruning := context.WithCancel(ctx)
	defer stopPruning()
	go pruneLog(pctx, st, retention{keep: time.Duration(cfg.QuestionLogDays) * 24 * time.Hour, grace: cfg.GuildDataGrace}, time.Hour, log, srv.drop)
	b, err := bot.New(opt, svc)
	if err != nil {
		return err
	}
	if cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("serve: http_addr: %w", err)
		}
		// Timeouts and a connection cap: idle keep-alive clients cannot use
		// up the descriptors the bot, /ingest and the store need.
		srv := metrics.NewServer(m.Handler(func() bool { return b.Ready() && live.Load() != nil }), metrics.ServerOptions{})
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP listener stopped", "err", err)
			}
		}()
		log.Info("HTTP listener up", "addr", ln.Addr().String(), "endpoints", "/healthz /readyz /metrics", "max_conns", metrics.DefaultMaxConns)
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	return b.Run(ctx)
}

// pruner deletes the question log's old rows and the rows of servers
// footnote left.
type pruner interface {
	Prune(ctx context.Context, before time.Time) (questions, votes int64, err error)
	PurgeLeft(ctx context.Context, before time.Time) ([]string, error)
}

// retention is how long the question log keeps rows: keep (0: for ever),
// and grace after footnote leaves a server.
type retention struct{ keep, grace time.Duration }

// pruneLog keeps the question log to its retention, now and then every
// interval until ctx ends: questions and votes older than r.keep, and the
// questions and votes of servers footnote left more than r.grace ago. A
// failure is logged and tried again at the next interval.
func pruneLog(ctx context.Context, st pruner, r retention, every time.Duration, log *slog.Logger, purged func(guilds []string)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r.keep > 0 {
			q, v, err := st.Prune(ctx, time.Now().Add(-r.keep))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("pruning the question log failed", "err", err)
			case q+v > 0:
				log.Info("question log pruned", "older_than", r.keep.String(), "questions", q, "votes", v)
			}
		}
		guilds, err := st.PurgeLeft(ctx, time.Now().Add(-r.grace))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("deleting the data of servers footnote left failed", "err", err)
		case len(guilds) > 0:
			log.Info("deleted the questions, votes and articles of servers footnote left", "guilds", guilds, "grace", r.grace.String())
			if purged != nil {
				purged(guilds)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
