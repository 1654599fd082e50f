package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// tokenServer is a client-credentials token endpoint that checks the
// client's credentials and issues tok-1, tok-2, ... valid for expiresIn s.
func tokenServer(t *testing.T, expiresIn int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var issued atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "machine" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "orders/stream.all" {
			t.Errorf("token request: basic auth %q/%q %v, form %v", id, secret, ok, r.Form)
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("tok-%d", issued.Add(1)), "token_type": "Bearer", "expires_in": expiresIn,
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &issued
}

// bearers is an API that records the Authorization header of each request.
func bearers(t *testing.T) (*httptest.Server, *[]string) {
	t.Helper()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func authorized(t *testing.T, tokenURL string) *http.Client {
	t.Helper()
	t.Setenv(ClientSecretEnv, "s3cret")
	o := OAuth{TokenURL: tokenURL, ClientID: "machine", Scopes: ParseScopes("orders/stream.all")}
	c, err := o.Authorize(context.Background(), NewHTTPClient(4))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestAuthorizeReusesAValidToken(t *testing.T) {
	tokens, issued := tokenServer(t, 3600)
	api, got := bearers(t)
	c := authorized(t, tokens.URL)
	get(t, c, api.URL)
	get(t, c, api.URL)
	if want := []string{"Bearer tok-1", "Bearer tok-1"}; fmt.Sprint(*got) != fmt.Sprint(want) {
		t.Errorf("Authorization headers %q, want %q", *got, want)
	}
	if issued.Load() != 1 {
		t.Errorf("%d tokens fetched for two requests within the token's lifetime, want 1", issued.Load())
	}
}

// A token about to expire (inside the oauth2 package's 10 s margin) is
// replaced before the next request: a soak run outlives any one token.
func TestAuthorizeRefreshesAnExpiringToken(t *testing.T) {
	tokens, _ := tokenServer(t, 5)
	api, got := bearers(t)
	c := authorized(t, tokens.URL)
	get(t, c, api.URL)
	get(t, c, api.URL)
	if want := []string{"Bearer tok-1", "Bearer tok-2"}; fmt.Sprint(*got) != fmt.Sprint(want) {
		t.Errorf("Authorization headers %q, want %q", *got, want)
	}
}

func TestAuthorizeNeedsClientAndSecret(t *testing.T) {
	t.Setenv(ClientSecretEnv, "")
	if _, err := (OAuth{TokenURL: "https://auth.test/oauth2/token", ClientID: "machine"}).Authorize(context.Background(), NewHTTPClient(1)); err == nil ||
		!strings.Contains(err.Error(), ClientSecretEnv) {
		t.Errorf("no secret: err %v, want it to name %s", err, ClientSecretEnv)
	}
	if _, err := (OAuth{TokenURL: "https://auth.test/oauth2/token"}).Authorize(context.Background(), NewHTTPClient(1)); err == nil {
		t.Error("no client id: no error")
	}
}

func TestParseScopes(t *testing.T) {
	if got := ParseScopes("orders/stream.all, openid  email"); fmt.Sprint(got) != "[orders/stream.all openid email]" {
		t.Errorf("ParseScopes = %q", got)
	}
}

// The client secret never travels in clear text: http only on loopback.
func TestTokenURLMustBeHTTPSExceptOnLoopback(t *testing.T) {
	t.Parallel()
	for u, ok := range map[string]bool{
		"https://auth.example/oauth2/token":  true,
		"http://127.0.0.1:9999/oauth2/token": true,
		"http://[::1]:9999/token":            true,
		"http://localhost:9999/token":        true,
		"http://auth.example/oauth2/token":   false,
		"http://10.0.0.1/oauth2/token":       false,
		"http://127.0.0.1.example/token":     false,
		"ftp://auth.example/token":           false,
		"auth.example/oauth2/token":          false,
		"":                                   false,
	} {
		err := OAuth{TokenURL: u, ClientID: "m"}.CheckTokenURL()
		if (err == nil) != ok {
			t.Errorf("%q: err %v, want accepted=%v", u, err, ok)
		}
	}
}
