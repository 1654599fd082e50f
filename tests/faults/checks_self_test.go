//go:build faults

package faults

import (
	"context"
	"database/sql"
	"sort"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/services/events"
)

// TestChecksSeeViolations proves the fault cases' checks can fail: after a
// clean run it breaks one invariant per order behind the stopped services'
// backs (an order row deleted, a second authorization published, a payment
// row deleted, a delivered order flipped to CANCELLED, a stray order, a
// valid and a poison message in a DLQ; a second refund, a revision nobody
// answered, a customer's cancellation of a delivered order) and expects the
// checks to count each exactly once.
func TestChecksSeeViolations(t *testing.T) {
	s := startStack(t, stackOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sc := newScenario("faults-self-check", 100, stage("steady", 2*time.Second, 20))
	sc.ChangeEvery = 4 // the fewest the scenario takes: some cancels and revisions in 40 orders
	rec := newRecorder(sc, s, "self-check")
	if _, err := load.Run(ctx, sc, rec, load.Options{Mode: "pipeline"}); err != nil {
		t.Fatal(err)
	}
	tr, closeTr := newTracker(db, s.redis.addr())
	defer closeTr()
	if _, drained := awaitTerminal(ctx, t, tr, rec); !drained {
		t.Fatal("the clean run did not finish")
	}
	clean := outcome{accepted: rec.count()}
	statuses, err := orderStatuses(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	clean.check(ctx, t, s, tr, rec, statuses)
	clean.checkSaga(awaitPredictions(ctx, t, s, rec.ackedBy(time.Now())), rec.ackedBy(time.Now()), statuses)
	if clean.terminal != clean.accepted || clean.accepted < 30 || clean.lost+clean.doubleCharged+clean.unpaid+clean.unnotified+clean.mismatched+clean.strays+clean.dlq.valid+clean.dlq.invalid != 0 ||
		clean.cancelled == 0 || clean.revised == 0 || clean.cancelIgnored+clean.doubleRefunded+clean.doubleReauthorized+clean.undecided+clean.unpredicted != 0 {
		t.Fatalf("the clean run is not clean: %+v", clean)
	}
	saga, err := readSaga(ctx, s.broker.addr())
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range services { // nothing may repair what follows
		s.svc[name].signal(t, syscall.SIGTERM)
	}
	ids := rec.ackedBy(time.Now())
	sort.Strings(ids)
	lost, unpaid := ids[0], ids[2]
	var delivered []string
	for _, id := range ids[3:] {
		if events.Status(statuses[id]) == events.StatusDelivered {
			delivered = append(delivered, id)
		}
	}
	refunded := ""
	for id := range saga.customerCancelled {
		refunded = id
	}
	if len(delivered) < 4 || refunded == "" {
		t.Fatalf("%d delivered orders and %d cancelled by their customer: want 4 and 1", len(delivered), len(saga.customerCancelled))
	}
	// A delivered order was surely authorized once (one its customer
	// cancelled at once may never have been), so a second authorization
	// makes it charged twice.
	flipped, cancelledLate, unanswered, twice := delivered[0], delivered[1], delivered[2], delivered[3]
	for _, q := range []string{
		"DELETE FROM order_orders WHERE id = '" + lost + "'",
		"DELETE FROM payment_payments WHERE order_id = '" + unpaid + "'",
		"UPDATE order_orders SET status = 'CANCELLED' WHERE id = '" + flipped + "'",
		"INSERT INTO order_orders (id, store_id, customer_id, status, body) VALUES ('stray-1', 'store-1', 'c-1', 'PLACED', '{}')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	auth, err := events.New(events.PaymentAuthorized, twice, time.Now(), events.PaymentData{OrderRef: events.OrderRef{OrderID: twice, StoreID: "store-1"}, AmountCents: 100})
	if err != nil {
		t.Fatal(err)
	}
	placed, err := events.New(events.OrderPlaced, flipped, time.Now(), events.OrderRef{OrderID: flipped, StoreID: "store-1"})
	if err != nil {
		t.Fatal(err)
	}
	ref := func(id string) events.OrderRef { return events.OrderRef{OrderID: id, StoreID: "store-1"} }
	refund, err := events.New(events.PaymentRefunded, refunded, time.Now(), events.PaymentData{OrderRef: ref(refunded), AmountCents: 100})
	if err != nil {
		t.Fatal(err)
	}
	revised, err := events.New(events.OrderRevised, unanswered, time.Now(), events.OrderRevisedData{OrderRef: ref(unanswered), Revision: 9, TotalCents: 100})
	if err != nil {
		t.Fatal(err)
	}
	late, err := events.New(events.OrderCancelled, cancelledLate, time.Now(), events.OrderCancelledData{OrderRef: ref(cancelledLate), Reason: "self-check", ByCustomer: true})
	if err != nil {
		t.Fatal(err)
	}
	w := &kafkago.Writer{Addr: kafkago.TCP(s.broker.addr()), BatchTimeout: time.Millisecond}
	defer w.Close()
	msgs := []kafkago.Message{
		{Topic: events.TopicPayment, Key: []byte(twice), Value: mustEncode(t, auth)},
		{Topic: events.DLQ(events.TopicOrder), Key: []byte(flipped), Value: mustEncode(t, placed),
			Headers: []kafkago.Header{{Key: events.HeaderDLQConsumer, Value: []byte("payment")}}},
		{Topic: events.DLQ(events.TopicStore), Key: []byte("p"), Value: []byte(`{"id": "truncated`)},
		{Topic: events.TopicPayment, Key: []byte(refunded), Value: mustEncode(t, refund)},
		{Topic: events.TopicOrder, Key: []byte(unanswered), Value: mustEncode(t, revised)},
		{Topic: events.TopicOrder, Key: []byte(cancelledLate), Value: mustEncode(t, late)},
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}

	broken := outcome{accepted: rec.count()}
	fresh, closeFresh := newTracker(db, s.redis.addr())
	defer closeFresh()
	if _, statuses, err = fresh.pending(ctx, ids); err != nil {
		t.Fatal(err)
	}
	broken.check(ctx, t, s, fresh, rec, statuses)
	want := outcome{accepted: clean.accepted, terminal: clean.accepted - 2, lost: 1, doubleCharged: 1, unpaid: 1,
		unnotified: 1, mismatched: 1, strays: 1}
	got := broken
	got.dlq = dlqReport{}
	if got.accepted != want.accepted || got.terminal != want.terminal || got.lost != want.lost || got.doubleCharged != want.doubleCharged ||
		got.unpaid != want.unpaid || got.unnotified != want.unnotified || got.mismatched != want.mismatched || got.strays != want.strays {
		t.Errorf("checks after breaking one of each:\n got %+v\nwant %+v", got, want)
	}
	if broken.dlq.valid != 1 || broken.dlq.invalid != 1 || broken.dlq.byGroup["payment"] != 1 {
		t.Errorf("DLQ report %+v, want 1 valid (payment's) and 1 invalid", broken.dlq)
	}
	if saga, err = readSaga(ctx, s.broker.addr()); err != nil {
		t.Fatal(err)
	}
	broken.checkSaga(saga, ids, statuses)
	if broken.doubleRefunded != 1 || broken.undecided != 1 || broken.cancelIgnored != 1 || broken.revised != clean.revised+1 ||
		broken.cancelled != clean.cancelled+1 || broken.doubleReauthorized != 0 || broken.unpredicted != 0 {
		t.Errorf("saga checks after a second refund, an unanswered revision and a late cancellation: %+v (clean %+v)", broken, clean)
	}
}

func mustEncode(t *testing.T, e events.Envelope) []byte {
	t.Helper()
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
