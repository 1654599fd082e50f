// Package domain holds the order aggregate: validation of a new order, the
// status state machine driven by saga events, and the saga stage timings.
// It knows nothing about HTTP, SQL or Kafka.
package domain

import (
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bloody-sweet/platform/services/events"
)

// Limits of a new order.
const (
	MaxItems    = 50
	MinQuantity = 1
	MaxQuantity = 99
	maxText     = 200
)

// Stores are the stores that take orders: store-1 .. store-20 (the
// embedded catalogue of docs/CONTRACTS.md).
func KnownStore(id string) bool {
	var n int
	if _, err := fmt.Sscanf(id, "store-%d", &n); err != nil {
		return false
	}
	return n >= 1 && n <= 20 && id == fmt.Sprintf("store-%d", n)
}

var skuPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// PriceCents is the menu price of sku. Every store sells the same menu;
// prices are derived from the SKU so the demo needs no catalogue service.
func PriceCents(sku string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(sku))
	return 300 + int64(h.Sum32()%1700)
}

// Line is one line of a new order: what and how many, priced by New.
type Line struct {
	SKU      string
	Quantity int
}

// Draft is what a customer asks for when placing an order. The customer is
// not in it: it is the verified bearer token's subject, given to New.
// Problems are reported with the API's field names (store_id,
// items[0].quantity) because the customer fixes them there.
type Draft struct {
	StoreID string
	Items   []Line
	Address events.Address
}

// FieldError says which request field is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func required(field, v string) *FieldError {
	switch {
	case strings.TrimSpace(v) == "":
		return &FieldError{field, "is required"}
	case len(v) > maxText:
		return &FieldError{field, fmt.Sprintf("is longer than %d characters", maxText)}
	}
	return Text(field, v)
}

// Text refuses what no field of an order may hold: invalid UTF-8 (and the
// replacement character encoding/json substitutes for it and for unpaired
// surrogate escapes, so the decoder cannot hide it) and control characters
// (C0, DEL, C1: a NUL that Postgres refuses, line breaks that forge log
// lines or labels).
func Text(field, v string) *FieldError {
	if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
		return &FieldError{field, "is not valid UTF-8"}
	}
	if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
		return &FieldError{field, fmt.Sprintf("contains the control character %U at byte %d", []rune(v[i:])[0], i)}
	}
	return nil
}

// ValidCustomer checks a customer id (a token's subject) before it is
// stored with an order.
func ValidCustomer(id string) *FieldError { return required("customer_id", id) }

// Validate checks a new order and returns the first problem found.
func (r Draft) Validate() *FieldError {
	if e := required("store_id", r.StoreID); e != nil {
		return e
	}
	if !KnownStore(r.StoreID) {
		return &FieldError{"store_id", fmt.Sprintf("unknown store %q", r.StoreID)}
	}
	if len(r.Items) == 0 {
		return &FieldError{"items", "at least one item is required"}
	}
	if len(r.Items) > MaxItems {
		return &FieldError{"items", fmt.Sprintf("at most %d items", MaxItems)}
	}
	for i, it := range r.Items {
		if !skuPattern.MatchString(it.SKU) {
			return &FieldError{fmt.Sprintf("items[%d].sku", i), "must be 1-64 lowercase letters, digits or dashes"}
		}
		if it.Quantity < MinQuantity || it.Quantity > MaxQuantity {
			return &FieldError{fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("must be between %d and %d, got %d", MinQuantity, MaxQuantity, it.Quantity)}
		}
	}
	for _, f := range []struct{ name, v string }{{"address.street", r.Address.Street}, {"address.city", r.Address.City}, {"address.postcode", r.Address.Postcode}} {
		if e := required(f.name, f.v); e != nil {
			return e
		}
	}
	return nil
}

// Order is the aggregate. The timestamps are when each saga step happened
// (the producing service's event time), zero until it has.
type Order struct {
	ID           string
	CustomerID   string
	StoreID      string
	Items        []events.Item
	Address      events.Address
	TotalCents   int64
	Status       events.Status
	CancelReason string
	PlacedAt     time.Time
	PaidAt       time.Time
	AcceptedAt   time.Time
	ReadyAt      time.Time
	PickedUpAt   time.Time
	DeliveredAt  time.Time
	CancelledAt  time.Time
	// Revision is the customer's latest revision of the quantities, nil
	// if none was asked for.
	Revision *Revision
}

