package devissuer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bloody-sweet/platform/services/authtoken"
)

func verifier(is *Issuer) *authtoken.Verifier {
	return &authtoken.Verifier{Keys: authtoken.NewKeySet(is.TLSClient(), "", is.Issuer), Issuer: is.Issuer, Audiences: []string{Audience}}
}

// TestTokensVerify: a minted token passes the services' verifier through
// the issuer's discovery document and JWKS, with its subject and scopes,
// and carries the Cognito access-token shape.
func TestTokensVerify(t *testing.T) {
	t.Parallel()
	is, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Close() })
	tok, err := is.Token("customer-7", StoreReadScope, StreamAllScope)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := verifier(is).Verify(ctx, tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Subject != "customer-7" || !slices.Equal(c.Scopes, []string{StoreReadScope, StreamAllScope}) {
		t.Errorf("claims %+v", c)
	}
	var mc jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &mc); err != nil {
		t.Fatal(err)
	}
	exp, _ := mc.GetExpirationTime()
	iat, _ := mc.GetIssuedAt()
	if mc["token_use"] != "access" || mc["client_id"] != Audience || exp.Sub(iat.Time) > MaxTTL {
		t.Errorf("claims %v: want token_use access, client_id %s, lifetime <= %s", mc, Audience, MaxTTL)
	}
	if _, err := is.TokenTTL("c", 2*time.Hour); err == nil {
		t.Error("a two-hour token was minted")
	}
	if _, err := is.Token(" "); err == nil {
		t.Error("a token without subject was minted")
	}
	if _, err := Start("0.0.0.0:0"); err == nil {
		t.Error("Start listened beyond loopback")
	}
}

// TestSignerFile: the file `platform dev token` reads is owner-only and
// signs tokens the running issuer's JWKS verifies.
func TestSignerFile(t *testing.T) {
	t.Parallel()
	is, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Close() })
	path := filepath.Join(t.TempDir(), "state", KeyFile)
	if err := is.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	s, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token("c-1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err := verifier(is).Verify(ctx, tok); err != nil || c.Subject != "c-1" {
		t.Errorf("Verify = %+v, %v", c, err)
	}
	if err := os.WriteFile(path, []byte(`{"issuer":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil {
		t.Error("ReadFile accepted a file without key")
	}
}
