// Package events is the contract between the order services: the topics, the
// event types, the JSON envelope (CloudEvents attributes plus data) and the
// payloads. Every service and the load harness import it, so a change here is
// a change of the wire format and must stay backward compatible within a
// topic version (add optional fields, never rename or remove).
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Topics, one per producing service. The ".v1" suffix is the wire version:
// an incompatible change gets a new topic and both run side by side.
const (
	TopicOrder    = "order.events.v1"
	TopicPayment  = "payment.events.v1"
	TopicStore    = "store.events.v1"
	TopicDelivery = "delivery.events.v1"
	TopicETA      = "eta.events.v1"
	// TopicCatalog carries the catalog's StoreUpdated and MenuUpdated,
	// keyed by the store id (catalog.go). It is not in AllTopics yet: the
	// order pipeline's consumers (notification reads AllTopics) take order
	// events only, and no service consumes it until the order service's
	// read model does.
	TopicCatalog = "catalog.events.v1"
)

// Partitions is the partition count of every topic, in every environment.
const Partitions = 12

// DLQ returns the dead-letter topic of topic.
func DLQ(topic string) string { return topic + ".dlq" }

// AllTopics lists the event topics (without dead-letter topics).
func AllTopics() []string {
	return []string{TopicOrder, TopicPayment, TopicStore, TopicDelivery, TopicETA}
}

// AllTopicsWithDLQ lists every topic the platform needs, dead letters included.
func AllTopicsWithDLQ() []string {
	var out []string
	for _, t := range AllTopics() {
		out = append(out, t, DLQ(t))
	}
	return out
}

// Type is the CloudEvents "type" of an event.
type Type string

// The event types, grouped by the topic that carries them.
const (
	OrderPlaced       Type = "OrderPlaced"
	OrderCancelled    Type = "OrderCancelled"
	PaymentAuthorized Type = "PaymentAuthorized"
	PaymentDeclined   Type = "PaymentDeclined"
	PaymentRefunded   Type = "PaymentRefunded"
	OrderAccepted     Type = "OrderAccepted"
	OrderRejected     Type = "OrderRejected"
	OrderReady        Type = "OrderReady"
	CourierAssigned   Type = "CourierAssigned"
	OrderPickedUp     Type = "OrderPickedUp"
	OrderDelivered    Type = "OrderDelivered"
	// The compensations of a customer's cancellation (docs/CONTRACTS.md,
	// "Cancel"): the store gave up the order's slot, the courier was
	// released before pickup.
	OrderReleased   Type = "OrderReleased"
	CourierReleased Type = "CourierReleased"
	// A customer's revision of the quantities ("Revise"): the order
	// service asks (OrderRevised), the payment service re-authorizes the
	// new total beside the original authorization (PaymentReauthorized,
	// or PaymentReauthorizationDeclined), the order service decides
	// (OrderRevisionApplied: the original authorization is voided;
	// OrderRevisionRefused: the new one is).
	OrderRevised                   Type = "OrderRevised"
	OrderRevisionApplied           Type = "OrderRevisionApplied"
	OrderRevisionRefused           Type = "OrderRevisionRefused"
	PaymentReauthorized            Type = "PaymentReauthorized"
	PaymentReauthorizationDeclined Type = "PaymentReauthorizationDeclined"
	// The eta service's delivery-time prediction for an order.
	EtaUpdated Type = "EtaUpdated"
	// The catalog's store and menu changes.
	StoreUpdated Type = "StoreUpdated"
	MenuUpdated  Type = "MenuUpdated"
)

var topicOf = map[Type]string{
	OrderPlaced: TopicOrder, OrderCancelled: TopicOrder,
	OrderRevised: TopicOrder, OrderRevisionApplied: TopicOrder, OrderRevisionRefused: TopicOrder,
	PaymentAuthorized: TopicPayment, PaymentDeclined: TopicPayment, PaymentRefunded: TopicPayment,
	PaymentReauthorized: TopicPayment, PaymentReauthorizationDeclined: TopicPayment,
	OrderAccepted: TopicStore, OrderRejected: TopicStore, OrderReady: TopicStore, OrderReleased: TopicStore,
	CourierAssigned: TopicDelivery, OrderPickedUp: TopicDelivery, OrderDelivered: TopicDelivery, CourierReleased: TopicDelivery,
	EtaUpdated:   TopicETA,
	StoreUpdated: TopicCatalog, MenuUpdated: TopicCatalog,
}

