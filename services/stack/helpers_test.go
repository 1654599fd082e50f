package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/bloody-sweet/platform/services/devissuer"
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

// operator returns a client with the operators' scopes: it reads any order
// and follows every stream.
func operator(st *Stack) (*http.Client, error) {
	return st.Issuer.Client("operator", devissuer.StoreReadScope, devissuer.StreamAllScope)
}

func getStatus(ctx context.Context, st *Stack, id string) (string, error) {
	c, err := operator(st)
	if err != nil {
		return "", err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.OrderURL+"/v1/orders/"+id, nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var o struct{ Status string }
	return o.Status, json.NewDecoder(resp.Body).Decode(&o)
}

func placeOrderClient(ctx context.Context, c *http.Client, url, key string, r *rand.Rand) (string, error) {
	body := fmt.Sprintf(`{"store_id":"store-%d","items":[{"sku":"pizza-margherita","quantity":%d}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`,
		1+r.IntN(20), 1+r.IntN(3))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/orders", bytes.NewBufferString(body))
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		return "", fmt.Errorf("%s: %s", resp.Status, b)
	}
	var o struct{ ID string }
	return o.ID, json.Unmarshal(b, &o)
}

// streamTerminal follows an all-orders stream (as an operator) and reports
// terminal statuses.
func streamTerminal(ctx context.Context, st *Stack, fn func(id string, delivered bool)) (<-chan error, error) {
	c, err := operator(st)
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.NotificationURL+"/v1/stream", nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, fmt.Errorf("stream: %s", resp.Status)
	}
	errc := make(chan error, 1)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var e struct {
				OrderID string `json:"order_id"`
				Status  string `json:"status"`
			}
			if json.Unmarshal([]byte(data), &e) == nil && (e.Status == "DELIVERED" || e.Status == "CANCELLED") {
				fn(e.OrderID, e.Status == "DELIVERED")
			}
		}
		errc <- sc.Err()
	}()
	return errc, nil
}
