package edgeauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/authtoken"
)

const (
	audience = "https://api.dev.bloody-sweet.example.com"
	current  = "cur-0123456789abcdefghijklmnopqrstuvwxyz-CURRENT"
	previous = "prev-0123456789abcdefghijklmnopqrstuvwxyz-PREVIOUS"
)

// clock is a settable time shared by every cache under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// idp is an issuer serving its OpenID configuration and JWKS over httptest.
type idp struct {
	srv     *httptest.Server
	mu      sync.Mutex
	jwks    []map[string]string
	fetches atomic.Int32
	// hold, when set, stalls /keys until it is closed (a slow issuer);
	// arrived then gets a value as each such request comes in.
	hold    chan struct{}
	arrived chan struct{}
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
}

func newIDP(t testing.TB) *idp {
	t.Helper()
	p := &idp{}
	var err error
	if p.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	p.addRSA("rsa-1", &p.rsaKey.PublicKey)
	p.addEC("ec-1", &p.ecKey.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer(), "jwks_uri": p.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		hold := p.hold
		p.mu.Unlock()
		if hold != nil {
			p.arrived <- struct{}{}
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": p.jwks})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) issuer() string { return p.srv.URL + "/" }

func (p *idp) addRSA(kid string, pub *rsa.PublicKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwks = append(p.jwks, map[string]string{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64url(pub.N.Bytes()), "e": b64url(big.NewInt(int64(pub.E)).Bytes()),
	})
}

func (p *idp) addEC(kid string, pub *ecdsa.PublicKey) {
	b, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwks = append(p.jwks, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64url(b[1:33]), "y": b64url(b[33:])})
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// secrets is a Secrets Manager holding the origin-verify secret's stages.
type secrets struct {
	mu     sync.Mutex
	stages map[string]string
	err    error
	calls  int
}

func (s *secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	v, ok := s.stages[aws.ToString(in.VersionStage)]
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no version with stage " + aws.ToString(in.VersionStage))}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

func (s *secrets) set(stages map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stages = stages
}

type fixture struct {
	idp     *idp
	secrets *secrets
	clock   *clock
	authz   *Authorizer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	p := newIDP(t)
	sm := &secrets{stages: map[string]string{"AWSCURRENT": current, "AWSPREVIOUS": previous}}
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	cfg := Config{
		Issuer: p.issuer(), Audiences: []string{audience, "4example0client0id"},
		JWKSURL: p.srv.URL + "/keys", OriginSecretID: "bloody-sweet/dev/edge/origin-verify", SecretTTL: DefaultSecretTTL,
		RouteScopes: map[string][]string{"GET /v1/stream": {"orders/stream.all"}},
	}
	a := New(cfg, sm, p.srv.Client(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Tokens.Now, a.Tokens.Keys.Now, a.Origin.Now = clk.Now, clk.Now, clk.Now
	return &fixture{idp: p, secrets: sm, clock: clk, authz: a}
}

// claims are valid for the fixture at its clock unless a case changes them.
func (f *fixture) claims() jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss": f.idp.issuer(), "aud": audience, "sub": "customer-42",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "token_use": "access",
	}
}

func sign(t testing.TB, method jwt.SigningMethod, kid string, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signTyp signs with rsa-1 and a typ header (RFC 9068 access tokens say at+jwt).
func signTyp(t testing.TB, typ string, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"], tok.Header["typ"] = "rsa-1", typ
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(route, origin, authorization string) map[string]string {
	h := map[string]string{}
	if origin != "" {
		h["x-origin-verify"] = origin
	}
	if authorization != "" {
		h["authorization"] = authorization
	}
	return h
}

func TestDecide(t *testing.T) {
	f := newFixture(t)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&f.idp.rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := f.claims()
		change(c)
		return c
	}
	rs := func(c jwt.MapClaims) string {
		return "Bearer " + sign(t, jwt.SigningMethodRS256, "rsa-1", c, f.idp.rsaKey)
	}
	valid := rs(f.claims())

	cases := []struct {
		name    string
		route   string
		headers map[string]string
		wantErr error // nil: admitted
	}{
		{"rs256 through cloudfront", "GET /v1/orders", request("", current, valid), nil},
		{"es256", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodES256, "ec-1", f.claims(), f.idp.ecKey)), nil},
		{"previous secret during rotation", "POST /v1/orders", request("", previous, valid), nil},
		{"bearer in any case", "GET /v1/orders", request("", current, "bearer "+strings.TrimPrefix(valid, "Bearer ")), nil},
		{"cognito access token: client_id, no aud", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "aud"); c["client_id"] = "4example0client0id" }))), nil},
		{"expired within leeway", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-10 * time.Second).Unix() }))), nil},
		{"rfc 9068 access token: typ at+jwt, no token_use", "GET /v1/orders", request("", current, "Bearer "+signTyp(t, "at+jwt", with(func(c jwt.MapClaims) { delete(c, "token_use") }), f.idp.rsaKey)), nil},
		{"lifetime exactly the maximum", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(authtoken.DefaultMaxLifetime).Unix() }))), nil},
		{"stream with its scope", "GET /v1/stream", request("", current, rs(with(func(c jwt.MapClaims) { c["scope"] = "openid orders/stream.all" }))), nil},

		{"no origin header (around cloudfront)", "GET /v1/orders", request("", "", valid), ErrNotFromCloudFront},
		{"wrong origin header", "GET /v1/orders", request("", current+"x", valid), ErrNotFromCloudFront},
		{"no token", "GET /v1/orders", request("", current, ""), ErrNoBearer},
		{"basic auth", "GET /v1/orders", request("", current, "Basic dXNlcjpwYXNz"), ErrNoBearer},
		{"expired", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["exp"] = f.clock.Now().Add(-2 * time.Minute).Unix() }))), jwt.ErrTokenExpired},
		{"no exp", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "exp") }))), jwt.ErrTokenRequiredClaimMissing},
		{"not yet valid", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["nbf"] = f.clock.Now().Add(5 * time.Minute).Unix() }))), jwt.ErrTokenNotValidYet},
		{"wrong issuer", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com/" }))), jwt.ErrTokenInvalidIssuer},
		{"wrong audience", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["aud"] = "https://api.prod.example.com" }))), ErrBadToken},
		{"wrong client_id", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "aud"); c["client_id"] = "other" }))), ErrBadToken},
		{"no subject", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "sub") }))), ErrBadToken},
		{"unknown kid", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-9", f.claims(), f.idp.rsaKey)), authtoken.ErrUnknownKey},
		{"bad signature (another key, same kid)", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), otherRSA)), jwt.ErrTokenSignatureInvalid},
		{"alg none", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodNone, "rsa-1", f.claims(), jwt.UnsafeAllowNoneSignatureType)), jwt.ErrTokenSignatureInvalid},
		{"hs256 keyed with the public key", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodHS256, "rsa-1", f.claims(), pubDER)), jwt.ErrTokenSignatureInvalid},
		{"es256 header on the rsa key", "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodES256, "rsa-1", f.claims(), f.idp.ecKey)), ErrBadToken},
		{"stream without its scope", "GET /v1/stream", request("", current, valid), ErrScope},
		{"cognito id token", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["token_use"] = "id" }))), authtoken.ErrNotAccessToken},
		{"no token_use, no typ", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "token_use") }))), authtoken.ErrNotAccessToken},
		{"no iat", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { delete(c, "iat") }))), jwt.ErrTokenRequiredClaimMissing},
		{"iat in the future", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) { c["iat"] = f.clock.Now().Add(5 * time.Minute).Unix() }))), jwt.ErrTokenUsedBeforeIssued},
		{"lifetime over the maximum", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) {
			c["exp"] = f.clock.Now().Add(authtoken.DefaultMaxLifetime + time.Second).Unix()
		}))), authtoken.ErrLifetimeTooLong},
		{"year-long token issued long ago", "GET /v1/orders", request("", current, rs(with(func(c jwt.MapClaims) {
			c["iat"] = f.clock.Now().Add(-180 * 24 * time.Hour).Unix()
			c["exp"] = f.clock.Now().Add(180 * 24 * time.Hour).Unix()
		}))), authtoken.ErrLifetimeTooLong},
		{"garbage token", "GET /v1/orders", request("", current, "Bearer not.a.jwt"), jwt.ErrTokenMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.authz.Decide(context.Background(), tc.route, tc.headers)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Subject != "customer-42" {
					t.Errorf("subject %q, want customer-42", got.Subject)
				}
				return
			}
			if err == nil {
				t.Fatalf("admitted (subject %q), want refused with %v", got.Subject, tc.wantErr)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("refused with %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// Handle answers API Gateway in the simple format and puts the subject in the context
// the access log reads ($context.authorizer.sub).
func TestHandle(t *testing.T) {
	f := newFixture(t)
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), f.idp.rsaKey)
	req := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", RouteKey: "GET /v1/orders", Headers: request("", current, tok)}
	got, err := f.authz.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{ContextSubject: "customer-42"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("admitted response (-want +got):\n%s", diff)
	}

	req.Headers = request("", "", tok)
	got, err = f.authz.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("a refusal must be an answer, not a handler error (500): %v", err)
	}
	if diff := cmp.Diff(events.APIGatewayV2CustomAuthorizerSimpleResponse{}, got); diff != "" {
		t.Errorf("refused response (-want +got):\n%s", diff)
	}
}

