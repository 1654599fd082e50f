package load

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestComparisonCountsByFinishTime: a pipeline that falls behind in stage
// b and drains its backlog after the sends finishes fewer per second than
// the raw chain, per stage and sustained.
func TestComparisonCountsByFinishTime(t *testing.T) {
	sc := testScenario(stage("a", 2*time.Second, 5), stage("b", 2*time.Second, 5))
	series := func(completed ...int) *Result {
		r := &Result{Stages: make([]StageResult, 2), Total: StageResult{Name: "total"}}
		r.Stages[0].Name, r.Stages[1].Name = "a", "b"
		for i, c := range completed {
			r.Series = append(r.Series, Point{Second: i, Completed: c})
		}
		return r
	}
	pipeline := series(5, 5, 3, 3, 4, 4, 0)
	raw := series(5, 5, 5, 5, 0)
	s := NewSummary(sc, pipeline, raw, "")
	want := []Comparison{
		{Stage: "a", PipelineFinished: 5, RawFinished: 5, ThroughputRatio: 1},
		{Stage: "b", PipelineFinished: 3, RawFinished: 5, ThroughputRatio: 0.6},
		{Stage: "total", PipelineFinished: 4, RawFinished: 5, ThroughputRatio: 0.8},
	}
	if diff := cmp.Diff(want, s.Comparison, cmpopts.IgnoreFields(Comparison{}, "Rate"), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("comparison (-want +got):\n%s", diff)
	}
}
