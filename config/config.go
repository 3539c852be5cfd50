// Package config holds footnote's settings: one Config struct with defaults,
// read from an optional YAML file, then environment variables, then flags
// (flags beat env beat file beat defaults), validated in one place and
// printable with secrets redacted.
//
// Every setting is one row of the table returned by Settings: its file key,
// environment variables, flag, default and help text. The README's settings
// table is generated from the same rows (see TestREADMEListsEverySetting).
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/footnote-bot/footnote/internal/redact"
)

// Secret is a string that never prints: fmt, slog and the config dump all
// show "[redacted]" (or "" when unset). Reveal returns the value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// RedactURL returns a URL fit to print: the password of user:password,
// a user name given alone (usually a token) and credential-like query
// values (key, token, secret…) become "xxxxx". Use it wherever a
// configured URL is logged or put in an error (llm_base_url,
// discord_api_url, weaviate_url); redis_url and database_url are Secrets
// and never print at all.
func RedactURL(raw string) string { return redact.URL(raw) }

// Guild holds per-guild settings (config file only).
type Guild struct {
	// AllowedChannels, when non-empty, limits questions to these channel IDs.
	AllowedChannels []string `yaml:"allowed_channels"`
	// Cooldown overrides the per-user cooldown in this guild.
	Cooldown time.Duration `yaml:"cooldown"`
	// AdminRoles are role IDs allowed to run admin commands, besides
	// members with the Manage Server permission.
	AdminRoles []string `yaml:"admin_roles"`
	// Corpus are this server's own article files and folders, answered
	// in this server only (with the articles it ingests).
	Corpus []string `yaml:"corpus"`
	// Shared, unless false, lets this server answer from the top-level
	// corpus too (the articles every server shares).
	Shared *bool `yaml:"shared"`
	// ManageShared names the operator's server: its admins /reload and
	// /forget the shared articles, other servers' admins their own
	// articles only. While no server is named, every server's admins
	// manage the shared articles too (a deployment for one community).
	ManageShared bool `yaml:"manage_shared"`
	// Sources are documentation sites kept in this server's articles.
	Sources []Source `yaml:"sources"`
}

// Source is a documentation site footnote keeps in its articles: a
// sitemap, or a start page whose links are crawled within its host and
// path prefix (config file only).
type Source struct {
	URL      string        `yaml:"url"`
	Include  []string      `yaml:"include"`   // path patterns to keep ('*' within a segment, '**' across)
	Exclude  []string      `yaml:"exclude"`   // path patterns to leave out
	MaxPages int           `yaml:"max_pages"` // 0: 2,000
	MaxBytes int64         `yaml:"max_bytes"` // fetched per refresh; 0: 256 MiB
	Refresh  time.Duration `yaml:"refresh"`   // 0: source_refresh
}

// UsesShared reports whether the server answers from the shared articles
// (the default).
func (g Guild) UsesShared() bool { return g.Shared == nil || *g.Shared }

// Config is every setting footnote has.
type Config struct {
	Corpus     []string
	IndexFile  string
	TopK       int
	PromptsDir string
	LogLevel   string
	LogFormat  string
	HTTPAddr   string
	DataDir    string
	Watch      bool
	LogUsers   bool

	IngestAllowPrivate bool
	IngestMaxBytes     int
	// IngestAttachmentHosts are the hosts /ingest uploads are fetched
	// from; empty means Discord's CDN.
	IngestAttachmentHosts []string

	LLMBaseURL   string
	LLMModel     string
	LLMAPIKey    Secret
	LLMTimeout   time.Duration
	LLMMaxTokens int
	// LLMDailyTokensPerGuild and LLMDailyTokensPerUser bound what the
	// LLM may use in a UTC day (0: unlimited).
	LLMDailyTokensPerGuild int
	LLMDailyTokensPerUser  int
	LLMTemperature         float64
	LLMContextChars        int

	DiscordToken     Secret
	DiscordAPIURL    string
	DiscordGuildID   string
	MessageContent   bool
	ShardID          int
	ShardCount       int
	Cooldown         time.Duration
	GuildConcurrency int
	GuildQueue       int
	Workers          int
	QuestionLogDays  int
	GuildDataGrace   time.Duration
	AdminRole        string
	ShutdownTimeout  time.Duration
	AnswerCacheTTL   time.Duration

	// Documentation sites: the shared ones (config file only; a server's
	// are in Guilds), the crawler's pace, how often they are refreshed.
	Sources          []Source
	CrawlRate        float64
	CrawlConcurrency int
	SourceRefresh    time.Duration

	// Scale-out: shared state, shared store, distributed retrieval.
	RedisURL           Secret
	DatabaseURL        Secret
	Retriever          string
	WeaviateURL        string
	WeaviateCollection string
	WeaviateShards     int
	WeaviateReplicas   int

	Guilds map[string]Guild
}

