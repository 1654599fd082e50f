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
// "total"). Finished counts arrivals that reached the end (for the
// pipeline DELIVERED or CANCELLED, both terminal: the simulators cancel a
// few percent by design) by the second they finished in, not the stage
// they were sent in: a pipeline that falls behind finishes fewer per
// second than offered while the stage lasts. The total row divides all
// finished arrivals by the time until the last one finished (sustained
// throughput), so a backlog drained after the sends shows as a lower rate.
type Comparison struct {
	Stage               string  `json:"stage"`
	Rate                float64 `json:"rate"`
	PipelineFinished    float64 `json:"pipeline_finished_per_s"`
	RawFinished         float64 `json:"raw_finished_per_s"`
	ThroughputRatio     float64 `json:"throughput_ratio"` // pipeline / raw
	PipelineEndToEndP99 float64 `json:"pipeline_end_to_end_p99_ms"`
	RawEndToEndP99      float64 `json:"raw_end_to_end_p99_ms"`
}

// finishedRates returns, per stage, arrivals finished per second during
// the stage's time window, and the sustained rate of the whole run.
func finishedRates(sc *scenario.Scenario, r *Result) ([]float64, float64) {
	var rates []float64
	from := 0.0
	for _, st := range sc.Stages {
		to := from + st.Duration.Seconds()
		n := 0
		for _, p := range r.Series {
			if t := float64(p.Second); t >= from && t < to {
				n += p.Completed
			}
		}
		rates = append(rates, float64(n)/st.Duration.Seconds())
		from = to
	}
	total, last := 0, -1
	for _, p := range r.Series {
		total += p.Completed
		if p.Completed > 0 {
			last = p.Second
		}
	}
	sustained := 0.0
	if last >= 0 {
		sustained = float64(total) / float64(last+1)
	}
	return rates, sustained
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
		pRates, pSustained := finishedRates(sc, pipeline)
		rRates, rSustained := finishedRates(sc, raw)
		pStages := append(append([]StageResult{}, pipeline.Stages...), pipeline.Total)
		rStages := append(append([]StageResult{}, raw.Stages...), raw.Total)
		pRates, rRates = append(pRates, pSustained), append(rRates, rSustained)
		for i, p := range pStages {
			c := Comparison{
				Stage: p.Name, Rate: p.Rate,
				PipelineFinished: pRates[i], RawFinished: rRates[i],
				PipelineEndToEndP99: p.EndToEnd.P99, RawEndToEndP99: rStages[i].EndToEnd.P99,
			}
			if rRates[i] > 0 {
				c.ThroughputRatio = pRates[i] / rRates[i]
			}
			s.Comparison = append(s.Comparison, c)
		}
	}
	return s
}
