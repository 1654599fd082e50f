package edgeauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bloody-sweet/platform/services/authtoken"
)

// Why a request is refused (wrapped in the error Decide returns).
var (
	ErrNotFromCloudFront = errors.New("origin-verify header missing or wrong: not sent through CloudFront")
	ErrOriginUnavailable = errors.New("origin-verify secret unavailable")
	ErrNoBearer          = errors.New("no bearer token")
	ErrBadToken          = errors.New("invalid token")
	ErrScope             = errors.New("token lacks the route's scope")
)

// ContextSubject is the key of the token subject in the authorizer context: the
// stage's access log reads it as $context.authorizer.sub.
const ContextSubject = "sub"

// Authorizer is the Lambda REQUEST authorizer (payload format 2.0, simple responses).
type Authorizer struct {
	Origin      *OriginSecrets
	Tokens      *authtoken.Verifier
	RouteScopes map[string][]string
	Log         *slog.Logger
}

// New wires an Authorizer from its configuration.
func New(cfg Config, secrets SecretsAPI, client *http.Client, log *slog.Logger) *Authorizer {
	return &Authorizer{
		Origin: NewOriginSecrets(secrets, cfg.OriginSecretID, cfg.SecretTTL),
		Tokens: &authtoken.Verifier{Keys: authtoken.NewKeySet(client, cfg.JWKSURL, cfg.Issuer), Issuer: cfg.Issuer, Audiences: cfg.Audiences, Now: time.Now,
			MaxLifetime: cfg.MaxLifetime},
		RouteScopes: cfg.RouteScopes,
		Log:         log,
	}
}

// Handle is the Lambda handler. A refusal is an IsAuthorized=false answer (API
// Gateway returns 403), never a handler error (which would be a 500).
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	claims, err := a.Decide(ctx, req.RouteKey, req.Headers)
	if err != nil {
		// The reason, never the token or the header value.
		a.Log.Info("refused", "route", req.RouteKey, "requestId", req.RequestContext.RequestID, "reason", err.Error())
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{
		IsAuthorized: true,
		Context:      map[string]any{ContextSubject: claims.Subject},
	}, nil
}

// Decide admits a request to routeKey with these headers, or says why not. The
// origin header is checked first: it is cheap, and a request around CloudFront
// never costs a JWKS fetch.
func (a *Authorizer) Decide(ctx context.Context, routeKey string, headers map[string]string) (authtoken.Claims, error) {
	ok, err := a.Origin.Match(ctx, header(headers, OriginHeader))
	if err != nil {
		return authtoken.Claims{}, fmt.Errorf("%w: %w", ErrOriginUnavailable, err)
	}
	if !ok {
		return authtoken.Claims{}, ErrNotFromCloudFront
	}
	token, ok := authtoken.BearerToken(header(headers, "Authorization"))
	if !ok {
		return authtoken.Claims{}, ErrNoBearer
	}
	claims, err := a.Tokens.Verify(ctx, token)
	if err != nil {
		return authtoken.Claims{}, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	// As API Gateway's JWT authorizer did: the token must carry one of the route's scopes.
	if want := a.RouteScopes[routeKey]; len(want) > 0 && !authtoken.HasAnyScope(claims.Scopes, want) {
		return authtoken.Claims{}, fmt.Errorf("%w: %s needs one of %v", ErrScope, routeKey, want)
	}
	return claims, nil
}

// header finds a header by name in any case (payload 2.0 lowercases them).
func header(h map[string]string, name string) string {
	if v, ok := h[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
