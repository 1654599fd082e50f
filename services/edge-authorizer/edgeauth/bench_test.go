package edgeauth

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkDecide is the per-request cost of an authorizer invocation that API
// Gateway's cache missed, with the JWKS and the secret already cached (the warm
// Lambda): RS256 (2048-bit) against ES256 (P-256) verification.
func BenchmarkDecide(b *testing.B) {
	f := newFixture(b)
	for _, tc := range []struct {
		name   string
		method jwt.SigningMethod
		kid    string
		key    any
	}{
		{"RS256", jwt.SigningMethodRS256, "rsa-1", f.idp.rsaKey},
		{"ES256", jwt.SigningMethodES256, "ec-1", f.idp.ecKey},
	} {
		headers := request("", current, "Bearer "+sign(b, tc.method, tc.kid, f.claims(), tc.key))
		ctx := context.Background()
		if _, err := f.authz.Decide(ctx, "GET /v1/orders", headers); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.authz.Decide(ctx, "GET /v1/orders", headers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
