package ports

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/adapters"
	"github.com/bloody-sweet/platform/services/order/app"
)

// TestAdmission: with a bound of 2 orders in flight (counted from the
// database), a third new order is 503 with Retry-After and a problem body
// naming the reason; a retry of an accepted order (same customer and key)
// still gets that order, never a 503; once orders finish, new ones are
// admitted again.
func TestAdmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "order")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, adapters.Migrations()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, adapters.NewSQLRepository(db), nopNotifier{}, app.NewMetrics(prometheus.NewRegistry()), OrderJSON)
	if err != nil {
		t.Fatal(err)
	}
	cfg := admission.Defaults()
	cfg.MaxInFlight = 2
	gate, err := admission.New(cfg, a.InFlight, AdmissionMetrics, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	routes := API{App: a, Admission: gate, StoreReadScope: DefaultStoreReadScope}.Routes()
	post := func(customer, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/orders", strings.NewReader(goodBody))
		req.Header.Set("Idempotency-Key", key)
		req = req.WithContext(auth.WithIdentity(req.Context(), auth.Identity{Subject: customer}))
		rec := httptest.NewRecorder()
		routes["POST /v1/orders"].ServeHTTP(rec, req)
		return rec
	}

	gate.Sample(ctx)
	first := post("c-1", "k1")
	if first.Code != 201 || post("c-2", "k2").Code != 201 {
		t.Fatalf("below the bound: %d %s", first.Code, first.Body)
	}
	gate.Sample(ctx) // 2 orders PLACED in the database
	shed := post("c-3", "k3")
	if shed.Code != 503 || shed.Header().Get("Retry-After") == "" || shed.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("at the bound: %d Retry-After %q %s", shed.Code, shed.Header().Get("Retry-After"), shed.Body)
	}
	var p admission.Problem
	if err := json.Unmarshal(shed.Body.Bytes(), &p); err != nil || p.Reason != admission.ReasonOverloaded || p.Status != 503 {
		t.Errorf("problem %s (%v)", shed.Body, err)
	}
	// The same key from another customer is a new order: shed too.
	if got := post("c-3", "k1").Code; got != 503 {
		t.Errorf("c-3 with c-1's key: %d, want 503", got)
	}
	retry := post("c-1", "k1")
	if retry.Code != 201 || retry.Header().Get("Idempotent-Replayed") != "true" || retry.Body.String() != first.Body.String() {
		t.Errorf("retry of an accepted order: %d replayed %q body %s, want the first answer %s",
			retry.Code, retry.Header().Get("Idempotent-Replayed"), retry.Body, first.Body)
	}
	if smp, err := a.InFlight(ctx, time.Time{}); err != nil || smp.InFlight != 2 || time.Since(smp.Oldest) > time.Minute {
		t.Errorf("in flight after the shed requests and the retry: %+v (%v), want 2 placed just now", smp, err)
	}

	// One order is delivered, another cancelled: none in flight.
	if _, err := db.ExecContext(ctx, db.SQL(`UPDATE {p}orders SET status = CASE WHEN customer_id = 'c-1' THEN 'DELIVERED' ELSE 'CANCELLED' END`)); err != nil {
		t.Fatal(err)
	}
	gate.Sample(ctx)
	if got := post("c-3", "k3"); got.Code != 201 {
		t.Errorf("after the pipeline drained: %d %s, want 201", got.Code, got.Body)
	}
}
