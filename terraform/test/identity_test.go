package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
)

// The edge stage's identity provider (module identity): each environment's Cognito
// user pool issues the customers' tokens, and the edge authorizer trusts that pool
// only. Its issuer and client IDs are known only after apply, so the plans show the
// wiring by reference (the authorizer's issuer and audiences are unknown because they
// are the pool's, and the configuration names the pool's outputs), and the rest by
// value: every scope a route requires exists on the resource server and some client
// may request it, the customers' client is public with the code grant only and gets
// no route scope, prod's pool is deletion protected and enforces threat protection.

// TestEdgeAuthorizerTrustsTheUserPool plans each edge root and checks the authorizer
// verifies the tokens of that environment's user pool.
func TestEdgeAuthorizerTrustsTheUserPool(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			edge, _, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			checkAuthorizerTrustsPool(t, edge)
			checkRouteScopesOnResourceServer(t, edge)
			checkCustomerClient(t, edge)
			checkUserPool(t, env, edge)
			checkEdgeTags(t, env, edge)
		})
	}
}

// checkAuthorizerTrustsPool: the function's issuer, JWKS and audiences are unknown
// at plan (the pool's region and ID, the clients' IDs) and come, in the root's
// configuration, from module identity's outputs, which name the pool and clients.
func checkAuthorizerTrustsPool(t *testing.T, edge *rootPlan) {
	t.Helper()
	var fn *tfjson.ResourceChange
	for _, rc := range edge.Plan.ResourceChanges {
		if rc.Type == "aws_lambda_function" && rc.Mode == tfjson.ManagedResourceMode {
			fn = rc
		}
	}
	if fn == nil {
		t.Fatal("no authorizer function in the edge plan")
	}
	unknownVars, _ := dig(fn.Change.AfterUnknown, "environment.0.variables").(map[string]any)
	for _, v := range []string{"EDGE_AUTH_ISSUER", "EDGE_AUTH_JWKS_URL", "EDGE_AUTH_AUDIENCES"} {
		if unknownVars[v] != true {
			known := dig(fn.Change.After, "environment.0.variables."+v)
			t.Errorf("authorizer %s is %v at plan: it must be the user pool's (known after apply), not a literal", v, known)
		}
	}

	root := edge.Plan.Config.RootModule
	api := root.ModuleCalls["api"]
	if api == nil || root.ModuleCalls["identity"] == nil {
		t.Fatalf("the edge root must call modules api and identity, calls %v", mapKeys(root.ModuleCalls))
	}
	for arg, want := range map[string]string{
		"jwt_issuer":    "module.identity.issuer_url",
		"jwks_url":      "module.identity.jwks_url",
		"jwt_audiences": "module.identity.audiences",
	} {
		e := api.Expressions[arg]
		if e == nil || e.ExpressionData == nil || !slices.Contains(e.References, want) {
			t.Errorf("module api's %s must be %s", arg, want)
		}
	}
	identity := root.ModuleCalls["identity"].Module
	for out, want := range map[string][]string{
		"issuer_url": {"aws_cognito_user_pool.this.region", "aws_cognito_user_pool.this.id"},
		"jwks_url":   {"aws_cognito_user_pool.this.region", "aws_cognito_user_pool.this.id"},
		"audiences":  {"aws_cognito_user_pool_client.app.id", "aws_cognito_user_pool_client.machine"},
	} {
		refs := outputRefs(identity, out)
		for _, w := range want {
			if !slices.Contains(refs, w) {
				t.Errorf("module identity's output %s references %v, want %s", out, refs, w)
			}
		}
	}
}

// checkRouteScopesOnResourceServer: every scope the authorizer requires for a route
// is <identifier>/<scope> of the resource server, and a client may request it.
func checkRouteScopesOnResourceServer(t *testing.T, edge *rootPlan) {
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
	var required []string
	for _, s := range routeScopes {
		required = append(required, s...)
	}
	if len(required) == 0 {
		t.Fatal("no route requires a scope: the check below would prove nothing")
	}

	rs := only(t, after(edge, "aws_cognito_resource_server"))
	var declared []string
	for _, s := range asList(rs["scope"]) {
		declared = append(declared, fmt.Sprintf("%v/%v", rs["identifier"], s.(map[string]any)["scope_name"]))
	}
	sort.Strings(declared)
	var requestable []string
	for _, c := range after(edge, "aws_cognito_user_pool_client") {
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
func checkCustomerClient(t *testing.T, edge *rootPlan) {
	t.Helper()
	clients := after(edge, "aws_cognito_user_pool_client")
	app := clients["module.identity.aws_cognito_user_pool_client.app"]
	if app == nil {
		t.Fatalf("no customer app client in the edge plan, clients %v", mapKeys(clients))
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
func checkUserPool(t *testing.T, env string, edge *rootPlan) {
	t.Helper()
	pool := only(t, after(edge, "aws_cognito_user_pool"))
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
	domain := only(t, after(edge, "aws_cognito_user_pool_domain"))
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
