package hdr

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exact returns the ceil(q*n)-th smallest value, the definition Quantile
// approximates.
func exact(sorted []time.Duration, q float64) time.Duration {
	r := int(q*float64(len(sorted)) + 0.999999999)
	if r < 1 {
		r = 1
	}
	return sorted[r-1]
}

func TestQuantileWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := New()
	var all []time.Duration
	for range 100000 {
		// log-normal-ish latencies from 50us to tens of seconds
		d := time.Duration(50+rng.ExpFloat64()*rng.ExpFloat64()*20000) * time.Microsecond
		h.Record(d)
		all = append(all, d)
	}
	slices.Sort(all)
	for _, q := range []float64{0, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		got, want := h.Quantile(q), exact(all, q)
		if got < want {
			t.Errorf("Quantile(%g) = %s under-reports exact %s", q, got, want)
		}
		if rel := float64(got-want) / float64(want); rel > 1.0/64 {
			t.Errorf("Quantile(%g) = %s, exact %s: relative error %.4f above 1/64", q, got, want, rel)
		}
	}
	if h.Count() != 100000 {
		t.Errorf("Count = %d", h.Count())
	}
	if h.Min() != all[0].Truncate(time.Microsecond) || h.Max() != all[len(all)-1].Truncate(time.Microsecond) {
		t.Errorf("Min/Max = %s/%s, want %s/%s", h.Min(), h.Max(), all[0], all[len(all)-1])
	}
}

func TestSmallValuesExact(t *testing.T) {
	h := New()
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	if got := h.Quantile(0.5); got != 50*time.Microsecond {
		t.Errorf("p50 = %s, want 50µs", got)
	}
	if got := h.Quantile(0.99); got != 99*time.Microsecond {
		t.Errorf("p99 = %s, want 99µs", got)
	}
	if got := h.Mean(); got != 50*time.Microsecond {
		t.Errorf("mean = %s, want 50µs", got)
	}
}

func TestMerge(t *testing.T) {
	a, b, both := New(), New(), New()
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		both.Record(d)
	}
	a.Merge(b)
	for _, q := range []float64{0.1, 0.5, 0.99, 1} {
		if a.Quantile(q) != both.Quantile(q) {
			t.Errorf("merged Quantile(%g) = %s, want %s", q, a.Quantile(q), both.Quantile(q))
		}
	}
	if a.Count() != both.Count() || a.Min() != both.Min() || a.Max() != both.Max() {
		t.Errorf("merged count/min/max = %d/%s/%s, want %d/%s/%s", a.Count(), a.Min(), a.Max(), both.Count(), both.Min(), both.Max())
	}
}

func TestEmptyAndHuge(t *testing.T) {
	h := New()
	if h.Quantile(0.99) != 0 || h.Min() != 0 || h.Mean() != 0 {
		t.Error("empty histogram reports non-zero values")
	}
	h.Record(time.Millisecond)
	h.Record(1000 * time.Hour) // beyond the range: lands in the overflow bucket, max stays exact
	if h.Max() != 1000*time.Hour || h.Quantile(1) != 1000*time.Hour {
		t.Errorf("huge value: max %s, p100 %s", h.Max(), h.Quantile(1))
	}
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i%5000000) * time.Microsecond)
	}
}
