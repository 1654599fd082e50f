package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/load"
)

// Token flags that cannot work are bad input (exit 2) before any load is sent.
func TestLoadOAuthFlags(t *testing.T) {
	t.Setenv(load.ClientSecretEnv, "")
	smoke := "../../tests/load/scenarios/smoke.json"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"embedded takes no tokens", []string{"--embedded", "--oauth-token-url", "https://auth.test/oauth2/token"}, "embedded"},
		{"no client id", []string{"--target", "https://api.test", "--oauth-token-url", "https://auth.test/oauth2/token"}, "--oauth-client-id"},
		{"token URL in clear text", []string{"--target", "https://api.test", "--oauth-token-url", "http://auth.test/oauth2/token", "--oauth-client-id", "m"}, "must be https"},
		{"token URL not a URL", []string{"--target", "https://api.test", "--oauth-token-url", "auth.test/oauth2/token", "--oauth-client-id", "m"}, "not an absolute URL"},
		{"no secret", []string{"--target", "https://api.test", "--oauth-token-url", "https://auth.test/oauth2/token", "--oauth-client-id", "m"}, load.ClientSecretEnv},
		{"dev issuer with embedded", []string{"--embedded", "--dev-issuer-key", "k.json"}, "--dev-issuer-key"},
		{"dev issuer key missing", []string{"--target", "http://127.0.0.1:1", "--dev-issuer-key", "/nonexistent/dev-issuer.json"}, "/nonexistent/dev-issuer.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append([]string{"load", "--scenario", smoke}, tc.args...))
			err := root.Execute()
			if code := cliexit.Code(err); code != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, err %v: want 2 naming %q", code, err, tc.want)
			}
		})
	}
}
