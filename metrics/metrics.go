// Package metrics exposes footnote's Prometheus metrics and the operator
// endpoints: /healthz (the process is up), /readyz (gateway connected and
// index loaded) and /metrics.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	passages   prometheus.Gauge
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
		passages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "footnote_index_passages",
			Help: "Passages in the index being served."}),
	}
	for _, c := range []prometheus.Collector{m.questions, m.answerSecs, m.retrieval, m.llmSecs, m.llmErrors, m.abstained,
		m.votes, m.reconnects, m.limited, m.passages,
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

// IndexSize records the passages being served.
func (m *Metrics) IndexSize(passages int) { m.passages.Set(float64(passages)) }

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
