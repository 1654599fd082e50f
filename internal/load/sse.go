package load

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// StatusEvent is the data of one status-stream event (docs/CONTRACTS.md).
type StatusEvent struct {
	OrderID string    `json:"order_id"`
	Status  string    `json:"status"`
	Time    time.Time `json:"time"`
}

// WatchStatuses subscribes to GET {base}/v1/stream and sends a Completion
// for every order that reaches DELIVERED or CANCELLED, stamped with the
// time the harness received it (client clock, like the ack it is compared
// with, so no clock skew enters the latency). It returns once the stream
// is open, so no event of the run can be missed, and closes the channel
// when ctx is done or the stream ends; onEnd (if not nil) then learns why,
// since orders still in flight can no longer be seen delivered.
func WatchStatuses(ctx context.Context, client *http.Client, base string, onEnd func(error)) (<-chan Completion, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/v1/stream", nil)
	if err != nil {
		return nil, fmt.Errorf("build stream request: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	// The stream lives as long as the run: no client timeout.
	c := *client
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open status stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("open status stream %s: status %d", req.URL, resp.StatusCode)
	}
	out := make(chan Completion, 4096)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		err := parseSSE(ctx, bufio.NewScanner(resp.Body), out)
		if onEnd != nil && ctx.Err() == nil {
			if err == nil {
				err = fmt.Errorf("server closed the stream")
			}
			onEnd(err)
		}
	}()
	return out, nil
}

// parseSSE reads Server-Sent Events: fields up to a blank line make one
// event; only data lines matter here (the status is also in the data).
func parseSSE(ctx context.Context, sc *bufio.Scanner, out chan<- Completion) error {
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 {
				if c, ok := completion(data.String()); ok {
					select {
					case out <- c:
					case <-ctx.Done():
						return nil
					}
				}
				data.Reset()
			}
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	return sc.Err()
}

func completion(data string) (Completion, bool) {
	var ev StatusEvent
	if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.OrderID == "" {
		return Completion{}, false
	}
	switch ev.Status {
	case "DELIVERED":
		return Completion{Key: ev.OrderID, Delivered: true, At: time.Now()}, true
	case "CANCELLED":
		return Completion{Key: ev.OrderID, Delivered: false, At: time.Now()}, true
	}
	return Completion{}, false
}
