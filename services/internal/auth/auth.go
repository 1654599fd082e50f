// Package auth is how the services that face clients (the order API, the
// notification streams) verify the caller's bearer JWT themselves, with the
// edge authorizer's own verifier (services/authtoken): the same issuer,
// audiences (or Cognito client_id), JWKS and algorithms.
//
// The edge Lambda authorizer gates API Gateway too, but the internal ALB is
// also reached by CloudFront's VPC origin (the streams' path, which skips
// API Gateway), so a header naming the caller could be forged on that path:
// a service trusts only a token it verified. The verified identity (the
// token's sub and scopes) travels in the request's context.
package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/authtoken"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
)

// Config is how a service verifies tokens (docs/CONTRACTS.md, "Service
// runtime": AUTH_*).
type Config struct {
	// Required: start only with an issuer (true in every cluster, so a
	// missing setting fails the start instead of opening the endpoints).
	Required bool
	// Issuer turns verification on; empty (tests on embedded defaults)
	// verifies nothing, unless Required.
	Issuer    string
	Audiences []string
	// JWKSURL empty: discovered from <issuer>/.well-known/openid-configuration.
	JWKSURL string
	// Client fetches the JWKS; nil: one with a 10 s timeout (tests and the
	// dev issuer pass the client that trusts their TLS certificate).
	Client *http.Client
	// MaxTokenLifetime is the longest exp - iat accepted; zero means
	// authtoken.DefaultMaxLifetime.
	MaxTokenLifetime time.Duration
}

// Enabled reports whether tokens are verified.
func (c Config) Enabled() bool { return c.Issuer != "" }

// Validate checks the settings, naming the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if c.Required && c.Issuer == "" {
		errs = append(errs, errors.New("AUTH_REQUIRED=true but AUTH_ISSUER is not set: nobody's token could be verified (set AUTH_ISSUER, AUTH_AUDIENCES, or AUTH_REQUIRED=false outside clusters)"))
	}
	if c.Issuer != "" {
		if err := authtoken.CheckHTTPSURL(c.Issuer); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_ISSUER: %w", err))
		}
		if len(c.Audiences) == 0 {
			errs = append(errs, errors.New("AUTH_AUDIENCES is not set (comma-separated audiences or Cognito app client ids)"))
		}
	}
	if c.MaxTokenLifetime != 0 {
		if _, err := authtoken.ParseMaxLifetime(c.MaxTokenLifetime.String()); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_MAX_TOKEN_LIFETIME: %w", err))
		}
	}
	if c.JWKSURL != "" {
		if c.Issuer == "" {
			errs = append(errs, errors.New("AUTH_JWKS_URL is set without AUTH_ISSUER"))
		} else if err := authtoken.CheckHTTPSURL(c.JWKSURL); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_JWKS_URL: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Bind registers the AUTH_* flags every verifying service shares.
func Bind(b *config.Binder, c *Config) {
	var audiences string
	b.Bool(&c.Required, "auth-required", "AUTH_REQUIRED", false, "refuse to start without AUTH_ISSUER (true in clusters)")
	b.String(&c.Issuer, "auth-issuer", "AUTH_ISSUER", "", "issuer (iss) of the bearer JWTs the endpoints require")
	b.String(&audiences, "auth-audiences", "AUTH_AUDIENCES", "", "comma-separated accepted audiences (aud, or Cognito client_id)")
	b.String(&c.JWKSURL, "auth-jwks-url", "AUTH_JWKS_URL", "", "JWKS of the issuer; empty: from the issuer's OpenID configuration")
	b.Duration(&c.MaxTokenLifetime, "auth-max-token-lifetime", "AUTH_MAX_TOKEN_LIFETIME", authtoken.DefaultMaxLifetime, "longest token lifetime (exp - iat) accepted, 1m..168h")
	b.AfterParse(func() error {
		c.Issuer = strings.TrimSpace(c.Issuer)
		c.JWKSURL = strings.TrimSpace(c.JWKSURL)
		c.Audiences = config.SplitList(audiences)
		return c.Validate()
	})
}

// Identity is the verified caller: the token's subject (a customer, or a
// machine client's id) and its scopes.
type Identity struct {
	Subject string
	Scopes  []string
}

// HasScope reports whether the identity holds one of scopes.
func (id Identity) HasScope(scopes ...string) bool {
	return slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(id.Scopes, s) })
}

type identityKey struct{}

// WithIdentity returns ctx carrying id (the Guard sets it; unit tests of
// handlers inject one).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the verified identity of the request, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Why a request is refused: the reason label of the refusal counter.
const (
	RefusedNoToken  = "no_token"
	RefusedBadToken = "invalid_token"
	RefusedScope    = "missing_scope"
)

// Verified tokens are remembered (by their SHA-256) until they expire, at
// most CacheTTL and for at most CacheSize tokens: a client sends the same
// token with every request for up to an hour, and verifying its signature
// again each time was the largest cost the ownership checks added to an
// order (ECDSA P-256 about 85 us of CPU per POST in the pipeline benchmark).
// CacheTTL bounds how long a token signed with a key the issuer has since
// withdrawn stays accepted, as API Gateway's authorizer cache does (300 s).
const (
	CacheTTL  = 5 * time.Minute
	CacheSize = 10000
)

