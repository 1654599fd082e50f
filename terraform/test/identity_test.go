package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The customers' identity provider (module identity, in the platform stage): each
// environment's Cognito user pool issues the customers' tokens; the edge authorizer
// (edge stage), the order API (it acts for the token's subject) and the notification
// service (its SSE streams bypass API Gateway) trust that pool only. The pool is in
// the platform stage because the order and notification pods need its issuer in their
// connections secret at their first sync, before the edge stage can be applied. Its issuer and client IDs are known only after apply, so
// the platform plan shows the wiring by reference and the rest by value: every scope
// the API requires exists on the resource server and some client may request it, the
// customers' client is public with the code grant only and gets no scope, prod's pool
// is deletion protected and enforces threat protection. The edge plan, against a
// platform state with made-up issuer values, shows the authorizer takes exactly the
// platform's.

// streamAllScope is the scope GET /v1/stream requires (docs/CONTRACTS.md): the
// notification service checks it on the stream itself, which bypasses API Gateway.
// storeReadScope is the scope the order API requires to list a store's orders
// (GET /v1/orders?store=), checked by the service: the route is GET /v1/orders
// either way.
const (
	streamAllScope = "orders/stream.all"
	storeReadScope = "orders/store.read"
)

// TestPlatformStageHoldsTheUserPool plans each platform root and checks its user
// pool, clients and scopes, and that the pool's facts reach the connections
// secrets of the services that verify tokens and the root's outputs.
func TestPlatformStageHoldsTheUserPool(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			platform := planRoot(t, env)
			edge, _, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			checkPoolWiring(t, platform)
			checkRouteScopesOnResourceServer(t, edge, platform)
			checkCustomerClient(t, platform)
			checkUserPool(t, env, platform)
			checkIssuerFacts(t, platform)
			if n := len(after(edge, "aws_cognito_user_pool")); n != 0 {
				t.Errorf("the edge plan creates %d user pools: the pool belongs to the platform stage", n)
			}
		})
	}
}

// TestEdgeAuthorizerTrustsTheUserPool plans each edge root and checks the authorizer
// verifies the tokens of the platform stage's user pool: its issuer, JWKS and
// audiences are the platform state's outputs, which are module identity's.
func TestEdgeAuthorizerTrustsTheUserPool(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			edge, _, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			fn := only(t, after(edge, "aws_lambda_function"))
			audiences := fmt.Sprint(fakeIDs["jwt_audiences"].([]any)[0]) + "," + fmt.Sprint(fakeIDs["jwt_audiences"].([]any)[1])
			for v, want := range map[string]any{
				"EDGE_AUTH_ISSUER":    fakeIDs["jwt_issuer"],
				"EDGE_AUTH_JWKS_URL":  fakeIDs["jwks_url"],
				"EDGE_AUTH_AUDIENCES": audiences,
			} {
				if got := dig(fn, "environment.0.variables."+v); got != want {
					t.Errorf("authorizer %s = %v, want the platform state's %v", v, got, want)
				}
			}
			checkEdgeTags(t, env, edge)
		})
	}
}

// checkPoolWiring: the platform root's issuer outputs are module identity's (through
// module platform), and identity's outputs name the pool and its clients.
func checkPoolWiring(t *testing.T, platform *rootPlan) {
	t.Helper()
	root := platform.Plan.Config.RootModule
	for out, want := range map[string]string{
		"jwt_issuer":        "module.platform.jwt_issuer",
		"jwks_url":          "module.platform.jwks_url",
		"jwt_audiences":     "module.platform.jwt_audiences",
		"user_pool_id":      "module.platform.user_pool_id",
		"app_client_id":     "module.platform.app_client_id",
		"machine_client_id": "module.platform.machine_client_id",
		"hosted_ui_url":     "module.platform.hosted_ui_url",
	} {
		if refs := outputRefs(root, out); !slices.Contains(refs, want) {
			t.Errorf("platform root output %s references %v, want %s", out, refs, want)
		}
	}
	pm := root.ModuleCalls["platform"].Module
	for out, want := range map[string]string{
		"jwt_issuer":    "module.identity.issuer_url",
		"jwks_url":      "module.identity.jwks_url",
		"jwt_audiences": "module.identity.audiences",
	} {
		if refs := outputRefs(pm, out); !slices.Contains(refs, want) {
			t.Errorf("module platform's output %s references %v, want %s", out, refs, want)
		}
	}
	call := pm.ModuleCalls["identity"]
	if call == nil {
		t.Fatalf("module platform must call module identity, calls %v", mapKeys(pm.ModuleCalls))
	}
	for out, want := range map[string][]string{
		"issuer_url": {"aws_cognito_user_pool.this.region", "aws_cognito_user_pool.this.id"},
		"jwks_url":   {"aws_cognito_user_pool.this.region", "aws_cognito_user_pool.this.id"},
		"audiences":  {"aws_cognito_user_pool_client.app.id", "aws_cognito_user_pool_client.machine"},
	} {
		refs := outputRefs(call.Module, out)
		for _, w := range want {
			if !slices.Contains(refs, w) {
				t.Errorf("module identity's output %s references %v, want %s", out, refs, w)
			}
		}
	}
	// The notification service's secret gets the same issuer, JWKS and audiences.
	cs := pm.ModuleCalls["connection_secrets"]
	if cs == nil {
		t.Fatal("module platform must call module connection_secrets")
	}
	e := cs.Expressions["token_issuer"]
	for _, want := range []string{"module.identity.issuer_url", "module.identity.jwks_url", "module.identity.audiences"} {
		if e == nil || !slices.Contains(e.References, want) {
			t.Errorf("module connection_secrets' token_issuer must reference %s", want)
		}
	}
}

