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
	"mime"
	"net/http"
	"strconv"
	"strings"

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
// MaxBodyBytes, exactly one JSON object, no unknown fields, valid values.
// Every failure is a *RequestError naming the field.
func DecodePlaceRequest(body io.Reader) (domain.PlaceRequest, *RequestError) {
	var req domain.PlaceRequest
	raw, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		return req, &RequestError{http.StatusBadRequest, "body", "cannot read body: " + err.Error()}
	}
	if len(raw) > MaxBodyBytes {
		return req, &RequestError{http.StatusRequestEntityTooLarge, "body", fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, jsonError(err)
	}
	if dec.More() {
		return req, &RequestError{http.StatusBadRequest, "body", "trailing data after the JSON object"}
	}
	if ferr := req.Validate(); ferr != nil {
		return req, &RequestError{http.StatusUnprocessableEntity, ferr.Field, ferr.Reason}
	}
	return req, nil
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
		return &RequestError{http.StatusBadRequest, name, "unknown field"}
	}
	return &RequestError{http.StatusBadRequest, "body", msg}
}

// API serves the order endpoints.
type API struct{ App *app.App }

// Routes returns the API's ServeMux patterns.
func (a API) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /v1/orders":     http.HandlerFunc(a.place),
		"GET /v1/orders/{id}": http.HandlerFunc(a.get),
		"GET /v1/orders":      http.HandlerFunc(a.list),
	}
}

func problem(w http.ResponseWriter, e *RequestError) {
	httpserver.Problem(w, e.Status, http.StatusText(e.Status), e.Detail, e.Field)
}

// MaxKeyLen bounds the Idempotency-Key header.
const MaxKeyLen = 255

func (a API) place(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			problem(w, &RequestError{http.StatusUnsupportedMediaType, "Content-Type", "must be application/json"})
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > MaxKeyLen {
		problem(w, &RequestError{http.StatusBadRequest, "Idempotency-Key", fmt.Sprintf("header is required (1-%d characters)", MaxKeyLen)})
		return
	}
	req, rerr := DecodePlaceRequest(r.Body)
	if rerr != nil {
		problem(w, rerr)
		return
	}
	res, err := a.App.Place(r.Context(), key, req)
	if errors.Is(err, app.ErrConflict) {
		problem(w, &RequestError{http.StatusConflict, "Idempotency-Key", err.Error()})
		return
	}
	if err != nil {
		httpserver.Problem(w, http.StatusServiceUnavailable, "Service Unavailable", "could not store the order, retry with the same Idempotency-Key", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Body)
}

func (a API) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o, err := a.App.Get(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		problem(w, &RequestError{http.StatusNotFound, "id", fmt.Sprintf("no order %q", id)})
		return
	}
	if err != nil {
		httpserver.Problem(w, http.StatusServiceUnavailable, "Service Unavailable", "could not read the order", "")
		return
	}
	httpserver.JSON(w, http.StatusOK, o)
}

// Page is the response of GET /v1/orders.
type Page struct {
	Orders        []domain.Order `json:"orders"`
	NextPageToken string         `json:"next_page_token,omitempty"`
}

func (a API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	store := q.Get("store")
	if !domain.KnownStore(store) {
		problem(w, &RequestError{http.StatusBadRequest, "store", fmt.Sprintf("query parameter must name a known store, got %q", store)})
		return
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
		if err != nil {
			problem(w, &RequestError{http.StatusBadRequest, "page_token", "not a token returned by this API"})
			return
		}
		after = string(b)
	}
	orders, err := a.App.List(r.Context(), store, after, size+1)
	if err != nil {
		httpserver.Problem(w, http.StatusServiceUnavailable, "Service Unavailable", "could not list orders", "")
		return
	}
	p := Page{Orders: orders}
	if len(orders) > size {
		p.Orders = orders[:size]
		p.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(orders[size-1].ID))
	}
	if p.Orders == nil {
		p.Orders = []domain.Order{}
	}
	httpserver.JSON(w, http.StatusOK, p)
}
