package ports

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/internal/edgeauth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
)

// The stream endpoints are reached from CloudFront straight through the
// internal ALB (API Gateway buffers responses and cuts them at 30 s, so SSE
// cannot go through it, nor through its edge Lambda authorizer). The service
// therefore verifies the bearer JWT itself, with the authorizer's own
// verifier (internal/edgeauth): the same issuer, audiences (or Cognito
// client_id), JWKS and algorithms.
//
// Ownership is NOT checked: a valid token may follow any order's stream
// (GET /v1/orders/{id}/stream). Orders carry a customer_id, but the order API
// takes it from the request body, not from the token, and the status events
// the notification service stores do not carry it; comparing the token's
// subject with it would prove nothing until the order API sets customer_id
// from the verified token and the notification service keeps it per order.
// Meanwhile the only barrier is the order id, a UUIDv7 (74 random bits):
// hard to guess, but not an access control.

// DefaultStreamAllScope is the scope GET /v1/stream needs (the edge
// authorizer's route scope; the Cognito machine client holds it).
const DefaultStreamAllScope = "orders/stream.all"

// AuthConfig is how the stream endpoints verify tokens (docs/CONTRACTS.md,
// "Service runtime": AUTH_*).
type AuthConfig struct {
	// Required: start only with an issuer (true in every cluster, so a
	// missing setting fails the start instead of opening the streams).
	Required bool
	// Issuer turns verification on; empty (demo, dev, tests on embedded
	// defaults) serves the streams without tokens, unless Required.
	Issuer    string
	Audiences []string
	// JWKSURL empty: discovered from <issuer>/.well-known/openid-configuration.
	JWKSURL        string
	StreamAllScope string
	// MaxTokenLifetime is the longest exp - iat accepted; zero means
	// edgeauth.DefaultMaxLifetime.
	MaxTokenLifetime time.Duration
	// Client fetches the JWKS; nil: one with a 10 s timeout (tests pass the
	// client of their TLS server).
	Client *http.Client
}

// Enabled reports whether tokens are verified.
func (c AuthConfig) Enabled() bool { return c.Issuer != "" }

