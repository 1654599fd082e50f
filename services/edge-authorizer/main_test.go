package main

import (
	"context"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/services/edge-authorizer/edgeauth"
)

// A function deployed without its environment fails at cold start, naming every
// missing variable.
func TestSetupFailsOnMissingEnvironment(t *testing.T) {
	_, err := setup(context.Background(), func(string) string { return "" })
	if err == nil {
		t.Fatal("setup succeeded with no environment")
	}
	for _, name := range []string{edgeauth.EnvIssuer, edgeauth.EnvAudiences, edgeauth.EnvOriginSecretID} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestSetupWiresTheAuthorizer(t *testing.T) {
	env := map[string]string{
		edgeauth.EnvIssuer:         "https://auth.dev.bloody-sweet.example.com/",
		edgeauth.EnvAudiences:      "https://api.dev.bloody-sweet.example.com",
		edgeauth.EnvOriginSecretID: "bloody-sweet/dev/edge/origin-verify",
		edgeauth.EnvRouteScopes:    `{"GET /v1/stream":["orders/stream.all"]}`,
		"AWS_REGION":               "eu-west-1",
	}
	a, err := setup(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if a.Origin.SecretID != env[edgeauth.EnvOriginSecretID] || a.Tokens.Issuer != env[edgeauth.EnvIssuer] || len(a.RouteScopes["GET /v1/stream"]) != 1 {
		t.Errorf("authorizer not wired from the environment: secret %q issuer %q scopes %v", a.Origin.SecretID, a.Tokens.Issuer, a.RouteScopes)
	}
}
