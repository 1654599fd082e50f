package stack

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/devissuer"
)

// TestOwnershipWithTokens: the stack verifies real tokens (the local
// issuer's, as a cluster verifies Cognito's). Two customers and a store
// operator: alice's order is hers to read, list and stream; bob gets 404
// for all three; listing a store needs the store-read scope; no token is
// 401.
func TestOwnershipWithTokens(t *testing.T) {
	t.Parallel()
	st := startStack(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := func(sub string, scopes ...string) *http.Client {
		c, err := st.Issuer.Client(sub, scopes...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice, bob := client("alice"), client("bob")
	storeOp := client("store-op", devissuer.StoreReadScope)
	id, err := placeOrderClient(ctx, alice, st.OrderURL, "own-1", rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	status := func(c *http.Client, url string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	order, stream := st.OrderURL+"/v1/orders/"+id, st.NotificationURL+"/v1/orders/"+id+"/stream"
	for _, c := range []struct {
		name   string
		client *http.Client
		url    string
		want   int
	}{
		{"alice reads her order", alice, order, 200},
		{"bob reads alice's order", bob, order, 404},
		{"bob streams alice's order", bob, stream, 404},
		{"no token", http.DefaultClient, order, 401},
		{"no token, stream", http.DefaultClient, stream, 401},
		{"alice lists a store", alice, st.OrderURL + "/v1/orders?store=store-1", 403},
		{"the store operator lists a store", storeOp, st.OrderURL + "/v1/orders?store=store-1", 200},
		{"the store operator reads alice's order", storeOp, order, 200},
	} {
		if got := status(c.client, c.url); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// Alice's stream opens (waiting for OrderPlaced to reach the
	// notification service if it has not yet) and shows her order.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, stream, nil)
	resp, err := alice.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("alice streams her order: %d, want 200", resp.StatusCode)
	}
	// Lists hold the caller's own orders only.
	for name, c := range map[string]*http.Client{"alice": alice, "bob": bob} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.OrderURL+"/v1/orders", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Orders []struct{ ID string } }
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"alice": 1, "bob": 0}[name]
		if len(p.Orders) != want || (want == 1 && p.Orders[0].ID != id) {
			t.Errorf("%s lists %v, want %d order(s)", name, p.Orders, want)
		}
	}
}
