package load

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientSecretEnv names the environment variable that holds the OAuth
// client secret: a secret never goes on a command line, where every user
// of the machine can read it.
const ClientSecretEnv = "LOAD_OAUTH_CLIENT_SECRET"

// OAuth is how the harness gets bearer tokens from a deployed
// environment's identity provider: the edge admits only the Cognito pool's
// tokens, and GET /v1/stream needs orders/stream.all, which only the
// operators' machine client gets (client-credentials grant).
type OAuth struct {
	TokenURL string
	ClientID string
	Scopes   []string
}

// Enabled reports whether a token URL was given.
func (o OAuth) Enabled() bool { return o.TokenURL != "" }

// CheckTokenURL refuses a token URL that would send the client secret in
// clear text: https, or plain http only to a loopback address (a local
// issuer in tests and `platform dev`).
func (o OAuth) CheckTokenURL() error {
	u, err := url.Parse(o.TokenURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("load: --oauth-token-url %q is not an absolute URL", o.TokenURL)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || isLoopbackIP(h) {
			return nil
		}
	}
	return fmt.Errorf("load: --oauth-token-url %s: must be https (plain http only on loopback): the client secret would travel in clear text", u.Redacted())
}

func isLoopbackIP(h string) bool {
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// Authorize returns a copy of client whose requests carry a bearer token
// for o, fetched when first needed and fetched again before it expires (a
// soak run outlives one token). The secret comes from ClientSecretEnv.
func (o OAuth) Authorize(ctx context.Context, client *http.Client) (*http.Client, error) {
	if err := o.CheckTokenURL(); err != nil {
		return nil, err
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("load: an OAuth token URL needs a client id")
	}
	secret := os.Getenv(ClientSecretEnv)
	if secret == "" {
		return nil, fmt.Errorf("load: %s is empty: the client-credentials grant needs the client's secret", ClientSecretEnv)
	}
	cc := clientcredentials.Config{ClientID: o.ClientID, ClientSecret: secret, TokenURL: o.TokenURL, Scopes: o.Scopes,
		AuthStyle: oauth2.AuthStyleInHeader}
	// Token requests use their own client: the harness's has a request
	// timeout sized for orders, and its transport is about to be wrapped.
	tokenCtx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: client.Timeout})
	authed := *client
	authed.Transport = &oauth2.Transport{Source: cc.TokenSource(tokenCtx), Base: client.Transport}
	return &authed, nil
}

// ParseScopes splits a comma- or space-separated scope list.
func ParseScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
