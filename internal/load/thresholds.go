package load

import (
	"fmt"
	"math"
	"strconv"

	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// Check is one threshold judged against a run.
type Check struct {
	Name   string  `json:"name"` // the scenario field, e.g. "http_p99"
	Limit  float64 `json:"limit"`
	Actual float64 `json:"actual"`
	Unit   string  `json:"unit"`
	Pass   bool    `json:"pass"`
	// Note explains a verdict the numbers alone do not show.
	Note string `json:"note,omitempty"`
}

func (c Check) String() string {
	verdict := "ok"
	if !c.Pass {
		verdict = "FAILED"
	}
	op := "<="
	if c.Name == "min_throughput" {
		op = ">="
	}
	line := fmt.Sprintf("%-24s %-6s %s %s (limit %s %s)", c.Name, verdict, short(c.Actual), c.Unit, op, short(c.Limit))
	if c.Note != "" {
		line += ": " + c.Note
	}
	return line
}

// Evaluate judges the scenario's thresholds against the totals of a run.
// Every threshold applies to the whole run, as in the k6 scripts.
func Evaluate(t scenario.Thresholds, tot StageResult) []Check {
	le := func(name string, limit, actual float64, unit string) Check {
		return Check{Name: name, Limit: limit, Actual: actual, Unit: unit, Pass: actual <= limit}
	}
	p2d := tot.EndToEnd.P99
	checks := []Check{
		le("http_p95", ms(t.HTTPP95.Duration), tot.Request.P95, "ms"),
		le("http_p99", ms(t.HTTPP99.Duration), tot.Request.P99, "ms"),
		le("placed_to_delivered_p99", ms(t.PlacedToDeliveredP99.Duration), p2d, "ms"),
		le("max_error_rate", t.MaxErrorRate, tot.ErrorRate, "of requests"),
		{Name: "min_throughput", Limit: t.MinThroughput, Actual: tot.Throughput, Unit: "orders/s",
			Pass: tot.Throughput >= t.MinThroughput},
	}
	// An order that never arrives has no latency: a run where nothing was
	// delivered must not pass the delivery threshold by having no samples.
	if tot.OK > 0 && tot.EndToEnd.Count == 0 {
		checks[2].Pass = false
		checks[2].Note = "no order was delivered"
	}
	// Undelivered orders (no terminal status within delivery_timeout) have
	// an unbounded latency: when they are more than 1% of the orders that
	// should have been delivered, the true p99 is above any limit.
	if float64(tot.Undelivered) > 0.01*float64(tot.Delivered+tot.Undelivered) {
		checks[2].Pass = false
		checks[2].Note = fmt.Sprintf("%d of %d orders not delivered within delivery_timeout", tot.Undelivered, tot.Delivered+tot.Undelivered)
	}
	return checks
}

// Passed reports whether every check passed.
func Passed(cs []Check) bool {
	for _, c := range cs {
		if !c.Pass {
			return false
		}
	}
	return true
}

// short prints a value readably: whole numbers above 100, two decimals
// above 1, three significant digits below.
func short(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
