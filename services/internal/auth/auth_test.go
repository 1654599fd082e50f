package auth

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/authtoken"
	"github.com/bloody-sweet/platform/services/devissuer"
)

// TestRequire: a valid token reaches the handler with its identity in the
// context; no token is 401, a missing scope 403; a nil Guard (verification
// off) passes requests through without an identity.
func TestRequire(t *testing.T) {
	t.Parallel()
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Close() })
	g, err := NewGuard(Config{Required: true, Issuer: is.Issuer, Audiences: []string{devissuer.Audience}, Client: is.TLSClient()},
		"test_auth_refusals_total", prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var seen Identity
	handler := func(w http.ResponseWriter, r *http.Request) {
		id, ok := FromContext(r.Context())
		if !ok {
			t.Error("the handler ran without an identity")
		}
		seen = id
	}
	serve := func(h http.HandlerFunc, token string) int {
		req := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h(rec, req)
		return rec.Code
	}
	tok, err := is.Token("alice", "orders/store.read")
	if err != nil {
		t.Fatal(err)
	}
	if code := serve(g.Require(handler), tok); code != 200 || seen.Subject != "alice" || !seen.HasScope("x", "orders/store.read") {
		t.Errorf("valid token: %d, identity %+v", code, seen)
	}
	if code := serve(g.Require(handler), ""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code := serve(g.Require(handler, "orders/stream.all"), tok); code != 403 {
		t.Errorf("missing scope: %d, want 403", code)
	}
	var none *Guard
	passed := false
	if code := serve(none.Require(func(http.ResponseWriter, *http.Request) { passed = true }), ""); code != 200 || !passed {
		t.Errorf("nil guard: %d, passed %v", code, passed)
	}
	if _, err := NewGuard(Config{Required: true}, "x", prometheus.NewRegistry(), nil); err == nil {
		t.Error("NewGuard accepted AUTH_REQUIRED without an issuer")
	}
}

// TestVerifiedTokensAreCachedUntilExpiry: a verified token is not verified
// again while it is valid (the issuer's key can be gone meanwhile), and is
// refused once it has expired even though it is still cached.
func TestVerifiedTokensAreCachedUntilExpiry(t *testing.T) {
	t.Parallel()
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(Config{Issuer: is.Issuer, Audiences: []string{devissuer.Audience}, Client: is.TLSClient()},
		"test_auth_refusals_total", prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	g.now = func() time.Time { return now }
	tok, err := is.TokenTTL("alice", 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	serve := func() int {
		req := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		g.Require(func(http.ResponseWriter, *http.Request) {})(rec, req)
		return rec.Code
	}
	if code := serve(); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	// The issuer is gone: only the cache can answer now.
	_ = is.Close()
	g.verifier.Keys = authtoken.NewKeySet(is.TLSClient(), "", is.Issuer)
	if code := serve(); code != 200 {
		t.Errorf("cached token: %d, want 200 without verifying again", code)
	}
	// Past its exp (and the verifier's leeway) the cache does not answer.
	now = now.Add(2*time.Minute + authtoken.Leeway + time.Second)
	if code := serve(); code != 401 {
		t.Errorf("expired cached token: %d, want 401", code)
	}
}
