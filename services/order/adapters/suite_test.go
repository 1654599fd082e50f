package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// runRepositorySuite is the one repository test suite; it runs on SQLite
// (unit tests) and on a real Postgres (integration tests).
func runRepositorySuite(t *testing.T, open func(t *testing.T) *storage.DB) {
	newRepo := func(t *testing.T) (*SQLRepository, *storage.DB) {
		db := open(t)
		if err := db.Migrate(context.Background(), Migrations()); err != nil {
			t.Fatal(err)
		}
		// Migrating twice is a no-op.
		if err := db.Migrate(context.Background(), Migrations()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		return NewSQLRepository(db), db
	}
	ctx := context.Background()
	req := domain.Draft{StoreID: "store-2", Items: []domain.Line{{SKU: "calzone", Quantity: 2}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// createAt stores order id of customer with key at time at; found says
	// whether the key's record already existed (nothing stored then).
	createAt := func(t *testing.T, r *SQLRepository, customer, id, key string, at time.Time) (app.Idempotency, bool, error) {
		t.Helper()
		o := domain.New(id, customer, req, at)
		placed, err := o.Placed()
		if err != nil {
			t.Fatal(err)
		}
		return r.Create(ctx, o, app.Idempotency{Customer: customer, Key: key, RequestHash: "h-" + key, StatusCode: 201, Body: []byte(`{"id":"` + id + `"}`), CreatedAt: at}, placed)
	}
	create := func(t *testing.T, r *SQLRepository, id, key string) domain.Order {
		t.Helper()
		if _, found, err := createAt(t, r, "c-1", id, key, t0); err != nil || found {
			t.Fatalf("create %s: found=%v err=%v", id, found, err)
		}
		o, err := r.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	t.Run("create then get round-trips", func(t *testing.T) {
		r, _ := newRepo(t)
		o := create(t, r, "o-1", "k-1")
		got, err := r.Get(ctx, "o-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(o, got); d != "" {
			t.Errorf("order (-want +got):\n%s", d)
		}
		if _, err := r.Get(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("missing order: %v, want ErrNotFound", err)
		}
	})

	t.Run("in flight counts the orders not terminal; accepted finds a live key", func(t *testing.T) {
		r, db := newRepo(t)
		for i := range 4 {
			create(t, r, fmt.Sprintf("o-%d", i), fmt.Sprintf("k-%d", i))
		}
		if _, err := db.ExecContext(ctx, db.SQL(`UPDATE {p}orders SET status = ? WHERE id = ?`), "DELIVERED", "o-0"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, db.SQL(`UPDATE {p}orders SET status = ? WHERE id = ?`), "CANCELLED", "o-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, db.SQL(`UPDATE {p}orders SET status = ? WHERE id = ?`), "PICKED_UP", "o-2"); err != nil {
			t.Fatal(err)
		}
		if n, oldest, err := r.InFlight(ctx, "o-3"); err != nil || n != 2 || oldest != "o-3" {
			t.Errorf("in flight %d, oldest from o-3 %q (%v), want 2 (PICKED_UP and PLACED) and o-3", n, oldest, err)
		}
		if n, oldest, err := r.InFlight(ctx, ""); err != nil || n != 2 || oldest != "o-2" {
			t.Errorf("in flight %d, oldest %q (%v), want 2 and o-2 (o-0 and o-1 are terminal)", n, oldest, err)
		}
		if _, oldest, err := r.InFlight(ctx, "p"); err != nil || oldest != "" {
			t.Errorf("oldest from p: %q (%v), want none", oldest, err)
		}
		for _, c := range []struct {
			customer, key string
			notBefore     time.Time
			want          bool
		}{
			{"c-1", "k-3", t0.Add(-time.Hour), true},
			{"c-2", "k-3", t0.Add(-time.Hour), false}, // keys are per customer
			{"c-1", "k-9", t0.Add(-time.Hour), false},
			{"c-1", "k-3", t0, false}, // expired
		} {
			if got, err := r.Accepted(ctx, c.customer, c.key, c.notBefore); err != nil || got != c.want {
				t.Errorf("Accepted(%s, %s, %s) = %v (%v), want %v", c.customer, c.key, c.notBefore, got, err, c.want)
			}
		}
	})

	t.Run("idempotency key returns the stored record and stores nothing", func(t *testing.T) {
		r, db := newRepo(t)
		create(t, r, "o-1", "k-1")
		o2 := domain.New("o-2", "c-1", req, t0)
		placed, _ := o2.Placed()
		rec, found, err := r.Create(ctx, o2, app.Idempotency{Customer: "c-1", Key: "k-1", RequestHash: "other", CreatedAt: t0.Add(time.Hour)}, placed)
		if err != nil || !found {
			t.Fatalf("found=%v err=%v, want the existing record", found, err)
		}
		if rec.RequestHash != "h-k-1" || string(rec.Body) != `{"id":"o-1"}` || rec.StatusCode != 201 {
			t.Errorf("record %+v", rec)
		}
		if _, err := r.Get(ctx, "o-2"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("second order was stored: %v", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}outbox`)).Scan(&n); err != nil || n != 1 {
			t.Errorf("outbox rows %d (err %v), want 1", n, err)
		}
	})

	t.Run("concurrent creates with one key store one order", func(t *testing.T) {
		r, _ := newRepo(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := domain.New(fmt.Sprintf("o-%d", i), "c-1", req, t0)
				placed, _ := o.Placed()
				_, found, err := r.Create(ctx, o, app.Idempotency{Customer: "c-1", Key: "same", RequestHash: "h", StatusCode: 201, Body: []byte("{}"), CreatedAt: t0}, placed)
				if err != nil {
					t.Error(err)
					return
				}
				if !found {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if created != 1 {
			t.Errorf("%d creates succeeded, want 1", created)
		}
	})

	t.Run("list pages by store in id order", func(t *testing.T) {
		r, _ := newRepo(t)
		for i := range 5 {
			create(t, r, fmt.Sprintf("o-%d", i), fmt.Sprintf("k-%d", i))
		}
		page, err := r.List(ctx, app.ListFilter{StoreID: "store-2"}, "", 3)
		if err != nil {
			t.Fatal(err)
		}
		next, err := r.List(ctx, app.ListFilter{StoreID: "store-2"}, page[len(page)-1].ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range append(page, next...) {
			ids = append(ids, o.ID)
		}
		if d := cmp.Diff([]string{"o-0", "o-1", "o-2", "o-3", "o-4"}, ids); d != "" {
			t.Errorf("ids (-want +got):\n%s", d)
		}
		if other, _ := r.List(ctx, app.ListFilter{StoreID: "store-3"}, "", 10); len(other) != 0 {
			t.Errorf("store-3 has %d orders", len(other))
		}
	})

	t.Run("keys are scoped per customer and lists by customer", func(t *testing.T) {
		r, _ := newRepo(t)
		for _, c := range []struct{ customer, id string }{{"alice", "o-a"}, {"bob", "o-b"}, {"alice", "o-c"}} {
			key := "same"
			if c.id == "o-c" {
				key = "other"
			}
			if _, found, err := createAt(t, r, c.customer, c.id, key, t0); err != nil || found {
				t.Fatalf("%s's %s: found=%v err=%v, want a new order", c.customer, c.id, found, err)
			}
		}
		for customer, want := range map[string][]string{"alice": {"o-a", "o-c"}, "bob": {"o-b"}, "carol": nil} {
			got, err := r.List(ctx, app.ListFilter{CustomerID: customer}, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range got {
				ids = append(ids, o.ID)
			}
			if d := cmp.Diff(want, ids); d != "" {
				t.Errorf("%s's orders (-want +got):\n%s", customer, d)
			}
		}
		if _, err := r.List(ctx, app.ListFilter{}, "", 10); err == nil {
			t.Error("List without a customer or store listed")
		}
	})

	t.Run("a key expires after 24 h", func(t *testing.T) {
		r, _ := newRepo(t)
		if _, found, err := createAt(t, r, "alice", "o-1", "k", t0); err != nil || found {
			t.Fatalf("first: found=%v err=%v", found, err)
		}
		rec, found, err := createAt(t, r, "alice", "o-2", "k", t0.Add(app.IdempotencyTTL-time.Second))
		if err != nil || !found || string(rec.Body) != `{"id":"o-1"}` {
			t.Fatalf("within 24 h: found=%v rec=%s err=%v, want o-1's record", found, rec.Body, err)
		}
		if _, found, err := createAt(t, r, "alice", "o-3", "k", t0.Add(app.IdempotencyTTL)); err != nil || found {
			t.Fatalf("after 24 h: found=%v err=%v, want a new order", found, err)
		}
		if _, err := r.Get(ctx, "o-3"); err != nil {
			t.Errorf("the order placed with the expired key: %v", err)
		}
		// The new record runs its own 24 h.
		if _, found, _ := createAt(t, r, "alice", "o-4", "k", t0.Add(app.IdempotencyTTL+time.Hour)); !found {
			t.Error("the renewed key was not replayed")
		}
		// Purge deletes expired records only.
		if _, _, err := createAt(t, r, "bob", "o-5", "old", t0); err != nil {
			t.Fatal(err)
		}
		n, err := r.PurgeIdempotency(ctx, t0)
		if err != nil || n != 1 {
			t.Errorf("purge = %d, %v; want bob's one record", n, err)
		}
		if _, found, _ := createAt(t, r, "alice", "o-6", "k", t0.Add(app.IdempotencyTTL+time.Hour)); !found {
			t.Error("purge deleted a live record")
		}
	})

	t.Run("a value the database refuses is a permanent error", func(t *testing.T) {
		r, db := newRepo(t)
		_, _, err := createAt(t, r, "nul\x00customer", "o-1", "k", t0)
		if db.Dialect == storage.Postgres {
			// Postgres refuses NUL in text (22021): retrying cannot help.
			if err == nil || !storage.Permanent(err) {
				t.Errorf("NUL on Postgres: err %v (permanent %v), want a permanent error", err, storage.Permanent(err))
			}
		} else if err != nil {
			t.Errorf("SQLite stores NUL: %v", err)
		}
	})

	t.Run("apply events once, in one transaction with the outbox", func(t *testing.T) {
		r, db := newRepo(t)
		create(t, r, "o-1", "k-1")
		ev, _ := events.New(events.PaymentDeclined, "o-1", time.Now(), events.PaymentData{OrderRef: events.OrderRef{OrderID: "o-1", StoreID: "store-2"}})
		apply := func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
			c, err := o.Apply(in.Event.Type, in.Event.Time, "declined")
			if c == nil {
				return nil, err
			}
			return []events.Envelope{*c}, err
		}
		for range 2 { // the second delivery is a duplicate
			if _, err := r.ApplyEvents(ctx, []events.Incoming{{Ctx: ctx, Event: ev}}, apply); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := r.Get(ctx, "o-1")
		if got.Status != events.StatusCancelled {
			t.Errorf("status %s, want CANCELLED", got.Status)
		}
		var n int
		if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}outbox WHERE event_type = ?`), string(events.OrderCancelled)).Scan(&n); err != nil || n != 1 {
			t.Errorf("OrderCancelled rows %d (err %v), want exactly 1", n, err)
		}
		counts, err := r.CountByStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[events.Status]int64{events.StatusCancelled: 1}, counts); d != "" {
			t.Errorf("counts (-want +got):\n%s", d)
		}
	})

	t.Run("several events of one order in one batch", func(t *testing.T) {
		r, _ := newRepo(t)
		create(t, r, "o-1", "k-1")
		at := time.Date(2026, 1, 1, 12, 0, 1, 0, time.UTC)
		paid, _ := events.New(events.PaymentAuthorized, "o-1", at, events.PaymentData{OrderRef: events.OrderRef{OrderID: "o-1"}})
		acc, _ := events.New(events.OrderAccepted, "o-1", at.Add(time.Second), events.StoreData{OrderRef: events.OrderRef{OrderID: "o-1"}})
		batch := []events.Incoming{{Ctx: ctx, Event: paid}, {Ctx: ctx, Event: acc}, {Ctx: ctx, Event: paid}}
		changes, err := r.ApplyEvents(ctx, batch, func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
			_, err := o.Apply(in.Event.Type, in.Event.Time, "")
			return nil, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 2 || changes[1].Before.Status != events.StatusPaid || changes[1].After.Status != events.StatusAccepted {
			t.Errorf("changes %+v, want PLACED->PAID then PAID->ACCEPTED (the duplicate skipped)", changes)
		}
		got, _ := r.Get(ctx, "o-1")
		if got.Status != events.StatusAccepted || !got.PaidAt.Equal(at) || !got.AcceptedAt.Equal(at.Add(time.Second)) {
			t.Errorf("stored %s paid %v accepted %v", got.Status, got.PaidAt, got.AcceptedAt)
		}
	})

	t.Run("a failing event rolls back the whole batch", func(t *testing.T) {
		r, _ := newRepo(t)
		create(t, r, "o-1", "k-1")
		ok, _ := events.New(events.PaymentAuthorized, "o-1", time.Now(), events.PaymentData{OrderRef: events.OrderRef{OrderID: "o-1"}})
		missing, _ := events.New(events.PaymentAuthorized, "ghost", time.Now(), events.PaymentData{OrderRef: events.OrderRef{OrderID: "ghost"}})
		_, err := r.ApplyEvents(ctx, []events.Incoming{{Ctx: ctx, Event: ok}, {Ctx: ctx, Event: missing}}, func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
			_, err := o.Apply(in.Event.Type, in.Event.Time, "")
			return nil, err
		})
		var unknown *app.UnknownOrderError
		if !errors.As(err, &unknown) || unknown.Event.ID != missing.ID {
			t.Fatalf("error %v, want an *app.UnknownOrderError for event %s", err, missing.ID)
		}
		got, _ := r.Get(ctx, "o-1")
		if got.Status != events.StatusPlaced {
			t.Errorf("status %s after rollback, want PLACED", got.Status)
		}
		// The rolled-back event is not in the inbox: a retry applies it.
		if _, err := r.ApplyEvents(ctx, []events.Incoming{{Ctx: ctx, Event: ok}}, func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
			_, err := o.Apply(in.Event.Type, in.Event.Time, "")
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.Get(ctx, "o-1"); got.Status != events.StatusPaid {
			t.Errorf("status %s after retry, want PAID", got.Status)
		}
	})

	t.Run("change writes once per key and nothing when it fails", func(t *testing.T) {
		r, db := newRepo(t)
		create(t, r, "o-1", "k-1")
		rec := func(key string) app.Idempotency {
			return app.Idempotency{Customer: "c-1", Key: key, RequestHash: "h", StatusCode: 200, CreatedAt: t0}
		}
		calls := 0
		cancel := func(o *domain.Order) ([]byte, []events.Envelope, error) {
			calls++
			e, err := o.Cancel("", t0)
			return []byte(`"answer"`), []events.Envelope{e}, err
		}
		for range 2 { // the second is a retry: the first answer, nothing changed
			if existing, found, err := r.Change(ctx, "o-1", rec("c-1"), cancel); err != nil || (found && string(existing.Body) != `"answer"`) {
				t.Fatalf("change: %+v %v %v", existing, found, err)
			}
		}
		if calls != 1 {
			t.Errorf("the change ran %d times, want once", calls)
		}
		// Another key: the domain refuses, nothing is written (a retry
		// with the key runs again).
		for range 2 {
			if _, _, err := r.Change(ctx, "o-1", rec("c-2"), cancel); !errors.Is(err, domain.ErrCancelled) {
				t.Errorf("cancel twice: %v", err)
			}
		}
		if calls != 3 {
			t.Errorf("the refused change ran %d times, want twice", calls-1)
		}
		if _, _, err := r.Change(ctx, "ghost", rec("c-3"), cancel); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("missing order: %v", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}outbox WHERE event_type = ?`), string(events.OrderCancelled)).Scan(&n); err != nil || n != 1 {
			t.Errorf("OrderCancelled rows %d (err %v), want 1", n, err)
		}
		if got, _ := r.Get(ctx, "o-1"); got.Status != events.StatusCancelled {
			t.Errorf("status %s", got.Status)
		}
	})

	t.Run("a change and a saga event of one order do not overwrite each other", func(t *testing.T) {
		r, _ := newRepo(t)
		const n = 20
		for i := range n {
			create(t, r, fmt.Sprintf("o-%d", i), fmt.Sprintf("k-%d", i))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			id := fmt.Sprintf("o-%d", i)
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _, err := r.Change(ctx, id, app.Idempotency{Customer: "c-1", Key: "cancel-" + id, RequestHash: "h", StatusCode: 200, CreatedAt: t0},
					func(o *domain.Order) ([]byte, []events.Envelope, error) {
						e, err := o.Cancel("", t0)
						return []byte("{}"), []events.Envelope{e}, err
					})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				paid, _ := events.New(events.PaymentAuthorized, id, t0.Add(time.Second), events.PaymentData{OrderRef: events.OrderRef{OrderID: id}})
				_, err := r.ApplyEvents(ctx, []events.Incoming{{Ctx: ctx, Event: paid}}, func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
					_, err := o.Apply(in.Event.Type, in.Event.Time, "")
					return nil, err
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			got, err := r.Get(ctx, fmt.Sprintf("o-%d", i))
			if err != nil || got.Status != events.StatusCancelled || got.PaidAt.IsZero() {
				t.Errorf("o-%d: status %s, paid at %v (%v): one write overwrote the other", i, got.Status, got.PaidAt, err)
			}
		}
	})
}

func TestRepositorySQLite(t *testing.T) {
	t.Parallel()
	runRepositorySuite(t, func(t *testing.T) *storage.DB {
		db, err := storage.Open(context.Background(), "", "order")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