// ShardAuto is ShardCount when the count comes from Discord's /gateway/bot.
const ShardAuto = 0

// Retrievers.
const (
	RetrieverEmbedded = "embedded"
	RetrieverWeaviate = "weaviate"
)

// Default returns the defaults.
func Default() Config {
	return Config{
		TopK:               5,
		LogLevel:           "info",
		LogFormat:          "text",
		DataDir:            "footnote-data",
		Watch:              true,
		IngestMaxBytes:     5 << 20,
		LLMTimeout:         20 * time.Second,
		LLMMaxTokens:       400,
		LLMTemperature:     0.2,
		LLMContextChars:    12000,
		DiscordAPIURL:      "https://discord.com/api/v10",
		ShardCount:         1,
		Cooldown:           5 * time.Second,
		GuildConcurrency:   4,
		GuildQueue:         100,
		Workers:            16,
		QuestionLogDays:    90,
		GuildDataGrace:     7 * 24 * time.Hour,
		ShutdownTimeout:    15 * time.Second,
		AnswerCacheTTL:     10 * time.Minute,
		CrawlRate:          2,
		CrawlConcurrency:   2,
		SourceRefresh:      24 * time.Hour,
		Retriever:          RetrieverEmbedded,
		WeaviateCollection: "Passage",
		WeaviateReplicas:   1,
	}
}

// Setting describes one setting.
type Setting struct {
	Key    string   // config file key and flag name (with '-' for '_')
	Env    []string // environment variables, first wins
	Help   string
	Secret bool
	NoFlag bool // secrets are never flags: they would show in ps
	set    func(*Config, string) error
	get    func(*Config) string
}

// Flag is the setting's command-line flag name.
func (s Setting) Flag() string { return strings.ReplaceAll(s.Key, "_", "-") }

// Settings lists every setting, in the order documentation shows them.
func Settings() []Setting { return settings }

