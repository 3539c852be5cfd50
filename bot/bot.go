// Package bot connects footnote to Discord with discordgo: slash commands,
// mentions and replies, the "Find source" message command, buttons and
// autocomplete, within Discord's limits (3-second acknowledgement, message
// and embed sizes, rate limits, allowed mentions). Answers, lookups,
// passages and suggestions come from an Answerer as package cited's
// values; the bot only renders them and knows nothing of BM25 or LLMs.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/footnote-bot/footnote/answer/cited"
	"github.com/footnote-bot/footnote/internal/redact"
)

// Answerer answers questions and finds the passages that support a claim
// (abstaining, in both, when the articles do not); it looks passages up,
// suggests them as a user types, and lists the articles. *answer.Service
// is one, ranking every one of these with the same retriever.
type Answerer interface {
	Answer(ctx context.Context, req cited.Request) (cited.Answer, error)
	// FindSource returns the passages closest to a claim, each with a
	// snippet cut as h asks; Abstained when none clearly supports it.
	FindSource(ctx context.Context, claim string, h cited.Highlight) (cited.Answer, error)
	// Lookup returns the passages best matching a query, with snippets;
	// it fails with cited.ErrUnknownArticle for an unknown article.
	Lookup(ctx context.Context, l cited.Lookup) ([]cited.Citation, error)
	// Passage returns the passage with an ID, or the best match for text.
	Passage(ctx context.Context, idOrText string) (cited.Citation, bool)
	// Suggest offers passages for what has been typed (autocomplete).
	Suggest(ctx context.Context, s cited.Suggest) []cited.Citation
	// Articles lists the articles.
	Articles() []cited.Article
}

// Servers gives each server its own knowledge: the answerer over the
// articles it may see (the shared ones if it shares them, its own
// configured and ingested ones) and the library its admins manage. A nil
// Servers: every server shares the bot's Answerer and Options.Library.
type Servers interface {
	// Answerer answers in guild ("" for a direct message: the shared
	// articles only).
	Answerer(ctx context.Context, guild string) Answerer
	// Library is guild's articles for /reload, /ingest and /forget; nil
	// when the deployment has none to manage.
	Library(ctx context.Context, guild string) Library
}

// Quota reports the language model's use today, against the daily
// budgets (/quota).
type Quota interface {
	Used(ctx context.Context, guild, user string) (QuotaUse, error)
}

// QuotaUse is one server's and one user's LLM tokens today; a limit of 0
// is none.
type QuotaUse struct {
	Guild, GuildLimit int64
	User, UserLimit   int64
	Resets            time.Time
}

// Observer is told what happens, for metrics. All methods must be safe for
// concurrent use; a nil Observer is allowed.
type Observer interface {
	Question(command, outcome string, took time.Duration)
	Vote(up bool)
	Reconnect()
	RateLimited(route string)
}

// Library is what admin commands need: rebuild, add and remove articles.
type Library interface {
	Reload(ctx context.Context) (string, error)
	IngestURL(ctx context.Context, url, by string) (Added, error)
	// IngestAttachment fetches an uploaded file (from Discord's CDN only,
	// within the same limits as a page) and adds it.
	IngestAttachment(ctx context.Context, name, url string, size int64, by string) (Added, error)
	Forget(ctx context.Context, docID string) (string, error)
}

// Added describes an article /ingest added.
type Added struct {
	DocID    string
	Title    string
	Passages int
	// Replaced is set when the article took the place of an earlier
	// version of itself (the same URL ingested again).
	Replaced bool
}

// QuestionLog remembers questions and votes, and summarises them.
type QuestionLog interface {
	LogQuestion(ctx context.Context, q Question) error
	Vote(ctx context.Context, answerKey, voter string, up bool) error
	// Stats summarises the questions asked in a server since a time, top
	// of each list.
	Stats(ctx context.Context, guild string, since time.Time, top int) (Stats, error)
}

// Question is one answered question, as the bot logs it.
type Question struct {
	At        time.Time
	Guild     string
	Channel   string
	User      string // empty unless Options.LogUsers
	Command   string
	Question  string
	Backend   string
	Latency   time.Duration
	Abstained bool
	AnswerKey string   // interaction or message ID, for votes
	Citations []string // passage IDs in citation order
	DocIDs    []string // their documents
}

