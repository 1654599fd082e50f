// Package edgeauth is the engine of the edge Lambda authorizer (services/edge-authorizer):
// API Gateway's HTTP API calls it for every route, and it admits a request only when
// the request came through CloudFront (the X-Origin-Verify header equals the secret
// CloudFront adds, current or, during a rotation, previous) and carries a valid bearer
// JWT of the environment's identity provider (signature against the issuer's JWKS,
// iss, aud, exp/nbf, and the route's scopes).
//
// HTTP APIs cannot have WAF or a resource policy, and a route takes one authorizer, so
// both checks live here: a caller who goes to api-origin.<domain> directly, around
// CloudFront and WAF, is refused even with a valid token.
package edgeauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/authtoken"
)

// The environment of the Lambda function (set by terraform/modules/api-gateway).
const (
	EnvIssuer         = "EDGE_AUTH_ISSUER"             // required: the iss claim, an https URL
	EnvAudiences      = "EDGE_AUTH_AUDIENCES"          // required: comma-separated accepted aud (or Cognito client_id)
	EnvJWKSURL        = "EDGE_AUTH_JWKS_URL"           // optional: default from <issuer>/.well-known/openid-configuration
	EnvRouteScopes    = "EDGE_AUTH_ROUTE_SCOPES"       // optional: JSON {"GET /v1/stream": ["orders/stream.all"]}
	EnvOriginSecretID = "EDGE_AUTH_ORIGIN_SECRET_ID"   // required: Secrets Manager ID (ARN or name) of the origin-verify secret
	EnvSecretTTL      = "EDGE_AUTH_SECRET_TTL"         // optional: how long secret values are cached, default 5m
	EnvMaxLifetime    = "EDGE_AUTH_MAX_TOKEN_LIFETIME" // optional: longest exp - iat accepted, default 24h
)

// OriginHeader is the header CloudFront adds to every origin request (origin
// custom_header in terraform/modules/waf-cdn-acm-route53).
const OriginHeader = "X-Origin-Verify"

// DefaultSecretTTL bounds how long a rotated secret takes to be seen: the rotation
// procedure (terraform/README.md, "Edge") waits at least this long before CloudFront
// sends the new value.
const DefaultSecretTTL = 5 * time.Minute

// Config is what the authorizer needs, read once at cold start.
type Config struct {
	Issuer         string
	Audiences      []string
	JWKSURL        string              // empty: discovered from the issuer
	RouteScopes    map[string][]string // route key -> scopes, one of which the token must carry
	OriginSecretID string
	SecretTTL      time.Duration
	MaxLifetime    time.Duration // longest exp - iat accepted
}

// LoadConfig reads the Config from getenv (os.Getenv in the Lambda). Every problem
// is reported at once, naming the variable, so a misconfigured function fails at cold
// start with one clear message instead of refusing every request.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{SecretTTL: DefaultSecretTTL, MaxLifetime: authtoken.DefaultMaxLifetime}

	c.Issuer = strings.TrimSpace(getenv(EnvIssuer))
	if c.Issuer == "" {
		errs = append(errs, fmt.Errorf("%s is not set", EnvIssuer))
	} else if err := authtoken.CheckHTTPSURL(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvIssuer, err))
	}

	for _, a := range strings.Split(getenv(EnvAudiences), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Audiences = append(c.Audiences, a)
		}
	}
	if len(c.Audiences) == 0 {
		errs = append(errs, fmt.Errorf("%s is not set (comma-separated audiences)", EnvAudiences))
	}

	if c.JWKSURL = strings.TrimSpace(getenv(EnvJWKSURL)); c.JWKSURL != "" {
		if err := authtoken.CheckHTTPSURL(c.JWKSURL); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvJWKSURL, err))
		}
	}

	if s := strings.TrimSpace(getenv(EnvRouteScopes)); s != "" {
		if err := json.Unmarshal([]byte(s), &c.RouteScopes); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a JSON object of route key to scope list: %w", EnvRouteScopes, err))
		}
		for route, scopes := range c.RouteScopes {
			if len(scopes) == 0 {
				errs = append(errs, fmt.Errorf("%s: route %q lists no scope (leave it out instead)", EnvRouteScopes, route))
			}
		}
	}

	c.OriginSecretID = strings.TrimSpace(getenv(EnvOriginSecretID))
	if c.OriginSecretID == "" {
		errs = append(errs, fmt.Errorf("%s is not set", EnvOriginSecretID))
	}

	if s := strings.TrimSpace(getenv(EnvSecretTTL)); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", EnvSecretTTL, err))
		case d < 10*time.Second || d > time.Hour:
			errs = append(errs, fmt.Errorf("%s: %s is outside 10s..1h", EnvSecretTTL, d))
		default:
			c.SecretTTL = d
		}
	}

	if s := strings.TrimSpace(getenv(EnvMaxLifetime)); s != "" {
		d, err := authtoken.ParseMaxLifetime(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvMaxLifetime, err))
		}
		c.MaxLifetime = d
	}

	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("edge authorizer configuration: %w", err)
	}
	return c, nil
}
