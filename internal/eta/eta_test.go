package eta

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/world"
)

// TestEvalMeetsTheTargets: on several seeds, the model at placement is
// within 15% of the oracle's MAE, at least 30% below the per-store
// median's, and its P10-P90 interval covers 75-85% of the orders.
func TestEvalMeetsTheTargets(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{7, 42, 1234} {
		c := world.Defaults()
		c.Seed = seed
		r, m, err := Eval(Options{World: c, Days: 28}) // the CLI default: four weekends, one to test
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Check(); err != nil {
			t.Fatal(err)
		}
		for point, s := range r.Model.Stages {
			o, sm := r.Oracle.Stages[point], r.Baselines.StoreMedian.Stages[point]
			if s.MAE > 1.15*o.MAE {
				t.Errorf("seed %d at %s: model MAE %.0fs > 115%% of the oracle's %.0fs", seed, point, s.MAE, o.MAE)
			}
			if s.MAE > 0.7*sm.MAE {
				t.Errorf("seed %d at %s: model MAE %.0fs not 30%% below the store median's %.0fs", seed, point, s.MAE, sm.MAE)
			}
			if s.Coverage < 0.75 || s.Coverage > 0.85 {
				t.Errorf("seed %d at %s: coverage %.3f not in [0.75, 0.85]", seed, point, s.Coverage)
			}
		}
		if r.Model.Score != r.Model.Stages["placed"] || len(r.Model.Stages) != model.Stages {
			t.Errorf("seed %d: headline %+v is not the placement score %+v", seed, r.Model.Score, r.Model.Stages["placed"])
		}
	}
}

// TestLogRoundTrip: a simulated event log replayed through the tracker
// gives the same orders, stage times and queue and courier state as the
// simulation (up to events the wall-time stamps put in another order).
func TestLogRoundTrip(t *testing.T) {
	t.Parallel()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	trips := w.Simulate(world.Start(), 2)
	var buf bytes.Buffer
	if err := WriteLog(&buf, w, trips); err != nil {
		t.Fatal(err)
	}
	log, err := ReadLog(&buf, "log")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := model.Replay(w, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(trips) {
		t.Fatalf("%d records from %d trips", len(recs), len(trips))
	}
	want := map[string]model.Record{}
	for _, tr := range trips {
		r := Record(w, tr)
		want[r.Order] = r
	}
	var qdiff, bdiff float64
	for _, r := range recs {
		x, ok := want[r.Order]
		if !ok {
			t.Fatalf("replayed order %s not simulated", r.Order)
		}
		if x.Items != r.Items || x.Store != r.Store || math.Abs(x.DistanceKm-r.DistanceKm) > 1e-9 || (x.Placed.Sub(r.Placed)).Abs() > time.Second {
			t.Fatalf("order features differ: %+v vs %+v", r, x)
		}
		for s := range model.Stages {
			if d := (x.Took[s] - r.Took[s]).Abs(); d > time.Second {
				t.Fatalf("stage %d took %v simulated, %v replayed", s, x.Took[s], r.Took[s])
			}
			qdiff += math.Abs(float64(x.Queue[s] - r.Queue[s]))
			bdiff += math.Abs(float64(x.Busy[s] - r.Busy[s]))
		}
	}
	n := float64(len(recs) * model.Stages)
	t.Logf("mean |queue diff| %.3f, mean |busy diff| %.3f", qdiff/n, bdiff/n)
	if qdiff/n > 0.01 || bdiff/n > 0.01 {
		t.Errorf("replayed state far from the simulation: queue %.3f, busy %.3f per record", qdiff/n, bdiff/n)
	}
}

// TestChartIsAPNG: the evaluation draws a PNG.
func TestChartIsAPNG(t *testing.T) {
	t.Parallel()
	r, _, err := Eval(Options{World: world.Defaults(), Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Chart()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10_000 {
		t.Errorf("chart of %d bytes is not a PNG", len(b))
	}
	if _, _, err := Eval(Options{World: world.Defaults(), Days: 1}); err == nil {
		t.Error("eval of one day: no error")
	}
}