// Stats are what /stats shows of the question log.
type Stats struct {
	Questions  int
	Abstained  int
	Up, Down   int
	Unanswered []Count // abstained questions, similar ones grouped under one (Name), most asked first
	MostCited  []Count // article IDs (Name) by citations
	WorstRated []Rated // answers with more down than up votes
}

// Count is a name with a count.
type Count struct {
	Name  string
	Count int
}

// Rated is an answer with its votes.
type Rated struct {
	Question  string
	Citations []string
	Up, Down  int
}

// Guild holds per-guild settings.
type Guild struct {
	AllowedChannels []string
	Cooldown        time.Duration
	AdminRoles      []string
}

// Options configure the bot.
type Options struct {
	Token            string
	APIURL           string // base URL of Discord's REST API, e.g. https://discord.com/api/v10
	GuildID          string // register commands in this guild only
	RegisterCommands bool   // this process registers the commands (shard 0)
	MessageContent   bool   // answer mentions and replies
	ShardID          int
	ShardCount       int
	// ShardAuto takes the shard count from Discord's /gateway/bot.
	ShardAuto        bool
	Cooldown         time.Duration
	GuildConcurrency int
	// GuildQueue is how many questions of a guild may wait for a turn
	// beyond GuildConcurrency (default 100); one more is refused.
	GuildQueue int
	// QueueNotice is how long a deferred /ask waits for its turn before
	// the asker is told their place in the queue (default 5s).
	QueueNotice time.Duration
	// Workers is how many questions and commands the process works on at
	// once, across servers, handed round-robin between servers (default
	// 16): a server flooding footnote waits behind itself, not others.
	Workers         int
	AdminRole       string
	Guilds          map[string]Guild
	ShutdownTimeout time.Duration
	// Streaming defers every /ask and edits the reply as the answer streams
	// in (set when an LLM is configured).
	Streaming bool
	// AnswerBudget is how long a template answer may take before the bot
	// defers the interaction (default 1.5s, well inside Discord's 3s).
	AnswerBudget time.Duration
	// EditInterval spaces streaming edits (default 1.2s: all edits of one
	// interaction share a rate-limit bucket).
	EditInterval time.Duration
	// Library serves /reload, /ingest and /forget; nil disables them.
	Library Library
	// Servers, when set, gives each server its own answers and library
	// (Library is then unused).
	Servers Servers
	// Quota serves /quota; nil: the deployment has no language model.
	Quota Quota
	// Sources serves /source (documentation sites); nil disables it.
	Sources Sources
	// Log records questions and votes and serves /stats; nil disables it.
	Log QuestionLog
	// Membership is told when footnote is removed from a server and when
	// it is in one; nil: nobody is.
	Membership Membership
	// LogUsers stores user IDs in the question log (off by default).
	LogUsers bool
	// State is shared with the other replicas (cooldowns, remembered
	// answers); nil keeps it in this process.
	State      State
	HTTPClient *http.Client // base client for REST (tests, proxies)
	Logger     *slog.Logger
	Observer   Observer
}

// Bot is a running Discord bot.
type Bot struct {
	opt      Options
	answerer Answerer
	log      *slog.Logger
	obs      Observer
	s        *discordgo.Session

	limits   *limits
	work     *work
	state    State
	inflight sync.WaitGroup
	closing  atomic.Bool
	ready    atomic.Bool
	appID    atomic.Value // string
	botID    atomic.Value // string
}

