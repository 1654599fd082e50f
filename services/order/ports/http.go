// Package ports exposes the order app: the HTTP API of docs/CONTRACTS.md
// and the Kafka event handler, and the service spec that wires them.
package ports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// RequestError is a bad request: the status to answer and the field at fault.
type RequestError struct {
	Status int
	Field  string
	Detail string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Field, e.Detail) }

// DecodePlaceRequest reads and validates a POST /v1/orders body: at most
// MaxBodyBytes, exactly one JSON object, every key written exactly as
// documented and at most once, no unknown fields, no customer_id (the
// customer is the token's subject), valid values. Every failure is a
// *RequestError naming the field. It returns the draft and the body's
// fingerprint.
func DecodePlaceRequest(body io.Reader) (domain.Draft, string, *RequestError) {
	var req apiclient.OrderRequest
	if rerr := decodeStrict(body, &req); rerr != nil {
		return domain.Draft{}, "", rerr
	}
	d := draftOf(req)
	if ferr := d.Validate(); ferr != nil {
		return d, "", &RequestError{http.StatusUnprocessableEntity, ferr.Field, ferr.Reason}
	}
	return d, fingerprint(req), nil
}

// decodeStrict reads one JSON object of at most MaxBodyBytes into v with
// the rules of DecodePlaceRequest.
func decodeStrict(body io.Reader, v any) *RequestError {
	raw, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		return &RequestError{http.StatusBadRequest, "body", "cannot read body: " + err.Error()}
	}
	if len(raw) > MaxBodyBytes {
		return &RequestError{http.StatusRequestEntityTooLarge, "body", fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes)}
	}
	if rerr := checkKeys(raw); rerr != nil {
		return rerr
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &RequestError{http.StatusBadRequest, "body", "trailing data after the JSON object"}
	}
	return nil
}

func jsonError(err error) *RequestError {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return &RequestError{http.StatusBadRequest, "body", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &RequestError{http.StatusBadRequest, field, fmt.Sprintf("must be %s, got %s", typ.Type, typ.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &RequestError{http.StatusBadRequest, "body", "empty or truncated JSON body"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name := strings.Trim(f, `"`)
		if name == "" {
			return &RequestError{http.StatusBadRequest, "body", `unknown field ""`}
		}
		if name == "customer_id" {
			return &RequestError{http.StatusBadRequest, name, "the customer is the bearer token's subject: remove customer_id from the body"}
		}
		return &RequestError{http.StatusBadRequest, name, "unknown field"}
	}
	return &RequestError{http.StatusBadRequest, "body", msg}
}

// DefaultStoreReadScope is the scope that lists a store's orders (the
// Cognito resource server "orders"; store operators' clients hold it).
const DefaultStoreReadScope = "orders/store.read"

// API serves the order endpoints. Every endpoint acts for the verified
// caller (auth.FromContext): the customer is the token's subject.
type API struct {
	App *app.App
	// Guard verifies the bearer token; nil (AUTH_ISSUER unset) identifies
	// nobody, so every endpoint answers 401.
	Guard *auth.Guard
	// Admission sheds new orders while the pipeline holds more than it can
	// finish in time; nil admits every order.
	Admission *admission.Gate
	// StoreReadScope lets its holders list a store's orders and read any
	// order.
	StoreReadScope string
	// Log receives the cause of every 5xx answer.
	Log *slog.Logger
}

// Routes returns the API's ServeMux patterns.
func (a API) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /v1/orders":             a.Admission.Front(a.Guard.Require(a.Admission.Middleware(a.place, a.retried))),
		"POST /v1/orders/{id}/cancel": a.Guard.Require(a.cancel),
		"POST /v1/orders/{id}/revise": a.Guard.Require(a.revise),
		"GET /v1/orders/{id}":         a.Guard.Require(a.get),
		"GET /v1/orders":              a.Guard.Require(a.list),
	}
}

func problem(w http.ResponseWriter, e *RequestError) {
	httpserver.Problem(w, e.Status, http.StatusText(e.Status), e.Detail, e.Field)
}

// storageFailed answers a storage error: a transient one (connection lost,
// timeout, failover) is 503 with Retry-After, and retrying with the same
// Idempotency-Key is safe; a permanent one (the database refuses the data
// or the statement) would fail again, so it is a 500 the client must not
// retry. Either way the cause is logged, never sent.
func (a API) storageFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	status, detail := http.StatusServiceUnavailable, "could not "+what+", retry later"
	if storage.Permanent(err) {
		status, detail = http.StatusInternalServerError, "could not "+what+" (not a transient failure: retrying will not help)"
	} else {
		w.Header().Set("Retry-After", "1")
	}
	if a.Log != nil {
		a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err.Error())
	}
	httpserver.Problem(w, status, http.StatusText(status), detail, "")
}

