// Package eta is the engine of `platform eta`: it simulates days of orders
// through the world model (services/world), trains the delivery-time model
// (services/eta/model) on the first part and scores the rest against
// baselines on the same orders, and trains from a recorded event log.
package eta

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/world"
)

// Points names the prediction points, the start of each stage.
var Points = [model.Stages]string{"placed", "accepted", "ready", "courier_assigned", "picked_up"}

// TrainShare is the share of the simulated days the model trains on.
const TrainShare = 0.75

// Score is how good one predictor is on the test orders.
type Score struct {
	MAE      float64 `json:"mae_s"`         // mean absolute error of the median, seconds
	P90Abs   float64 `json:"p90_abs_err_s"` // 90th percentile of the absolute error, seconds
	Coverage float64 `json:"coverage"`      // share of actual times inside P10-P90
}

// Scores is a predictor's score at placement (the promise) and at each
// prediction point, by name.
type Scores struct {
	Score
	Stages map[string]Score `json:"stages"`
}

// Report is the result of an evaluation.
type Report struct {
	Seed         int64  `json:"seed"`
	Days         int    `json:"days"`
	TrainOrders  int    `json:"train_orders"`
	TestOrders   int    `json:"test_orders"`
	ModelVersion string `json:"model_version"`
	Model        Scores `json:"model"`
	Baselines    struct {
		GlobalMedian Scores `json:"global_median"`
		StoreMedian  Scores `json:"store_median"`
	} `json:"baselines"`
	// Oracle is the world's own distribution for each order given the
	// state it met: the limit no model can beat.
	Oracle Scores `json:"oracle"`

	// Sample is the model's and the oracle's prediction at placement and
	// the actual time for test orders, for the chart.
	Sample []Point `json:"-"`
}

// Point is one test order at placement.
type Point struct {
	Actual, Model, Oracle model.Estimate
}

// Options configure Eval.
type Options struct {
	World world.Config // Seed taken from here
	Days  int
}

// Eval simulates opt.Days days, trains on the first TrainShare of them and
// scores the rest.
func Eval(opt Options) (*Report, *model.Model, error) {
	if opt.Days < 2 {
		return nil, nil, fmt.Errorf("eta eval: --days %d: need at least 2 (one to train, one to test)", opt.Days)
	}
	w, err := world.New(opt.World)
	if err != nil {
		return nil, nil, err
	}
	trips := w.Simulate(world.Start(), opt.Days)
	split := world.Start().Add(time.Duration(float64(opt.Days) * TrainShare * float64(24*time.Hour)))
	var train, test []world.Trip
	for _, t := range trips {
		if t.Placed.Before(split) {
			train = append(train, t)
		} else {
			test = append(test, t)
		}
	}
	if len(test) == 0 {
		return nil, nil, fmt.Errorf("eta eval: no orders after the training days; raise --days or the world's OrdersPerDay")
	}
	recs := make([]model.Record, len(train))
	for i, t := range train {
		recs[i] = Record(w, t)
	}
	m, err := model.Train(recs, world.Start())
	if err != nil {
		return nil, nil, err
	}
	r := &Report{Seed: opt.World.Seed, Days: opt.Days, TrainOrders: len(train), TestOrders: len(test), ModelVersion: m.Version}
	global, byStore := medians(recs)

	type predictor struct {
		out     *Scores
		predict func(t world.Trip, rec model.Record, from int) (model.Estimate, error)
	}
	preds := []predictor{
		{&r.Model, func(_ world.Trip, rec model.Record, from int) (model.Estimate, error) {
			return m.Predict(rec.At(from), from)
		}},
		{&r.Baselines.GlobalMedian, func(_ world.Trip, _ model.Record, from int) (model.Estimate, error) { return global[from], nil }},
		{&r.Baselines.StoreMedian, func(_ world.Trip, rec model.Record, from int) (model.Estimate, error) {
			if e, ok := byStore[rec.Store]; ok {
				return e[from], nil
			}
			return global[from], nil
		}},
		{&r.Oracle, func(t world.Trip, _ model.Record, from int) (model.Estimate, error) {
			q := w.Quantiles(t.Order, t.Met, world.Stage(from), 0.1, 0.5, 0.9)
			return model.Estimate{P10: q[0], P50: q[1], P90: q[2]}, nil
		}},
	}
	testRecs := make([]model.Record, len(test))
	for i, t := range test {
		testRecs[i] = Record(w, t)
	}
	for _, p := range preds {
		p.out.Stages = map[string]Score{}
		for from := range model.Stages {
			var errs []float64
			hits := 0
			for i, t := range test {
				e, err := p.predict(t, testRecs[i], from)
				if err != nil {
					return nil, nil, err
				}
				actual := testRecs[i].Remaining(from)
				errs = append(errs, math.Abs((e.P50 - actual).Seconds()))
				if actual >= e.P10 && actual <= e.P90 {
					hits++
				}
				if from == 0 && p.out == &r.Model && i%4 == 0 {
					o := w.Quantiles(t.Order, t.Met, world.Accept, 0.1, 0.5, 0.9)
					r.Sample = append(r.Sample, Point{Actual: model.Estimate{P50: actual}, Model: e, Oracle: model.Estimate{P10: o[0], P50: o[1], P90: o[2]}})
				}
			}
			s := Score{MAE: mean(errs), P90Abs: quantile(errs, 0.9), Coverage: float64(hits) / float64(len(test))}
			p.out.Stages[Points[from]] = s
			if from == 0 {
				p.out.Score = s
			}
		}
	}
	return r, m, nil
}

