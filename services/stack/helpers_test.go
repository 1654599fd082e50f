package stack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
)

// placeOrder places an order as a random customer c-N (with that
// customer's token).
func placeOrder(ctx context.Context, st *Stack, key string, r *rand.Rand) (string, error) {
	c, err := st.Issuer.Client(fmt.Sprintf("c-%d", r.IntN(1000)))
	if err != nil {
		return "", err
	}
	return placeOrderClient(ctx, c, st.OrderURL, key, r)
}

// operator returns a client of the stack's public API with the operators'
// scopes: it reads any order and follows every stream.
func operator(st *Stack) (*apiclient.Client, error) {
	c, err := st.Issuer.Client("operator", devissuer.StoreReadScope, devissuer.StreamAllScope)
	if err != nil {
		return nil, err
	}
	return &apiclient.Client{OrderURL: st.OrderURL, StreamURL: st.NotificationURL, HTTP: c}, nil
}

func getStatus(ctx context.Context, st *Stack, id string) (events.Status, error) {
	c, err := operator(st)
	if err != nil {
		return "", err
	}
	o, err := c.GetOrder(ctx, id)
	return o.Status, err
}

// placeOrderClient places a random order with c (which sends the
// customer's token).
func placeOrderClient(ctx context.Context, c *http.Client, url, key string, r *rand.Rand) (string, error) {
	order := apiclient.OrderRequest{
		StoreID: fmt.Sprintf("store-%d", 1+r.IntN(20)),
		Items:   []apiclient.Item{{SKU: "pizza-margherita", Quantity: 1 + r.IntN(3)}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"},
	}
	api := apiclient.Client{OrderURL: url, HTTP: c}
	return api.PlaceOrder(ctx, apiclient.Place{Key: key, Order: order})
}

// streamTerminal follows the all-orders stream (as an operator) and
// reports terminal statuses.
func streamTerminal(ctx context.Context, st *Stack, fn func(id string, delivered bool)) (<-chan error, error) {
	c, err := operator(st)
	if err != nil {
		return nil, err
	}
	return c.StreamAll(ctx, "", func(s events.StatusChange) {
		if s.Status.Terminal() {
			fn(s.OrderID, s.Status == events.StatusDelivered)
		}
	})
}