var settings = []Setting{
	{Key: "corpus", Env: []string{"FOOTNOTE_CORPUS"}, Help: "article files or folders (repeat the flag; in env, separate with ':' or ','); empty = built-in user guide",
		set: func(c *Config, v string) error { c.Corpus = append(c.Corpus, splitList(v)...); return nil },
		get: func(c *Config) string { return strings.Join(c.Corpus, ",") }},
	{Key: "index", Env: []string{"FOOTNOTE_INDEX"}, Help: "prebuilt index file (from 'footnote index') used instead of --corpus",
		set: str(func(c *Config) *string { return &c.IndexFile }), get: func(c *Config) string { return c.IndexFile }},
	{Key: "top_k", Env: []string{"FOOTNOTE_TOP_K"}, Help: "passages considered for an answer (1-20)",
		set: integer(func(c *Config) *int { return &c.TopK }), get: func(c *Config) string { return strconv.Itoa(c.TopK) }},
	{Key: "prompts_dir", Env: []string{"FOOTNOTE_PROMPTS_DIR"}, Help: "folder of *.tmpl files overriding the built-in answer wording",
		set: str(func(c *Config) *string { return &c.PromptsDir }), get: func(c *Config) string { return c.PromptsDir }},
	{Key: "log_level", Env: []string{"FOOTNOTE_LOG_LEVEL"}, Help: "debug, info, warn or error",
		set: str(func(c *Config) *string { return &c.LogLevel }), get: func(c *Config) string { return c.LogLevel }},
	{Key: "log_format", Env: []string{"FOOTNOTE_LOG_FORMAT"}, Help: "text or json",
		set: str(func(c *Config) *string { return &c.LogFormat }), get: func(c *Config) string { return c.LogFormat }},
	{Key: "http_addr", Env: []string{"FOOTNOTE_HTTP_ADDR"}, Help: "address for /healthz, /readyz and /metrics (e.g. :9090); empty = off",
		set: str(func(c *Config) *string { return &c.HTTPAddr }), get: func(c *Config) string { return c.HTTPAddr }},
	{Key: "data_dir", Env: []string{"FOOTNOTE_DATA_DIR"}, Help: "folder for footnote's own files",
		set: str(func(c *Config) *string { return &c.DataDir }), get: func(c *Config) string { return c.DataDir }},
	{Key: "watch", Env: []string{"FOOTNOTE_WATCH"}, Help: "rebuild the index when article files change (serve)",
		set: boolean(func(c *Config) *bool { return &c.Watch }), get: func(c *Config) string { return strconv.FormatBool(c.Watch) }},
	{Key: "log_users", Env: []string{"FOOTNOTE_LOG_USERS"}, Help: "store user IDs in the question log (off: questions are logged without who asked)",
		set: boolean(func(c *Config) *bool { return &c.LogUsers }), get: func(c *Config) string { return strconv.FormatBool(c.LogUsers) }},
	{Key: "ingest_allow_private", Env: []string{"FOOTNOTE_INGEST_ALLOW_PRIVATE"}, Help: "let /ingest fetch loopback, private and link-local addresses (an intranet wiki)",
		set: boolean(func(c *Config) *bool { return &c.IngestAllowPrivate }), get: func(c *Config) string { return strconv.FormatBool(c.IngestAllowPrivate) }},
	{Key: "ingest_max_bytes", Env: []string{"FOOTNOTE_INGEST_MAX_BYTES"}, Help: "largest page or file /ingest takes",
		set: integer(func(c *Config) *int { return &c.IngestMaxBytes }), get: func(c *Config) string { return strconv.Itoa(c.IngestMaxBytes) }},
	{Key: "ingest_attachment_hosts", Env: []string{"FOOTNOTE_INGEST_ATTACHMENT_HOSTS"}, Help: "hosts /ingest uploads are fetched from (repeat, or separate with ','); empty = Discord's CDN (cdn.discordapp.com, media.discordapp.net)",
		set: func(c *Config, v string) error {
			c.IngestAttachmentHosts = append(c.IngestAttachmentHosts, splitList(strings.ToLower(v))...)
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.IngestAttachmentHosts, ",") }},
	{Key: "llm_base_url", Env: []string{"FOOTNOTE_LLM_BASE_URL"}, Help: "OpenAI-compatible API base URL (e.g. http://localhost:11434/v1); empty = template answers",
		set: str(func(c *Config) *string { return &c.LLMBaseURL }), get: func(c *Config) string { return RedactURL(c.LLMBaseURL) }},
	{Key: "llm_model", Env: []string{"FOOTNOTE_LLM_MODEL"}, Help: "model name sent to the LLM server",
		set: str(func(c *Config) *string { return &c.LLMModel }), get: func(c *Config) string { return c.LLMModel }},
	{Key: "llm_api_key", Env: []string{"FOOTNOTE_LLM_API_KEY", "OPENAI_API_KEY"}, Secret: true, NoFlag: true, Help: "API key for the LLM server (secret)",
		set: func(c *Config, v string) error { c.LLMAPIKey = Secret(v); return nil }, get: func(c *Config) string { return c.LLMAPIKey.String() }},
	{Key: "llm_timeout", Env: []string{"FOOTNOTE_LLM_TIMEOUT"}, Help: "longest wait for an LLM answer before the template answer is used",
		set: duration(func(c *Config) *time.Duration { return &c.LLMTimeout }), get: func(c *Config) string { return c.LLMTimeout.String() }},
	{Key: "llm_max_tokens", Env: []string{"FOOTNOTE_LLM_MAX_TOKENS"}, Help: "most tokens an LLM answer may use",
		set: integer(func(c *Config) *int { return &c.LLMMaxTokens }), get: func(c *Config) string { return strconv.Itoa(c.LLMMaxTokens) }},
	{Key: "llm_daily_tokens_per_guild", Env: []string{"FOOTNOTE_LLM_DAILY_TOKENS_PER_GUILD"}, Help: "most LLM tokens (prompt and answer) one server may use in a UTC day; over it, template answers with a notice (0 = unlimited)",
		set: integer(func(c *Config) *int { return &c.LLMDailyTokensPerGuild }), get: func(c *Config) string { return strconv.Itoa(c.LLMDailyTokensPerGuild) }},
	{Key: "llm_daily_tokens_per_user", Env: []string{"FOOTNOTE_LLM_DAILY_TOKENS_PER_USER"}, Help: "most LLM tokens one user may use in a UTC day, across servers (0 = unlimited)",
		set: integer(func(c *Config) *int { return &c.LLMDailyTokensPerUser }), get: func(c *Config) string { return strconv.Itoa(c.LLMDailyTokensPerUser) }},
	{Key: "llm_temperature", Env: []string{"FOOTNOTE_LLM_TEMPERATURE"}, Help: "sampling temperature (0-2)",
		set: number(func(c *Config) *float64 { return &c.LLMTemperature }), get: func(c *Config) string { return strconv.FormatFloat(c.LLMTemperature, 'g', -1, 64) }},
	{Key: "llm_context_chars", Env: []string{"FOOTNOTE_LLM_CONTEXT_CHARS"}, Help: "budget of passage text put in one LLM prompt, in characters",
		set: integer(func(c *Config) *int { return &c.LLMContextChars }), get: func(c *Config) string { return strconv.Itoa(c.LLMContextChars) }},
	{Key: "discord_token", Env: []string{"DISCORD_TOKEN", "FOOTNOTE_DISCORD_TOKEN"}, Secret: true, NoFlag: true, Help: "bot token from the Discord developer portal (secret)",
		set: func(c *Config, v string) error { c.DiscordToken = Secret(v); return nil }, get: func(c *Config) string { return c.DiscordToken.String() }},
	{Key: "discord_api_url", Env: []string{"FOOTNOTE_DISCORD_API_URL"}, Help: "base URL of Discord's API, for REST proxies and tests",
		set: str(func(c *Config) *string { return &c.DiscordAPIURL }), get: func(c *Config) string { return RedactURL(c.DiscordAPIURL) }},
	{Key: "discord_guild_id", Env: []string{"FOOTNOTE_DISCORD_GUILD_ID"}, Help: "register commands in this guild only (instant, for development); empty = global",
		set: str(func(c *Config) *string { return &c.DiscordGuildID }), get: func(c *Config) string { return c.DiscordGuildID }},
	{Key: "message_content", Env: []string{"FOOTNOTE_MESSAGE_CONTENT"}, Help: "answer mentions and replies (needs the privileged MESSAGE_CONTENT intent)",
		set: boolean(func(c *Config) *bool { return &c.MessageContent }), get: func(c *Config) string { return strconv.FormatBool(c.MessageContent) }},
	{Key: "shard_id", Env: []string{"FOOTNOTE_SHARD_ID"}, Help: "gateway shard this process runs",
		set: integer(func(c *Config) *int { return &c.ShardID }), get: func(c *Config) string { return strconv.Itoa(c.ShardID) }},
	{Key: "shard_count", Env: []string{"FOOTNOTE_SHARD_COUNT"}, Help: "total gateway shards, or auto (Discord's recommendation from /gateway/bot)",
		set: func(c *Config, v string) error {
			if strings.TrimSpace(v) == "auto" {
				c.ShardCount = ShardAuto
				return nil
			}
			return integer(func(c *Config) *int { return &c.ShardCount })(c, v)
		}, get: func(c *Config) string {
			if c.ShardCount == ShardAuto {
				return "auto"
			}
			return strconv.Itoa(c.ShardCount)
		}},
	{Key: "cooldown", Env: []string{"FOOTNOTE_COOLDOWN"}, Help: "per-user wait between questions and public commands (/ask, mentions, /lookup, /cite, /sources, Find source; 0 = none)",
		set: duration(func(c *Config) *time.Duration { return &c.Cooldown }), get: func(c *Config) string { return c.Cooldown.String() }},
	{Key: "guild_concurrency", Env: []string{"FOOTNOTE_GUILD_CONCURRENCY"}, Help: "questions answered at once per guild",
		set: integer(func(c *Config) *int { return &c.GuildConcurrency }), get: func(c *Config) string { return strconv.Itoa(c.GuildConcurrency) }},
	{Key: "question_log_days", Env: []string{"FOOTNOTE_QUESTION_LOG_DAYS"}, Help: "keep questions and votes this many days (0 = for ever); serve prunes older ones at start and hourly",
		set: integer(func(c *Config) *int { return &c.QuestionLogDays }), get: func(c *Config) string { return strconv.Itoa(c.QuestionLogDays) }},
	{Key: "guild_data_grace", Env: []string{"FOOTNOTE_GUILD_DATA_GRACE"}, Help: "after footnote is removed from a server, delete its questions, votes and articles this long after (unless it is added back)",
		set: duration(func(c *Config) *time.Duration { return &c.GuildDataGrace }), get: func(c *Config) string { return c.GuildDataGrace.String() }},
	{Key: "guild_queue", Env: []string{"FOOTNOTE_GUILD_QUEUE"}, Help: "questions of a guild that may wait for a turn beyond guild_concurrency (0: none wait, the next is refused)",
		set: integer(func(c *Config) *int { return &c.GuildQueue }), get: func(c *Config) string { return strconv.Itoa(c.GuildQueue) }},
	{Key: "workers", Env: []string{"FOOTNOTE_WORKERS"}, Help: "questions and commands worked on at once in the process, handed round-robin between servers so a busy server waits behind itself",
		set: integer(func(c *Config) *int { return &c.Workers }), get: func(c *Config) string { return strconv.Itoa(c.Workers) }},
	{Key: "admin_role", Env: []string{"FOOTNOTE_ADMIN_ROLE"}, Help: "role ID allowed to run admin commands (besides Manage Server)",
		set: str(func(c *Config) *string { return &c.AdminRole }), get: func(c *Config) string { return c.AdminRole }},
	{Key: "shutdown_timeout", Env: []string{"FOOTNOTE_SHUTDOWN_TIMEOUT"}, Help: "how long shutdown waits for answers in flight",
		set: duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }), get: func(c *Config) string { return c.ShutdownTimeout.String() }},
	{Key: "answer_cache_ttl", Env: []string{"FOOTNOTE_ANSWER_CACHE_TTL"}, Help: "keep answers to repeated questions this long (0 = no cache); reloads start afresh",
		set: duration(func(c *Config) *time.Duration { return &c.AnswerCacheTTL }), get: func(c *Config) string { return c.AnswerCacheTTL.String() }},
	{Key: "crawl_rate", Env: []string{"FOOTNOTE_CRAWL_RATE"}, Help: "requests per second the site crawler sends one host (robots.txt's Crawl-delay can lower it)",
		set: number(func(c *Config) *float64 { return &c.CrawlRate }), get: func(c *Config) string { return strconv.FormatFloat(c.CrawlRate, 'g', -1, 64) }},
	{Key: "crawl_concurrency", Env: []string{"FOOTNOTE_CRAWL_CONCURRENCY"}, Help: "requests the site crawler has in flight to one host",
		set: integer(func(c *Config) *int { return &c.CrawlConcurrency }), get: func(c *Config) string { return strconv.Itoa(c.CrawlConcurrency) }},
	{Key: "source_refresh", Env: []string{"FOOTNOTE_SOURCE_REFRESH"}, Help: "how often a documentation site is refreshed when its source sets no refresh",
		set: duration(func(c *Config) *time.Duration { return &c.SourceRefresh }), get: func(c *Config) string { return c.SourceRefresh.String() }},
	{Key: "redis_url", Env: []string{"FOOTNOTE_REDIS_URL"}, Secret: true, NoFlag: true, Help: "Redis shared by replicas for cooldowns, follow-ups and the answer cache (secret); empty = in process",
		set: func(c *Config, v string) error { c.RedisURL = Secret(strings.TrimSpace(v)); return nil }, get: func(c *Config) string { return c.RedisURL.String() }},
	{Key: "database_url", Env: []string{"FOOTNOTE_DATABASE_URL"}, Secret: true, NoFlag: true, Help: "PostgreSQL for the question log, votes and ingested articles (secret); empty = SQLite in data_dir",
		set: func(c *Config, v string) error { c.DatabaseURL = Secret(strings.TrimSpace(v)); return nil }, get: func(c *Config) string { return c.DatabaseURL.String() }},
	{Key: "retriever", Env: []string{"FOOTNOTE_RETRIEVER"}, Help: "embedded (in-process index) or weaviate",
		set: str(func(c *Config) *string { return &c.Retriever }), get: func(c *Config) string { return c.Retriever }},
	{Key: "weaviate_url", Env: []string{"FOOTNOTE_WEAVIATE_URL"}, Help: "Weaviate REST URL (e.g. http://weaviate:8080), for retriever weaviate",
		set: str(func(c *Config) *string { return &c.WeaviateURL }), get: func(c *Config) string { return RedactURL(c.WeaviateURL) }},
	{Key: "weaviate_collection", Env: []string{"FOOTNOTE_WEAVIATE_COLLECTION"}, Help: "Weaviate collection (class) holding the passages",
		set: str(func(c *Config) *string { return &c.WeaviateCollection }), get: func(c *Config) string { return c.WeaviateCollection }},
	{Key: "weaviate_shards", Env: []string{"FOOTNOTE_WEAVIATE_SHARDS"}, Help: "shards when footnote creates the collection (0 = one per node)",
		set: integer(func(c *Config) *int { return &c.WeaviateShards }), get: func(c *Config) string { return strconv.Itoa(c.WeaviateShards) }},
	{Key: "weaviate_replicas", Env: []string{"FOOTNOTE_WEAVIATE_REPLICAS"}, Help: "replication factor when footnote creates the collection",
		set: integer(func(c *Config) *int { return &c.WeaviateReplicas }), get: func(c *Config) string { return strconv.Itoa(c.WeaviateReplicas) }},
}