// Revision states.
const (
	RevisionPending = "PENDING" // the payment service re-authorizes the new total
	RevisionApplied = "APPLIED" // the order has the revision's lines and total
	RevisionRefused = "REFUSED" // the order kept its lines and total (Reason says why)
)

// Revision is a customer's revision of an order's quantities.
type Revision struct {
	Number      int
	Items       []events.Item
	TotalCents  int64
	Status      string
	Reason      string
	RequestedAt time.Time
	DecidedAt   time.Time
}

// New builds a PLACED order of customer from a valid request.
func New(id, customer string, r Draft, now time.Time) Order {
	o := Order{ID: id, CustomerID: customer, StoreID: r.StoreID, Address: r.Address, Status: events.StatusPlaced, PlacedAt: now.UTC()}
	for _, it := range r.Items {
		p := PriceCents(it.SKU)
		o.Items = append(o.Items, events.Item{SKU: it.SKU, Quantity: it.Quantity, PriceCents: p})
		o.TotalCents += p * int64(it.Quantity)
	}
	return o
}

func (o Order) ref() events.OrderRef {
	basket := 0
	for _, it := range o.Items {
		basket += it.Quantity
	}
	return events.OrderRef{OrderID: o.ID, StoreID: o.StoreID, CustomerID: o.CustomerID, Basket: basket, Postcode: o.Address.Postcode}
}

// Placed returns the OrderPlaced event of a new order.
func (o Order) Placed() (events.Envelope, error) {
	return events.New(events.OrderPlaced, o.ID, o.PlacedAt, events.OrderPlacedData{
		OrderRef: o.ref(),
		Items:    o.Items, Address: o.Address, TotalCents: o.TotalCents,
	})
}

var rank = map[events.Status]int{
	events.StatusPlaced: 0, events.StatusPaid: 1, events.StatusAccepted: 2, events.StatusReady: 3,
	events.StatusPickedUp: 4, events.StatusDelivered: 5, events.StatusCancelled: 6,
}

// Apply records a saga event. Events from different topics can arrive out
// of order, so the status only moves forward and each timestamp is set
// once; a terminal order keeps its status. It returns the OrderCancelled
// event to publish when the event cancels the order.
func (o *Order) Apply(t events.Type, at time.Time, reason string) (cancel *events.Envelope, err error) {
	at = at.UTC()
	set := func(p *time.Time, s events.Status) {
		if p.IsZero() {
			*p = at
		}
		if !o.Status.Terminal() && rank[s] > rank[o.Status] {
			o.Status = s
		}
	}
	switch t {
	case events.PaymentAuthorized:
		set(&o.PaidAt, events.StatusPaid)
	case events.OrderAccepted:
		set(&o.AcceptedAt, events.StatusAccepted)
	case events.OrderReady:
		set(&o.ReadyAt, events.StatusReady)
	case events.OrderPickedUp:
		set(&o.PickedUpAt, events.StatusPickedUp)
	case events.OrderDelivered:
		set(&o.DeliveredAt, events.StatusDelivered)
	case events.PaymentDeclined, events.PaymentRefunded:
		if o.Status.Terminal() {
			return nil, nil
		}
		o.Status = events.StatusCancelled
		o.CancelledAt = at
		o.CancelReason = reason
		e, err := events.New(events.OrderCancelled, o.ID, at, events.OrderCancelledData{
			OrderRef: o.ref(), Reason: reason})
		if err != nil {
			return nil, err
		}
		return &e, nil
	case events.PaymentReauthorized, events.PaymentReauthorizationDeclined:
		// Handled by Decide, which needs the payload.
	case events.OrderRejected, events.CourierAssigned, events.OrderPlaced, events.OrderCancelled,
		events.OrderReleased, events.CourierReleased,
		events.OrderRevised, events.OrderRevisionApplied, events.OrderRevisionRefused:
		// Causes handled elsewhere (a rejection is followed by a refund) or
		// this service's own events.
	default:
		return nil, fmt.Errorf("order %s: unexpected event type %q", o.ID, t)
	}
	return nil, nil
}

