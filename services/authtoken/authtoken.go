// Package authtoken verifies the bearer JWTs of the environment's identity
// provider: the edge authorizer (services/edge-authorizer) and the services
// that face clients (services/internal/auth) check a token by the same rules,
// so this verifier lives where both trees may import it.
package authtoken

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Leeway is the clock skew allowed on exp and nbf.
const Leeway = 30 * time.Second

// BearerToken returns the token of an Authorization header value "Bearer <token>"
// (scheme in any case), or false when there is none.
func BearerToken(authorization string) (string, bool) {
	scheme, token, _ := strings.Cut(authorization, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// HasAnyScope reports whether have holds one of want.
func HasAnyScope(have, want []string) bool {
	return slices.ContainsFunc(want, func(s string) bool { return slices.Contains(have, s) })
}

// CheckHTTPSURL checks that s is an https URL without query or fragment, as an
// issuer and a JWKS URL must be (the services check their AUTH_* the same way).
func CheckHTTPSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must be an https URL without query or fragment", s)
	}
	return nil
}

// ParseMaxLifetime reads a maximum token lifetime: a duration from 1m to 7
// days (both services that verify tokens take it the same way).
func ParseMaxLifetime(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, err
	case d < time.Minute || d > 7*24*time.Hour:
		return 0, fmt.Errorf("%s is outside 1m..168h", d)
	}
	return d, nil
}
