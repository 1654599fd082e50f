package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SSEEvent is one Server-Sent Event.
type SSEEvent struct {
	ID    string
	Event string
	Data  string
}

// StatusEvent is the data of a status stream event.
type StatusEvent struct {
	OrderID string    `json:"order_id"`
	Status  string    `json:"status"`
	Time    time.Time `json:"time"`
	Seq     int64     `json:"seq"`
}

// ReadSSE parses an event stream, calling fn per event until the stream
// ends or fn fails; to stop early, close the underlying body.
func ReadSSE(r io.Reader, fn func(SSEEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev SSEEvent
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
			ev, data = SSEEvent{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // comment / keep-alive
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

// Stream opens an SSE endpoint with client (which sends the caller's token)
// and calls fn for each status event until ctx ends or the stream closes.
// It returns once the response headers arrived, so the caller knows the
// subscription is live; errc yields the end.
func Stream(ctx context.Context, client *http.Client, url, lastEventID string, fn func(StatusEvent)) (errc <-chan error, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	// A stream outlives any client timeout: use the client's transport only.
	resp, err := (&http.Client{Transport: client.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("devstack: open stream %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("devstack: open stream %s: %s", url, resp.Status)
	}
	out := make(chan error, 1)
	go func() {
		defer resp.Body.Close()
		err := ReadSSE(resp.Body, func(e SSEEvent) error {
			var s StatusEvent
			if err := json.Unmarshal([]byte(e.Data), &s); err != nil {
				return fmt.Errorf("devstack: stream event %q: %w", e.Data, err)
			}
			fn(s)
			return nil
		})
		if ctx.Err() != nil {
			err = nil
		}
		out <- err
	}()
	return out, nil
}