// New creates a bot; Run connects it.
func New(opt Options, a Answerer) (*Bot, error) {
	if opt.Token == "" {
		return nil, errors.New("bot: no Discord token (set DISCORD_TOKEN)")
	}
	if opt.APIURL == "" {
		opt.APIURL = "https://discord.com/api/v10"
	}
	base, err := url.Parse(strings.TrimRight(opt.APIURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("bot: bad Discord API URL %q", redact.URL(opt.APIURL))
	}
	if opt.ShardCount < 1 {
		opt.ShardCount = 1
	}
	if opt.GuildConcurrency < 1 {
		opt.GuildConcurrency = 4
	}
	if opt.Workers < 1 {
		opt.Workers = 16
	}
	if opt.QueueNotice <= 0 {
		opt.QueueNotice = 5 * time.Second
	}
	if opt.GuildQueue < 0 {
		opt.GuildQueue = 0
	} else if opt.GuildQueue == 0 {
		opt.GuildQueue = 100
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 15 * time.Second
	}
	if opt.AnswerBudget <= 0 {
		opt.AnswerBudget = 1500 * time.Millisecond
	}
	if opt.EditInterval <= 0 {
		opt.EditInterval = 1200 * time.Millisecond
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	token := opt.Token
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	baseClient := opt.HTTPClient
	if baseClient == nil {
		baseClient = &http.Client{Timeout: 20 * time.Second}
	}
	// discordgo's endpoints are fixed at https://discord.com/api/v9: send
	// every REST call (gateway discovery included) to the configured base.
	rt := baseClient.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client := *baseClient
	client.Transport = rewrite{base: base, next: rt}
	s.Client = &client
	s.ShouldRetryOnRateLimit = false // we retry ourselves, bounded and cancellable
	s.ShouldReconnectOnError = true
	s.ShardID, s.ShardCount = opt.ShardID, opt.ShardCount
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if opt.MessageContent {
		s.Identify.Intents |= discordgo.IntentsMessageContent
	}
	rmem, known := readBufferCap()
	withBuffer := gatewayBuffer(rmem, known)
	s.Dialer = gatewayDialer(withBuffer)
	if !withBuffer {
		log.Info("gateway receive buffer left to the kernel's autotuning: a burst of events can stall reading for 200 ms; raise net.core.rmem_max to allow it",
			"rmem_max", rmem, "wanted", gatewayReadBuffer)
	}
	s.LogLevel = -1 // discordgo's own logger prints with log.Printf; we log through slog
	state := opt.State
	if state == nil {
		state = NewLocalState(2048)
	}
	b := &Bot{opt: opt, answerer: a, log: log, obs: opt.Observer, s: s,
		limits: newLimits(opt, state, log), work: newWork(opt.Workers), state: state}
	b.appID.Store("")
	b.botID.Store("")
	s.AddHandler(b.onReady)
	s.AddHandler(b.onResumed)
	s.AddHandler(b.onDisconnect)
	s.AddHandler(b.onInteraction)
	s.AddHandler(b.onRawEvent)
	s.AddHandler(b.onMessage)
	s.AddHandler(b.onGuildDelete)
	s.AddHandler(b.onGuildCreate)
	return b, nil
}

// rewrite sends requests for Discord's built-in API URL to the configured
// base, mapping /api/vN to the base path.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	if strings.HasPrefix(p, "/api/") {
		rest := strings.TrimPrefix(p, "/api/")
		if i := strings.IndexByte(rest, '/'); i >= 0 && strings.HasPrefix(rest, "v") {
			rest = rest[i:]
		} else {
			rest = "/" + rest
		}
		p = rest
	}
	u := *req.URL
	u.Scheme, u.Host = r.base.Scheme, r.base.Host
	u.Path = r.base.Path + p
	u.RawPath = ""
	out := req.Clone(req.Context())
	out.URL = &u
	out.Host = r.base.Host
	resp, err := r.next.RoundTrip(out)
	if err != nil {
		// http.Client reports the URL discordgo asked for (always
		// discord.com); say where the request really went.
		return nil, unreachable{url: redact.URL(u.String()), err: err}
	}
	return resp, nil
}

// unreachable is a request to Discord's API that got no response.
type unreachable struct {
	url string
	err error
}

func (u unreachable) Error() string { return u.url + ": " + u.err.Error() }
func (u unreachable) Unwrap() error { return u.err }

// answererFor is what answers in guild.
func (b *Bot) answererFor(ctx context.Context, guild string) Answerer {
	if b.opt.Servers != nil {
		return b.opt.Servers.Answerer(ctx, guild)
	}
	return b.answerer
}

