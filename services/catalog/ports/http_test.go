package ports

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
)

// memRepo is an in-memory app.Repository: these tests are about HTTP.
type memRepo struct{ rs map[string]domain.Restaurant }

func (m *memRepo) List(context.Context, app.Query) ([]domain.Restaurant, error) { return nil, nil }
func (m *memRepo) Get(_ context.Context, id string) (domain.Restaurant, error) {
	r, ok := m.rs[id]
	if !ok {
		return r, domain.ErrNotFound
	}
	return r, nil
}
func (m *memRepo) Save(_ context.Context, r domain.Restaurant, prev int64, _ []events.Envelope) error {
	if m.rs[r.ID].Version != prev {
		return app.ErrConflict
	}
	m.rs[r.ID] = r
	return nil
}

const store = `{"name":"Luigi's","cuisine":"italian","location":{"lat":52.5,"lon":13.4},
	"hours":[{"day":"friday","open":"17:00","close":"26:00"}],"prep_capacity":5}`

// Bad requests are problems naming the field; a change without a verified
// identity is 401 even when the service verifies no tokens.
func TestRequestsNameTheField(t *testing.T) {
	api := API{App: app.New(&memRepo{rs: map[string]domain.Restaurant{}}, nil), OperatorScope: DefaultOperatorScope}
	mux := http.NewServeMux()
	for p, h := range api.Routes() {
		mux.Handle(p, h)
	}
	send := func(method, path, body, ct string, operator bool) (int, httpserver.ProblemDetails) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if operator {
			req = req.WithContext(auth.WithIdentity(req.Context(), auth.Identity{Subject: "op", Scopes: []string{DefaultOperatorScope}}))
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var p httpserver.ProblemDetails
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s %s: %d as %s", method, path, rec.Code, ct)
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
		}
		return rec.Code, p
	}
	for _, tc := range []struct {
		name, method, path, body, ct string
		operator                     bool
		status                       int
		field                        string
	}{
		{"anonymous change", "PUT", "/v1/restaurants/luigis", store, "", false, 401, "Authorization"},
		{"unknown field", "PUT", "/v1/restaurants/luigis", `{"name":"x","stars":5}`, "", true, 400, "stars"},
		{"wrong type", "PUT", "/v1/restaurants/luigis", `{"prep_capacity":"many"}`, "", true, 400, "prep_capacity"},
		{"not JSON", "PUT", "/v1/restaurants/luigis", store, "text/plain", true, 415, "Content-Type"},
		{"truncated", "PUT", "/v1/restaurants/luigis", `{"name":`, "", true, 400, "body"},
		{"two ids", "PUT", "/v1/restaurants/luigis", `{"id":"other"}`, "", true, 422, "id"},
		{"bad path id", "PUT", "/v1/restaurants/Luigis", store, "", true, 422, "id"},
		{"bad hour", "PUT", "/v1/restaurants/luigis", strings.Replace(store, `"17:00"`, `"5pm"`, 1), "", true, 422, "hours[0].open"},
		{"bad day", "PUT", "/v1/restaurants/luigis", strings.Replace(store, `"friday"`, `"fri"`, 1), "", true, 422, "hours[0].day"},
		{"menu of nobody", "PUT", "/v1/restaurants/nobody/menu", `{"items":[]}`, "", true, 404, "id"},
		{"bad limit", "GET", "/v1/restaurants?limit=0", "", "", false, 400, "limit"},
		{"unknown", "GET", "/v1/restaurants/nobody/menu", "", "", false, 404, "id"},
	} {
		status, p := send(tc.method, tc.path, tc.body, tc.ct, tc.operator)
		if status != tc.status || p.Field != tc.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", tc.name, status, p.Field, p.Detail, tc.status, tc.field)
		}
	}
	if status, p := send("PUT", "/v1/restaurants/luigis", store, "application/json", true); status != 201 {
		t.Fatalf("create: %d %+v", status, p)
	}
	if status, _ := send("PUT", "/v1/restaurants/luigis", store, "", true); status != 200 {
		t.Fatalf("replace: %d", status)
	}
	menu := `{"items":[{"id":"margherita","name":"Margherita","price_cents":900,"available":true,"options":[]}]}`
	if status, p := send("PUT", "/v1/restaurants/luigis/menu", menu, "", true); status != 200 {
		t.Fatalf("menu: %d %+v", status, p)
	}
	if status, p := send("PUT", "/v1/restaurants/luigis/menu", strings.Replace(menu, "900", "0", 1), "", true); status != 422 || p.Field != "items[0].price_cents" {
		t.Fatalf("free item: %d %+v", status, p)
	}
}
