package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/footnote-bot/footnote/answer"
	"github.com/footnote-bot/footnote/bot"
	"github.com/footnote-bot/footnote/config"
	"github.com/footnote-bot/footnote/redisstate"
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

// progressBar returns a progress callback drawing on stderr when it is a
// terminal and the job is long, and a func to finish it.
func progressBar(w io.Writer, total int, what string) (func(done, total int), func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total <= 50000 {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowCount())
	return func(done, _ int) { _ = bar.Set(done) }, func() { _ = bar.Finish() }
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
