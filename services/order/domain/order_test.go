package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
)

func validRequest() Draft {
	return Draft{StoreID: "store-1", Items: []Line{{SKU: "pizza-margherita", Quantity: 2}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(*Draft)
		field string
	}{
		{"valid", func(*Draft) {}, ""},
		{"NUL in street", func(r *Draft) { r.Address.Street = "1 Main\x00St" }, "address.street"},
		{"line break in city", func(r *Draft) { r.Address.City = "Spring\nfield" }, "address.city"},
		{"C1 control in postcode", func(r *Draft) { r.Address.Postcode = "12\u0085345" }, "address.postcode"},
		{"DEL in street", func(r *Draft) { r.Address.Street = "1 Main\x7fSt" }, "address.street"},
		{"invalid UTF-8 in city", func(r *Draft) { r.Address.City = "Spr\xffingfield" }, "address.city"},
		{"replacement character in street", func(r *Draft) { r.Address.Street = "1 Main \ufffd" }, "address.street"},
		{"tab in store", func(r *Draft) { r.StoreID = "store-1\t" }, "store_id"},
		{"accents are fine", func(r *Draft) { r.Address.City = "Zürich – Île" }, ""},
		{"unknown store", func(r *Draft) { r.StoreID = "store-21" }, "store_id"},
		{"store with suffix", func(r *Draft) { r.StoreID = "store-1x" }, "store_id"},
		{"store zero-padded", func(r *Draft) { r.StoreID = "store-01" }, "store_id"},
		{"no items", func(r *Draft) { r.Items = nil }, "items"},
		{"quantity 0", func(r *Draft) { r.Items[0].Quantity = 0 }, "items[0].quantity"},
		{"quantity 100", func(r *Draft) { r.Items = append(r.Items, Line{"x", 100}) }, "items[1].quantity"},
		{"bad sku", func(r *Draft) { r.Items[0].SKU = "Pizza!" }, "items[0].sku"},
		{"no postcode", func(r *Draft) { r.Address.Postcode = "" }, "address.postcode"},
		{"long city", func(r *Draft) { r.Address.City = strings.Repeat("a", 201) }, "address.city"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest()
			tc.edit(&r)
			err := r.Validate()
			got := ""
			if err != nil {
				got = err.Field
			}
			if got != tc.field {
				t.Errorf("field %q (%v), want %q", got, err, tc.field)
			}
		})
	}
}

func TestValidCustomer(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{"c-42": true, "": false, " ": false, "a\x00b": false, strings.Repeat("x", 201): false} {
		if got := ValidCustomer(id) == nil; got != ok {
			t.Errorf("ValidCustomer(%q) ok = %v, want %v", id, got, ok)
		}
	}
}

func TestNewPricesItems(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.Items = append(r.Items, Line{"lemonade", 3})
	o := New("o-1", "c-42", r, time.Unix(0, 0))
	want := 2*PriceCents("pizza-margherita") + 3*PriceCents("lemonade")
	if o.TotalCents != want || o.Status != events.StatusPlaced {
		t.Errorf("total %d status %s, want %d PLACED", o.TotalCents, o.Status, want)
	}
}

// Every event of an order carries its basket (quantities summed) and
// postcode: the store and delivery simulators draw from them.
func TestEventsCarryBasketAndPostcode(t *testing.T) {
	t.Parallel()
	r := validRequest()
	r.Items = append(r.Items, Line{"lemonade", 3})
	o := New("o-1", "c-42", r, time.Unix(0, 0))
	e, err := o.Placed()
	if err != nil {
		t.Fatal(err)
	}
	d, err := events.DecodeData[events.OrderPlacedData](e)
	if err != nil {
		t.Fatal(err)
	}
	if d.Basket != 5 || d.Postcode != "12345" {
		t.Errorf("OrderPlaced ref %+v, want basket 5 and postcode 12345", d.OrderRef)
	}
}