// ErrPickedUp refuses a cancellation once the courier has the order.
var ErrPickedUp = errors.New("the order was picked up: it can no longer be cancelled")

// ErrCancelled refuses a change of an order that is cancelled already.
var ErrCancelled = errors.New("the order is cancelled")

// MaxReason bounds the reason a customer gives for a cancellation.
const MaxReason = maxText

// CustomerCancelReason is the stored reason of a customer's cancellation.
func CustomerCancelReason(given string) string {
	if strings.TrimSpace(given) == "" {
		return "cancelled by the customer"
	}
	return "cancelled by the customer: " + given
}

// ValidCancelReason checks the reason a customer gives (optional).
func ValidCancelReason(reason string) *FieldError {
	if len(reason) > maxText {
		return &FieldError{"reason", fmt.Sprintf("is longer than %d characters", maxText)}
	}
	return Text("reason", reason)
}

// Cancel is the customer cancelling the order before pickup: the order is
// CANCELLED at once (the order service decides, as the owner of the
// order's status) and the returned OrderCancelled, marked by_customer,
// starts the compensations: the payment service refunds, the store
// releases the slot, the delivery service the courier. After pickup it is
// ErrPickedUp; a cancelled order is ErrCancelled.
func (o *Order) Cancel(reason string, at time.Time) (events.Envelope, error) {
	switch {
	case o.Status == events.StatusCancelled:
		return events.Envelope{}, ErrCancelled
	case o.Status == events.StatusPickedUp || o.Status == events.StatusDelivered || !o.PickedUpAt.IsZero():
		return events.Envelope{}, ErrPickedUp
	}
	o.Status = events.StatusCancelled
	o.CancelledAt = at.UTC()
	o.CancelReason = CustomerCancelReason(reason)
	return events.New(events.OrderCancelled, o.ID, o.CancelledAt, events.OrderCancelledData{
		OrderRef: o.ref(), Reason: o.CancelReason, ByCustomer: true})
}

// ErrAccepted refuses a revision once the store accepted the order.
var ErrAccepted = errors.New("the store accepted the order: its quantities can no longer change")

// ErrRevisionPending refuses a revision while the previous one is decided.
var ErrRevisionPending = errors.New("a revision of the order is pending")

// Revise asks to change the order's quantities before the store accepts
// it: lines name the order's SKUs (each once) with their new quantities;
// a SKU left out is dropped. The order keeps its lines until the payment
// service re-authorized the new total (Decide); the returned OrderRevised
// asks for that.
func (o *Order) Revise(lines []Line, at time.Time) (events.Envelope, error) {
	switch {
	case o.Status == events.StatusCancelled:
		return events.Envelope{}, ErrCancelled
	case !o.AcceptedAt.IsZero() || o.Status != events.StatusPlaced && o.Status != events.StatusPaid:
		return events.Envelope{}, ErrAccepted
	case o.Revision != nil && o.Revision.Status == RevisionPending:
		return events.Envelope{}, ErrRevisionPending
	}
	price := map[string]int64{}
	for _, it := range o.Items {
		price[it.SKU] = it.PriceCents
	}
	r := Revision{Number: 1, Status: RevisionPending, RequestedAt: at.UTC()}
	if o.Revision != nil {
		r.Number = o.Revision.Number + 1
	}
	for _, l := range lines {
		r.Items = append(r.Items, events.Item{SKU: l.SKU, Quantity: l.Quantity, PriceCents: price[l.SKU]})
		r.TotalCents += price[l.SKU] * int64(l.Quantity)
	}
	o.Revision = &r
	return events.New(events.OrderRevised, o.ID, r.RequestedAt, events.OrderRevisedData{
		OrderRef: o.ref(), Revision: r.Number, Items: r.Items, TotalCents: r.TotalCents})
}

// ValidRevision checks revised lines against the order: at least one, each
// a SKU of the order named once, quantities in range.
func (o Order) ValidRevision(lines []Line) *FieldError {
	if len(lines) == 0 {
		return &FieldError{"items", "at least one item is required"}
	}
	has := map[string]bool{}
	for _, it := range o.Items {
		has[it.SKU] = true
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if !has[l.SKU] {
			return &FieldError{fmt.Sprintf("items[%d].sku", i), fmt.Sprintf("%q is not in the order: a revision changes quantities only", l.SKU)}
		}
		if seen[l.SKU] {
			return &FieldError{fmt.Sprintf("items[%d].sku", i), fmt.Sprintf("%q is named twice", l.SKU)}
		}
		seen[l.SKU] = true
		if l.Quantity < MinQuantity || l.Quantity > MaxQuantity {
			return &FieldError{fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("must be between %d and %d, got %d", MinQuantity, MaxQuantity, l.Quantity)}
		}
	}
	return nil
}

