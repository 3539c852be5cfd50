// Package metrics exposes footnote's Prometheus metrics and the operator
// endpoints: /healthz (the process is up), /readyz (gateway connected and
// index loaded) and /metrics.
package metrics

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
)

// Metrics holds footnote's collectors in their own registry. It satisfies
// bot.Observer and answer.Observer.
type Metrics struct {
	reg        *prometheus.Registry
	questions  *prometheus.CounterVec
	answerSecs *prometheus.HistogramVec
	retrieval  prometheus.Histogram
	llmSecs    prometheus.Histogram
	llmErrors  *prometheus.CounterVec
	abstained  prometheus.Counter
	votes      *prometheus.CounterVec
	reconnects prometheus.Counter
	limited    *prometheus.CounterVec
	llmTokens  *prometheus.CounterVec
	queueLen   *prometheus.GaugeVec
	queueWait  *prometheus.CounterVec
	queueWaits *prometheus.CounterVec
	passages   prometheus.GaugeFunc
	damage     prometheus.GaugeFunc
	indexLen   atomic.Pointer[func() int]
	damaged    atomic.Pointer[func() bool]
}

// New registers the collectors (and the Go and process collectors).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg,
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_questions_total",
			Help: "Questions by command and outcome (answered, abstained, refused, error)."}, []string{"command", "outcome"}),
		answerSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "footnote_answer_seconds",
			Help: "Time to answer a question, by command.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"command"}),
		retrieval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "footnote_retrieval_seconds",
			Help: "Time to retrieve passages for a question.", Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1}}),
		llmSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "footnote_llm_seconds",
			Help: "Time for an LLM answer (success or failure).", Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60}}),
		llmErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_llm_errors_total",
			Help: "LLM answers that fell back to the template answer, by reason."}, []string{"reason"}),
		abstained: prometheus.NewCounter(prometheus.CounterOpts{Name: "footnote_abstentions_total",
			Help: "Questions the articles did not answer."}),
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_feedback_votes_total",
			Help: "Feedback votes on answers."}, []string{"vote"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "footnote_gateway_reconnects_total",
			Help: "Gateway sessions resumed after a disconnect."}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_rate_limited_total",
			Help: "Discord 429 responses, by route."}, []string{"route"}),
		queueLen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "footnote_guild_queue_waiting",
			Help: "Questions waiting for a turn, by server (servers with none are not listed)."}, []string{"guild"}),
		queueWait: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_guild_queue_wait_seconds_total",
			Help: "Time questions waited for a turn, by server (divide by footnote_guild_queue_waits_total for the mean)."}, []string{"guild"}),
		queueWaits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_guild_queue_waits_total",
			Help: "Questions that waited for a turn, by server."}, []string{"guild"}),
		llmTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "footnote_llm_tokens_total",
			Help: "LLM tokens used (prompt and answer, as the server counted them), by server (\"dm\" for direct messages)."}, []string{"guild"}),
	}
	// Read at every scrape from the index being served, so it follows every
	// swap (watcher, /reload, /ingest, /forget) without each one telling it.
	m.passages = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "footnote_index_passages",
		Help: "Passages in the index being served."}, func() float64 {
		if f := m.indexLen.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
	m.damage = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "footnote_index_damaged",
		Help: "1 when the index file being served has met damage (a text block or a term's postings that failed their check; the log names it): check it with 'footnote index --verify'."}, func() float64 {
		if f := m.damaged.Load(); f != nil && (*f)() {
			return 1
		}
		return 0
	})
	for _, c := range []prometheus.Collector{m.damage, m.questions, m.answerSecs, m.retrieval, m.llmSecs, m.llmErrors, m.abstained,
		m.votes, m.reconnects, m.limited, m.llmTokens, m.queueLen, m.queueWait, m.queueWaits, m.passages,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Question records an answered (or refused) question.
func (m *Metrics) Question(command, outcome string, took time.Duration) {
	m.questions.WithLabelValues(command, outcome).Inc()
	if outcome == "abstained" {
		m.abstained.Inc()
	}
	if took > 0 {
		m.answerSecs.WithLabelValues(command).Observe(took.Seconds())
	}
}

// Vote records feedback.
func (m *Metrics) Vote(up bool) {
	v := "down"
	if up {
		v = "up"
	}
	m.votes.WithLabelValues(v).Inc()
}

// Reconnect records a resumed gateway session.
func (m *Metrics) Reconnect() { m.reconnects.Inc() }

// Queue records a server's queue length.
func (m *Metrics) Queue(guild string, waiting int) {
	if waiting == 0 {
		m.queueLen.DeleteLabelValues(guild) // a label per busy server only
		return
	}
	m.queueLen.WithLabelValues(guild).Set(float64(waiting))
}

// Waited records how long a question waited for its turn.
func (m *Metrics) Waited(guild string, took time.Duration) {
	m.queueWait.WithLabelValues(guild).Add(took.Seconds())
	m.queueWaits.WithLabelValues(guild).Inc()
}

// LLMTokens counts the tokens a server's question used.
func (m *Metrics) LLMTokens(guild string, tokens int) {
	if guild == "" {
		guild = "dm"
	}
	m.llmTokens.WithLabelValues(guild).Add(float64(tokens))
}

// RateLimited records a 429.
func (m *Metrics) RateLimited(route string) { m.limited.WithLabelValues(route).Inc() }

// Retrieved records retrieval time.
func (m *Metrics) Retrieved(took time.Duration) { m.retrieval.Observe(took.Seconds()) }

// LLM records an LLM call; reason is empty on success.
func (m *Metrics) LLM(took time.Duration, reason string) {
	m.llmSecs.Observe(took.Seconds())
	if reason != "" {
		m.llmErrors.WithLabelValues(reason).Inc()
	}
}

// IndexSize sets where the passage count comes from: passages is called at
// each scrape (it must be cheap and safe for concurrent use, e.g. the
// length of the index a retrieval.Live holds now).
func (m *Metrics) IndexSize(passages func() int) { m.indexLen.Store(&passages) }

// IndexDamaged sets where footnote_index_damaged comes from: damaged is
// called at each scrape (cheap, safe for concurrent use).
func (m *Metrics) IndexDamaged(damaged func() bool) { m.damaged.Store(&damaged) }

// Handler serves /healthz, /readyz and /metrics. ready reports whether
// footnote can answer (gateway connected, index loaded).
func (m *Metrics) Handler(ready func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil && !ready() {
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}

// ServerOptions bound the operator endpoint. Zero values take the defaults.
type ServerOptions struct {
	// MaxConns is how many connections are served at once (default 64);
	// more wait in the kernel's accept queue, so idle or slow clients
	// cannot use up footnote's file descriptors.
	MaxConns int
	// ReadHeaderTimeout bounds a request's headers, and a new connection's
	// wait for its first request (default 5s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request (default 10s).
	ReadTimeout time.Duration
	// WriteTimeout bounds a response from the end of its request's headers
	// (default 30s: a /metrics scrape takes milliseconds, Prometheus gives
	// up after 10s).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request for this
	// long (default 30s).
	IdleTimeout time.Duration
}

// DefaultMaxConns is ServerOptions.MaxConns's default.
const DefaultMaxConns = 64

// Server serves the operator endpoints within ServerOptions' bounds.
type Server struct {
	srv *http.Server
	max int
}

// NewServer returns a server for h (usually Handler's).
func NewServer(h http.Handler, opt ServerOptions) *Server {
	orDefault := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	n := opt.MaxConns
	if n <= 0 {
		n = DefaultMaxConns
	}
	return &Server{max: n, srv: &http.Server{Handler: h,
		ReadHeaderTimeout: orDefault(opt.ReadHeaderTimeout, 5*time.Second),
		ReadTimeout:       orDefault(opt.ReadTimeout, 10*time.Second),
		WriteTimeout:      orDefault(opt.WriteTimeout, 30*time.Second),
		IdleTimeout:       orDefault(opt.IdleTimeout, 30*time.Second),
		MaxHeaderBytes:    16 << 10,
	}}
}

// Serve accepts at most MaxConns connections of ln at once and serves them
// until Shutdown; it returns http.ErrServerClosed then.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(netutil.LimitListener(ln, s.max)) }

// Shutdown stops accepting and waits (bounded by ctx) for requests in
// flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
