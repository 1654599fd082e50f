// Package ports is the catalog's HTTP API: customers browse restaurants
// and menus, store operators (holding the operator scope) change them.
// Bodies are the wire shapes of services/events; errors are
// application/problem+json naming the field.
package ports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
)

// MaxBodyBytes bounds a request body (a full menu is far below it).
const MaxBodyBytes = 1 << 20

// DefaultOperatorScope is the scope that edits restaurants and menus (the
// Cognito resource server "catalog"; store operators' clients hold it).
const DefaultOperatorScope = "catalog/store.write"

// RefusalsMetric counts requests refused before the handler ran.
const RefusalsMetric = "catalog_auth_refusals_total"

// RestaurantPage is the answer of GET /v1/restaurants: a page in id order;
// Next, when set, is the after= of the next page.
type RestaurantPage struct {
	Restaurants []events.Restaurant `json:"restaurants"`
	Next        string              `json:"next,omitempty"`
}

// API serves the catalog endpoints.
type API struct {
	App *app.App
	// Guard verifies bearer tokens; nil (AUTH_ISSUER unset, demo and
	// tests) lets customers browse and refuses every change with 401.
	Guard         *auth.Guard
	OperatorScope string
	Log           *slog.Logger
}

// Routes returns the API's ServeMux patterns.
func (a API) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /v1/restaurants":           a.Guard.Require(a.list),
		"GET /v1/restaurants/{id}":      a.Guard.Require(a.get),
		"GET /v1/restaurants/{id}/menu": a.Guard.Require(a.menu),
		"PUT /v1/restaurants/{id}":      a.Guard.Require(a.putStore, a.OperatorScope),
		"PUT /v1/restaurants/{id}/menu": a.Guard.Require(a.putMenu, a.OperatorScope),
	}
}

func problem(w http.ResponseWriter, status int, field, detail string) {
	httpserver.Problem(w, status, http.StatusText(status), detail, field)
}

// failed answers an error of the app: a field error is 422 naming it,
// an unknown restaurant 404, a lost race 409; anything else is the
// database's, a 503 the client may retry, logged with its cause.
func (a API) failed(w http.ResponseWriter, r *http.Request, err error) {
	var ferr *domain.FieldError
	switch {
	case errors.As(err, &ferr):
		problem(w, http.StatusUnprocessableEntity, ferr.Field, ferr.Reason)
	case errors.Is(err, domain.ErrNotFound):
		problem(w, http.StatusNotFound, "id", "no restaurant "+strconv.Quote(r.PathValue("id")))
	case errors.Is(err, app.ErrConflict):
		problem(w, http.StatusConflict, "id", "the restaurant kept changing meanwhile; read it and retry")
	default:
		if a.Log != nil {
			a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", http.StatusServiceUnavailable, "err", err.Error())
		}
		w.Header().Set("Retry-After", "1")
		problem(w, http.StatusServiceUnavailable, "", "the catalog is unavailable, retry later")
	}
}

func (a API) list(w http.ResponseWriter, r *http.Request) {
	q := app.Query{Cuisine: r.URL.Query().Get("cuisine"), After: r.URL.Query().Get("after"), Limit: app.MaxPage}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > app.MaxPage {
			problem(w, http.StatusBadRequest, "limit", fmt.Sprintf("must be 1 to %d", app.MaxPage))
			return
		}
		q.Limit = n
	}
	rs, err := a.App.List(r.Context(), q)
	if err != nil {
		a.failed(w, r, err)
		return
	}
	page := RestaurantPage{Restaurants: make([]events.Restaurant, len(rs))}
	for i, x := range rs {
		page.Restaurants[i] = app.WireRestaurant(x)
	}
	if len(rs) == q.Limit {
		page.Next = rs[len(rs)-1].ID
	}
	httpserver.JSON(w, http.StatusOK, page)
}

func (a API) get(w http.ResponseWriter, r *http.Request) {
	x, err := a.App.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.failed(w, r, err)
		return
	}
	httpserver.JSON(w, http.StatusOK, app.WireRestaurant(x))
}

func (a API) menu(w http.ResponseWriter, r *http.Request) {
	x, err := a.App.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.failed(w, r, err)
		return
	}
	httpserver.JSON(w, http.StatusOK, app.WireMenu(x))
}

// operator refuses a change without a verified identity (verification
// off): nobody may edit the catalog anonymously.
func operator(w http.ResponseWriter, r *http.Request) bool {
	if _, ok := auth.FromContext(r.Context()); !ok {
		auth.Unauthenticated(w)
		return false
	}
	return true
}

func (a API) putStore(w http.ResponseWriter, r *http.Request) {
	if !operator(w, r) {
		return
	}
	var body events.Restaurant
	if !decode(w, r, &body) {
		return
	}
	id := r.PathValue("id")
	if body.ID != "" && body.ID != id {
		problem(w, http.StatusUnprocessableEntity, "id", fmt.Sprintf("%q differs from the path's %q", body.ID, id))
		return
	}
	body.ID = id
	rest, ferr := app.FromWireRestaurant(body)
	if ferr != nil {
		a.failed(w, r, ferr)
		return
	}
	saved, created, err := a.App.PutStore(r.Context(), rest)
	if err != nil {
		a.failed(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpserver.JSON(w, status, app.WireRestaurant(saved))
}

func (a API) putMenu(w http.ResponseWriter, r *http.Request) {
	if !operator(w, r) {
		return
	}
	var body events.Menu
	if !decode(w, r, &body) {
		return
	}
	id := r.PathValue("id")
	if body.StoreID != "" && body.StoreID != id {
		problem(w, http.StatusUnprocessableEntity, "store_id", fmt.Sprintf("%q differs from the path's %q", body.StoreID, id))
		return
	}
	saved, err := a.App.PutMenu(r.Context(), id, app.FromWireMenu(body))
	if err != nil {
		a.failed(w, r, err)
		return
	}
	httpserver.JSON(w, http.StatusOK, app.WireMenu(saved))
}

// decode reads one JSON object of at most MaxBodyBytes with no unknown
// fields into v, or answers the problem naming the field.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			problem(w, http.StatusUnsupportedMediaType, "Content-Type", "must be application/json")
			return false
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		problem(w, http.StatusBadRequest, "body", "cannot read body")
		return false
	}
	if len(raw) > MaxBodyBytes {
		problem(w, http.StatusRequestEntityTooLarge, "body", fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		problem(w, http.StatusBadRequest, "body", "trailing data after the JSON object")
		return false
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return true
	case errors.As(err, &syn):
		problem(w, http.StatusBadRequest, "body", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		problem(w, http.StatusBadRequest, field, fmt.Sprintf("must be %s, got %s", typ.Type, typ.Value))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		problem(w, http.StatusBadRequest, "body", "empty or truncated JSON body")
	default:
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			problem(w, http.StatusBadRequest, strings.Trim(f, `"`), "unknown field")
		} else {
			problem(w, http.StatusBadRequest, "body", err.Error())
		}
	}
	return false
}
