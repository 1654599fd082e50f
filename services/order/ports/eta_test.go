package ports

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
)

// An order's answers, GET and the list, carry its latest ETA once the eta
// service made one, and none before.
func TestOrderCarriesItsLatestETA(t *testing.T) {
	t.Parallel()
	srv, a := newServerApp(t, &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
	resp, body := post(t, srv.URL, "k-eta", goodBody)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var placed apiclient.Order
	if err := json.Unmarshal(body, &placed); err != nil {
		t.Fatal(err)
	}
	get := func() (one apiclient.Order, page apiclient.OrderPage) {
		t.Helper()
		for url, v := range map[string]any{srv.URL + "/v1/orders/" + placed.ID: &one, srv.URL + "/v1/orders": &page} {
			r := getAs(t, url, "c-42")
			if r.StatusCode != 200 {
				t.Fatalf("GET %s: %s", url, r.Status)
			}
			if err := json.NewDecoder(r.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		if len(page.Orders) != 1 {
			t.Fatalf("list: %d orders, want 1", len(page.Orders))
		}
		return one, page
	}
	if one, page := get(); one.ETA != nil || page.Orders[0].ETA != nil {
		t.Fatalf("an ETA before any was made: %+v %+v", one.ETA, page.Orders[0].ETA)
	}
	made := placed.PlacedAt.Add(time.Second)
	at := made.Add(20 * time.Millisecond)
	update := func(step string, made, at time.Time) events.Incoming {
		e, err := events.New(events.EtaUpdated, placed.ID, made, events.EtaData{
			OrderRef: events.OrderRef{OrderID: placed.ID, StoreID: placed.StoreID, CustomerID: placed.CustomerID},
			Step:     step, ModelVersion: "m-" + step, ETA: at, ETAP10: at.Add(-time.Millisecond), ETAP90: at.Add(time.Millisecond), RemainingS: 1800,
		})
		if err != nil {
			t.Fatal(err)
		}
		return events.Incoming{Ctx: context.Background(), Event: e}
	}
	// The accepted step's ETA, then the placed one arriving late: the
	// later step's stays.
	if err := a.Handle(context.Background(), []events.Incoming{update(events.EtaStepAccepted, made, at)}); err != nil {
		t.Fatal(err)
	}
	if err := a.Handle(context.Background(), []events.Incoming{update(events.EtaStepPlaced, placed.PlacedAt, at.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	want := apiclient.ETA{At: at.UTC(), P10: at.Add(-time.Millisecond).UTC(), P90: at.Add(time.Millisecond).UTC(), Step: events.EtaStepAccepted,
		MadeAt: made.UTC(), ModelVersion: "m-accepted"}
	one, page := get()
	for where, got := range map[string]*apiclient.ETA{"GET": one.ETA, "list": page.Orders[0].ETA} {
		if got == nil || *got != want {
			t.Errorf("%s: ETA %+v, want %+v", where, got, want)
		}
	}
}
