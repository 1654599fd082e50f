// Package load is the engine behind `platform load`: it sends arrivals at a
// constant rate per stage (open model), measures each request from the
// time it was meant to be sent (so a slow system cannot slow the load down
// and hide its own latency: no coordinated omission), joins completions
// (DELIVERED status events, or the last Kafka hop in raw mode) to measure
// end-to-end latency, and judges the scenario's thresholds.
package load

import (
	"time"

	"github.com/bloody-sweet/platform/internal/load/hdr"
)

// Result is what one mode of a run measured. It is written as JSON into the
// results folder; durations are milliseconds so other tools can read them.
type Result struct {
	Scenario string    `json:"scenario"`
	Mode     string    `json:"mode"` // "pipeline" or "raw"
	Target   string    `json:"target"`
	Started  time.Time `json:"started"`
	// SendSeconds is the length of the send phase (sum of the stages).
	SendSeconds float64 `json:"send_seconds"`
	// WallSeconds includes waiting for in-flight requests and deliveries.
	WallSeconds float64       `json:"wall_seconds"`
	Stages      []StageResult `json:"stages"`
	Total       StageResult   `json:"total"`
	// Series has one point per second of the run, for the chart.
	Series []Point `json:"series"`
	// ErrorKinds counts failed arrivals by cause ("http 503", "dropped",
	// "transport"), with one example message each.
	ErrorKinds   map[string]int    `json:"error_kinds,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Changes counts the customers' cancellations and revisions (pipeline
	// runs of a scenario with change_every).
	Changes *Changes `json:"changes,omitempty"`
	// Hops (pipeline runs) is the time between consecutive statuses of the
	// orders on the stream, by their event times, and from each terminal
	// event to its arrival: where the orders waited.
	Hops []Hop `json:"hops,omitempty"`
}

// StageResult sums one stage (or the whole run, as Total).
type StageResult struct {
	Name    string  `json:"name"`
	Rate    float64 `json:"rate"`
	Seconds float64 `json:"seconds"`
	Planned int     `json:"planned"`
	OK      int     `json:"ok"`
	Errors  int     `json:"errors"` // includes Dropped, not Shed
	// Shed counts arrivals the order API refused by admission control
	// (503 with a reason): deliberate, so not errors.
	Shed      int     `json:"shed"`
	Dropped   int     `json:"dropped"`
	ErrorRate float64 `json:"error_rate"`
	// Throughput is successful requests per second of stage time.
	Throughput float64 `json:"throughput"`
	// Delivered / Cancelled / Undelivered count what happened to the
	// successful requests sent in this stage.
	Delivered   int `json:"delivered"`
	Cancelled   int `json:"cancelled"`
	Undelivered int `json:"undelivered"`
	// DeliveredThroughput is delivered orders per second of stage time;
	// CompletedThroughput counts cancelled orders too: every order that
	// reached a terminal state, the pipeline's work rate.
	DeliveredThroughput float64 `json:"delivered_throughput"`
	CompletedThroughput float64 `json:"completed_throughput"`
	// Request latency (HTTP, or produce ack in raw mode) from the intended
	// send time; EndToEnd from the acknowledgement to the completion.
	Request  Latency `json:"request_latency_ms"`
	EndToEnd Latency `json:"end_to_end_latency_ms"`
}

// Latency summarises a histogram in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Point is one second of the run.
type Point struct {
	Second    int `json:"second"`
	Intended  int `json:"intended"`
	OK        int `json:"ok"`
	Errors    int `json:"errors"`
	Shed      int `json:"shed"`
	Delivered int `json:"delivered"`
	// Completed counts delivered and cancelled: arrivals that finished
	// in this second, whenever they were sent.
	Completed int     `json:"completed"`
	P50       float64 `json:"request_p50_ms"`
	P95       float64 `json:"request_p95_ms"`
	P99       float64 `json:"request_p99_ms"`
	E2EP99    float64 `json:"end_to_end_p99_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func summarize(h *hdr.Histogram) Latency {
	return Latency{
		Count: h.Count(),
		Mean:  ms(h.Mean()),
		P50:   ms(h.Quantile(0.50)),
		P90:   ms(h.Quantile(0.90)),
		P95:   ms(h.Quantile(0.95)),
		P99:   ms(h.Quantile(0.99)),
		Max:   ms(h.Max()),
	}
}