// An unknown kid refetches the JWKS (the issuer rotated its keys), at most once per
// MinRefetch; the set is refreshed after MaxAge, so a withdrawn key stops working.
func TestKeySetRefetch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok := func(kid string, key any) map[string]string {
		return request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, kid, f.claims(), key))
	}
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", tok("rsa-1", f.idp.rsaKey)); err != nil {
		t.Fatal(err)
	}
	if n := f.idp.fetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches after the first token, want 1", n)
	}
	for range 5 {
		if _, err := f.authz.Decide(ctx, "GET /v1/orders", tok("rsa-1", f.idp.rsaKey)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.idp.fetches.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches for a cached kid, want 1", n)
	}

	// Made-up kids: one refetch, then refused from the cache until MinRefetch.
	f.clock.Advance(f.authz.Tokens.Keys.MinRefetch)
	for range 5 {
		if _, err := f.authz.Decide(ctx, "GET /v1/orders", tok("bogus", f.idp.rsaKey)); !errors.Is(err, authtoken.ErrUnknownKey) {
			t.Fatalf("bogus kid: %v, want ErrUnknownKey", err)
		}
	}
	if n := f.idp.fetches.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches after five unknown kids, want 2 (rate limited)", n)
	}

	// The issuer rotates in a new key: accepted once MinRefetch has passed.
	newKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f.idp.addRSA("rsa-2", &newKey.PublicKey)
	f.clock.Advance(f.authz.Tokens.Keys.MinRefetch)
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", tok("rsa-2", newKey)); err != nil {
		t.Fatalf("rotated-in key refused: %v", err)
	}
	if n := f.idp.fetches.Load(); n != 3 {
		t.Fatalf("%d JWKS fetches, want 3", n)
	}

	// The issuer withdraws rsa-1: refused once the cache is older than MaxAge.
	f.idp.mu.Lock()
	f.idp.jwks = f.idp.jwks[1:]
	f.idp.mu.Unlock()
	f.clock.Advance(f.authz.Tokens.Keys.MaxAge + time.Second)
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", tok("rsa-1", f.idp.rsaKey)); !errors.Is(err, authtoken.ErrUnknownKey) {
		t.Fatalf("withdrawn key: %v, want ErrUnknownKey", err)
	}
}

