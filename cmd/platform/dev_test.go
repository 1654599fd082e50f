package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/services/authtoken"
	"github.com/bloody-sweet/platform/services/devissuer"
)

// TestDevToken: `platform dev token` signs with the key a running dev
// stack's issuer wrote to its data dir; the issuer's JWKS verifies the
// token, with the customer as subject and the scopes asked for. Bad flags
// exit 2.
func TestDevToken(t *testing.T) {
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Close() })
	dir := t.TempDir()
	if err := is.WriteFile(devissuer.KeyPath(dir)); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(append([]string{"dev", "token"}, args...))
		err := root.Execute()
		return strings.TrimSpace(out.String()), err
	}
	tok, err := run("--customer", "c-9", "--scope", devissuer.StoreReadScope, "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	v := &authtoken.Verifier{Keys: authtoken.NewKeySet(is.TLSClient(), "", is.Issuer), Issuer: is.Issuer, Audiences: []string{devissuer.Audience}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := v.Verify(ctx, tok)
	if err != nil || c.Subject != "c-9" || len(c.Scopes) != 1 || c.Scopes[0] != devissuer.StoreReadScope {
		t.Errorf("token claims %+v, %v", c, err)
	}
	for _, args := range [][]string{
		{"--data-dir", dir},
		{"--customer", "c", "--ttl", "2h", "--data-dir", dir},
		{"--customer", "c", "extra", "--data-dir", dir},
	} {
		if _, err := run(args...); cliexit.Code(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, cliexit.Code(err), err)
		}
	}
	if _, err := run("--customer", "c", "--data-dir", filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "platform dev") {
		t.Errorf("no key file: %v, want an error saying to run platform dev", err)
	}
}
