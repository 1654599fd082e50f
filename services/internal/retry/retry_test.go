package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

var fast = Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond}

func TestDoRetriesTransientUntilSuccess(t *testing.T) {
	t.Parallel()
	calls := 0
	var notified []int
	err := Do(context.Background(), fast, func() error {
		calls++
		if calls < 5 {
			return errors.New("db down")
		}
		return nil
	}, func(attempt int, err error, _ time.Duration) { notified = append(notified, attempt) })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 5 || len(notified) != 4 || notified[3] != 4 {
		t.Errorf("calls %d, notified %v; want 5 calls, notifications for attempts 1..4", calls, notified)
	}
}

func TestDoStopsOnPermanent(t *testing.T) {
	t.Parallel()
	cause := errors.New("order o-1 unknown")
	calls := 0
	err := Do(context.Background(), fast, func() error { calls++; return Permanent(cause) }, nil)
	if calls != 1 || !errors.Is(err, cause) || !IsPermanent(err) {
		t.Errorf("calls %d, err %v (permanent %v); want one call returning the marked cause", calls, err, IsPermanent(err))
	}
}

func TestDoEndsWithContextAndKeepsLastError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cause := errors.New("connection refused")
	calls := 0
	err := Do(ctx, fast, func() error {
		calls++
		if calls == 3 {
			cancel()
		}
		return cause
	}, nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) || IsPermanent(err) {
		t.Errorf("err %v; want it to wrap context.Canceled and the last failure", err)
	}
	if calls != 3 {
		t.Errorf("calls %d after cancel at the 3rd, want 3", calls)
	}
}

func TestDoGivesUpAfterElapsed(t *testing.T) {
	t.Parallel()
	cause := errors.New("commit failed")
	calls := 0
	err := Do(context.Background(), Policy{Initial: time.Millisecond, Max: time.Millisecond, Elapsed: 20 * time.Millisecond},
		func() error { calls++; return cause }, nil)
	if !errors.Is(err, cause) || calls < 2 {
		t.Errorf("err %v after %d calls; want the last failure after several", err, calls)
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	base := errors.New("x")
	if IsPermanent(base) || IsPermanent(errors.Join(base)) {
		t.Error("an unmarked error is permanent")
	}
	p := Permanent(base)
	if w := Permanent(p); w != p {
		t.Error("marking twice wraps twice")
	}
	if !IsPermanent(errors.Join(errors.New("batch"), p)) || p.Error() != "x" {
		t.Errorf("wrapped mark lost or message changed: %q", p.Error())
	}
}

// BenchmarkDoFirstTrySucceeds is the overhead Do adds to every consumer
// batch and commit when nothing fails (the hot path).
func BenchmarkDoFirstTrySucceeds(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := Do(ctx, Policy{}, func() error { return nil }, nil); err != nil {
			b.Fatal(err)
		}
	}
}