// Without EDGE_AUTH_JWKS_URL the JWKS is found through the issuer's OpenID
// configuration, which must name the same issuer.
func TestKeySetDiscovery(t *testing.T) {
	p := newIDP(t)
	ks := authtoken.NewKeySet(p.srv.Client(), "", p.issuer())
	if _, err := ks.Key(context.Background(), "ec-1", "ES256"); err != nil {
		t.Fatalf("discovered JWKS: %v", err)
	}
	if ks.URL != p.srv.URL+"/keys" {
		t.Errorf("discovered %q", ks.URL)
	}
	// The configuration names "<url>/"; an issuer configured as "<url>" is another one.
	other := authtoken.NewKeySet(p.srv.Client(), "", p.srv.URL)
	if _, err := other.Key(context.Background(), "ec-1", "ES256"); err == nil || !strings.Contains(err.Error(), "names issuer") {
		t.Errorf("an OpenID configuration of another issuer: %v", err)
	}
}

// A rotation needs no redeploy: after put-secret-value the new value is accepted once
// the cache expires, and the old one (now AWSPREVIOUS) still is, so requests signed
// by CloudFront's old header keep passing until the platform stage is applied.
func TestOriginSecretRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	o := f.authz.Origin
	f.secrets.set(map[string]string{"AWSCURRENT": current}) // never rotated
	match := func(v string) bool {
		t.Helper()
		ok, err := o.Match(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !match(current) || match(previous) || match("") {
		t.Fatal("before rotation only the current value matches")
	}
	const next = "next-0123456789abcdefghijklmnopqrstuvwxyz-NEXT"
	f.secrets.set(map[string]string{"AWSCURRENT": next, "AWSPREVIOUS": current})
	if match(next) {
		t.Fatal("the cache is read before its TTL passed")
	}
	calls := f.secrets.calls
	f.clock.Advance(o.TTL)
	if !match(next) || !match(current) {
		t.Fatal("after the TTL both the new and the previous value match")
	}
	if f.secrets.calls != calls+2 {
		t.Errorf("%d Secrets Manager calls for one refresh, want 2 (AWSCURRENT, AWSPREVIOUS)", f.secrets.calls-calls)
	}
	if match(previous) {
		t.Error("a value two rotations old matches")
	}
}

// Secrets Manager unreachable: refused while no value was ever loaded; afterwards
// the last values keep serving.
func TestOriginSecretUnavailable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), f.idp.rsaKey)
	f.secrets.err = errors.New("connection refused")
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", request("", current, tok)); !errors.Is(err, ErrOriginUnavailable) {
		t.Fatalf("no secret ever loaded: %v, want ErrOriginUnavailable", err)
	}
	f.secrets.err = nil
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", request("", current, tok)); err != nil {
		t.Fatal(err)
	}
	f.secrets.err = errors.New("throttled")
	f.clock.Advance(f.authz.Origin.TTL)
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", request("", current, tok)); err != nil {
		t.Fatalf("stale values must keep serving while Secrets Manager fails: %v", err)
	}
}