// libraryFor is the library guild's admins manage (nil: none).
func (b *Bot) libraryFor(ctx context.Context, guild string) Library {
	if b.opt.Servers != nil {
		return b.opt.Servers.Library(ctx, guild)
	}
	return b.opt.Library
}

// Ready reports whether the gateway session is up.
func (b *Bot) Ready() bool { return b.ready.Load() }

// Run connects, registers commands, and serves until ctx is cancelled, then
// shuts down gracefully: no new questions, answers in flight finished
// (bounded by ShutdownTimeout), gateway closed.
func (b *Bot) Run(ctx context.Context) error {
	if b.opt.ShardAuto {
		gb, err := b.s.GatewayBot(b.reqOpts(ctx)...)
		if err != nil {
			return fmt.Errorf("bot: shard count from /gateway/bot: %w", err)
		}
		n := max(gb.Shards, 1)
		if b.opt.ShardID >= n {
			return fmt.Errorf("bot: shard_id %d, but Discord recommends %d shards (0 to %d)", b.opt.ShardID, n, n-1)
		}
		b.opt.ShardCount = n
		b.s.ShardCount = n
		if n > 1 {
			b.log.Info("Discord recommends several shards: run one process per shard, FOOTNOTE_SHARD_ID 0 to N-1", "shards", n)
		}
	}
	if err := b.s.Open(); err != nil {
		return fmt.Errorf("bot: connect to Discord: %w", classifyOpenError(err))
	}
	b.log.Info("connected to Discord", "shard", b.opt.ShardID, "shards", b.opt.ShardCount)
	<-ctx.Done()
	b.closing.Store(true)
	b.log.Info("shutting down: finishing answers in flight", "timeout", b.opt.ShutdownTimeout)
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.opt.ShutdownTimeout):
		b.log.Warn("shutdown timeout: some answers were not finished")
	}
	b.ready.Store(false)
	return b.s.Close()
}

// classifyOpenError says what a failed connection means and what to do.
func classifyOpenError(err error) error {
	const reset = "reset it in the developer portal (your application → Bot → Reset Token) and set DISCORD_TOKEN to the new one"
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return errors.New("the token was rejected by Discord (HTTP 401 Unauthorized): " + reset)
	}
	if strings.Contains(err.Error(), "4004") {
		return errors.New("the token was rejected by Discord (gateway close 4004, authentication failed): " + reset)
	}
	var un unreachable
	if errors.As(err, &un) {
		return fmt.Errorf("cannot reach Discord's API at %s (FOOTNOTE_DISCORD_API_URL, default https://discord.com/api/v10): %w", un.url, un.err)
	}
	return err
}

func (b *Bot) onReady(s *discordgo.Session, r *discordgo.Ready) {
	if r.Application != nil {
		b.appID.Store(r.Application.ID)
	}
	if r.User != nil {
		b.botID.Store(r.User.ID)
		if b.appID.Load().(string) == "" {
			b.appID.Store(r.User.ID)
		}
	}
	b.ready.Store(true)
	b.log.Info("gateway ready", "session", r.SessionID, "guilds", len(r.Guilds), "invite", InviteURL(b.appID.Load().(string)))
	if b.opt.RegisterCommands {
		go func() {
			if err := b.registerCommands(); err != nil {
				b.log.Error("registering commands failed", "err", err)
			}
		}()
	}
}

// Membership is told which servers footnote is removed from and which it
// is in, so that a server's data can be deleted after a grace period
// unless footnote comes back.
type Membership interface {
	GuildLeft(ctx context.Context, guild string) error
	GuildBack(ctx context.Context, guild string) error
}

// onGuildDelete: footnote was removed from a server (an outage sends the
// same event with unavailable set, and changes nothing).
func (b *Bot) onGuildDelete(_ *discordgo.Session, g *discordgo.GuildDelete) {
	if b.opt.Membership == nil || g.Guild == nil || g.Unavailable {
		return
	}
	if err := b.opt.Membership.GuildLeft(context.Background(), g.ID); err != nil {
		b.log.Error("could not record leaving a server", "guild", g.ID, "err", err)
		return
	}
	b.log.Info("removed from a server: its questions, votes and articles are deleted after the grace period unless footnote is added back", "guild", g.ID)
}

