package service

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/authtoken"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/notification/adapters"
	"github.com/bloody-sweet/platform/services/notification/domain"
	"github.com/bloody-sweet/platform/services/notification/ports"
)

const (
	testAudience = "app-client-1"
	testKid      = "k1"
)

// issuer is a local identity provider: its OpenID configuration and JWKS
// over TLS (the service accepts https issuers only), with a key generated
// here.
type issuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		b := func(x []byte) string { return base64.RawURLEncoding.EncodeToString(x) }
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": testKid, "use": "sig", "alg": "RS256",
			"n": b(key.N.Bytes()), "e": b(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// token signs claims; iss, sub, client_id, token_use=access, iat now and
// a one-hour exp unless claims set them (nil removes one).
func (is *issuer) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	c := jwt.MapClaims{"iss": is.srv.URL, "sub": "customer-1", "client_id": testAudience, "token_use": "access",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = testKid
	s, err := tok.SignedString(is.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startService starts the notification service as main.go does, on a
// Redis the test also writes to, so that changes appended here flow to the
// streams.
func startService(t *testing.T, auth *ports.AuthConfig) (*svc.Service, *adapters.Store) {
	t.Helper()
	return startServiceWith(t, auth, nil)
}

// startServiceWith is startService with stream limits.
func startServiceWith(t *testing.T, auth *ports.AuthConfig, limits *ports.StreamConfig) (*svc.Service, *adapters.Store) {
	t.Helper()
	mr := miniredis.RunT(t)
	cfg := config.Common{ServiceName: "notification", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded}, RedisURL: "redis://" + mr.Addr()}
	s, err := svc.Start(context.Background(), cfg, Spec(auth, limits), svc.Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background(), 0) })
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return s, adapters.NewStore(rdb)
}

func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// nextEvent reads SSE lines up to the end of the next event (skipping
// keep-alive comments) and returns its event and data fields.
func nextEvent(t *testing.T, r *bufio.Reader) (event, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before an event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Field  string `json:"field,omitempty"`
}