// dataOf is the payload type of each event type (api/events holds their
// JSON Schemas, made from these types).
var dataOf = map[Type]any{
	OrderPlaced: OrderPlacedData{}, OrderCancelled: OrderCancelledData{},
	OrderRevised: OrderRevisedData{}, OrderRevisionApplied: RevisionData{}, OrderRevisionRefused: RevisionData{},
	PaymentAuthorized: PaymentData{}, PaymentDeclined: PaymentData{}, PaymentRefunded: PaymentData{},
	PaymentReauthorized: PaymentData{}, PaymentReauthorizationDeclined: PaymentData{},
	OrderAccepted: StoreData{}, OrderRejected: StoreData{}, OrderReady: StoreData{}, OrderReleased: StoreData{},
	CourierAssigned: DeliveryData{}, OrderPickedUp: DeliveryData{}, OrderDelivered: DeliveryData{}, CourierReleased: DeliveryData{},
	EtaUpdated:   EtaData{},
	StoreUpdated: StoreUpdatedData{}, MenuUpdated: MenuUpdatedData{},
}

// AllTypes lists the event types, sorted.
func AllTypes() []Type {
	return slices.Sorted(maps.Keys(topicOf))
}

// DataOf returns the zero value of the payload type of events of type t.
func DataOf(t Type) (any, bool) {
	d, ok := dataOf[t]
	return d, ok
}

// sourceOf is the CloudEvents "source" of each topic's producer.
var sourceOf = map[string]string{
	TopicOrder: "/services/order", TopicPayment: "/services/payment",
	TopicStore: "/services/store", TopicDelivery: "/services/delivery",
	TopicETA:     "/services/eta",
	TopicCatalog: "/services/catalog",
}

// Status is an order status as the app sees it.
type Status string

// The order statuses. DELIVERED and CANCELLED are terminal.
const (
	StatusPlaced    Status = "PLACED"
	StatusPaid      Status = "PAID"
	StatusAccepted  Status = "ACCEPTED"
	StatusReady     Status = "READY"
	StatusPickedUp  Status = "PICKED_UP"
	StatusDelivered Status = "DELIVERED"
	StatusCancelled Status = "CANCELLED"
)

// AllStatuses lists the statuses in saga order.
func AllStatuses() []Status {
	return []Status{StatusPlaced, StatusPaid, StatusAccepted, StatusReady, StatusPickedUp, StatusDelivered, StatusCancelled}
}

// Terminal reports whether no further status change can follow s.
func (s Status) Terminal() bool { return s == StatusDelivered || s == StatusCancelled }

// StatusOf maps the event types that announce a status change to that
// status. Events that are causes rather than changes (PaymentDeclined,
// OrderRejected, PaymentRefunded, CourierAssigned, OrderReleased,
// CourierReleased) map to nothing: the
// order service turns them into OrderCancelled where needed.
func StatusOf(t Type) (Status, bool) {
	switch t {
	case OrderPlaced:
		return StatusPlaced, true
	case PaymentAuthorized:
		return StatusPaid, true
	case OrderAccepted:
		return StatusAccepted, true
	case OrderReady:
		return StatusReady, true
	case OrderPickedUp:
		return StatusPickedUp, true
	case OrderDelivered:
		return StatusDelivered, true
	case OrderCancelled:
		return StatusCancelled, true
	}
	return "", false
}

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// DataVersion is the version of the payload schemas; consumers accept
// every version up to this one.
const DataVersion = 1

// Envelope is one event on the wire: the CloudEvents attributes and the
// type-specific data. Subject is the order id, which is also the Kafka key
// (on TopicCatalog: the store id).
type Envelope struct {
	ID          string          `json:"id"`
	Type        Type            `json:"type"`
	Source      string          `json:"source"`
	SpecVersion string          `json:"specversion"`
	Time        time.Time       `json:"time"`
	Subject     string          `json:"subject"`
	DataVersion int             `json:"dataversion"`
	Data        json.RawMessage `json:"data"`
}

// Topic returns the topic this envelope belongs on.
func (e Envelope) Topic() string { return topicOf[e.Type] }

// New builds an envelope of type t about order orderID, happening at at.
func New(t Type, orderID string, at time.Time, data any) (Envelope, error) {
	topic, ok := topicOf[t]
	if !ok {
		return Envelope{}, fmt.Errorf("events: unknown type %q", t)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("events: encode %s data: %w", t, err)
	}
	return Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Type: t, Source: sourceOf[topic], SpecVersion: SpecVersion,
		Time: at.UTC(), Subject: orderID, DataVersion: DataVersion, Data: raw,
	}, nil
}

// Encode returns the JSON form of e.
func Encode(e Envelope) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("events: encode envelope %s: %w", e.ID, err)
	}
	return b, nil
}

// DecodeError says why bytes are not a valid event; Field names the
// offending attribute so a dead letter carries a useful reason.
type DecodeError struct {
	Field  string
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "events: " + e.Reason
	}
	return fmt.Sprintf("events: field %q: %s", e.Field, e.Reason)
}

