package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/llm"
	"github.com/footnote-bot/footnote/prompts"
	"github.com/footnote-bot/footnote/redisstate"
	"github.com/footnote-bot/footnote/retrieval"
	"github.com/footnote-bot/footnote/retrieval/weaviate"
	"github.com/footnote-bot/footnote/store"
)

// openRetriever connects to the configured distributed retriever; nil (and
// no error) for the embedded index.
func openRetriever(ctx context.Context, cfg config.Config) (*weaviate.Retriever, error) {
	if cfg.Retriever != config.RetrieverWeaviate {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return weaviate.New(cctx, weaviate.Config{URL: cfg.WeaviateURL, Collection: cfg.WeaviateCollection,
		Shards: cfg.WeaviateShards, Replicas: cfg.WeaviateReplicas})
}

// openStore opens PostgreSQL when database_url is set, else the SQLite
// file in the data folder.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if cfg.DatabaseURL != "" {
		return store.OpenPostgres(ctx, cfg.DatabaseURL.Reveal())
	}
	return store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "footnote.db"))
}

// openState opens Redis when redis_url is set; nil means in process.
func openState(ctx context.Context, cfg config.Config) (*redisstate.State, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	return redisstate.Open(ctx, cfg.RedisURL.Reveal(), redisstate.Options{})
}

// stateOption is the bot's State for a Redis connection (nil: in process).
func stateOption(rs *redisstate.State) bot.State {
	if rs == nil {
		return nil
	}
	return rs
}

// answerCache is where answers are cached: in Redis when there is one,
// shared by the replicas, else in this process.
func answerCache(rs *redisstate.State) answer.Cache {
	if rs == nil {
		return answer.NewLocalCache(2048)
	}
	return rs
}

// logScaleOut says which engines serve this process.
func logScaleOut(log *slog.Logger, cfg config.Config) {
	storeKind, stateKind := "sqlite", "in process"
	if cfg.DatabaseURL != "" {
		storeKind = "postgres"
	}
	if cfg.RedisURL != "" {
		stateKind = "redis"
	}
	shards := fmt.Sprint(cfg.ShardCount)
	if cfg.ShardCount == config.ShardAuto {
		shards = "auto"
	}
	log.Info("engines", "retriever", cfg.Retriever, "store", storeKind, "shared_state", stateKind,
		"shard", cfg.ShardID, "shards", shards)
}

// botOptions copies the bot's settings out of the configuration.
func botOptions(cfg config.Config, log *slog.Logger) bot.Options {
	guilds := map[string]bot.Guild{}
	for id, g := range cfg.Guilds {
		guilds[id] = bot.Guild{AllowedChannels: g.AllowedChannels, Cooldown: g.Cooldown, AdminRoles: g.AdminRoles}
	}
	return bot.Options{
		Token: cfg.DiscordToken.Reveal(), APIURL: cfg.DiscordAPIURL, GuildID: cfg.DiscordGuildID,
		RegisterCommands: cfg.ShardID == 0, MessageContent: cfg.MessageContent,
		ShardID: cfg.ShardID, ShardCount: cfg.ShardCount, ShardAuto: cfg.ShardCount == config.ShardAuto, Cooldown: cfg.Cooldown, GuildConcurrency: cfg.GuildConcurrency, GuildQueue: guildQueue(cfg.GuildQueue), Workers: cfg.Workers,
		AdminRole: cfg.AdminRole, Guilds: guilds, ShutdownTimeout: cfg.ShutdownTimeout, Streaming: cfg.LLMEnabled(),
		LogUsers: cfg.LogUsers, Logger: log,
	}
}

// buildService is the answer service over live, with the configured
// prompts, LLM and retriever: retr when the caller has opened it (serve,
// whose library keeps the collection in step), else the configured one,
// opened here.
func buildService(ctx context.Context, cfg config.Config, live *retrieval.Live, e env, obs answer.Observer, retr *weaviate.Retriever, tweak ...func(*answer.Options)) (*answer.Service, error) {
	p, opt, err := serviceOptions(ctx, cfg, e, obs, retr, tweak...)
	if err != nil {
		return nil, err
	}
	return answer.New(live.Load, p, opt), nil
}

// serviceOptions are the answer services' prompts and options (see
// buildService).
func serviceOptions(ctx context.Context, cfg config.Config, e env, obs answer.Observer, retr *weaviate.Retriever, tweak ...func(*answer.Options)) (*prompts.Set, answer.Options, error) {
	p, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return nil, answer.Options{}, err
	}
	log := newLogger(cfg, e.stderr)
	opt := answer.Options{TopK: cfg.TopK, LLMTimeout: cfg.LLMTimeout, ContextChars: cfg.LLMContextChars, Logger: log, Observer: obs}
	if cfg.LLMEnabled() {
		// Assign only when configured: a nil *llm.Client in a Model would be
		// a non-nil interface.
		opt.Model = llm.New(llm.Config{BaseURL: cfg.LLMBaseURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey.Reveal(),
			MaxTokens: cfg.LLMMaxTokens, Temperature: cfg.LLMTemperature})
	}
	if retr == nil {
		if retr, err = openRetriever(ctx, cfg); err != nil {
			return nil, answer.Options{}, err
		}
	}
	if retr != nil {
		opt.Retriever = retr
	}
	for _, f := range tweak {
		f(&opt)
	}
	return p, opt, nil
}

// localService returns an answer service over the articles serve would
// answer from (openArticles), for the one-shot commands, and the index it
// answers from (whose damage, if read from a file, they report).
func localService(ctx context.Context, cfg config.Config, e env) (*answer.Service, *retrieval.Index, error) {
	ix, err := openArticles(ctx, cfg, newLogger(cfg, e.stderr), e.stderr)
	if err != nil {
		return nil, nil, err
	}
	svc, err := buildService(ctx, cfg, retrieval.NewLive(ix), e, nil, nil)
	return svc, ix, err
}

// guildQueue is the bot's GuildQueue for the guild_queue setting, in which
// 0 means that no question waits (the bot's 0 is its default).
func guildQueue(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