// TestStreamAuth: both stream endpoints refuse before streaming without a
// valid token (401, WWW-Authenticate, problem+json), /v1/stream also
// without the stream-all scope (403), and stream with one.
func TestStreamAuth(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	s, store := startService(t, &ports.AuthConfig{
		Config:         auth.Config{Required: true, Issuer: is.srv.URL, Audiences: []string{"other-client", testAudience}, Client: is.srv.Client(), MaxTokenLifetime: 2 * time.Hour},
		StreamAllScope: ports.DefaultStreamAllScope,
	})
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := store.Append(context.Background(), []domain.Change{{OrderID: "o-1", Status: events.StatusPlaced, Time: t0, CustomerID: "customer-1"}}); err != nil {
		t.Fatal(err)
	}
	orderURL, allURL := s.URL()+"/v1/orders/o-1/stream", s.URL()+"/v1/stream"

	other := rsaKey(t)
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": is.srv.URL, "sub": "x", "client_id": testAudience, "exp": time.Now().Add(time.Hour).Unix()})
	forged.Header["kid"] = testKid
	forgedToken, err := forged.SignedString(other)
	if err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name, url, token string
		status           int
		authenticate     string
	}{
		{"no token", orderURL, "", 401, `Bearer realm="orders"`},
		{"no token, all orders", allURL, "", 401, `Bearer realm="orders"`},
		{"expired", orderURL, is.token(t, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"no exp", orderURL, is.token(t, jwt.MapClaims{"exp": nil}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"id token", orderURL, is.token(t, jwt.MapClaims{"token_use": "id"}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"lifetime over the maximum", orderURL, is.token(t, jwt.MapClaims{"exp": time.Now().Add(3 * time.Hour).Unix()}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"wrong audience (client_id)", orderURL, is.token(t, jwt.MapClaims{"client_id": "someone-else"}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"wrong audience (aud)", orderURL, is.token(t, jwt.MapClaims{"aud": "someone-else"}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"wrong issuer", orderURL, is.token(t, jwt.MapClaims{"iss": "https://evil.example.com"}), 401, `Bearer realm="orders", error="invalid_token"`},
		{"signed by another key", orderURL, forgedToken, 401, `Bearer realm="orders", error="invalid_token"`},
		{"not a JWT", orderURL, "garbage", 401, `Bearer realm="orders", error="invalid_token"`},
		{"all orders without the scope", allURL, is.token(t, jwt.MapClaims{"scope": "orders/read"}), 403,
			`Bearer realm="orders", error="insufficient_scope", scope="orders/stream.all"`},
	}
	for _, tc := range refusals {
		resp := get(t, tc.url, tc.token)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		if got := resp.Header.Get("WWW-Authenticate"); got != tc.authenticate {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.authenticate)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json", tc.name, ct)
		}
		var p problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Errorf("%s: body is not a problem: %v", tc.name, err)
		} else if p.Status != tc.status {
			t.Errorf("%s: problem status %d, want %d", tc.name, p.Status, tc.status)
		}
	}

	// A customer's token follows an order: its history, then live changes.
	resp := get(t, orderURL, is.token(t, nil))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("order stream with a valid token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if ev, _ := nextEvent(t, r); ev != string(events.StatusPlaced) {
		t.Errorf("first event %q, want %s", ev, events.StatusPlaced)
	}
	if _, err := store.Append(context.Background(), []domain.Change{{OrderID: "o-1", Status: events.StatusPaid, Time: t0.Add(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := nextEvent(t, r); ev != string(events.StatusPaid) {
		t.Errorf("live event %q, want %s", ev, events.StatusPaid)
	}

	// The machine client's token (scope orders/stream.all) follows every order.
	resp = get(t, allURL, is.token(t, jwt.MapClaims{"scope": "orders/read " + ports.DefaultStreamAllScope, "aud": "other-client", "client_id": nil}))
	if resp.StatusCode != 200 {
		t.Fatalf("all-orders stream with the scope: status %d", resp.StatusCode)
	}
	// Headers arrive once the stream has subscribed: a change appended now
	// is seen.
	if _, err := store.Append(context.Background(), []domain.Change{{OrderID: "o-2", Status: events.StatusPlaced, Time: t0}}); err != nil {
		t.Fatal(err)
	}
	ev, data := nextEvent(t, bufio.NewReader(resp.Body))
	var got struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal([]byte(data), &got); err != nil {
		t.Fatal(err)
	}
	if ev != string(events.StatusPlaced) || got.OrderID != "o-2" {
		t.Errorf("all-orders event %q for %q, want %s for o-2", ev, got.OrderID, events.StatusPlaced)
	}

	// Refusals are counted by reason.
	m := get(t, s.MetricsURL()+"/metrics", "")
	body, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`notification_stream_auth_refusals_total{reason="no_token"} 2`,
		`notification_stream_auth_refusals_total{reason="invalid_token"} 9`,
		`notification_stream_auth_refusals_total{reason="missing_scope"} 1`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestStreamsOpenWithoutIssuer: the embedded defaults (demo, dev, the
// stack tests) serve the streams without tokens.
func TestStreamsOpenWithoutIssuer(t *testing.T) {
	t.Parallel()
	s, _ := startService(t, nil)
	resp := get(t, s.URL()+"/v1/stream", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}

// TestAuthRequiredWithoutIssuer: AUTH_REQUIRED without an issuer stops the
// start with an error naming the variables, before any port is served.
func TestAuthRequiredWithoutIssuer(t *testing.T) {
	t.Parallel()
	var ac ports.AuthConfig
	_, err := config.Parse("notification", []string{"-auth-required"}, func(b *config.Binder) { ports.BindAuth(b, &ac) })
	if err == nil || !strings.Contains(err.Error(), "AUTH_REQUIRED=true but AUTH_ISSUER is not set") {
		t.Errorf("config.Parse = %v, want the AUTH_REQUIRED error", err)
	}
	// The same when the Spec is started directly (the stack, a test).
	cfg := config.Common{ServiceName: "notification", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded}, RedisURL: config.Embedded}
	s, err := svc.Start(context.Background(), cfg, Spec(&ports.AuthConfig{Config: auth.Config{Required: true}}, nil), svc.Options{LogWriter: io.Discard})
	if err == nil {
		_ = s.Close(context.Background(), 0)
		t.Fatal("Start succeeded with AUTH_REQUIRED and no issuer")
	}
	if !strings.Contains(err.Error(), "AUTH_ISSUER is not set") {
		t.Errorf("Start error %q does not name AUTH_ISSUER", err)
	}
}

// TestBindAuth reads the AUTH_* flags and checks them.
func TestBindAuth(t *testing.T) {
	t.Parallel()
	parse := func(args ...string) (ports.AuthConfig, error) {
		var a ports.AuthConfig
		_, err := config.Parse("notification", args, func(b *config.Binder) { ports.BindAuth(b, &a) })
		return a, err
	}
	a, err := parse("-auth-required", "-auth-issuer", "https://idp.example.com/pool", "-auth-audiences", " a, b ,,")
	if err != nil {
		t.Fatal(err)
	}
	want := ports.AuthConfig{Config: auth.Config{Required: true, Issuer: "https://idp.example.com/pool", Audiences: []string{"a", "b"}, MaxTokenLifetime: authtoken.DefaultMaxLifetime}, StreamAllScope: ports.DefaultStreamAllScope}
	if d := cmp.Diff(want, a); d != "" {
		t.Errorf("ports.AuthConfig (-want +got):\n%s", d)
	}
	if a, err := parse(); err != nil || a.Enabled() {
		t.Errorf("defaults: %+v, %v; want verification off and no error", a, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-auth-issuer", "http://idp.example.com", "-auth-audiences", "a"}, "AUTH_ISSUER"},
		{[]string{"-auth-issuer", "https://idp.example.com"}, "AUTH_AUDIENCES is not set"},
		{[]string{"-auth-issuer", "https://idp.example.com", "-auth-audiences", "a", "-auth-jwks-url", "http://x/keys"}, "AUTH_JWKS_URL"},
		{[]string{"-auth-jwks-url", "https://idp.example.com/keys"}, "AUTH_JWKS_URL is set without AUTH_ISSUER"},
		{[]string{"-auth-issuer", "https://idp.example.com", "-auth-audiences", "a", "-auth-stream-all-scope", " "}, "AUTH_STREAM_ALL_SCOPE"},
		{[]string{"-auth-issuer", "https://idp.example.com", "-auth-audiences", "a", "-auth-max-token-lifetime", "720h"}, "AUTH_MAX_TOKEN_LIFETIME"},
	} {
		if _, err := parse(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

// TestStreamOwnership: an order stream is served to the order's customer
// (the token's subject equals the customer its events carried) and to
// holders of the stream-all scope; anyone else gets 404, as for an order
// that does not exist. A stream opened before the order's first change
// arrived waits for it.
func TestStreamOwnership(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	s, store := startService(t, &ports.AuthConfig{
		Config:         auth.Config{Required: true, Issuer: is.srv.URL, Audiences: []string{testAudience}, Client: is.srv.Client()},
		StreamAllScope: ports.DefaultStreamAllScope,
	})
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := store.Append(ctx, []domain.Change{{OrderID: "o-a", Status: events.StatusPlaced, Time: t0, CustomerID: "alice"}}); err != nil {
		t.Fatal(err)
	}
	alice := is.token(t, jwt.MapClaims{"sub": "alice"})
	bob := is.token(t, jwt.MapClaims{"sub": "bob"})
	operator := is.token(t, jwt.MapClaims{"sub": "ops-client", "scope": ports.DefaultStreamAllScope})

	if resp := get(t, s.URL()+"/v1/orders/o-a/stream", bob); resp.StatusCode != 404 {
		t.Errorf("bob streams alice's order: %d, want 404", resp.StatusCode)
	}
	for name, tok := range map[string]string{"alice": alice, "operator": operator} {
		resp := get(t, s.URL()+"/v1/orders/o-a/stream", tok)
		if resp.StatusCode != 200 {
			t.Errorf("%s streams alice's order: %d, want 200", name, resp.StatusCode)
			continue
		}
		if ev, _ := nextEvent(t, bufio.NewReader(resp.Body)); ev != string(events.StatusPlaced) {
			t.Errorf("%s: first event %q", name, ev)
		}
	}

	// Opened before the order's first change: the stream waits for it,
	// then serves its customer.
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/v1/orders/o-late/stream", nil)
		req.Header.Set("Authorization", "Bearer "+alice)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			resp = nil
		}
		done <- resp
	}()
	// Appending until the stream answers: the request may not have
	// subscribed yet when the first change is published.
	deadline := time.Now().Add(30 * time.Second)
	var resp *http.Response
	for i := 0; resp == nil && time.Now().Before(deadline); i++ {
		if _, err := store.Append(ctx, []domain.Change{{OrderID: "o-late", Status: events.AllStatuses()[i%5], Time: t0, CustomerID: "alice"}}); err != nil {
			t.Fatal(err)
		}
		select {
		case resp = <-done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if resp == nil {
		t.Fatal("the stream of a late order never answered")
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Errorf("alice streams her late order: %d, want 200", resp.StatusCode)
	}

	// Never seen: 404 once ports.OwnerWait has passed.
	if resp := get(t, s.URL()+"/v1/orders/o-none/stream", alice); resp.StatusCode != 404 {
		t.Errorf("unknown order: %d, want 404", resp.StatusCode)
	}
}
