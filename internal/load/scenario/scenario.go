// Package scenario reads the load scenario files in tests/load/scenarios.
// The same files drive the k6 scripts (tests/load/k6) and the Go harness
// (platform load), so both run the same stages and judge the same thresholds.
// A bad file is reported with its path, line and field so the author can fix
// it without guessing.
package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
)

// Scenario is one load test: a sequence of stages (constant arrival rate, or
// a closed loop of clients), the orders to place, and the thresholds the run
// must meet.
type Scenario struct {
	// Name identifies the scenario in reports and result folders.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Seed makes the order mix reproducible from run to run.
	Seed int64 `json:"seed"`
	// Stages run one after the other.
	Stages []Stage `json:"stages"`
	// DeliveryTimeout is how long after the last send the harness waits for
	// orders to reach DELIVERED before counting them as undelivered.
	DeliveryTimeout Duration `json:"delivery_timeout"`
	// MaxInFlight bounds concurrent requests; an arrival that finds the
	// bound reached is dropped and counted as an error (k6: maxVUs).
	MaxInFlight int `json:"max_in_flight"`
	// Stores and Customers size the id spaces orders are drawn from:
	// store-1..store-N and c-1..c-N.
	Stores    int         `json:"stores"`
	Customers int         `json:"customers"`
	OrderMix  []OrderKind `json:"order_mix"`
	// ChangeEvery makes one order in ChangeEvery cancelled by its customer
	// right after it was placed and another revised (docs/CONTRACTS.md,
	// "Cancel", "Revise"); 0 (the default) changes none.
	ChangeEvery int `json:"change_every,omitempty"`
	// Thresholds decide pass (exit 0) or fail (exit 1).
	Thresholds Thresholds `json:"thresholds"`
}

// Stage is either a period of constant arrival rate (open model: arrivals
// do not wait for earlier responses; rate and duration) or a closed loop
// (clients and orders: each client places its next order as soon as its
// previous one is answered, until the stage's orders are placed; duration
// then bounds the stage, like k6's shared-iterations maxDuration). The open
// model measures a pipeline at a given load; the closed one is how a fixed
// number of customers use it, as the demo does.
type Stage struct {
	Name     string   `json:"name"`
	Duration Duration `json:"duration"`
	// Rate is orders per second (open stages).
	Rate float64 `json:"rate,omitempty"`
	// Clients and Orders make a closed stage.
	Clients int `json:"clients,omitempty"`
	Orders  int `json:"orders,omitempty"`
}

// Closed reports whether the stage is a closed loop of clients.
func (st Stage) Closed() bool { return st.Clients > 0 || st.Orders > 0 }

// OrderKind is one entry of the order mix, picked with probability
// weight / sum(weights).
type OrderKind struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
	Items  []Item `json:"items"`
}

// Item is one order line of the order API body.
type Item = apiclient.Item

// Thresholds are the pass criteria of a run. The k6 scripts translate the
// same fields into k6 thresholds (see tests/load/k6/lib/scenario.js).
type Thresholds struct {
	HTTPP95              Duration `json:"http_p95"`
	HTTPP99              Duration `json:"http_p99"`
	PlacedToDeliveredP99 Duration `json:"placed_to_delivered_p99"`
	// MaxErrorRate is failed / attempted orders (failed: transport error,
	// non-2xx status, or dropped because max_in_flight was reached).
	MaxErrorRate float64 `json:"max_error_rate"`
	// MinThroughput is successful orders per second over the sum of the
	// stage durations.
	MinThroughput float64 `json:"min_throughput"`
}

// Duration is a time.Duration written as a Go duration string ("250ms").
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\", got %q", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// TotalDuration is the sum of the stage durations: the send phase (at most,
// for closed stages, which end when their orders are placed).
func (s *Scenario) TotalDuration() time.Duration {
	var t time.Duration
	for _, st := range s.Stages {
		t += st.Duration.Duration
	}
	return t
}

// PlannedOrders is how many orders the stages send in total.
func (s *Scenario) PlannedOrders() int {
	n := 0
	for _, st := range s.Stages {
		n += st.Arrivals()
	}
	return n
}

// Arrivals is how many orders a stage sends: rate * duration, rounded down,
// or a closed stage's orders.
func (st Stage) Arrivals() int {
	if st.Closed() {
		return st.Orders
	}
	return int(st.Rate * st.Duration.Seconds())
}

// Error is a problem in a scenario file, located by line and field path.
type Error struct {
	File  string
	Line  int // 0 when unknown
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
}

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a scenario; name is used in error messages.
// Unknown fields are rejected so that a typo in a threshold name does not
// silently disable the threshold.
func Parse(name string, data []byte) (*Scenario, error) {
	lines, err := fieldLines(data)
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: lineAt(data, se.Offset), Msg: "invalid JSON: " + se.Error()}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &Error{File: name, Line: lineAt(data, int64(len(bytes.TrimRight(data, " \t\r\n")))),
				Msg: "invalid JSON: the file ends before the scenario object is closed"}
		}
		return nil, &Error{File: name, Msg: "invalid JSON: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, decodeError(name, data, lines, err)
	}
	if dec.More() {
		return nil, &Error{File: name, Line: lineAt(data, dec.InputOffset()), Msg: "unexpected data after the scenario object"}
	}
	if problems := s.validate(); len(problems) > 0 {
		p := problems[0]
		return nil, &Error{File: name, Line: lines.lineOf(p.field), Field: p.field, Msg: p.msg}
	}
	return &s, nil
}