var weaviateClass = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func str(f func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = strings.TrimSpace(v); return nil }
}

func integer(f func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		*f(c) = n
		return nil
	}
}

func number(f func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", v)
		}
		*f(c) = n
		return nil
	}
}

func duration(f func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a duration such as 5s or 1m30s, got %q", v)
		}
		*f(c) = d
		return nil
	}
}

func boolean(f func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*f(c) = b
		return nil
	}
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == os.PathListSeparator }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Flags registers every non-secret setting on fs and returns a function
// that applies the flags the user set (and only those) to a Config.
// It also registers --config for the file.
func Flags(fs *flag.FlagSet) (configFile *string, apply func(*Config) error) {
	vals := map[string]*multi{}
	for _, s := range settings {
		if s.NoFlag {
			continue
		}
		m := &multi{}
		vals[s.Key] = m
		fs.Var(m, s.Flag(), s.Help)
	}
	configFile = fs.String("config", "", "YAML config file")
	apply = func(c *Config) error {
		for _, s := range settings {
			m, ok := vals[s.Key]
			if !ok || !m.set {
				continue
			}
			if s.Key == "corpus" {
				c.Corpus = nil
			}
			if s.Key == "ingest_attachment_hosts" {
				c.IngestAttachmentHosts = nil
			}
			for _, v := range m.vals {
				if err := s.set(c, v); err != nil {
					return fmt.Errorf("flag --%s: %w", s.Flag(), err)
				}
			}
		}
		return nil
	}
	return configFile, apply
}