// tokenServices verify the customers' bearer JWTs themselves (the CUE services
// with an AUTH_ISSUER; contract_test checks modules/platform's token_services
// against CUE): the order API acts for the token's subject, the notification
// streams bypass API Gateway.
var tokenServices = []string{"notification", "order"}

// checkIssuerFacts: the connections secrets of the token services, and only
// theirs, hold auth_issuer, auth_audiences and auth_jwks_url.
func checkIssuerFacts(t *testing.T, platform *rootPlan) {
	t.Helper()
	props, _ := output(t, platform, "connection_secret_properties").(map[string]any)
	if len(props) == 0 {
		t.Fatal("no connection secret properties in the platform plan")
	}
	auth := []string{"auth_audiences", "auth_issuer", "auth_jwks_url"}
	for svc, ps := range props {
		var written []string
		for _, p := range asList(ps) {
			written = append(written, fmt.Sprint(p))
		}
		for _, a := range auth {
			if got, want := slices.Contains(written, a), slices.Contains(tokenServices, svc); got != want {
				t.Errorf("%s's connections secret writes %s: %v, want %v (only %v verify tokens themselves)", svc, a, got, want, tokenServices)
			}
		}
	}
	for _, svc := range tokenServices {
		if _, ok := props[svc]; !ok {
			t.Errorf("no connections secret for the %s service", svc)
		}
	}
}

// checkRouteScopesOnResourceServer: every scope the authorizer requires for a route
// is <identifier>/<scope> of the resource server, and a client may request it.
func checkRouteScopesOnResourceServer(t *testing.T, edge, platform *rootPlan) {
	t.Helper()
	fn := only(t, after(edge, "aws_lambda_function"))
	raw, ok := dig(fn, "environment.0.variables.EDGE_AUTH_ROUTE_SCOPES").(string)
	if !ok {
		t.Fatal("the authorizer's route scopes are not known at plan")
	}
	var routeScopes map[string][]string
	if err := json.Unmarshal([]byte(raw), &routeScopes); err != nil {
		t.Fatalf("EDGE_AUTH_ROUTE_SCOPES %q: %v", raw, err)
	}
	// The stream of every order needs its scope too, checked by the notification
	// service itself when the route is not API Gateway's.
	if _, ok := routeScopes["GET /v1/stream"]; !ok {
		routeScopes["GET /v1/stream (notification service)"] = []string{streamAllScope}
	}
	// So does listing a store's orders, checked by the order API itself.
	routeScopes["GET /v1/orders?store= (order service)"] = []string{storeReadScope}

	rs := only(t, after(platform, "aws_cognito_resource_server"))
	var declared []string
	for _, s := range asList(rs["scope"]) {
		declared = append(declared, fmt.Sprintf("%v/%v", rs["identifier"], s.(map[string]any)["scope_name"]))
	}
	sort.Strings(declared)
	var requestable []string
	for _, c := range after(platform, "aws_cognito_user_pool_client") {
		for _, s := range asList(c["allowed_oauth_scopes"]) {
			requestable = append(requestable, s.(string))
		}
	}
	for route, scopes := range routeScopes {
		for _, s := range scopes {
			if !slices.Contains(declared, s) {
				t.Errorf("route %s requires scope %s, the resource server declares %v", route, s, declared)
			}
			if !slices.Contains(requestable, s) {
				t.Errorf("route %s requires scope %s, which no app client may request (%v)", route, s, requestable)
			}
		}
	}
}