func TestApplyMovesForwardOnly(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := New("o-1", "c-42", validRequest(), t0)
	// Delivery-topic events can overtake store-topic ones.
	steps := []struct {
		typ  events.Type
		want events.Status
	}{
		{events.PaymentAuthorized, events.StatusPaid},
		{events.OrderReady, events.StatusReady},
		{events.OrderAccepted, events.StatusReady}, // late: timestamp recorded, status stays
		{events.CourierAssigned, events.StatusReady},
		{events.OrderPickedUp, events.StatusPickedUp},
		{events.OrderDelivered, events.StatusDelivered},
		{events.PaymentRefunded, events.StatusDelivered}, // terminal stays terminal
	}
	for i, s := range steps {
		before := o
		cancel, err := o.Apply(s.typ, t0.Add(time.Duration(i+1)*time.Second), "")
		if err != nil || cancel != nil {
			t.Fatalf("%s: cancel=%v err=%v", s.typ, cancel, err)
		}
		if o.Status != s.want {
			t.Errorf("after %s: %s, want %s", s.typ, o.Status, s.want)
		}
		_ = before
	}
	if o.AcceptedAt.IsZero() {
		t.Error("late OrderAccepted did not record its time")
	}
}

func TestApplyCancels(t *testing.T) {
	t.Parallel()
	for _, typ := range []events.Type{events.PaymentDeclined, events.PaymentRefunded} {
		o := New("o-1", "c-42", validRequest(), time.Now())
		cancel, err := o.Apply(typ, time.Now(), "no money")
		if err != nil || cancel == nil {
			t.Fatalf("%s: cancel=%v err=%v", typ, cancel, err)
		}
		if o.Status != events.StatusCancelled || cancel.Type != events.OrderCancelled || cancel.Subject != "o-1" {
			t.Errorf("%s: status %s, event %s %s", typ, o.Status, cancel.Type, cancel.Subject)
		}
		// A second cancellation cause publishes nothing more.
		if again, _ := o.Apply(typ, time.Now(), ""); again != nil {
			t.Errorf("%s twice produced a second OrderCancelled", typ)
		}
	}
}

func TestCompletedStagesEachOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := New("o-1", "c-42", validRequest(), t0)
	var got []StageDuration
	for i, typ := range []events.Type{events.PaymentAuthorized, events.OrderReady, events.OrderAccepted, events.OrderPickedUp, events.OrderDelivered, events.OrderDelivered} {
		before := o
		if _, err := o.Apply(typ, t0.Add(time.Duration(i+1)*10*time.Millisecond), ""); err != nil {
			t.Fatal(err)
		}
		got = append(got, CompletedStages(before, o)...)
	}
	ms := time.Millisecond
	want := []StageDuration{
		{StagePlacedToPaid, 10 * ms},
		{StagePaidToAccepted, 20 * ms}, // accepted arrived after ready
		{StageAcceptedToReady, 0},      // negative spans clamp to zero
		{StageReadyToPickedUp, 20 * ms},
		{StagePickedUpToDelivered, 10 * ms},
		{StagePlacedToDelivered, 50 * ms},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stages (-want +got):\n%s", d)
	}
}