// MaxEventSize bounds an encoded envelope; larger messages are rejected.
const MaxEventSize = 1 << 20

// Decode parses and validates an envelope. Unknown envelope attributes are
// ignored (CloudEvents extensions), but every required attribute must be
// present, the type known, the data a JSON object and the data version not
// newer than this build understands.
func Decode(b []byte) (Envelope, error) {
	if len(b) > MaxEventSize {
		return Envelope{}, &DecodeError{Reason: fmt.Sprintf("event of %d bytes exceeds %d", len(b), MaxEventSize)}
	}
	var e Envelope
	// json.Unmarshal also rejects trailing data after the object.
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, &DecodeError{Reason: "malformed JSON: " + err.Error()}
	}
	switch {
	case e.ID == "":
		return Envelope{}, &DecodeError{Field: "id", Reason: "required"}
	case e.SpecVersion != SpecVersion:
		return Envelope{}, &DecodeError{Field: "specversion", Reason: fmt.Sprintf("want %q, got %q", SpecVersion, e.SpecVersion)}
	case e.Source == "":
		return Envelope{}, &DecodeError{Field: "source", Reason: "required"}
	case e.Subject == "":
		return Envelope{}, &DecodeError{Field: "subject", Reason: "required (the order id)"}
	case e.Time.IsZero():
		return Envelope{}, &DecodeError{Field: "time", Reason: "required"}
	case e.DataVersion < 1 || e.DataVersion > DataVersion:
		return Envelope{}, &DecodeError{Field: "dataversion", Reason: fmt.Sprintf("unsupported version %d (know 1..%d)", e.DataVersion, DataVersion)}
	}
	if _, ok := topicOf[e.Type]; !ok {
		return Envelope{}, &DecodeError{Field: "type", Reason: fmt.Sprintf("unknown event type %q", e.Type)}
	}
	if d := bytes.TrimSpace(e.Data); len(d) == 0 || d[0] != '{' {
		return Envelope{}, &DecodeError{Field: "data", Reason: "must be a JSON object"}
	}
	return e, nil
}

// DecodeData unmarshals the envelope's data into a payload, rejecting
// payloads whose order id disagrees with the envelope subject.
func DecodeData[T interface{ orderID() string }](e Envelope) (T, error) {
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, &DecodeError{Field: "data", Reason: fmt.Sprintf("%s payload: %v", e.Type, err)}
	}
	if id := v.orderID(); id != e.Subject {
		return v, &DecodeError{Field: "data.order_id", Reason: fmt.Sprintf("%q does not match subject %q", id, e.Subject)}
	}
	return v, nil
}

// Item is one line of an order.
type Item struct {
	SKU        string `json:"sku"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"price_cents"`
}

// Address is where an order goes.
type Address struct {
	Street   string `json:"street"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
}

// OrderRef identifies the order an event is about; every payload embeds it.
// CustomerID is the order's customer (the verified token's subject at
// POST): OrderPlaced always carries it, and every service copies the ref it
// consumed into the events it produces, so the status events carry it too
// and the notification service can serve a stream to its customer only. It
// is optional on the wire: events written before it existed lack it.
//
// Basket (the items ordered, quantities summed) and Postcode (the drop-off's)
// are the order as the store and the couriers meet it: the order service
// sets them on OrderPlaced and every service copies them on, so the store
// and delivery simulators draw their times for the same basket and address
// the eta service predicts from. Optional too: events written before them
// lack them (the simulators then draw both from the order id).
type OrderRef struct {
	OrderID    string `json:"order_id"`
	StoreID    string `json:"store_id"`
	CustomerID string `json:"customer_id,omitempty"`
	Basket     int    `json:"basket,omitempty"`
	Postcode   string `json:"postcode,omitempty"`
}

func (r OrderRef) orderID() string { return r.OrderID }

// OrderPlacedData is the payload of OrderPlaced.
type OrderPlacedData struct {
	OrderRef           // with CustomerID set
	Items      []Item  `json:"items"`
	Address    Address `json:"address"`
	TotalCents int64   `json:"total_cents"`
}

// OrderCancelledData is the payload of OrderCancelled.
type OrderCancelledData struct {
	OrderRef
	Reason string `json:"reason"`
	// ByCustomer marks a cancellation the customer asked for: the payment
	// service refunds it, the store releases the slot, the courier is
	// released. Without it the cancellation follows a decline or a
	// refund, already compensated.
	ByCustomer bool `json:"by_customer,omitempty"`
}

// PaymentData is the payload of PaymentAuthorized, PaymentDeclined,
// PaymentRefunded, PaymentReauthorized and PaymentReauthorizationDeclined
// (these two carry the revision they answer).
type PaymentData struct {
	OrderRef
	AmountCents int64  `json:"amount_cents"`
	PaymentID   string `json:"payment_id,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Revision    int    `json:"revision,omitempty"`
}