// Decide settles revision n on the payment service's answer: approved,
// the revision applies unless the store accepted the order (or it ended)
// meanwhile; declined, or too late, the order keeps its lines. It returns
// the event telling the payment service which authorization to void
// (none after a decline: there is no new one), or nil for an answer to a
// revision that is not pending (a duplicate).
func (o *Order) Decide(n int, approved bool, reason string, at time.Time) (*events.Envelope, error) {
	r := o.Revision
	if r == nil || r.Number != n || r.Status != RevisionPending {
		return nil, nil
	}
	r.DecidedAt = at.UTC()
	switch {
	case !approved:
		r.Status, r.Reason = RevisionRefused, "payment declined the new total: "+reason
		return nil, nil
	case !o.AcceptedAt.IsZero() || o.Status.Terminal():
		r.Status, r.Reason = RevisionRefused, "the store accepted the order first"
		if o.Status == events.StatusCancelled {
			r.Reason = "the order was cancelled"
		}
		e, err := events.New(events.OrderRevisionRefused, o.ID, r.DecidedAt, events.RevisionData{OrderRef: o.ref(), Revision: n, Reason: r.Reason})
		return &e, err
	}
	r.Status = RevisionApplied
	o.Items, o.TotalCents = r.Items, r.TotalCents
	e, err := events.New(events.OrderRevisionApplied, o.ID, r.DecidedAt, events.RevisionData{OrderRef: o.ref(), Revision: n})
	return &e, err
}

// Stage names of saga_stage_duration_seconds.
const (
	StagePlacedToPaid        = "placed_to_paid"
	StagePaidToAccepted      = "paid_to_accepted"
	StageAcceptedToReady     = "accepted_to_ready"
	StageReadyToPickedUp     = "ready_to_picked_up"
	StagePickedUpToDelivered = "picked_up_to_delivered"
	StagePlacedToDelivered   = "placed_to_delivered"
)

// StageNames lists every stage label value.
func StageNames() []string {
	return []string{StagePlacedToPaid, StagePaidToAccepted, StageAcceptedToReady, StageReadyToPickedUp, StagePickedUpToDelivered, StagePlacedToDelivered}
}

// StageDuration is one completed saga stage.
type StageDuration struct {
	Stage    string
	Duration time.Duration
}

// CompletedStages returns the stages whose both ends are known in after but
// not in before: each stage is observed exactly once whatever the order in
// which its events arrived.
func CompletedStages(before, after Order) []StageDuration {
	pairs := []struct {
		name     string
		from, to func(Order) time.Time
	}{
		{StagePlacedToPaid, func(o Order) time.Time { return o.PlacedAt }, func(o Order) time.Time { return o.PaidAt }},
		{StagePaidToAccepted, func(o Order) time.Time { return o.PaidAt }, func(o Order) time.Time { return o.AcceptedAt }},
		{StageAcceptedToReady, func(o Order) time.Time { return o.AcceptedAt }, func(o Order) time.Time { return o.ReadyAt }},
		{StageReadyToPickedUp, func(o Order) time.Time { return o.ReadyAt }, func(o Order) time.Time { return o.PickedUpAt }},
		{StagePickedUpToDelivered, func(o Order) time.Time { return o.PickedUpAt }, func(o Order) time.Time { return o.DeliveredAt }},
		{StagePlacedToDelivered, func(o Order) time.Time { return o.PlacedAt }, func(o Order) time.Time { return o.DeliveredAt }},
	}
	var out []StageDuration
	for _, p := range pairs {
		had := !p.from(before).IsZero() && !p.to(before).IsZero()
		has := !p.from(after).IsZero() && !p.to(after).IsZero()
		if has && !had {
			out = append(out, StageDuration{p.name, max(0, p.to(after).Sub(p.from(after)))})
		}
	}
	return out
}
