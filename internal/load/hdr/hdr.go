// Package hdr is a small HDR-style latency histogram: log-linear buckets
// with a fixed relative precision over a wide range, constant memory, and
// cheap Record/Merge. It records durations in microseconds; quantiles are
// accurate to within 1/subBuckets (under 0.8%) of the true value.
package hdr

import (
	"math"
	"math/bits"
	"time"
)

const (
	subBits    = 7 // 128 sub-buckets per power of two: <= 0.78% error
	subBuckets = 1 << subBits
	// maxMagnitude covers 2^(subBits+maxMagnitude) microseconds, about 78 hours.
	maxMagnitude = 32
	numBuckets   = (maxMagnitude + 1) * subBuckets
)

// Histogram counts durations. The zero value is not usable; call New.
// It is not safe for concurrent use; the load engine gives each recorder
// its own histogram under a lock.
type Histogram struct {
	counts   []uint64
	total    uint64
	min, max int64 // microseconds
	sum      float64
}

// New returns an empty histogram.
func New() *Histogram {
	return &Histogram{counts: make([]uint64, numBuckets), min: math.MaxInt64}
}

// index maps a value in microseconds to its bucket. Values below
// subBuckets get exact buckets; above, each power of two is split into
// subBuckets/2 linear steps (the lower half is covered by the previous
// magnitude), like HdrHistogram.
func index(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	mag := bits.Len64(uint64(v)) - subBits // >= 1
	if mag > maxMagnitude {
		return numBuckets - 1
	}
	sub := int(v >> uint(mag)) // in [subBuckets/2, subBuckets)
	return mag*subBuckets + sub
}

// lowerBound is the smallest value that maps to bucket i, and width its size.
func bounds(i int) (lower, width int64) {
	if i < subBuckets {
		return int64(i), 1
	}
	mag := i / subBuckets
	sub := int64(i % subBuckets)
	return sub << uint(mag), 1 << uint(mag)
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := d.Microseconds()
	if v < 0 {
		v = 0
	}
	h.counts[index(v)]++
	h.total++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds all of o's values into h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	if o.total > 0 {
		h.min = min(h.min, o.min)
		h.max = max(h.max, o.max)
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Min is the smallest recorded value (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.min) * time.Microsecond
}

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Mean is the average of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum/float64(h.total)) * time.Microsecond
}

// Quantile returns the value at quantile q in [0, 1]: the upper edge of
// the bucket holding the ceil(q*count)-th value, clamped to the recorded
// max, so it never under-reports (what a threshold wants). 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == numBuckets-1 { // overflow bucket: only max is known
				return h.Max()
			}
			lo, w := bounds(i)
			v := min(lo+w-1, h.max)
			v = max(v, h.min)
			return time.Duration(v) * time.Microsecond
		}
	}
	return h.Max()
}