// multi is a flag that may repeat.
type multi struct {
	vals []string
	set  bool
}

func (m *multi) String() string { return strings.Join(m.vals, ",") }
func (m *multi) Set(v string) error {
	m.vals = append(m.vals, v)
	m.set = true
	return nil
}

// Load builds the configuration: defaults, then the file (if path is not
// empty), then the environment, then flags (applyFlags may be nil).
func Load(path string, getenv func(string) string, applyFlags func(*Config) error) (Config, error) {
	c := Default()
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return c, err
		}
	}
	for _, s := range settings {
		for _, name := range s.Env {
			v := getenv(name)
			if v == "" {
				continue
			}
			if s.Key == "corpus" {
				c.Corpus = nil
			}
			if s.Key == "ingest_attachment_hosts" {
				c.IngestAttachmentHosts = nil
			}
			if err := s.set(&c, v); err != nil {
				return c, fmt.Errorf("%s: %w", name, err)
			}
			break
		}
	}
	if applyFlags != nil {
		if err := applyFlags(&c); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}

func (c *Config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	byKey := map[string]Setting{}
	for _, s := range settings {
		byKey[s.Key] = s
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		node := raw[k]
		if k == "sources" {
			var srcs []Source
			if err := decodeStrict(&node, &srcs); err != nil {
				return fmt.Errorf("config file %s: sources: %w", path, err)
			}
			c.Sources = srcs
			continue
		}
		if k == "guilds" {
			var g map[string]Guild
			if err := decodeStrict(&node, &g); err != nil {
				return fmt.Errorf("config file %s: guilds: %w", path, err)
			}
			c.Guilds = g
			continue
		}
		s, ok := byKey[k]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q (see 'footnote config' for the list)", path, k)
		}
		var vals []string
		if node.Kind == yaml.SequenceNode {
			if err := node.Decode(&vals); err != nil {
				return fmt.Errorf("config file %s: %s: %w", path, k, err)
			}
		} else {
			vals = []string{node.Value}
		}
		if k == "corpus" {
			c.Corpus = nil
		}
		if k == "ingest_attachment_hosts" {
			c.IngestAttachmentHosts = nil
		}
		for _, v := range vals {
			if err := s.set(c, v); err != nil {
				return fmt.Errorf("config file %s: %s: %w", path, k, err)
			}
		}
	}
	if len(c.Corpus) > 0 {
		// Relative corpus paths are relative to the config file.
		for i, p := range c.Corpus {
			if !filepath.IsAbs(p) {
				c.Corpus[i] = filepath.Join(filepath.Dir(path), p)
			}
		}
	}
	return nil
}