// A current value shorter than MinSecretLength is a broken bootstrap: refused.
func TestOriginSecretTooShort(t *testing.T) {
	f := newFixture(t)
	f.secrets.set(map[string]string{"AWSCURRENT": "short", "AWSPREVIOUS": "x"})
	if _, err := f.authz.Origin.Match(context.Background(), "short"); err == nil {
		t.Fatal("a 5-character secret was accepted")
	}
	f.secrets.set(map[string]string{"AWSCURRENT": current, "AWSPREVIOUS": "x"})
	ok, err := f.authz.Origin.Match(context.Background(), current)
	if err != nil || !ok {
		t.Fatalf("a short previous value must only be skipped: %v %v", ok, err)
	}
}

// stall makes /keys wait until the returned release is called.
func (p *idp) stall(t *testing.T) (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.arrived = make(chan struct{}), make(chan struct{}, 16)
	var once sync.Once
	release = func() {
		once.Do(func() {
			p.mu.Lock()
			close(p.hold)
			p.hold = nil
			p.mu.Unlock()
		})
	}
	t.Cleanup(release)
	return release
}

// A request that gives up (cancelled) while its unknown kid is being fetched
// does not fail the fetch for the others: the next valid request is admitted
// at once, not refused until MinRefetch has passed.
func TestKeySetCancelledRequestDoesNotPoisonTheCache(t *testing.T) {
	f := newFixture(t)
	release := f.idp.stall(t)
	tok := request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), f.idp.rsaKey))

	// Cold cache: the first request triggers the fetch, then is cancelled
	// (the client went away) while the issuer is slow.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := f.authz.Decide(ctx, "GET /v1/orders", tok); done <- err }()
	<-f.idp.arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v, want context.Canceled", err)
	}
	release()

	// The same clock instant: a refetch would be rate limited, so only the
	// fetch the cancelled request started can have loaded the key.
	if _, err := f.authz.Decide(context.Background(), "GET /v1/orders", tok); err != nil {
		t.Fatalf("valid request after a cancelled one: %v", err)
	}
	if n := f.idp.fetches.Load(); n != 1 {
		t.Errorf("%d JWKS fetches, want 1", n)
	}
}

// While the issuer is slow to answer a refetch (an unknown kid), requests
// whose kid is cached are answered from the cache without waiting for it.
func TestKeySetSlowIssuerDoesNotBlockCachedKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), f.idp.rsaKey))
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", good); err != nil {
		t.Fatal(err)
	}
	release := f.idp.stall(t)
	f.clock.Advance(f.authz.Tokens.Keys.MinRefetch) // a refetch is allowed
	unknown := make(chan error, 1)
	go func() {
		_, err := f.authz.Decide(ctx, "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-9", f.claims(), f.idp.rsaKey)))
		unknown <- err
	}()
	<-f.idp.arrived // the refetch is in flight and stalled

	cached := make(chan error, 1)
	go func() { _, err := f.authz.Decide(ctx, "GET /v1/orders", good); cached <- err }()
	select {
	case err := <-cached:
		if err != nil {
			t.Errorf("cached kid during a slow refetch: %v", err)
		}
	case <-time.After(time.Minute):
		t.Error("a request with a cached kid waited for the slow refetch")
	}
	release()
	if err := <-unknown; !errors.Is(err, authtoken.ErrUnknownKey) {
		t.Errorf("unknown kid after the refetch: %v, want ErrUnknownKey", err)
	}
}

// A fetch that outlives FetchTimeout fails on its own; the keys already
// cached keep serving and the next refetch is MinRefetch later.
func TestKeySetFetchTimeout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-1", f.claims(), f.idp.rsaKey))
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", good); err != nil {
		t.Fatal(err)
	}
	f.authz.Tokens.Keys.FetchTimeout = 50 * time.Millisecond
	f.idp.stall(t)
	f.clock.Advance(f.authz.Tokens.Keys.MinRefetch)
	_, err := f.authz.Decide(ctx, "GET /v1/orders", request("", current, "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa-9", f.claims(), f.idp.rsaKey)))
	if !errors.Is(err, authtoken.ErrUnknownKey) {
		t.Fatalf("unknown kid while the issuer hangs: %v, want ErrUnknownKey once the fetch timed out", err)
	}
	if _, err := f.authz.Decide(ctx, "GET /v1/orders", good); err != nil {
		t.Fatalf("cached kid after a timed-out refetch: %v", err)
	}
}
