package ports

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
)

func cancelAs(t *testing.T, url, caller, id, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/orders/"+id+"/cancel", strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(testCaller, caller)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func placeID(t *testing.T, url, key string) string {
	t.Helper()
	resp, body := post(t, url, key, goodBody)
	var o apiclient.Order
	if err := json.Unmarshal(body, &o); err != nil || resp.StatusCode != 201 {
		t.Fatalf("place: %d %s", resp.StatusCode, body)
	}
	return o.ID
}

// saga applies the events of types to order id as their producers would.
func saga(t *testing.T, a interface {
	Handle(context.Context, []events.Incoming) error
}, id string, at time.Time, types ...events.Type) {
	t.Helper()
	for _, typ := range types {
		d, _ := events.DataOf(typ)
		var data any
		switch d.(type) {
		case events.PaymentData:
			data = events.PaymentData{OrderRef: events.OrderRef{OrderID: id, StoreID: "store-1"}, AmountCents: 1}
		case events.StoreData:
			data = events.StoreData{OrderRef: events.OrderRef{OrderID: id, StoreID: "store-1"}}
		default:
			data = events.DeliveryData{OrderRef: events.OrderRef{OrderID: id, StoreID: "store-1"}, CourierID: "courier-1"}
		}
		e, err := events.New(typ, id, at, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Handle(context.Background(), []events.Incoming{{Ctx: context.Background(), Event: e}}); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	srv, a := newServerApp(t, clock)

	id := placeID(t, srv.URL, "p-1")
	saga(t, a, id, clock.Now(), events.PaymentAuthorized, events.OrderAccepted, events.OrderReady, events.CourierAssigned)

	// Someone else's order and a missing one are both 404.
	if resp, body := cancelAs(t, srv.URL, "mallory", id, "c-1", ""); resp.StatusCode != 404 {
		t.Errorf("another customer's cancel: %d %s", resp.StatusCode, body)
	}
	if resp, body := cancelAs(t, srv.URL, "c-42", "no-such-order", "c-1", ""); resp.StatusCode != 404 {
		t.Errorf("missing order: %d %s", resp.StatusCode, body)
	}
	// Bad input names the field.
	for _, tc := range []struct{ key, body, field string }{
		{"", "", "Idempotency-Key"},
		{"c-1", `{"reason":"x","extra":1}`, "extra"},
		{"c-1", `{"reason":"line\nbreak"}`, "reason"},
		{"c-1", `{"reason":"` + strings.Repeat("r", 201) + `"}`, "reason"},
	} {
		resp, body := cancelAs(t, srv.URL, "c-42", id, tc.key, tc.body)
		if resp.StatusCode/100 != 4 || !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
			t.Errorf("key %q body %q: %d %s, want a 4xx naming %s", tc.key, tc.body, resp.StatusCode, body, tc.field)
		}
	}

	// The owner cancels a READY order: CANCELLED with the reason.
	resp, body := cancelAs(t, srv.URL, "c-42", id, "c-1", `{"reason":"changed my mind"}`)
	var o apiclient.Order
	if err := json.Unmarshal(body, &o); err != nil || resp.StatusCode != 200 || o.Status != events.StatusCancelled ||
		o.CancelReason != "cancelled by the customer: changed my mind" || o.CancelledAt.IsZero() {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	// The same key and body replay the answer; another body is 409 on the key.
	resp2, body2 := cancelAs(t, srv.URL, "c-42", id, "c-1", `{ "reason" : "changed my mind" }`)
	if resp2.StatusCode != 200 || string(body2) != string(body) || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s", resp2.StatusCode, body2)
	}
	if resp, body := cancelAs(t, srv.URL, "c-42", id, "c-1", `{"reason":"other"}`); resp.StatusCode != 409 || !strings.Contains(string(body), `"field":"Idempotency-Key"`) {
		t.Errorf("key reused: %d %s", resp.StatusCode, body)
	}
	// A new key on a cancelled order is 409 naming the order.
	if resp, body := cancelAs(t, srv.URL, "c-42", id, "c-2", ""); resp.StatusCode != 409 || !strings.Contains(string(body), `"field":"id"`) {
		t.Errorf("cancel twice: %d %s", resp.StatusCode, body)
	}
	// Late saga events leave the cancelled order cancelled.
	saga(t, a, id, clock.Now(), events.OrderPickedUp, events.OrderDelivered, events.PaymentRefunded, events.OrderReleased, events.CourierReleased)
	got := getAs(t, srv.URL+"/v1/orders/"+id, "c-42")
	var after apiclient.Order
	if err := json.NewDecoder(got.Body).Decode(&after); err != nil || after.Status != events.StatusCancelled || after.CancelReason != o.CancelReason {
		t.Errorf("after late events: %+v %v", after, err)
	}

	// After pickup: 409, and the order goes on.
	picked := placeID(t, srv.URL, "p-2")
	saga(t, a, picked, clock.Now(), events.PaymentAuthorized, events.OrderAccepted, events.OrderReady, events.CourierAssigned, events.OrderPickedUp)
	if resp, body := cancelAs(t, srv.URL, "c-42", picked, "c-3", ""); resp.StatusCode != 409 || !strings.Contains(string(body), "picked up") ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("cancel after pickup: %d %s", resp.StatusCode, body)
	}
	got = getAs(t, srv.URL+"/v1/orders/"+picked, "c-42")
	var still apiclient.Order
	if err := json.NewDecoder(got.Body).Decode(&still); err != nil || still.Status != events.StatusPickedUp {
		t.Errorf("picked-up order after a refused cancel: %+v %v", still, err)
	}

	// A just-placed order cancels too (the payment is refunded downstream).
	fresh := placeID(t, srv.URL, "p-3")
	if resp, body := cancelAs(t, srv.URL, "c-42", fresh, "c-4", ""); resp.StatusCode != 200 || !strings.Contains(string(body), `"cancel_reason":"cancelled by the customer"`) {
		t.Errorf("cancel a placed order: %d %s", resp.StatusCode, body)
	}
}