// decodeStrict decodes a YAML node, refusing unknown keys.
func decodeStrict(n *yaml.Node, v any) error {
	out, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

var snowflake = regexp.MustCompile(`^[0-9]{1,20}$`)

var hostName = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

// Validate checks every setting, naming the setting and what it allows.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("setting %s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.TopK < 1 || c.TopK > 20 {
		bad("top_k", "%d is out of range (1-20)", c.TopK)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", "%q is not one of text, json", c.LogFormat)
	}
	if c.LLMModel != "" && c.LLMBaseURL == "" {
		bad("llm_model", "set without llm_base_url (set FOOTNOTE_LLM_BASE_URL, e.g. https://api.openai.com/v1)")
	}
	if c.LLMBaseURL != "" {
		if u, err := url.Parse(c.LLMBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("llm_base_url", "%q is not an http(s) URL", RedactURL(c.LLMBaseURL))
		}
		if c.LLMModel == "" {
			bad("llm_model", "required when llm_base_url is set")
		}
	}
	if c.LLMTimeout <= 0 {
		bad("llm_timeout", "must be positive, got %s", c.LLMTimeout)
	}
	if c.LLMMaxTokens < 1 {
		bad("llm_max_tokens", "must be at least 1, got %d", c.LLMMaxTokens)
	}
	if c.LLMDailyTokensPerGuild < 0 {
		bad("llm_daily_tokens_per_guild", "must not be negative, got %d", c.LLMDailyTokensPerGuild)
	}
	if c.LLMDailyTokensPerUser < 0 {
		bad("llm_daily_tokens_per_user", "must not be negative, got %d", c.LLMDailyTokensPerUser)
	}
	if c.LLMTemperature < 0 || c.LLMTemperature > 2 {
		bad("llm_temperature", "%g is out of range (0-2)", c.LLMTemperature)
	}
	if c.LLMContextChars < 500 {
		bad("llm_context_chars", "must be at least 500, got %d", c.LLMContextChars)
	}
	if u, err := url.Parse(c.DiscordAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("discord_api_url", "%q is not an http(s) URL", RedactURL(c.DiscordAPIURL))
	}
	if c.DiscordGuildID != "" && !snowflake.MatchString(c.DiscordGuildID) {
		bad("discord_guild_id", "%q is not a Discord ID (digits)", c.DiscordGuildID)
	}
	if c.ShardCount < 0 {
		bad("shard_count", "must be at least 1 (or auto), got %d", c.ShardCount)
	}
	if c.ShardID < 0 || (c.ShardCount != ShardAuto && c.ShardID >= c.ShardCount) {
		bad("shard_id", "%d is out of range (0 to shard_count-1 = %d)", c.ShardID, c.ShardCount-1)
	}
	if c.AnswerCacheTTL < 0 {
		bad("answer_cache_ttl", "must not be negative, got %s", c.AnswerCacheTTL)
	}
	if v := string(c.RedisURL); v != "" && !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") && !strings.HasPrefix(v, "unix://") {
		bad("redis_url", "want redis://[:password@]host:port/db")
	}
	if v := string(c.DatabaseURL); v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		bad("database_url", "want postgres://user:password@host:port/db")
	}
	switch c.Retriever {
	case RetrieverEmbedded:
	case RetrieverWeaviate:
		if u, err := url.Parse(c.WeaviateURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("weaviate_url", "%q is not an http(s) URL (needed by retriever weaviate)", RedactURL(c.WeaviateURL))
		}
	default:
		bad("retriever", "%q is not embedded or weaviate", c.Retriever)
	}
	if c.WeaviateCollection == "" || !weaviateClass.MatchString(c.WeaviateCollection) {
		bad("weaviate_collection", "%q is not a collection name (a letter, then letters, digits or _)", c.WeaviateCollection)
	}
	if c.WeaviateShards < 0 || c.WeaviateReplicas < 1 {
		bad("weaviate_replicas", "shards ≥ 0 and replicas ≥ 1, got %d and %d", c.WeaviateShards, c.WeaviateReplicas)
	}
	if c.Cooldown < 0 {
		bad("cooldown", "must not be negative, got %s", c.Cooldown)
	}
	if c.GuildConcurrency < 1 {
		bad("guild_concurrency", "must be at least 1, got %d", c.GuildConcurrency)
	}
	if c.QuestionLogDays < 0 {
		bad("question_log_days", "must be 0 (keep for ever) or more, got %d", c.QuestionLogDays)
	}
	if c.GuildDataGrace < 0 {
		bad("guild_data_grace", "must not be negative, got %s", c.GuildDataGrace)
	}
	if c.GuildQueue < 0 {
		bad("guild_queue", "must be 0 or more, got %d", c.GuildQueue)
	}
	if c.Workers < 1 {
		bad("workers", "must be at least 1, got %d", c.Workers)
	}
	if c.AdminRole != "" && !snowflake.MatchString(c.AdminRole) {
		bad("admin_role", "%q is not a Discord role ID (digits)", c.AdminRole)
	}
	if c.IngestMaxBytes < 1024 {
		bad("ingest_max_bytes", "must be at least 1024, got %d", c.IngestMaxBytes)
	}
	for _, h := range c.IngestAttachmentHosts {
		if !hostName.MatchString(h) {
			bad("ingest_attachment_hosts", "want host names such as cdn.discordapp.com, got %q", h)
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive, got %s", c.ShutdownTimeout)
	}
	for id, g := range c.Guilds {
		if !snowflake.MatchString(id) {
			bad("guilds", "key %q is not a Discord guild ID (digits)", id)
		}
		for _, ch := range g.AllowedChannels {
			if !snowflake.MatchString(ch) {
				bad("guilds."+id+".allowed_channels", "%q is not a channel ID", ch)
			}
		}
		for _, r := range g.AdminRoles {
			if !snowflake.MatchString(r) {
				bad("guilds."+id+".admin_roles", "%q is not a role ID", r)
			}
		}
		if g.Cooldown < 0 {
			bad("guilds."+id+".cooldown", "must not be negative")
		}
		for _, p := range g.Corpus {
			if strings.TrimSpace(p) == "" {
				bad("guilds."+id+".corpus", "an empty path")
			}
		}
		for i, src := range g.Sources {
			checkSource(fmt.Sprintf("guilds.%s.sources[%d]", id, i), src, bad)
		}
	}
	for i, src := range c.Sources {
		checkSource(fmt.Sprintf("sources[%d]", i), src, bad)
	}
	if c.CrawlRate <= 0 || c.CrawlRate > 100 {
		bad("crawl_rate", "must be above 0 and at most 100 requests a second, got %g", c.CrawlRate)
	}
	if c.CrawlConcurrency < 1 || c.CrawlConcurrency > 16 {
		bad("crawl_concurrency", "must be 1 to 16, got %d", c.CrawlConcurrency)
	}
	if c.SourceRefresh < time.Minute {
		bad("source_refresh", "must be at least 1m, got %s", c.SourceRefresh)
	}
	return errors.Join(errs...)
}

