package load

import (
	"context"
	"fmt"
	"net/http"

	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// Pipeline is an order API and its status stream, and how to call them.
type Pipeline struct {
	OrderURL, NotificationURL string
	// Client places the orders; StreamClient reads the all-orders stream
	// (it needs an operator's scope).
	Client, StreamClient *http.Client
	// Tokens, when set, gives each order its customer's bearer token; nil
	// leaves authentication to Client.
	Tokens *TokenCache
}

// Run opens the status stream first, so no status of the run is missed,
// then sends sc's orders through the order API (with the customers' changes
// of sc's change_every, counted in the result) and joins each with its
// terminal status. opt.Completions is the stream's; opt.Progress also learns
// when the stream ends early.
func (p Pipeline) Run(ctx context.Context, sc *scenario.Scenario, mix *Mix, runID string, opt Options) (*Result, error) {
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	hops := NewHops()
	comps, err := WatchStatuses(streamCtx, p.StreamClient, p.NotificationURL, hops, func(err error) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "status stream ended early: %v (orders still in flight will count as undelivered)\n", err)
		}
	})
	if err != nil {
		return nil, err
	}
	opt.Completions = comps
	sender := &HTTPSender{BaseURL: p.OrderURL, Client: p.Client, Mix: mix, RunID: runID, Tokens: p.Tokens, ChangeEvery: sc.ChangeEvery}
	res, err := Run(ctx, sc, sender, opt)
	if res != nil && sender.ChangeEvery > 0 {
		res.Changes = sender.Changes.Snapshot()
	}
	if res != nil {
		res.Hops = hops.Summary()
	}
	return res, err
}
