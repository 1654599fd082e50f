package edgeauth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	got, err := LoadConfig(env(map[string]string{
		EnvIssuer:         "https://auth.dev.bloody-sweet.example.com/",
		EnvAudiences:      " https://api.dev.bloody-sweet.example.com , client-1 ",
		EnvOriginSecretID: "bloody-sweet/dev/edge/origin-verify",
		EnvRouteScopes:    `{"GET /v1/stream": ["orders/stream.all"]}`,
		EnvSecretTTL:      "2m",
		EnvMaxLifetime:    "2h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Issuer:         "https://auth.dev.bloody-sweet.example.com/",
		Audiences:      []string{"https://api.dev.bloody-sweet.example.com", "client-1"},
		RouteScopes:    map[string][]string{"GET /v1/stream": {"orders/stream.all"}},
		OriginSecretID: "bloody-sweet/dev/edge/origin-verify",
		SecretTTL:      2 * time.Minute,
		MaxLifetime:    2 * time.Hour,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

// Every problem is named at once, by variable.
func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"empty", nil, []string{EnvIssuer + " is not set", EnvAudiences + " is not set", EnvOriginSecretID + " is not set"}},
		{"bad values", map[string]string{
			EnvIssuer: "http://auth.example.com/", EnvAudiences: ",", EnvOriginSecretID: "x",
			EnvJWKSURL: "https://idp.example.com/keys?x=1", EnvRouteScopes: `["GET /v1/stream"]`, EnvSecretTTL: "2s", EnvMaxLifetime: "30d",
		}, []string{EnvIssuer + ": ", EnvAudiences, EnvJWKSURL + ": ", EnvRouteScopes + ": not a JSON object", EnvSecretTTL + ": 2s is outside", EnvMaxLifetime + ": "}},
		{"route without scope", map[string]string{
			EnvIssuer: "https://auth.example.com/", EnvAudiences: "a", EnvOriginSecretID: "x", EnvRouteScopes: `{"GET /v1/stream": []}`,
		}, []string{`route "GET /v1/stream" lists no scope`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(env(tc.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