// String is a source on one line (its URL redacted).
func (s Source) String() string {
	return fmt.Sprintf("url=%s include=%v exclude=%v max_pages=%d max_bytes=%d refresh=%s", RedactURL(s.URL), s.Include, s.Exclude, s.MaxPages, s.MaxBytes, s.Refresh)
}

// checkSource validates one configured documentation site.
func checkSource(key string, src Source, bad func(key, format string, a ...any)) {
	u, err := url.Parse(strings.TrimSpace(src.URL))
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		bad(key+".url", "%q is not an http or https address", RedactURL(src.URL))
	case u.User != nil:
		bad(key+".url", "must not carry a user name or password")
	}
	if src.MaxPages < 0 {
		bad(key+".max_pages", "must not be negative")
	}
	if src.MaxBytes < 0 {
		bad(key+".max_bytes", "must not be negative")
	}
	if src.Refresh != 0 && src.Refresh < time.Minute {
		bad(key+".refresh", "must be at least 1m (or 0 for source_refresh), got %s", src.Refresh)
	}
}

// Dump writes the effective configuration, one "key = value" a line, with
// secrets redacted.
func (c Config) Dump() string {
	var sb strings.Builder
	for _, s := range settings {
		fmt.Fprintf(&sb, "%-18s = %s\n", s.Key, s.get(&c))
	}
	ids := make([]string, 0, len(c.Guilds))
	for id := range c.Guilds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g := c.Guilds[id]
		fmt.Fprintf(&sb, "guilds.%s         = allowed_channels=%v cooldown=%s admin_roles=%v corpus=%v shared=%v manage_shared=%v\n",
			id, g.AllowedChannels, g.Cooldown, g.AdminRoles, g.Corpus, g.UsesShared(), g.ManageShared)
		for _, src := range g.Sources {
			fmt.Fprintf(&sb, "guilds.%s.sources = %s\n", id, src)
		}
	}
	for _, src := range c.Sources {
		fmt.Fprintf(&sb, "sources            = %s\n", src)
	}
	return sb.String()
}