// checkCustomerClient: the mobile app's client is public (no secret), gets tokens by
// the authorization code grant only, through the hosted pages only, and cannot
// request a route scope (it would be every customer's).
func checkCustomerClient(t *testing.T, platform *rootPlan) {
	t.Helper()
	clients := after(platform, "aws_cognito_user_pool_client")
	app := clients["module.platform.module.identity.aws_cognito_user_pool_client.app"]
	if app == nil {
		t.Fatalf("no customer app client in the platform plan, clients %v", mapKeys(clients))
	}
	if app["generate_secret"] != false {
		t.Errorf("the mobile app's client has generate_secret %v: a public client has no secret", app["generate_secret"])
	}
	if diff := cmp.Diff([]any{"code"}, app["allowed_oauth_flows"]); diff != "" || app["allowed_oauth_flows_user_pool_client"] != true {
		t.Errorf("the mobile app's client must use the authorization code grant only (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"ALLOW_REFRESH_TOKEN_AUTH"}, app["explicit_auth_flows"]); diff != "" {
		t.Errorf("the mobile app's client must have no password, SRP or custom auth flow (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"email", "openid"}, sortedAny(app["allowed_oauth_scopes"])); diff != "" {
		t.Errorf("the mobile app's client scopes (-want +got):\n%s", diff)
	}
	for _, u := range asList(app["callback_urls"]) {
		if s := u.(string); strings.HasPrefix(s, "http://") {
			t.Errorf("callback URL %s is plain HTTP", s)
		}
	}
	access, _ := app["access_token_validity"].(float64)
	refresh, _ := app["refresh_token_validity"].(float64)
	units := dig(app, "token_validity_units.0")
	if access < 15 || access > 60 || dig(units, "access_token") != "minutes" || refresh < 1 || refresh > 90 || dig(units, "refresh_token") != "days" {
		t.Errorf("token validity access %v %v, refresh %v %v: want 15-60 minutes and 1-90 days", access, dig(units, "access_token"), refresh, dig(units, "refresh_token"))
	}
	for addr, c := range clients {
		if c["generate_secret"] == true && slices.Contains(asList(c["allowed_oauth_flows"]), any("code")) {
			t.Errorf("%s: a client with a secret must not run the customers' code flow", addr)
		}
	}
}

// checkUserPool: email sign-in, optional TOTP, recovery by email, and in prod
// deletion protection and enforced threat protection.
func checkUserPool(t *testing.T, env string, platform *rootPlan) {
	t.Helper()
	pool := only(t, after(platform, "aws_cognito_user_pool"))
	if diff := cmp.Diff([]any{"email"}, pool["username_attributes"]); diff != "" {
		t.Errorf("username attributes (-want +got):\n%s", diff)
	}
	if pool["mfa_configuration"] != "OPTIONAL" || dig(pool, "software_token_mfa_configuration.0.enabled") != true {
		t.Errorf("MFA %v TOTP %v, want OPTIONAL with TOTP", pool["mfa_configuration"], dig(pool, "software_token_mfa_configuration.0.enabled"))
	}
	if got := dig(pool, "account_recovery_setting.0.recovery_mechanism.0.name"); got != "verified_email" {
		t.Errorf("account recovery by %v, want verified_email", got)
	}
	wantProtection, wantSecurity := "INACTIVE", "ENFORCED"
	if env == "prod" {
		wantProtection = "ACTIVE"
	}
	if env == "dev" {
		wantSecurity = "AUDIT"
	}
	if pool["deletion_protection"] != wantProtection {
		t.Errorf("deletion protection %v in %s, want %s", pool["deletion_protection"], env, wantProtection)
	}
	if got := dig(pool, "user_pool_add_ons.0.advanced_security_mode"); got != wantSecurity || pool["user_pool_tier"] != "PLUS" {
		t.Errorf("threat protection %v on tier %v in %s, want %s on PLUS", got, pool["user_pool_tier"], env, wantSecurity)
	}
	domain := only(t, after(platform, "aws_cognito_user_pool_domain"))
	if domain["domain"] != "bloody-sweet-"+env {
		t.Errorf("hosted UI prefix %v, want bloody-sweet-%s", domain["domain"], env)
	}
}

// checkEdgeTags: every taggable resource of the edge stage carries the required tags
// of its environment.
func checkEdgeTags(t *testing.T, env string, edge *rootPlan) {
	t.Helper()
	tagged := 0
	for _, rc := range edge.Plan.ResourceChanges {
		v, ok := rc.Change.After.(map[string]any)
		if !ok {
			continue
		}
		if _, taggable := v["tags_all"]; !taggable {
			continue
		}
		tagged++
		all, _ := v["tags_all"].(map[string]any)
		for _, k := range []string{"environment", "owner", "cost-center"} {
			if s, _ := all[k].(string); s == "" {
				t.Errorf("%s: tag %q missing", rc.Address, k)
			}
		}
		if all["environment"] != env {
			t.Errorf("%s: environment tag %v, want %s", rc.Address, all["environment"], env)
		}
	}
	if tagged < 5 {
		t.Errorf("only %d taggable resources in the edge plan", tagged)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedAny(v any) []any {
	l := slices.Clone(asList(v))
	sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
	return l
}