// caller returns the verified identity, or answers 401.
func caller(w http.ResponseWriter, r *http.Request) (auth.Identity, bool) {
	id, ok := auth.FromContext(r.Context())
	if !ok {
		auth.Unauthenticated(w)
	}
	return id, ok
}

// retried lets a shed POST through when it retries one already accepted
// (same customer and Idempotency-Key): it adds no work, and its client
// gets the original order (within the gate's bypass budget; over it, a 503
// it retries). A failed lookup sheds it.
func (a API) retried(r *http.Request) bool {
	who, ok := auth.FromContext(r.Context())
	key := r.Header.Get("Idempotency-Key")
	if !ok || key == "" || len(key) > MaxKeyLen {
		return false
	}
	found, err := a.App.Accepted(r.Context(), who.Subject, key)
	return err == nil && found
}

// MaxKeyLen bounds the Idempotency-Key header.
const MaxKeyLen = 255

func (a API) place(w http.ResponseWriter, r *http.Request) {
	who, ok := caller(w, r)
	if !ok {
		return
	}
	if ferr := domain.ValidCustomer(who.Subject); ferr != nil {
		problem(w, &RequestError{http.StatusUnprocessableEntity, "Authorization", "the token's subject cannot name a customer: " + ferr.Reason})
		return
	}
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	draft, fp, rerr := DecodePlaceRequest(r.Body)
	if rerr != nil {
		problem(w, rerr)
		return
	}
	res, err := a.App.Place(r.Context(), app.Place{Customer: who.Subject, Key: key, Fingerprint: fp, Draft: draft})
	if errors.Is(err, app.ErrConflict) {
		problem(w, &RequestError{http.StatusConflict, "Idempotency-Key", err.Error()})
		return
	}
	if err != nil {
		a.storageFailed(w, r, "store the order", err)
		return
	}
	answer(w, res)
}

// idempotencyKey checks the JSON content type (when one is sent) and reads
// the Idempotency-Key header every changing request carries, or answers
// the problem.
func idempotencyKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			problem(w, &RequestError{http.StatusUnsupportedMediaType, "Content-Type", "must be application/json"})
			return "", false
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > MaxKeyLen {
		problem(w, &RequestError{http.StatusBadRequest, "Idempotency-Key", fmt.Sprintf("header is required (1-%d characters)", MaxKeyLen)})
		return "", false
	}
	if ferr := domain.Text("Idempotency-Key", key); ferr != nil {
		problem(w, &RequestError{http.StatusBadRequest, ferr.Field, ferr.Reason})
		return "", false
	}
	return key, true
}

// answer writes an idempotent request's stored or fresh answer.
func answer(w http.ResponseWriter, res app.PlaceResult) {
	w.Header().Set("Content-Type", "application/json")
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Body)
}

// cancel serves POST /v1/orders/{id}/cancel: the order's customer cancels
// it before pickup. Someone else's order is 404 as for GET; after pickup
// (or once cancelled) it is 409.
func (a API) cancel(w http.ResponseWriter, r *http.Request) {
	who, ok := caller(w, r)
	if !ok {
		return
	}
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	notFound := &RequestError{http.StatusNotFound, "id", fmt.Sprintf("no order %q", id)}
	if domain.Text("id", id) != nil {
		problem(w, notFound)
		return
	}
	var req apiclient.CancelRequest
	if rerr := decodeOptional(r.Body, &req); rerr != nil {
		problem(w, rerr)
		return
	}
	if ferr := domain.ValidCancelReason(req.Reason); ferr != nil {
		problem(w, &RequestError{http.StatusUnprocessableEntity, ferr.Field, ferr.Reason})
		return
	}
	res, err := a.App.Cancel(r.Context(), app.Cancel{Customer: who.Subject, Key: key, Fingerprint: fingerprint(struct {
		Op, ID string
		Body   apiclient.CancelRequest
	}{"cancel", id, req}), OrderID: id, Reason: req.Reason})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		problem(w, notFound)
	case errors.Is(err, app.ErrConflict):
		problem(w, &RequestError{http.StatusConflict, "Idempotency-Key", err.Error()})
	case errors.Is(err, domain.ErrPickedUp), errors.Is(err, domain.ErrCancelled):
		problem(w, &RequestError{http.StatusConflict, "id", err.Error()})
	case err != nil:
		a.storageFailed(w, r, "cancel the order", err)
	default:
		answer(w, res)
	}
}