// String is the dump on one line, so %v and %+v of a Config print no
// secret and no URL password.
func (c Config) String() string {
	parts := make([]string, 0, len(settings)+1)
	for _, s := range settings {
		parts = append(parts, s.Key+"="+strconv.Quote(s.get(&c)))
	}
	if len(c.Guilds) > 0 {
		parts = append(parts, fmt.Sprintf("guilds=%d", len(c.Guilds)))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// GoString keeps %#v as safe as %v.
func (c Config) GoString() string { return "config.Config" + c.String() }

// LogValue logs the configuration as its settings, redacted as in Dump.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.Key, s.get(&c)))
	}
	return slog.GroupValue(attrs...)
}

// Default returns the default of a setting as text (for documentation).
func (s Setting) Default() string {
	c := Default()
	return s.get(&c)
}

// LLMEnabled reports whether an LLM backend is configured.
func (c Config) LLMEnabled() bool { return c.LLMBaseURL != "" }

// CooldownFor returns the cooldown in a guild.
func (c Config) CooldownFor(guild string) time.Duration {
	if g, ok := c.Guilds[guild]; ok && g.Cooldown > 0 {
		return g.Cooldown
	}
	return c.Cooldown
}

// SettingsTable renders the settings as a Markdown table (for README).
func SettingsTable() string {
	var sb strings.Builder
	sb.WriteString("| setting (file key) | environment | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, s := range settings {
		flagName := "--" + s.Flag()
		if s.NoFlag {
			flagName = "(none: secret)"
		}
		def := s.Default()
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&sb, "| `%s` | `%s` | `%s` | `%s` | %s |\n", s.Key, strings.Join(s.Env, "`, `"), flagName, def, s.Help)
	}
	return sb.String()
}