var unknownField = regexp.MustCompile(`json: unknown field "([^"]*)"`)

func decodeError(name string, data []byte, lines pathLines, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{File: name, Line: lineAt(data, te.Offset), Field: te.Field,
			Msg: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		path, line := lines.find(m[1])
		return &Error{File: name, Line: line, Field: path, Msg: "unknown field"}
	}
	// A Duration's own error: encoding/json wraps it without the path, so
	// find the field that holds the offending value.
	msg := err.Error()
	if strings.Contains(msg, "want a duration string") {
		path, line := lines.findBadDuration()
		return &Error{File: name, Line: line, Field: path, Msg: strings.TrimPrefix(msg, "json: ")}
	}
	return &Error{File: name, Msg: msg}
}

type problem struct{ field, msg string }

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// validate returns every problem in file order of importance; Parse reports
// the first so the message stays short.
func (s *Scenario) validate() []problem {
	var ps []problem
	add := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	if !namePattern.MatchString(s.Name) {
		add("name", "must be lower-case letters, digits and dashes, got %q", s.Name)
	}
	if len(s.Stages) == 0 {
		add("stages", "at least one stage is required")
	}
	seen := map[string]bool{}
	for i, st := range s.Stages {
		f := fmt.Sprintf("stages[%d]", i)
		if !namePattern.MatchString(st.Name) {
			add(f+".name", "must be lower-case letters, digits and dashes, got %q", st.Name)
		} else if seen[st.Name] {
			add(f+".name", "duplicate stage name %q", st.Name)
		}
		seen[st.Name] = true
		if st.Duration.Duration < time.Second {
			add(f+".duration", "must be at least 1s, got %s", st.Duration)
		}
		switch {
		case st.Closed() && st.Rate != 0:
			add(f+".rate", "a closed stage (clients, orders) has no rate, got %g", st.Rate)
		case st.Closed():
			if st.Clients < 1 || st.Clients > s.MaxInFlight {
				add(f+".clients", "must be in [1, max_in_flight %d], got %d", s.MaxInFlight, st.Clients)
			}
			if st.Orders < 1 || st.Orders > 10_000_000 {
				add(f+".orders", "must be in [1, 10000000], got %d", st.Orders)
			}
		case st.Rate <= 0 || st.Rate > 100000:
			add(f+".rate", "must be in (0, 100000] orders per second, got %g", st.Rate)
		}
	}
	if s.DeliveryTimeout.Duration <= 0 {
		add("delivery_timeout", "must be a positive duration, got %s", s.DeliveryTimeout)
	}
	if s.ChangeEvery != 0 && s.ChangeEvery < 4 {
		add("change_every", "must be 0 (no changes) or at least 4 (one cancel and one revision in every change_every orders), got %d", s.ChangeEvery)
	}
	if s.MaxInFlight < 1 {
		add("max_in_flight", "must be at least 1, got %d", s.MaxInFlight)
	}
	if s.Stores < 1 {
		add("stores", "must be at least 1, got %d", s.Stores)
	}
	if s.Customers < 1 {
		add("customers", "must be at least 1, got %d", s.Customers)
	}
	if len(s.OrderMix) == 0 {
		add("order_mix", "at least one order kind is required")
	}
	for i, k := range s.OrderMix {
		f := fmt.Sprintf("order_mix[%d]", i)
		if !namePattern.MatchString(k.Name) {
			add(f+".name", "must be lower-case letters, digits and dashes, got %q", k.Name)
		}
		if k.Weight < 1 {
			add(f+".weight", "must be at least 1, got %d", k.Weight)
		}
		if len(k.Items) == 0 {
			add(f+".items", "at least one item is required")
		}
		for j, it := range k.Items {
			g := fmt.Sprintf("%s.items[%d]", f, j)
			if it.SKU == "" {
				add(g+".sku", "is required")
			}
			if it.Quantity < 1 || it.Quantity > 99 {
				add(g+".quantity", "must be in [1, 99], got %d", it.Quantity)
			}
		}
	}
	t := s.Thresholds
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"thresholds.http_p95", t.HTTPP95.Duration},
		{"thresholds.http_p99", t.HTTPP99.Duration},
		{"thresholds.placed_to_delivered_p99", t.PlacedToDeliveredP99.Duration},
	} {
		if d.v <= 0 {
			add(d.field, "must be a positive duration, got %s", d.v)
		}
	}
	if t.HTTPP99.Duration > 0 && t.HTTPP95.Duration > t.HTTPP99.Duration {
		add("thresholds.http_p95", "must not exceed http_p99 (%s > %s)", t.HTTPP95, t.HTTPP99)
	}
	if t.MaxErrorRate < 0 || t.MaxErrorRate > 1 {
		add("thresholds.max_error_rate", "must be in [0, 1], got %g", t.MaxErrorRate)
	}
	if t.MinThroughput < 0 {
		add("thresholds.min_throughput", "must not be negative, got %g", t.MinThroughput)
	}
	if len(s.Stages) > 0 && s.TotalDuration() > 0 && !s.hasClosed() {
		avg := float64(s.PlannedOrders()) / s.TotalDuration().Seconds()
		if t.MinThroughput > avg {
			add("thresholds.min_throughput", "%g orders/s is more than the stages offer on average (%.2f)", t.MinThroughput, avg)
		}
	}
	return ps
}

// hasClosed reports whether a stage is closed: the rate such a stage offers
// is only known once it ran.
func (s *Scenario) hasClosed() bool {
	for _, st := range s.Stages {
		if st.Closed() {
			return true
		}
	}
	return false
}