func TestReviseAndDecide(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	r := validRequest()
	r.Items = append(r.Items, Line{"lemonade", 3})
	o := New("o-1", "c-1", r, at)
	total := o.TotalCents
	if ferr := o.ValidRevision([]Line{{"calzone", 1}}); ferr == nil || ferr.Field != "items[0].sku" {
		t.Errorf("a SKU not in the order: %v", ferr)
	}
	if ferr := o.ValidRevision([]Line{{"lemonade", 1}, {"lemonade", 2}}); ferr == nil || ferr.Field != "items[1].sku" {
		t.Errorf("a SKU twice: %v", ferr)
	}
	if ferr := o.ValidRevision([]Line{{"lemonade", 100}}); ferr == nil || ferr.Field != "items[0].quantity" {
		t.Errorf("quantity 100: %v", ferr)
	}
	if ferr := o.ValidRevision(nil); ferr == nil || ferr.Field != "items" {
		t.Errorf("no lines: %v", ferr)
	}

	// Revision 1 drops the pizza and orders 5 lemonades; approved, it applies.
	e, err := o.Revise([]Line{{"lemonade", 5}}, at)
	if err != nil || e.Type != events.OrderRevised || o.Revision.Status != RevisionPending || o.TotalCents != total {
		t.Fatalf("revise: %v %+v, total %d", err, o.Revision, o.TotalCents)
	}
	if _, err := o.Revise([]Line{{"lemonade", 4}}, at); !errors.Is(err, ErrRevisionPending) {
		t.Errorf("second revision while pending: %v", err)
	}
	if ev, _ := o.Decide(2, true, "", at); ev != nil || o.Revision.Status != RevisionPending {
		t.Errorf("an answer to another revision decided this one")
	}
	ev, err := o.Decide(1, true, "", at.Add(time.Second))
	want := 5 * PriceCents("lemonade")
	if err != nil || ev == nil || ev.Type != events.OrderRevisionApplied || o.TotalCents != want || len(o.Items) != 1 || o.Revision.Status != RevisionApplied {
		t.Fatalf("applied: %v %v, order %+v", ev, err, o)
	}
	if ev, _ := o.Decide(1, true, "", at); ev != nil {
		t.Errorf("a duplicate answer produced %v", ev)
	}

	// Revision 2 declined: the order keeps revision 1's lines, nothing to void.
	if _, err := o.Revise([]Line{{"lemonade", 9}}, at); err != nil || o.Revision.Number != 2 {
		t.Fatalf("revision 2: %v %+v", err, o.Revision)
	}
	if ev, _ := o.Decide(2, false, "card declined", at); ev != nil || o.TotalCents != want || o.Revision.Status != RevisionRefused || !strings.Contains(o.Revision.Reason, "card declined") {
		t.Errorf("declined: %v, order %+v", ev, o)
	}

	// Revision 3 approved after the store accepted: refused, the new
	// authorization voided, the order as it was.
	if _, err := o.Revise([]Line{{"lemonade", 2}}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Apply(events.OrderAccepted, at, ""); err != nil {
		t.Fatal(err)
	}
	if ev, _ := o.Decide(3, true, "", at); ev == nil || ev.Type != events.OrderRevisionRefused || o.TotalCents != want || o.Revision.Status != RevisionRefused {
		t.Errorf("too late: %v, order %+v", ev, o)
	}
	if _, err := o.Revise([]Line{{"lemonade", 1}}, at); !errors.Is(err, ErrAccepted) {
		t.Errorf("revise after acceptance: %v", err)
	}
	if _, err := o.Cancel("", at); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Revise([]Line{{"lemonade", 1}}, at); !errors.Is(err, ErrCancelled) {
		t.Errorf("revise a cancelled order: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	o := New("o-1", "c-1", validRequest(), at)
	for _, typ := range []events.Type{events.PaymentAuthorized, events.OrderAccepted, events.OrderReady} {
		if _, err := o.Apply(typ, at, ""); err != nil {
			t.Fatal(err)
		}
	}
	e, err := o.Cancel("late", at)
	if err != nil || o.Status != events.StatusCancelled || o.CancelReason != "cancelled by the customer: late" {
		t.Fatalf("cancel ready: %v %+v", err, o)
	}
	d, err := events.DecodeData[events.OrderCancelledData](e)
	if err != nil || !d.ByCustomer || d.CustomerID != "c-1" {
		t.Errorf("OrderCancelled %+v %v", d, err)
	}
	if _, err := o.Cancel("", at); !errors.Is(err, ErrCancelled) {
		t.Errorf("twice: %v", err)
	}
	p := New("o-2", "c-1", validRequest(), at)
	if _, err := p.Apply(events.OrderPickedUp, at, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Cancel("", at); !errors.Is(err, ErrPickedUp) || p.Status != events.StatusPickedUp {
		t.Errorf("after pickup: %v, %s", err, p.Status)
	}
}
