// Package apiclient is the one Go client of the platform's public API
// (docs/CONTRACTS.md): place, read and list orders on the order API, and
// follow the notification service's status streams, resuming with
// Last-Event-ID when a stream drops. The demo (internal/devstack), the load
// harness (internal/load) and the end-to-end tests use it, so the wire
// shapes live here and in services/events, once.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// Item is one order line of a request.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// OrderRequest is the body of POST /v1/orders
// (api/schemas/OrderRequest.schema.json). The customer is not in it:
// the order API takes the customer from the bearer token.
type OrderRequest struct {
	StoreID string         `json:"store_id"`
	Items   []Item         `json:"items"`
	Address events.Address `json:"address"`
}

// CancelRequest is the optional body of POST /v1/orders/{id}/cancel
// (api/schemas/CancelRequest.schema.json).
type CancelRequest struct {
	Reason string `json:"reason,omitempty"` // kept with the order: "cancelled by the customer: <reason>"
}

// Order is an order as POST /v1/orders, GET /v1/orders/{id} and the list
// answer it (api/schemas/Order.schema.json). The timestamps are when each
// saga step happened, absent until it has.
type Order struct {
	ID           string         `json:"id"`
	CustomerID   string         `json:"customer_id"`
	StoreID      string         `json:"store_id"`
	Items        []events.Item  `json:"items"`
	Address      events.Address `json:"address"`
	TotalCents   int64          `json:"total_cents"`
	Status       events.Status  `json:"status"`
	CancelReason string         `json:"cancel_reason,omitempty"`
	PlacedAt     time.Time      `json:"placed_at"`
	PaidAt       time.Time      `json:"paid_at,omitzero"`
	AcceptedAt   time.Time      `json:"accepted_at,omitzero"`
	ReadyAt      time.Time      `json:"ready_at,omitzero"`
	PickedUpAt   time.Time      `json:"picked_up_at,omitzero"`
	DeliveredAt  time.Time      `json:"delivered_at,omitzero"`
	CancelledAt  time.Time      `json:"cancelled_at,omitzero"`
	// Revision is the customer's latest revision of the quantities, absent
	// if none was asked for.
	Revision *Revision `json:"revision,omitempty"`
	// ETA is the order's latest predicted delivery time, absent until the
	// eta service made one.
	ETA *ETA `json:"eta,omitempty"`
}

// ETA is an order's latest delivery-time prediction (the eta service's
// EtaUpdated), the shape the order stream's eta events carry too.
type ETA = events.OrderETA