// onGuildCreate: footnote is in a server (at start, or added back).
func (b *Bot) onGuildCreate(_ *discordgo.Session, g *discordgo.GuildCreate) {
	if b.opt.Membership == nil || g.Guild == nil || g.Unavailable {
		return
	}
	if err := b.opt.Membership.GuildBack(context.Background(), g.ID); err != nil {
		b.log.Error("could not record being in a server", "guild", g.ID, "err", err)
	}
}

// onRawEvent logs an interaction discordgo could not decode. discordgo
// v0.29.0 passes such an event on half-filled (or empty, when the error is
// at the top level, e.g. app_permissions sent as a number) and reports the
// error only through its own logger, which is off (LogLevel -1): so the
// interaction used to vanish without a trace. Here it is decoded again
// from the raw event; on failure it is logged (ID, type, size, error: not
// its text) and, when it can be, answered with an ephemeral note.
// onInteraction skips it.
func (b *Bot) onRawEvent(_ *discordgo.Session, e *discordgo.Event) {
	if e.Type != "INTERACTION_CREATE" {
		return
	}
	if ic, ok := e.Struct.(*discordgo.InteractionCreate); ok && decoded(ic) {
		return // onInteraction answers it: no second decode of every interaction
	}
	var ic discordgo.InteractionCreate
	err := json.Unmarshal(e.RawData, &ic)
	if err == nil {
		return
	}
	var head map[string]json.RawMessage
	_ = json.Unmarshal(e.RawData, &head)
	var id, token string
	var typ int
	_ = json.Unmarshal(head["id"], &id)
	_ = json.Unmarshal(head["token"], &token)
	_ = json.Unmarshal(head["type"], &typ)
	b.log.Error("interaction not decoded, so not answered", "interaction", id, "type", typ, "bytes", len(e.RawData), "err", err)
	if id == "" || token == "" || typ == int(discordgo.InteractionApplicationCommandAutocomplete) || typ == int(discordgo.InteractionPing) || b.closing.Load() {
		return
	}
	b.inflight.Add(1)
	defer b.inflight.Done()
	in := b.interaction(&discordgo.InteractionCreate{Interaction: &discordgo.Interaction{ID: id, Token: token, AppID: b.appID.Load().(string)}})
	in.reply(context.Background(), ephemeral("footnote could not read this request (Discord sent something it does not understand); the error was logged."))
}

func (b *Bot) onResumed(*discordgo.Session, *discordgo.Resumed) {
	b.ready.Store(true)
	b.log.Info("gateway session resumed")
	if b.obs != nil {
		b.obs.Reconnect()
	}
}

func (b *Bot) onDisconnect(*discordgo.Session, *discordgo.Disconnect) {
	b.ready.Store(false)
	b.log.Warn("gateway disconnected; reconnecting")
}

// registerCommands overwrites the command set in one call (idempotent).
func (b *Bot) registerCommands() error {
	app := b.appID.Load().(string)
	payload, err := commandsPayload()
	if err != nil {
		return err
	}
	endpoint := discordgo.EndpointApplicationGlobalCommands(app)
	if b.opt.GuildID != "" {
		endpoint = discordgo.EndpointApplicationGuildCommands(app, b.opt.GuildID)
	}
	var cmds []json.RawMessage
	err = b.retry(context.Background(), "register commands", func() error {
		body, err := b.s.RequestWithBucketID("PUT", endpoint, payload, endpoint, b.reqOpts(context.Background())...)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &cmds)
	})
	if err != nil {
		return fmt.Errorf("bulk overwrite of commands: %w", err)
	}
	scope := "globally"
	if b.opt.GuildID != "" {
		scope = "in guild " + b.opt.GuildID
	}
	b.log.Info("commands registered", "count", len(cmds), "scope", scope)
	return nil
}

func (b *Bot) reqOpts(ctx context.Context) []discordgo.RequestOption {
	return []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false)}
}
