// Package retry is the one retry loop of the services' plumbing: capped
// exponential backoff with jitter (cenkalti/backoff), waits that end with
// the context, and errors that say "never retry me" (Permanent). The Kafka
// consumer (handler, dead-letter publish, commit) and the outbox relay use
// it, so a dependency that is down is retried the same way everywhere.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy is how long to wait between attempts and for how long to try.
type Policy struct {
	Initial time.Duration // first wait; default 50 ms
	Max     time.Duration // waits grow by 2x up to this; default 5 s
	// Elapsed gives up after this much time, returning the last error;
	// 0 retries until the operation succeeds, fails permanently or ctx ends.
	Elapsed time.Duration
}

// Do calls op until it returns nil or a Permanent error, or until ctx ends
// or p.Elapsed has passed. Waits are jittered (+-50%) so replicas that
// failed together do not retry together. notify, if set, sees each failure
// before the wait that follows it.
//
// When ctx ends, Do returns an error that wraps both context.Cause(ctx) and
// the last failure (errors.Is(err, context.Canceled) holds). ctx bounds the
// waits only: op decides for itself which context its work runs on.
func Do(ctx context.Context, p Policy, op func() error, notify func(attempt int, err error, wait time.Duration)) error {
	// The first attempt runs before any backoff state exists: it is the
	// consumer's hot path (every batch, every commit) and nearly always
	// succeeds.
	first := op()
	if first == nil || IsPermanent(first) {
		return first
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = cmpOr(p.Initial, 50*time.Millisecond)
	b.MaxInterval = cmpOr(p.Max, 5*time.Second)
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	attempt := 0
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		err := first // backoff's first call replays the failure seen above
		if attempt > 1 {
			err = op()
		}
		last = err
		if err != nil && IsPermanent(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(p.Elapsed), backoff.WithNotify(func(err error, wait time.Duration) {
		if notify != nil {
			notify(attempt, err, wait)
		}
	}))
	if err != nil && last != nil && err != last && !IsPermanent(err) {
		// Stopped by ctx (backoff returns its cause): keep why it failed.
		return fmt.Errorf("%w (last error: %w)", err, last)
	}
	return err
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// permanentError marks a failure that no retry can fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as deterministic: the same input fails the same way
// however often it is tried (an event that does not decode, an order that
// does not exist, a state the domain refuses). Everything not marked is
// taken as transient (a dependency that is down) and retried. nil stays nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