// Validate checks the settings, naming the variable at fault.
func (c AuthConfig) Validate() error {
	var errs []error
	if c.Required && c.Issuer == "" {
		errs = append(errs, errors.New("AUTH_REQUIRED=true but AUTH_ISSUER is not set: the streams would be open to anyone (set AUTH_ISSUER, AUTH_AUDIENCES, or AUTH_REQUIRED=false outside clusters)"))
	}
	if c.Issuer != "" {
		if err := edgeauth.CheckHTTPSURL(c.Issuer); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_ISSUER: %w", err))
		}
		if len(c.Audiences) == 0 {
			errs = append(errs, errors.New("AUTH_AUDIENCES is not set (comma-separated audiences or Cognito app client ids)"))
		}
		if strings.TrimSpace(c.StreamAllScope) == "" {
			errs = append(errs, errors.New("AUTH_STREAM_ALL_SCOPE is empty"))
		}
	}
	if c.MaxTokenLifetime != 0 {
		if _, err := edgeauth.ParseMaxLifetime(c.MaxTokenLifetime.String()); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_MAX_TOKEN_LIFETIME: %w", err))
		}
	}
	if c.JWKSURL != "" {
		if c.Issuer == "" {
			errs = append(errs, errors.New("AUTH_JWKS_URL is set without AUTH_ISSUER"))
		} else if err := edgeauth.CheckHTTPSURL(c.JWKSURL); err != nil {
			errs = append(errs, fmt.Errorf("AUTH_JWKS_URL: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// BindAuth registers the AUTH_* flags.
func BindAuth(b *config.Binder, c *AuthConfig) {
	var audiences string
	b.Bool(&c.Required, "auth-required", "AUTH_REQUIRED", false, "refuse to start without AUTH_ISSUER (true in clusters)")
	b.String(&c.Issuer, "auth-issuer", "AUTH_ISSUER", "", "issuer (iss) of the bearer JWTs the stream endpoints require; empty serves them without tokens")
	b.String(&audiences, "auth-audiences", "AUTH_AUDIENCES", "", "comma-separated accepted audiences (aud, or Cognito client_id)")
	b.String(&c.JWKSURL, "auth-jwks-url", "AUTH_JWKS_URL", "", "JWKS of the issuer; empty: from the issuer's OpenID configuration")
	b.String(&c.StreamAllScope, "auth-stream-all-scope", "AUTH_STREAM_ALL_SCOPE", DefaultStreamAllScope, "scope GET /v1/stream needs")
	b.Duration(&c.MaxTokenLifetime, "auth-max-token-lifetime", "AUTH_MAX_TOKEN_LIFETIME", edgeauth.DefaultMaxLifetime, "longest token lifetime (exp - iat) accepted, 1m..168h")
	b.AfterParse(func() error {
		c.Issuer = strings.TrimSpace(c.Issuer)
		c.JWKSURL = strings.TrimSpace(c.JWKSURL)
		c.StreamAllScope = strings.TrimSpace(c.StreamAllScope)
		c.Audiences = config.SplitList(audiences)
		return c.Validate()
	})
}

// Why a stream request is refused: the reason label of
// notification_stream_auth_refusals_total.
const (
	RefusedNoToken  = "no_token"
	RefusedBadToken = "invalid_token"
	RefusedScope    = "missing_scope"
)

// Guard verifies the bearer token of a stream request before the stream
// starts.
type Guard struct {
	verifier *edgeauth.Verifier
	refused  *prometheus.CounterVec
	log      *slog.Logger
}

// NewGuard returns the Guard of cfg, or nil when verification is off. The
// JWKS is fetched on the first request and cached (edgeauth.KeySet), so the
// service starts even while the issuer is unreachable.
func NewGuard(cfg AuthConfig, reg prometheus.Registerer, log *slog.Logger) (*Guard, error) {
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
	g := &Guard{
		verifier: &edgeauth.Verifier{
			Keys:        edgeauth.NewKeySet(client, cfg.JWKSURL, cfg.Issuer),
			Issuer:      cfg.Issuer,
			Audiences:   cfg.Audiences,
			Now:         time.Now,
			MaxLifetime: cfg.MaxTokenLifetime,
		},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notification_stream_auth_refusals_total",
			Help: "Stream requests refused before the stream started, by reason (no_token, invalid_token, missing_scope).",
		}, []string{"reason"}),
		log: log,
	}
	if err := reg.Register(g.refused); err != nil {
		return nil, fmt.Errorf("register auth metrics: %w", err)
	}
	for _, r := range []string{RefusedNoToken, RefusedBadToken, RefusedScope} {
		g.refused.WithLabelValues(r) // zero series up front
	}
	return g, nil
}

// Require wraps a stream handler: 401 without a valid token, 403 without
// one of scopes (none: any valid token).
func (g *Guard) Require(next http.HandlerFunc, scopes ...string) http.HandlerFunc {
	if g == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := edgeauth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			g.refuse(w, r, http.StatusUnauthorized, RefusedNoToken, "a bearer token is required", nil)
			return
		}
		claims, err := g.verifier.Verify(r.Context(), token)
		if err != nil {
			g.refuse(w, r, http.StatusUnauthorized, RefusedBadToken, "the bearer token is not valid", err)
			return
		}
		if len(scopes) > 0 && !edgeauth.HasAnyScope(claims.Scopes, scopes) {
			// RFC 6750: the scope the resource needs.
			w.Header().Set("WWW-Authenticate", `Bearer realm="orders", error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
			g.refuse(w, r, http.StatusForbidden, RefusedScope, "the token lacks the scope "+strings.Join(scopes, " or "), nil)
			return
		}
		next(w, r)
	}
}

func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, status int, reason, detail string, err error) {
	g.refused.WithLabelValues(reason).Inc()
	// The reason, never the token.
	attrs := []any{"path", r.URL.Path, "reason", reason}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	g.log.Info("stream refused", attrs...)
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
