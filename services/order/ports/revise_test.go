package ports

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
)

func reviseAs(t *testing.T, url, caller, id, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/orders/"+id+"/revise", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
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

func paymentEvent(t *testing.T, typ events.Type, id string, n int, at time.Time) events.Incoming {
	t.Helper()
	e, err := events.New(typ, id, at, events.PaymentData{OrderRef: events.OrderRef{OrderID: id, StoreID: "store-1"}, AmountCents: 1, Revision: n})
	if err != nil {
		t.Fatal(err)
	}
	return events.Incoming{Ctx: t.Context(), Event: e}
}

func TestRevise(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	srv, a := newServerApp(t, clock)
	id := placeID(t, srv.URL, "p-1") // 2 x pizza-margherita
	const body = `{"items":[{"sku":"pizza-margherita","quantity":5}]}`

	if resp, b := reviseAs(t, srv.URL, "mallory", id, "r-1", body); resp.StatusCode != 404 {
		t.Errorf("another customer's revision: %d %s", resp.StatusCode, b)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"items":[{"sku":"calzone","quantity":1}]}`, "items[0].sku"},
		{`{"items":[{"sku":"pizza-margherita","quantity":0}]}`, "items[0].quantity"},
		{`{"items":[]}`, "items"},
		{`{"items":[{"sku":"pizza-margherita","quantity":1,"price_cents":1}]}`, "price_cents"},
	} {
		resp, b := reviseAs(t, srv.URL, "c-42", id, "r-bad", tc.body)
		if resp.StatusCode/100 != 4 || !strings.Contains(string(b), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want a 4xx naming %s", tc.body, resp.StatusCode, b, tc.field)
		}
	}
	resp, b := reviseAs(t, srv.URL, "c-42", id, "r-1", body)
	var o apiclient.Order
	if err := json.Unmarshal(b, &o); err != nil || resp.StatusCode != 202 || o.Revision == nil || o.Revision.Status != "PENDING" ||
		o.Items[0].Quantity != 2 || o.Revision.TotalCents != 5*o.Items[0].PriceCents {
		t.Fatalf("revise: %d %s", resp.StatusCode, b)
	}
	if resp2, b2 := reviseAs(t, srv.URL, "c-42", id, "r-1", body); resp2.StatusCode != 202 || string(b2) != string(b) || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s", resp2.StatusCode, b2)
	}
	if resp, b := reviseAs(t, srv.URL, "c-42", id, "r-2", body); resp.StatusCode != 409 || !strings.Contains(string(b), "pending") {
		t.Errorf("while pending: %d %s", resp.StatusCode, b)
	}
	// The payment service re-authorized: the order has the new quantities.
	if err := a.Handle(t.Context(), []events.Incoming{paymentEvent(t, events.PaymentReauthorized, id, 1, clock.Now())}); err != nil {
		t.Fatal(err)
	}
	var got apiclient.Order
	if err := json.NewDecoder(getAs(t, srv.URL+"/v1/orders/"+id, "c-42").Body).Decode(&got); err != nil ||
		got.Revision.Status != "APPLIED" || got.Items[0].Quantity != 5 || got.TotalCents != o.Revision.TotalCents {
		t.Errorf("after the re-authorization: %+v %v", got, err)
	}
	// Declined: the order keeps its quantities.
	if resp, b := reviseAs(t, srv.URL, "c-42", id, "r-3", `{"items":[{"sku":"pizza-margherita","quantity":9}]}`); resp.StatusCode != 202 {
		t.Fatalf("revision 2: %d %s", resp.StatusCode, b)
	}
	if err := a.Handle(t.Context(), []events.Incoming{paymentEvent(t, events.PaymentReauthorizationDeclined, id, 2, clock.Now())}); err != nil {
		t.Fatal(err)
	}
	got = apiclient.Order{}
	if err := json.NewDecoder(getAs(t, srv.URL+"/v1/orders/"+id, "c-42").Body).Decode(&got); err != nil ||
		got.Revision.Status != "REFUSED" || got.Items[0].Quantity != 5 {
		t.Errorf("after the decline: %+v %v", got, err)
	}
	// Once the store accepted: 409.
	saga(t, a, id, clock.Now(), events.PaymentAuthorized, events.OrderAccepted)
	if resp, b := reviseAs(t, srv.URL, "c-42", id, "r-4", body); resp.StatusCode != 409 || !strings.Contains(string(b), "accepted") {
		t.Errorf("after acceptance: %d %s", resp.StatusCode, b)
	}
}
