package authtoken

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultMaxLifetime bounds exp - iat of an accepted token (Cognito access
// tokens live 5 min to 1 day): a leaked long-lived token is refused even
// though its signature is good.
const DefaultMaxLifetime = 24 * time.Hour

// Errors of the token rules beyond the JWT library's.
var (
	ErrNotAccessToken  = errors.New("not an access token")
	ErrLifetimeTooLong = errors.New("token lifetime (exp - iat) too long")
)

// Verifier checks bearer JWTs: RS256 or ES256 only (so never "none", and never an
// HMAC keyed with a public key), signed by a key of the issuer's JWKS, with the
// configured iss, one of the accepted audiences, exp and iat required (iat not in
// the future), nbf honoured, all with Leeway; an access token (token_use=access,
// as Cognito marks them, or the RFC 9068 header typ at+jwt), never an ID token,
// whose audience is the app client too; and exp - iat at most MaxLifetime.
type Verifier struct {
	Keys      *KeySet
	Issuer    string
	Audiences []string
	Now       func() time.Time
	// MaxLifetime: zero means DefaultMaxLifetime.
	MaxLifetime time.Duration
}

// Claims is what the authorizer uses from a verified token.
type Claims struct {
	Subject string
	Scopes  []string
}

type tokenClaims struct {
	jwt.RegisteredClaims
	// Cognito access tokens carry the app client in client_id and have no aud.
	ClientID string `json:"client_id,omitempty"`
	Scope    string `json:"scope,omitempty"` // space-separated (RFC 8693, Cognito, Auth0)
	Scp      any    `json:"scp,omitempty"`   // a list or a string (Okta, Entra ID)
	// TokenUse is Cognito's "access" or "id": an ID token names the app
	// client as aud, so the audience check alone would admit it.
	TokenUse string `json:"token_use,omitempty"`
}

// Verify returns the claims of a valid token, or why it is not.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	var c tokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(v.now),
	)
	tok, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		var key crypto.PublicKey
		key, err := v.Keys.Key(ctx, kid, t.Method.Alg())
		return key, err
	})
	if err != nil {
		return Claims{}, err
	}
	if typ, _ := tok.Header["typ"].(string); c.TokenUse != "access" && !strings.EqualFold(typ, "at+jwt") {
		return Claims{}, fmt.Errorf("%w: token_use %q, typ %q (want token_use access or typ at+jwt)", ErrNotAccessToken, c.TokenUse, typ)
	}
	if c.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: iat", jwt.ErrTokenRequiredClaimMissing)
	}
	if life, max := c.ExpiresAt.Sub(c.IssuedAt.Time), v.maxLifetime(); life > max {
		return Claims{}, fmt.Errorf("%w: %s, at most %s", ErrLifetimeTooLong, life, max)
	}
	if !v.audienceOK(c) {
		return Claims{}, fmt.Errorf("audience %v (client_id %q) is not one of %v", []string(c.Audience), c.ClientID, v.Audiences)
	}
	if c.Subject == "" {
		return Claims{}, errors.New("token has no sub")
	}
	return Claims{Subject: c.Subject, Scopes: c.scopes()}, nil
}

func (v *Verifier) maxLifetime() time.Duration {
	if v.MaxLifetime > 0 {
		return v.MaxLifetime
	}
	return DefaultMaxLifetime
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// audienceOK: an aud claim must name an accepted audience; a token without aud (a
// Cognito access token) must name one as client_id, as API Gateway's JWT authorizer
// accepted.
func (v *Verifier) audienceOK(c tokenClaims) bool {
	if len(c.Audience) > 0 {
		for _, a := range c.Audience {
			if slices.Contains(v.Audiences, a) {
				return true
			}
		}
		return false
	}
	return c.ClientID != "" && slices.Contains(v.Audiences, c.ClientID)
}

func (c tokenClaims) scopes() []string {
	out := strings.Fields(c.Scope)
	switch s := c.Scp.(type) {
	case string:
		out = append(out, strings.Fields(s)...)
	case []any:
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}
