package load

import "github.com/bloody-sweet/platform/internal/load/scenario"

// Summary is everything one `platform load` run found: the pipeline run,
// the raw kafka-go baseline run on the same schedule, the threshold checks
// and their comparison. It is the JSON summary in the results folder.
type Summary struct {
	Scenario *scenario.Scenario `json:"scenario"`
	Pipeline *Result            `json:"pipeline,omitempty"`
	Raw      *Result            `json:"raw,omitempty"`
	// RawNote says where the raw baseline ran (same broker as the
	// pipeline, or an in-process broker) or why it did not.
	RawNote    string       `json:"raw_note,omitempty"`
	Checks     []Check      `json:"checks"`
	Passed     bool         `json:"passed"`
	Comparison []Comparison `json:"comparison,omitempty"`
}

// Comparison puts the pipeline next to the raw baseline for one stage (and
// "total"): arrivals that reached the end per second (for the pipeline:
// delivered or cancelled, both terminal; the simulators cancel a few
// percent by design) and end-to-end p99.
type Comparison struct {
	Stage               string  `json:"stage"`
	Rate                float64 `json:"rate"`
	PipelineCompleted   float64 `json:"pipeline_completed_per_s"`
	RawCompleted        float64 `json:"raw_completed_per_s"`
	ThroughputRatio     float64 `json:"throughput_ratio"` // pipeline / raw
	PipelineEndToEndP99 float64 `json:"pipeline_end_to_end_p99_ms"`
	RawEndToEndP99      float64 `json:"raw_end_to_end_p99_ms"`
}

// NewSummary judges the thresholds against the pipeline run (or, when only
// the raw mode ran, against the raw run) and compares the two.
func NewSummary(sc *scenario.Scenario, pipeline, raw *Result, rawNote string) *Summary {
	s := &Summary{Scenario: sc, Pipeline: pipeline, Raw: raw, RawNote: rawNote}
	judged := pipeline
	if judged == nil {
		judged = raw
	}
	if judged != nil {
		s.Checks = Evaluate(sc.Thresholds, judged.Total)
		s.Passed = Passed(s.Checks)
	}
	if pipeline != nil && raw != nil {
		pairs := append([]StageResult{}, pipeline.Stages...)
		pairs = append(pairs, pipeline.Total)
		rawStages := append([]StageResult{}, raw.Stages...)
		rawStages = append(rawStages, raw.Total)
		for i, p := range pairs {
			r := rawStages[i]
			c := Comparison{
				Stage: p.Name, Rate: p.Rate,
				PipelineCompleted: p.CompletedThroughput, RawCompleted: r.CompletedThroughput,
				PipelineEndToEndP99: p.EndToEnd.P99, RawEndToEndP99: r.EndToEnd.P99,
			}
			if r.CompletedThroughput > 0 {
				c.ThroughputRatio = p.CompletedThroughput / r.CompletedThroughput
			}
			s.Comparison = append(s.Comparison, c)
		}
	}
	return s
}
