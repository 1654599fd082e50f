package ports

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/notification/adapters"
	"github.com/bloody-sweet/platform/services/notification/app"
)

// TestStreamUnavailableIsLogged: when Redis is down an order stream answers
// 503 with Retry-After, logs the cause, and does not send it.
func TestStreamUnavailableIsLogged(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	mr.Close() // Redis is down
	var logs bytes.Buffer
	s := Streams{Store: adapters.NewStore(rdb), Hub: app.NewHub(app.RecentChanges), Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/orders/{id}/stream", s.Order)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/orders/o-1/stream", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), `"status":503`) || !strings.Contains(logs.String(), "notification: history o-1") {
		t.Errorf("log %q lacks the status and the cause", logs.String())
	}
	if strings.Contains(rec.Body.String(), "history o-1") {
		t.Errorf("the cause reached the client: %s", rec.Body)
	}
}