// Record is what the model learns from a simulated trip.
func Record(w *world.World, t world.Trip) model.Record { return model.FromTrip(w, t) }

// medians are the baselines: the P10, median and P90 of the remaining time
// at each point over all training orders and per store.
func medians(recs []model.Record) (global [model.Stages]model.Estimate, byStore map[string][model.Stages]model.Estimate) {
	est := func(rs []model.Record) (out [model.Stages]model.Estimate) {
		for from := range model.Stages {
			var ds []float64
			for _, r := range rs {
				ds = append(ds, float64(r.Remaining(from)))
			}
			out[from] = model.Estimate{P10: time.Duration(quantile(ds, 0.1)), P50: time.Duration(quantile(ds, 0.5)), P90: time.Duration(quantile(ds, 0.9))}
		}
		return out
	}
	global = est(recs)
	per := map[string][]model.Record{}
	for _, r := range recs {
		per[r.Store] = append(per[r.Store], r)
	}
	byStore = map[string][model.Stages]model.Estimate{}
	for s, rs := range per {
		byStore[s] = est(rs)
	}
	return global, byStore
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(1, len(xs)))
}

// quantile is the q-quantile of xs (nearest rank); it sorts a copy.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// WriteText prints the report as a table, times in world minutes.
func (r *Report) WriteText(out io.Writer) error {
	fmt.Fprintf(out, "seed %d, %d days: trained on %d orders, scored on %d; model %s\n", r.Seed, r.Days, r.TrainOrders, r.TestOrders, r.ModelVersion)
	fmt.Fprintln(out, "remaining time to delivery, world minutes: MAE / P90 abs error / P10-P90 coverage")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "predictor")
	for _, p := range Points {
		fmt.Fprintf(tw, "\t%s", p)
	}
	fmt.Fprintln(tw)
	for _, row := range []struct {
		name string
		s    Scores
	}{{"model", r.Model}, {"global median", r.Baselines.GlobalMedian}, {"store median", r.Baselines.StoreMedian}, {"oracle", r.Oracle}} {
		fmt.Fprint(tw, row.name)
		for _, p := range Points {
			s := row.s.Stages[p]
			fmt.Fprintf(tw, "\t%.1f / %.1f / %.0f%%", s.MAE/60, s.P90Abs/60, 100*s.Coverage)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "at placement: model MAE %.0f%% of the oracle's, %.0f%% below the store median's\n",
		100*r.Model.MAE/r.Oracle.MAE, 100*(1-r.Model.MAE/r.Baselines.StoreMedian.MAE))
	return err
}
