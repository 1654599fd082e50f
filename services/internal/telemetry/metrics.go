// Package telemetry sets up the three signals of a service: Prometheus
// metrics on a registry injected per service (never the global one, so five
// services can share a process), OpenTelemetry spans, and slog JSON logs
// that carry the trace id.
package telemetry

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Kafka holds the metrics every service exports for its Kafka traffic and
// outbox (the "common" set of policies/data/metric_catalog.json).
type Kafka struct {
	Produced        *prometheus.CounterVec   // topic
	Consumed        *prometheus.CounterVec   // topic
	Failed          *prometheus.CounterVec   // topic
	HandlerDuration *prometheus.HistogramVec // topic
	Lag             *prometheus.GaugeVec     // topic, partition
	DLQ             *prometheus.CounterVec   // topic (the original topic)
	Retries         *prometheus.CounterVec   // stage: handle, dead_letter, commit, outbox
	Blocked         prometheus.Gauge         // 1 while the consumer reports not ready
	OutboxBacklog   prometheus.Gauge
}

// Retry stages of kafka_retries_total.
const (
	StageHandle     = "handle"
	StageDeadLetter = "dead_letter"
	StageCommit     = "commit"
	StageOutbox     = "outbox"
)

// HTTP holds the request metrics of the "api" set.
type HTTP struct {
	Requests *prometheus.CounterVec   // route, method, code
	Duration *prometheus.HistogramVec // route, method, code
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NewKafka registers the Kafka metrics on reg and creates the series of the
// given topics up front, so dashboards and analysis queries see zeros rather
// than absent series before the first message.
func NewKafka(reg prometheus.Registerer, produces, consumes []string, partitions int) *Kafka {
	k := &Kafka{
		Produced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_messages_produced_total", Help: "Messages written to Kafka, by topic.",
		}, []string{"topic"}),
		Consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_messages_consumed_total", Help: "Messages read and handled, by topic.",
		}, []string{"topic"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_messages_failed_total", Help: "Handler attempts that failed, by topic.",
		}, []string{"topic"}),
		HandlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kafka_handler_duration_seconds", Help: "Time to handle one batch of messages, by topic.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"topic"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafka_consumer_lag", Help: "Messages behind the high watermark when last read, by topic and partition.",
		}, []string{"topic", "partition"}),
		DLQ: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_dlq_messages_total", Help: "Messages sent to the dead-letter topic, by original topic.",
		}, []string{"topic"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_retries_total",
			Help: "Transient failures retried with backoff, by stage (handle, dead_letter, commit, outbox).",
		}, []string{"stage"}),
		Blocked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kafka_consumer_blocked",
			Help: "1 while the consumer has retried transient failures without progress for longer than its threshold (and reports not ready), else 0.",
		}),
		OutboxBacklog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "outbox_backlog", Help: "Outbox rows not yet published.",
		}),
	}
	reg.MustRegister(k.Produced, k.Consumed, k.Failed, k.HandlerDuration, k.Lag, k.DLQ, k.Retries, k.Blocked, k.OutboxBacklog)
	for _, s := range []string{StageHandle, StageDeadLetter, StageCommit, StageOutbox} {
		k.Retries.WithLabelValues(s)
	}
	for _, t := range produces {
		k.Produced.WithLabelValues(t)
	}
	for _, t := range consumes {
		k.Produced.WithLabelValues(t + ".dlq") // poison messages are produced to the DLQ
		k.Consumed.WithLabelValues(t)
		k.Failed.WithLabelValues(t)
		k.HandlerDuration.WithLabelValues(t)
		k.DLQ.WithLabelValues(t)
		for p := 0; p < partitions; p++ {
			k.Lag.WithLabelValues(t, strconv.Itoa(p))
		}
	}
	return k
}

// NewHTTP registers the HTTP metrics on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency, by route, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "code"}),
	}
	reg.MustRegister(h.Requests, h.Duration)
	return h
}