// revise serves POST /v1/orders/{id}/revise: the order's customer changes
// its quantities before the store accepts it (202: the payment service
// decides). Someone else's order is 404; after acceptance, once cancelled
// or while a revision is pending, 409.
func (a API) revise(w http.ResponseWriter, r *http.Request) {
	who, ok := caller(w, r)
	if !ok {
		return
	}
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	notFound := &RequestError{http.StatusNotFound, "id", fmt.Sprintf("no order %q", id)}
	if domain.Text("id", id) != nil {
		problem(w, notFound)
		return
	}
	var req apiclient.ReviseRequest
	if rerr := decodeStrict(r.Body, &req); rerr != nil {
		problem(w, rerr)
		return
	}
	for i, it := range req.Items {
		if ferr := domain.Text(fmt.Sprintf("items[%d].sku", i), it.SKU); ferr != nil {
			problem(w, &RequestError{http.StatusUnprocessableEntity, ferr.Field, ferr.Reason})
			return
		}
	}
	res, err := a.App.Revise(r.Context(), app.Revise{Customer: who.Subject, Key: key, Fingerprint: fingerprint(struct {
		Op, ID string
		Body   apiclient.ReviseRequest
	}{"revise", id, req}), OrderID: id, Lines: linesOf(req.Items)})
	var ferr *domain.FieldError
	switch {
	case errors.Is(err, storage.ErrNotFound):
		problem(w, notFound)
	case errors.As(err, &ferr):
		problem(w, &RequestError{http.StatusUnprocessableEntity, ferr.Field, ferr.Reason})
	case errors.Is(err, app.ErrConflict):
		problem(w, &RequestError{http.StatusConflict, "Idempotency-Key", err.Error()})
	case errors.Is(err, domain.ErrAccepted), errors.Is(err, domain.ErrCancelled), errors.Is(err, domain.ErrRevisionPending):
		problem(w, &RequestError{http.StatusConflict, "id", err.Error()})
	case err != nil:
		a.storageFailed(w, r, "revise the order", err)
	default:
		answer(w, res)
	}
}

// decodeOptional decodes a body that may be empty (then v keeps its zero
// value) with the rules of DecodePlaceRequest.
func decodeOptional(body io.Reader, v any) *RequestError {
	raw, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		return &RequestError{http.StatusBadRequest, "body", "cannot read body: " + err.Error()}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	return decodeStrict(bytes.NewReader(raw), v)
}

func (a API) get(w http.ResponseWriter, r *http.Request) {
	who, ok := caller(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if domain.Text("id", id) != nil {
		// No order has such an id (and the database would refuse a NUL).
		problem(w, &RequestError{http.StatusNotFound, "id", fmt.Sprintf("no order %q", id)})
		return
	}
	o, err := a.App.Get(r.Context(), id)
	// Someone else's order is as absent as a missing one: 404 either way,
	// so a customer learns nothing about orders that are not theirs.
	if errors.Is(err, storage.ErrNotFound) || (err == nil && o.CustomerID != who.Subject && !who.HasScope(a.StoreReadScope)) {
		problem(w, &RequestError{http.StatusNotFound, "id", fmt.Sprintf("no order %q", id)})
		return
	}
	if err != nil {
		a.storageFailed(w, r, "read the order", err)
		return
	}
	etas, err := a.App.ETAs(r.Context(), []string{o.ID})
	if err != nil {
		a.storageFailed(w, r, "read the order's eta", err)
		return
	}
	httpserver.JSON(w, http.StatusOK, withETA(orderDTO(o), etas))
}

// list serves GET /v1/orders: the caller's own orders, or with ?store= a
// store's orders for holders of the store-read scope.
func (a API) list(w http.ResponseWriter, r *http.Request) {
	who, ok := caller(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := app.ListFilter{CustomerID: who.Subject}
	if q.Has("store") {
		store := q.Get("store")
		if !domain.KnownStore(store) {
			problem(w, &RequestError{http.StatusBadRequest, "store", fmt.Sprintf("query parameter must name a known store, got %q", store)})
			return
		}
		if !who.HasScope(a.StoreReadScope) {
			a.Guard.Forbid(w, r, a.StoreReadScope)
			return
		}
		f = app.ListFilter{StoreID: store}
	}
	size := 50
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			problem(w, &RequestError{http.StatusBadRequest, "page_size", "must be an integer between 1 and 200"})
			return
		}
		size = n
	}
	after := ""
	if t := q.Get("page_token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || domain.Text("page_token", string(b)) != nil {
			problem(w, &RequestError{http.StatusBadRequest, "page_token", "not a token returned by this API"})
			return
		}
		after = string(b)
	}
	orders, err := a.App.List(r.Context(), f, after, size+1)
	if err != nil {
		a.storageFailed(w, r, "list orders", err)
		return
	}
	p := apiclient.OrderPage{Orders: []apiclient.Order{}}
	if len(orders) > size {
		orders = orders[:size]
		p.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(orders[size-1].ID))
	}
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	etas, err := a.App.ETAs(r.Context(), ids)
	if err != nil {
		a.storageFailed(w, r, "read the orders' etas", err)
		return
	}
	for _, o := range orders {
		p.Orders = append(p.Orders, withETA(orderDTO(o), etas))
	}
	httpserver.JSON(w, http.StatusOK, p)
}
