package scenario

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const valid = `{
  "name": "t",
  "seed": 7,
  "stages": [
    {"name": "a", "duration": "2s", "rate": 5},
    {"name": "b", "duration": "1s", "rate": 10}
  ],
  "delivery_timeout": "5s",
  "max_in_flight": 10,
  "stores": 2,
  "customers": 3,
  "order_mix": [
    {"name": "one", "weight": 1, "items": [{"sku": "pizza-margherita", "quantity": 1}]}
  ],
  "thresholds": {
    "http_p95": "100ms",
    "http_p99": "200ms",
    "placed_to_delivered_p99": "3s",
    "max_error_rate": 0.01,
    "min_throughput": 5
  }
}`

func TestParseValid(t *testing.T) {
	s, err := Parse("t.json", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.TotalDuration(), 3*time.Second; got != want {
		t.Errorf("TotalDuration = %s, want %s", got, want)
	}
	if got, want := s.PlannedOrders(), 20; got != want {
		t.Errorf("PlannedOrders = %d, want %d", got, want)
	}
	if got, want := s.Thresholds.HTTPP99.Duration, 200*time.Millisecond; got != want {
		t.Errorf("http_p99 = %s, want %s", got, want)
	}
}

// A closed stage places its orders, whatever its duration.
func TestParseClosed(t *testing.T) {
	in := strings.Replace(valid, `"duration": "1s", "rate": 10`, `"duration": "1s", "clients": 2, "orders": 40`, 1)
	s, err := Parse("t.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Stages[1].Closed() || s.Stages[0].Closed() {
		t.Errorf("closed = %v, %v; want false, true", s.Stages[0].Closed(), s.Stages[1].Closed())
	}
	if got, want := s.PlannedOrders(), 10+40; got != want {
		t.Errorf("PlannedOrders = %d, want %d", got, want)
	}
}

// TestParseErrors checks that each kind of mistake is reported with the
// line and field path of the offending value.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string
	}{
		{"zero rate", `"rate": 10`, `"rate": 0`, "t.json:6: stages[1].rate: must be in (0, 100000] orders per second, got 0"},
		{"rate as string", `"rate": 10`, `"rate": "10"`, "t.json:6: stages.rate: want float64, got JSON string"},
		{"bad duration", `"duration": "1s"`, `"duration": "1 second"`, `t.json:6: stages[1].duration: want a duration string such as "250ms", got "1 second"`},
		{"short stage", `"duration": "1s"`, `"duration": "10ms"`, "t.json:6: stages[1].duration: must be at least 1s, got 10ms"},
		{"duplicate stage", `"name": "b"`, `"name": "a"`, `t.json:6: stages[1].name: duplicate stage name "a"`},
		{"unknown threshold", `"http_p95"`, `"http_p59"`, "t.json:16: thresholds.http_p59: unknown field"},
		{"missing threshold", `"http_p95": "100ms",`, ``, "t.json:15: thresholds.http_p95: must be a positive duration, got 0s"},
		{"p95 above p99", `"http_p95": "100ms"`, `"http_p95": "300ms"`, "t.json:16: thresholds.http_p95: must not exceed http_p99 (300ms > 200ms)"},
		{"error rate", `"max_error_rate": 0.01`, `"max_error_rate": 2`, "t.json:19: thresholds.max_error_rate: must be in [0, 1], got 2"},
		{"throughput above offer", `"min_throughput": 5`, `"min_throughput": 50`, "t.json:20: thresholds.min_throughput: 50 orders/s is more than the stages offer on average (6.67)"},
		{"closed stage with a rate", `"duration": "1s", "rate": 10`, `"duration": "1s", "rate": 10, "clients": 2, "orders": 4`, "t.json:6: stages[1].rate: a closed stage (clients, orders) has no rate, got 10"},
		{"closed stage above max_in_flight", `"duration": "1s", "rate": 10`, `"duration": "1s", "clients": 11, "orders": 4`, "t.json:6: stages[1].clients: must be in [1, max_in_flight 10], got 11"},
		{"closed stage without orders", `"duration": "1s", "rate": 10`, `"duration": "1s", "clients": 2`, "t.json:6: stages[1].orders: must be in [1, 10000000], got 0"},
		{"zero quantity", `"quantity": 1`, `"quantity": 0`, "t.json:13: order_mix[0].items[0].quantity: must be in [1, 99], got 0"},
		{"no mix", `{"name": "one", "weight": 1, "items": [{"sku": "pizza-margherita", "quantity": 1}]}`, ``, "t.json:12: order_mix: at least one order kind is required"},
		{"change_every too small", `"max_in_flight": 10,`, `"max_in_flight": 10, "change_every": 3,`, "t.json:9: change_every: must be 0 (no changes) or at least 4 (one cancel and one revision in every change_every orders), got 3"},
		{"bad name", `"name": "t"`, `"name": "T T"`, `t.json:2: name: must be lower-case letters, digits and dashes, got "T T"`},
		{"syntax", `"seed": 7,`, `"seed": 7,,`, "t.json:3: invalid JSON: invalid character ',' looking for beginning of object key string"},
		{"truncated", `"min_throughput": 5
  }
}`, `"min_throughput": 5`, "t.json:20: invalid JSON: the file ends before the scenario object is closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(valid, tt.old) {
				t.Fatalf("test input %q not in the valid scenario", tt.old)
			}
			in := strings.Replace(valid, tt.old, tt.new, 1)
			_, err := Parse("t.json", []byte(in))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *scenario.Error: %v", err, err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRepositoryScenarios loads the scenario files the k6 scripts and
// `platform load` use, so a broken file fails here first.
func TestRepositoryScenarios(t *testing.T) {
	files, err := filepath.Glob("../../../tests/load/scenarios/*.json")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); s.Name != want {
			t.Errorf("%s: name %q, want the file name %q", f, s.Name, want)
		}
		names[s.Name] = true
	}
	for _, want := range []string{"smoke", "peak", "soak"} {
		if !names[want] {
			t.Errorf("scenario %q missing from tests/load/scenarios", want)
		}
	}
}