// OrderRevisedData is the payload of OrderRevised: revision Revision (1,
// 2, ...) of the order's lines and its new total.
type OrderRevisedData struct {
	OrderRef
	Revision   int    `json:"revision"`
	Items      []Item `json:"items"`
	TotalCents int64  `json:"total_cents"`
}

// RevisionData is the payload of OrderRevisionApplied and
// OrderRevisionRefused.
type RevisionData struct {
	OrderRef
	Revision int    `json:"revision"`
	Reason   string `json:"reason,omitempty"`
}

// StoreData is the payload of OrderAccepted, OrderRejected, OrderReady and
// OrderReleased.
type StoreData struct {
	OrderRef
	Reason string `json:"reason,omitempty"`
}

// DeliveryData is the payload of CourierAssigned, OrderPickedUp,
// OrderDelivered and CourierReleased.
type DeliveryData struct {
	OrderRef
	CourierID string `json:"courier_id"`
}

// EtaUpdated steps: the point of the saga a prediction was made at.
const (
	EtaStepPlaced          = "placed"
	EtaStepAccepted        = "accepted"
	EtaStepReady           = "ready"
	EtaStepCourierAssigned = "courier_assigned"
	EtaStepPickedUp        = "picked_up"
)

// EtaData is the payload of EtaUpdated: the predicted delivery time of an
// order made at one step, as a median and a P10-P90 interval (wall times),
// and the model version that made it.
type EtaData struct {
	OrderRef
	Step         string    `json:"step"`
	ModelVersion string    `json:"model_version"`
	ETA          time.Time `json:"eta"`
	ETAP10       time.Time `json:"eta_p10"`
	ETAP90       time.Time `json:"eta_p90"`
	// RemainingS is the median time left to delivery in world seconds
	// (the simulated world runs faster than the wall clock).
	RemainingS float64 `json:"remaining_s"`
}

// OrderETA is an order's latest predicted delivery time as its customer
// sees it: the order API's `eta` (services/apiclient.ETA) and the data of
// an `eta` event on the order's status stream. At is the median, P10-P90
// the interval (wall times); Step the point of the saga it was made at
// (the EtaStep constants), MadeAt when, ModelVersion by which model.
type OrderETA struct {
	At           time.Time `json:"at"`
	P10          time.Time `json:"p10"`
	P90          time.Time `json:"p90"`
	Step         string    `json:"step" jsonschema:"enum=placed,enum=accepted,enum=ready,enum=courier_assigned,enum=picked_up"`
	MadeAt       time.Time `json:"made_at"`
	ModelVersion string    `json:"model_version"`
}

// StreamEventETA is the SSE event name of an OrderETA on an order's status
// stream (a status change's event name is its status).
const StreamEventETA = "eta"

// ETAOf is the OrderETA of an EtaUpdated made at madeAt (its event time).
func ETAOf(d EtaData, madeAt time.Time) OrderETA {
	return OrderETA{At: d.ETA, P10: d.ETAP10, P90: d.ETAP90, Step: d.Step, MadeAt: madeAt, ModelVersion: d.ModelVersion}
}

// StatusChange is the data of one status-stream event (GET /v1/stream,
// GET /v1/orders/{id}/stream): the notification service writes it, and
// services/apiclient reads it for the demo, the load harness and the tests.
type StatusChange struct {
	OrderID string    `json:"order_id"`
	Status  Status    `json:"status"`
	Time    time.Time `json:"time"`
	Seq     int64     `json:"seq"`
	// CustomerID is the order's customer when the event carried it; the
	// notification service keeps it per order and never streams it.
	CustomerID string `json:"-"`
}

// Incoming is one consumed event as the services' apps take it: the event
// and the context it is processed in (carrying its trace). The broker's
// delivery type stays in the transport (services/internal/kafka).
type Incoming struct {
	Ctx   context.Context
	Event Envelope
}

// Headers are the Kafka header keys the services set besides traceparent.
const (
	HeaderType         = "ce_type"
	HeaderID           = "ce_id"
	HeaderDLQReason    = "dlq_reason"
	HeaderDLQTopic     = "dlq_original_topic"
	HeaderDLQPartition = "dlq_original_partition"
	HeaderDLQOffset    = "dlq_original_offset"
	HeaderDLQConsumer  = "dlq_consumer"
)

// IsDecodeError reports whether err is (or wraps) a DecodeError: such
// messages can never succeed and go straight to the dead-letter topic.
func IsDecodeError(err error) bool {
	var de *DecodeError
	return errors.As(err, &de)
}