// Revision is an order's latest revision (api/schemas/Order.schema.json):
// PENDING while the payment service re-authorizes the new total, APPLIED
// once the order has its lines and total, REFUSED (with the reason) when
// the order kept its own.
type Revision struct {
	Number      int           `json:"number"`
	Items       []events.Item `json:"items"`
	TotalCents  int64         `json:"total_cents"`
	Status      string        `json:"status" jsonschema:"enum=PENDING,enum=APPLIED,enum=REFUSED"`
	Reason      string        `json:"reason,omitempty"`
	RequestedAt time.Time     `json:"requested_at"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
}

// Revision statuses (Revision.Status).
const (
	RevisionPending = "PENDING"
	RevisionApplied = "APPLIED"
	RevisionRefused = "REFUSED"
)

// ReviseRequest is the body of POST /v1/orders/{id}/revise
// (api/schemas/ReviseRequest.schema.json): the order's SKUs with their new
// quantities; a SKU left out is dropped.
type ReviseRequest struct {
	Items []Item `json:"items"`
}

// OrderPage is one page of GET /v1/orders.
type OrderPage struct {
	Orders        []Order `json:"orders"`
	NextPageToken string  `json:"next_page_token,omitempty"`
}

// HTTPError is an answer with an unexpected status.
type HTTPError struct {
	Op     string // "POST /v1/orders"
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: answered %d: %s", e.Op, e.Status, e.Body)
}

// Kind groups failures by status code (the load report's rows).
func (e *HTTPError) Kind() string { return fmt.Sprintf("http %d", e.Status) }

// Shed reports a refusal by the order API's admission control: a 503
// whose problem body names a reason (docs/CONTRACTS.md). A 503 without
// one (a storage outage) is an error.
func (e *HTTPError) Shed() bool {
	if e.Status != http.StatusServiceUnavailable {
		return false
	}
	var p struct {
		Reason string `json:"reason"`
	}
	return json.Unmarshal([]byte(e.Body), &p) == nil && p.Reason != ""
}

// Client calls the order API at OrderURL and the streams at StreamURL.
// HTTP sends the caller's credentials (a client with a bearer token, see
// services/devissuer's Authorize); a request's Token, when set, overrides
// them for that request.
type Client struct {
	OrderURL  string
	StreamURL string
	HTTP      *http.Client
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// maxBody bounds what is read of an answer.
const maxBody = 1 << 20

// do sends one request; header adds headers (Idempotency-Key) and a
// non-empty token replaces the client's Authorization.
func (c *Client) do(ctx context.Context, method, base, path, token string, header map[string]string, body any, want int, out any) error {
	op := method + " " + path
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode != want {
		return &HTTPError{Op: op, Status: resp.StatusCode, Body: strings.TrimSpace(string(data))}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &HTTPError{Op: op, Status: resp.StatusCode, Body: "undecodable answer: " + strings.TrimSpace(string(data))}
	}
	return nil
}

// Place is one POST /v1/orders.
type Place struct {
	Key   string // Idempotency-Key: the same key places the order once
	Token string // bearer token of the customer; empty: HTTP's credentials
	Order OrderRequest
}

// PlaceOrder places an order and returns its id.
func (c *Client) PlaceOrder(ctx context.Context, p Place) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	hdr := map[string]string{"Idempotency-Key": p.Key}
	if err := c.do(ctx, http.MethodPost, c.OrderURL, "/v1/orders", p.Token, hdr, p.Order, http.StatusCreated, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &HTTPError{Op: "POST /v1/orders", Status: http.StatusCreated, Body: "no order id in the answer"}
	}
	return out.ID, nil
}

// GetOrder reads one order.
func (c *Client) GetOrder(ctx context.Context, id string) (Order, error) {
	var o Order
	err := c.do(ctx, http.MethodGet, c.OrderURL, "/v1/orders/"+url.PathEscape(id), "", nil, nil, http.StatusOK, &o)
	return o, err
}

// ListOrders reads one page of the caller's orders; query holds store,
// status, page_size and page_token as the API takes them.
func (c *Client) ListOrders(ctx context.Context, query url.Values) (OrderPage, error) {
	var p OrderPage
	path := "/v1/orders"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	err := c.do(ctx, http.MethodGet, c.OrderURL, path, "", nil, nil, http.StatusOK, &p)
	return p, err
}

// Cancel is one POST /v1/orders/{id}/cancel.
type Cancel struct {
	OrderID string
	Key     string // Idempotency-Key: a retry with the same key replays the answer
	Token   string // bearer token of the order's customer; empty: HTTP's credentials
	Reason  string // optional
}

// CancelOrder cancels an order before pickup and returns it CANCELLED; the
// refund and the releases follow (docs/CONTRACTS.md, "Cancel"). After
// pickup the answer is an *HTTPError with status 409.
func (c *Client) CancelOrder(ctx context.Context, p Cancel) (Order, error) {
	var o Order
	hdr := map[string]string{"Idempotency-Key": p.Key}
	err := c.do(ctx, http.MethodPost, c.OrderURL, "/v1/orders/"+url.PathEscape(p.OrderID)+"/cancel", p.Token, hdr, CancelRequest{Reason: p.Reason}, http.StatusOK, &o)
	return o, err
}

// Revise is one POST /v1/orders/{id}/revise.
type Revise struct {
	OrderID string
	Key     string // Idempotency-Key
	Token   string // bearer token of the order's customer; empty: HTTP's credentials
	Items   []Item
}

// ReviseOrder asks for new quantities before the store accepts the order
// and returns it with its revision PENDING; GetOrder shows the revision
// APPLIED or REFUSED once the payment service answered. After the store
// accepted, the answer is an *HTTPError with status 409.
func (c *Client) ReviseOrder(ctx context.Context, p Revise) (Order, error) {
	var o Order
	hdr := map[string]string{"Idempotency-Key": p.Key}
	err := c.do(ctx, http.MethodPost, c.OrderURL, "/v1/orders/"+url.PathEscape(p.OrderID)+"/revise", p.Token, hdr, ReviseRequest{Items: p.Items}, http.StatusAccepted, &o)
	return o, err
}
