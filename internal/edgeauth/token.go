package edgeauth

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

// Verifier checks bearer JWTs: RS256 or ES256 only (so never "none", and never an
// HMAC keyed with a public key), signed by a key of the issuer's JWKS, with the
// configured iss, one of the accepted audiences, exp required, nbf honoured, both
// with Leeway.
type Verifier struct {
	Keys      *KeySet
	Issuer    string
	Audiences []string
	Now       func() time.Time
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
}

// Verify returns the claims of a valid token, or why it is not.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	var c tokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(v.now),
	)
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
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
	if !v.audienceOK(c) {
		return Claims{}, fmt.Errorf("audience %v (client_id %q) is not one of %v", []string(c.Audience), c.ClientID, v.Audiences)
	}
	if c.Subject == "" {
		return Claims{}, errors.New("token has no sub")
	}
	return Claims{Subject: c.Subject, Scopes: c.scopes()}, nil
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
