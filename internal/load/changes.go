package load

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/bloody-sweet/platform/services/apiclient"
)

// Changes counts the customers' cancellations and revisions of the orders
// they just placed (one in every change_every orders each).
type Changes struct {
	mu            sync.Mutex
	CancelAsked   int `json:"cancel_asked"`
	Cancelled     int `json:"cancelled"`      // 200
	CancelRefused int `json:"cancel_refused"` // 409: already cancelled (a declined payment), or picked up
	ReviseAsked   int `json:"revise_asked"`
	ReviseTaken   int `json:"revise_taken"`   // 202: decided by the payment service
	ReviseRefused int `json:"revise_refused"` // 409: the store accepted first
	Failed        int `json:"failed"`         // any other answer
}

// Change has the customer cancel (seq % every == 1) or revise (seq % every
// == 1 + every/2) order id, just placed from order; it returns what it
// asked ("cancel", "revise", or "" for nothing) and the answer's error.
// The keys derive from the order's Idempotency-Key.
func Change(ctx context.Context, api *apiclient.Client, every, seq int, id, token, key string, order apiclient.OrderRequest) (string, error) {
	if every <= 0 {
		return "", nil
	}
	switch seq % every {
	case 1:
		_, err := api.CancelOrder(ctx, apiclient.Cancel{OrderID: id, Key: key + "-cancel", Token: token, Reason: "load"})
		return "cancel", err
	case 1 + every/2:
		// Each SKU once, one more of it.
		var items []apiclient.Item
		for _, it := range order.Items {
			if !slices.ContainsFunc(items, func(x apiclient.Item) bool { return x.SKU == it.SKU }) {
				items = append(items, apiclient.Item{SKU: it.SKU, Quantity: min(it.Quantity+1, 99)})
			}
		}
		_, err := api.ReviseOrder(ctx, apiclient.Revise{OrderID: id, Key: key + "-revise", Token: token, Items: items})
		return "revise", err
	}
	return "", nil
}

// Record counts a change's answer: 409 is a refusal the saga explains;
// any other error is counted failed and returned.
func (c *Changes) Record(kind string, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var asked, taken, refused *int
	switch kind {
	case "cancel":
		asked, taken, refused = &c.CancelAsked, &c.Cancelled, &c.CancelRefused
	case "revise":
		asked, taken, refused = &c.ReviseAsked, &c.ReviseTaken, &c.ReviseRefused
	default:
		return nil
	}
	*asked++
	var he *apiclient.HTTPError
	switch {
	case err == nil:
		*taken++
	case errors.As(err, &he) && he.Status == http.StatusConflict:
		*refused++
	default:
		c.Failed++
		return err
	}
	return nil
}

// Snapshot returns a copy of the counts.
func (c *Changes) Snapshot() *Changes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &Changes{CancelAsked: c.CancelAsked, Cancelled: c.Cancelled, CancelRefused: c.CancelRefused,
		ReviseAsked: c.ReviseAsked, ReviseTaken: c.ReviseTaken, ReviseRefused: c.ReviseRefused, Failed: c.Failed}
}
