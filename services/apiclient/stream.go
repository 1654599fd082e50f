package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/bloody-sweet/platform/services/events"
)

// Event is one Server-Sent Event.
type Event struct {
	ID    string
	Event string
	Data  string
}

// ReadSSE parses an event stream, calling fn per event until the stream
// ends or fn fails; comments (keep-alives) are skipped.
func ReadSSE(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev Event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 || ev.Event != "" {
				ev.Data = strings.Join(data, "\n")
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, data = Event{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
	return sc.Err()
}

// ReconnectFor bounds how long Stream keeps reconnecting a dropped stream
// before it gives up and reports why.
const ReconnectFor = 2 * time.Minute

// errEnded is the server's 204 to a resumed order stream: the order ended
// and every change was seen, so there is nothing to reconnect for.
var errEnded = errors.New("stream ended")

// errRefused marks an answer other than 200: a refusal does not heal by
// reconnecting.
var errRefused = errors.New("stream refused")

// StreamAll follows every order's status changes (GET /v1/stream, the
// operators' stream) until ctx ends; see stream for resuming and errc.
func (c *Client) StreamAll(ctx context.Context, lastEventID string, fn func(events.StatusChange)) (errc <-chan error, err error) {
	return c.stream(ctx, "/v1/stream", lastEventID, false, fn, nil)
}

// StreamOrder follows one order's status changes (GET
// /v1/orders/{id}/stream). The server replays the order's history and
// closes the stream a grace period after its terminal status; errc then
// yields nil.
func (c *Client) StreamOrder(ctx context.Context, id, lastEventID string, fn func(events.StatusChange)) (errc <-chan error, err error) {
	return c.stream(ctx, "/v1/orders/"+url.PathEscape(id)+"/stream", lastEventID, true, fn, nil)
}

// StreamOrderETAs is StreamOrder that also calls eta, from the same
// goroutine, with each new ETA of the order the stream sends.
func (c *Client) StreamOrderETAs(ctx context.Context, id, lastEventID string, fn func(events.StatusChange), eta func(events.OrderETA)) (errc <-chan error, err error) {
	return c.stream(ctx, "/v1/orders/"+url.PathEscape(id)+"/stream", lastEventID, true, fn, eta)
}

// stream calls fn for every status change of the stream at path, in
// order, from one goroutine, and eta for every ETA (nil: ETAs are skipped). A stream that drops (a restart, a broken
// connection) is reopened with backoff, sending the Last-Event-ID of the
// last event seen, so the server replays what the gap missed; an order
// stream (untilTerminal) that ends after a terminal status is done. stream
// returns once the first connection is open, so the caller knows the
// subscription is live; errc then yields nil when ctx ends or the order
// stream is done, or why the stream stopped: an answer other than 200, a
// malformed event, or no connection within ReconnectFor.
func (c *Client) stream(ctx context.Context, path, lastEventID string, untilTerminal bool, fn func(events.StatusChange), eta func(events.OrderETA)) (errc <-chan error, err error) {
	// A stream outlives any request timeout of the client.
	hc := *c.httpClient()
	hc.Timeout = 0
	target := strings.TrimRight(c.StreamURL, "/") + path
	open := func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, backoff.Permanent(err)
		}
		req.Header.Set("Accept", "text/event-stream")
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("open stream %s: %w", path, err)
		}
		if resp.StatusCode == http.StatusNoContent {
			resp.Body.Close()
			return nil, backoff.Permanent(errEnded)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, backoff.Permanent(fmt.Errorf("%w: GET %s: %s", errRefused, path, resp.Status))
		}
		return resp, nil
	}
	out := make(chan error, 1)
	resp, err := open()
	if errors.Is(err, errEnded) {
		out <- nil
		return out, nil
	}
	if err != nil {
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			err = perm.Err
		}
		return nil, err
	}
	go func() {
		terminal := false
		for {
			err := ReadSSE(resp.Body, func(e Event) error {
				if e.Event == events.StreamEventETA {
					var v events.OrderETA
					if err := json.Unmarshal([]byte(e.Data), &v); err != nil {
						return backoff.Permanent(fmt.Errorf("stream %s: eta event %q: %w", path, e.Data, err))
					}
					if eta != nil {
						eta(v)
					}
					return nil
				}
				var s events.StatusChange
				if err := json.Unmarshal([]byte(e.Data), &s); err != nil {
					return backoff.Permanent(fmt.Errorf("stream %s: event %q: %w", path, e.Data, err))
				}
				if e.ID != "" {
					lastEventID = e.ID
				}
				// A late change may follow the terminal one (the statuses
				// travel on four topics): the order is done all the same.
				terminal = terminal || s.Status.Terminal()
				fn(s)
				return nil
			})
			resp.Body.Close()
			if ctx.Err() != nil || (untilTerminal && terminal && err == nil) {
				out <- nil
				return
			}
			var perm *backoff.PermanentError
			if errors.As(err, &perm) {
				out <- perm.Err
				return
			}
			resp, err = backoff.Retry(ctx, open, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(ReconnectFor))
			if ctx.Err() != nil || errors.Is(err, errEnded) {
				out <- nil
				return
			}
			if err != nil {
				out <- err
				return
			}
		}
	}()
	return out, nil
}