type cachedIdentity struct {
	id    Identity
	until time.Time
}

// Guard verifies the bearer token of a request before its handler runs.
type Guard struct {
	verifier *authtoken.Verifier
	refused  *prometheus.CounterVec
	log      *slog.Logger
	cache    *lru.Cache[[sha256.Size]byte, cachedIdentity]
	now      func() time.Time
}

// NewGuard returns the Guard of cfg, or nil when verification is off.
// Refusals are counted in the counter named metric (label reason). The
// JWKS is fetched on the first request and cached (authtoken.KeySet), so the
// service starts even while the issuer is unreachable.
func NewGuard(cfg Config, metric string, reg prometheus.Registerer, log *slog.Logger) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, nil
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	cache, err := lru.New[[sha256.Size]byte, cachedIdentity](CacheSize)
	if err != nil {
		return nil, err
	}
	g := &Guard{
		verifier: &authtoken.Verifier{
			Keys:        authtoken.NewKeySet(client, cfg.JWKSURL, cfg.Issuer),
			Issuer:      cfg.Issuer,
			Audiences:   cfg.Audiences,
			MaxLifetime: cfg.MaxTokenLifetime,
		},
		cache: cache,
		now:   time.Now,
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metric,
			Help: "Requests refused before their handler ran, by reason (no_token, invalid_token, missing_scope).",
		}, []string{"reason"}),
		log: log,
	}
	g.verifier.Now = func() time.Time { return g.now() }
	if err := reg.Register(g.refused); err != nil {
		return nil, fmt.Errorf("register auth metrics: %w", err)
	}
	for _, r := range []string{RefusedNoToken, RefusedBadToken, RefusedScope} {
		g.refused.WithLabelValues(r) // zero series up front
	}
	return g, nil
}

// Require wraps a handler: 401 without a valid token, 403 without one of
// scopes (none: any valid token); the handler finds the Identity in the
// request's context. A nil Guard (verification off) passes every request
// through without an identity.
func (g *Guard) Require(next http.HandlerFunc, scopes ...string) http.HandlerFunc {
	if g == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := authtoken.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			g.refuse(w, r, http.StatusUnauthorized, RefusedNoToken, "a bearer token is required", nil)
			return
		}
		id, err := g.verify(r, token)
		if err != nil {
			g.refuse(w, r, http.StatusUnauthorized, RefusedBadToken, "the bearer token is not valid", err)
			return
		}
		if len(scopes) > 0 && !id.HasScope(scopes...) {
			g.Forbid(w, r, scopes...)
			return
		}
		next(w, r.WithContext(WithIdentity(r.Context(), id)))
	}
}

// verify returns the identity of a valid token, from the cache while the
// token has not expired.
func (g *Guard) verify(r *http.Request, token string) (Identity, error) {
	key := sha256.Sum256([]byte(token))
	now := g.now()
	if c, ok := g.cache.Get(key); ok && now.Before(c.until) {
		return c.id, nil
	}
	claims, err := g.verifier.Verify(r.Context(), token)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Subject: claims.Subject, Scopes: claims.Scopes}
	// Verified, so its exp is the issuer's: read it without checking again.
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &rc); err == nil && rc.ExpiresAt != nil {
		until := rc.ExpiresAt.Time
		if limit := now.Add(CacheTTL); limit.Before(until) {
			until = limit
		}
		if now.Before(until) {
			g.cache.Add(key, cachedIdentity{id: id, until: until})
		}
	}
	return id, nil
}

// Forbid answers 403 for a verified caller who lacks all of scopes (a
// handler whose scope depends on the query calls it itself).
func (g *Guard) Forbid(w http.ResponseWriter, r *http.Request, scopes ...string) {
	// RFC 6750: the scope the resource needs.
	w.Header().Set("WWW-Authenticate", `Bearer realm="orders", error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
	g.refuse(w, r, http.StatusForbidden, RefusedScope, "the token lacks the scope "+strings.Join(scopes, " or "), nil)
}

func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, status int, reason, detail string, err error) {
	if g != nil {
		g.refused.WithLabelValues(reason).Inc()
		// The reason, never the token.
		attrs := []any{"path", r.URL.Path, "reason", reason}
		if err != nil {
			attrs = append(attrs, "err", err.Error())
		}
		g.log.Info("request refused", attrs...)
	}
	if status == http.StatusUnauthorized {
		// RFC 6750: invalid_token when one was sent, no error code otherwise.
		v := `Bearer realm="orders"`
		if reason == RefusedBadToken {
			v += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", v)
		httpserver.Problem(w, status, "Unauthorized", detail, "Authorization")
		return
	}
	httpserver.Problem(w, status, "Forbidden", detail, "")
}

// Unauthenticated answers 401 for a request that reached a handler needing
// an identity without one: verification is off (no AUTH_ISSUER), so no
// caller can be identified and nothing is served in anyone's name.
func Unauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="orders"`)
	httpserver.Problem(w, http.StatusUnauthorized, "Unauthorized", "no caller identity: this service verifies no tokens (AUTH_ISSUER is not set)", "Authorization")
}
