package load

import (
	"context"
	"net/http"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
)

// WatchStatuses follows GET {base}/v1/stream and sends a Completion for
// every order that reaches a terminal status, stamped with the time the
// harness received it (client clock, like the ack it is compared with, so
// no clock skew enters the latency). A dropped stream is resumed with
// Last-Event-ID, so the notification service replays what the gap missed.
// It returns once the stream is open, so no event of the run can be
// missed, and closes the channel when ctx is done or the stream stops for
// good; onEnd (if not nil) then learns why, since orders still in flight
// can no longer be seen delivered.
func WatchStatuses(ctx context.Context, client *http.Client, base string, hops *Hops, onEnd func(error)) (<-chan Completion, error) {
	out := make(chan Completion, 4096)
	c := apiclient.Client{StreamURL: base, HTTP: client}
	errc, err := c.StreamAll(ctx, "", func(s events.StatusChange) {
		now := time.Now()
		hops.Observe(s, now)
		if comp, ok := completion(s, now); ok {
			select {
			case out <- comp:
			case <-ctx.Done():
			}
		}
	})
	if err != nil {
		return nil, err
	}
	go func() {
		defer close(out)
		if err := <-errc; err != nil && onEnd != nil {
			onEnd(err)
		}
	}()
	return out, nil
}

// completion is the Completion a terminal status change makes.
func completion(s events.StatusChange, at time.Time) (Completion, bool) {
	if s.OrderID == "" || !s.Status.Terminal() {
		return Completion{}, false
	}
	return Completion{Key: s.OrderID, Delivered: s.Status == events.StatusDelivered, At: at}, true
}
