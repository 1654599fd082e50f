package load

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/internal/load/scenario"
)

func TestEvaluate(t *testing.T) {
	th := scenario.Thresholds{
		HTTPP95: scenario.Duration{Duration: 100 * time.Millisecond}, HTTPP99: scenario.Duration{Duration: 200 * time.Millisecond},
		PlacedToDeliveredP99: scenario.Duration{Duration: 5 * time.Second}, MaxErrorRate: 0.01, MinThroughput: 10,
	}
	good := StageResult{OK: 1000, Throughput: 20, Delivered: 990, ErrorRate: 0.001,
		Request: Latency{P95: 50, P99: 150}, EndToEnd: Latency{Count: 990, P99: 3000}}
	tests := []struct {
		name   string
		change func(*StageResult)
		failed []string
	}{
		{"all pass", func(*StageResult) {}, nil},
		{"p99 at the limit passes", func(s *StageResult) { s.Request.P99 = 200 }, nil},
		{"slow http", func(s *StageResult) { s.Request.P95 = 150; s.Request.P99 = 900 }, []string{"http_p95", "http_p99"}},
		{"slow delivery", func(s *StageResult) { s.EndToEnd.P99 = 5001 }, []string{"placed_to_delivered_p99"}},
		{"errors", func(s *StageResult) { s.ErrorRate = 0.02 }, []string{"max_error_rate"}},
		{"too slow overall", func(s *StageResult) { s.Throughput = 9.9 }, []string{"min_throughput"}},
		{"nothing delivered", func(s *StageResult) { s.Delivered = 0; s.EndToEnd = Latency{} }, []string{"placed_to_delivered_p99"}},
		{"1% undelivered passes", func(s *StageResult) { s.Undelivered = 10 }, nil},
		{"2% undelivered fails", func(s *StageResult) { s.Undelivered = 21 }, []string{"placed_to_delivered_p99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tot := good
			tt.change(&tot)
			var failed []string
			checks := Evaluate(th, tot)
			for _, c := range checks {
				if !c.Pass {
					failed = append(failed, c.Name)
				}
			}
			if diff := cmp.Diff(tt.failed, failed); diff != "" {
				t.Errorf("failed checks (-want +got):\n%s", diff)
			}
			if Passed(checks) != (len(tt.failed) == 0) {
				t.Errorf("Passed = %v with failures %v", Passed(checks), failed)
			}
		})
	}
}
