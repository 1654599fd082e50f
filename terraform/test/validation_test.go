package test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestBadInputIsRejectedWithTheModulesOwnMessage plans modules with invalid inputs and
// checks that Terraform stops with the module's validation message and names the
// variable and the file it is declared in.
func TestBadInputIsRejectedWithTheModulesOwnMessage(t *testing.T) {
	tags := map[string]any{"environment": "dev", "owner": "platform", "cost-center": "cc-1234"}
	cases := []struct {
		name, module, variable, message string
		vars                            map[string]any
	}{
		{
			name: "invalid CIDR", module: "vpc", variable: "cidr",
			message: "cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /20",
			vars:    map[string]any{"name": "bloody-sweet-dev", "cidr": "10.300.0.0/16", "azs": []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, "tags": tags},
		},
		{
			name: "CIDR with host bits", module: "vpc", variable: "cidr",
			message: "cidr must be the network address of its block",
			vars:    map[string]any{"name": "bloody-sweet-dev", "cidr": "10.20.1.0/16", "azs": []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, "tags": tags},
		},
		{
			name: "instance class", module: "rds", variable: "instance_class",
			message: "instance_class must be a Graviton RDS class such as db.t4g.medium or db.r7g.large",
			vars:    map[string]any{"name": "bloody-sweet-dev", "instance_class": "db.m5.huge", "vpc_id": "vpc-1", "subnet_ids": []string{"subnet-a", "subnet-b"}, "client_cidrs": []string{"10.10.0.0/19"}, "tags": tags},
		},
		{
			name: "cache node type", module: "elasticache", variable: "node_type",
			message: "node_type must be a Graviton ElastiCache node type",
			vars:    map[string]any{"name": "bloody-sweet-dev", "node_type": "cache.x1.tiny", "vpc_id": "vpc-1", "subnet_ids": []string{"subnet-a", "subnet-b"}, "client_cidrs": []string{"10.10.0.0/19"}, "tags": tags},
		},
		{
			name: "environment name", module: "iam", variable: "environment",
			message: "environment must be one of dev, staging, prod",
			vars: map[string]any{"environment": "qa", "account_id": "123456789012", "region": "eu-west-1", "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/x",
				"oidc_issuer_host": "x", "msk_cluster_name": "bloody-sweet-qa", "services": map[string]any{}, "tags": tags},
		},
		{
			name: "JWT issuer over plain HTTP", module: "api-gateway", variable: "jwt_issuer",
			message: "jwt_issuer must be an https URL without query or fragment",
			vars: map[string]any{"name": "bloody-sweet-dev", "subnet_ids": []string{"subnet-0a", "subnet-0b"}, "vpc_link_security_group_id": "sg-0a",
				"ingress_alb":     map[string]any{"cluster_name": "bloody-sweet-dev", "group": "bloody-sweet-dev", "security_group_id": "sg-0b"},
				"alb_server_name": "api.dev.bloody-sweet.example.com", "domain_name": "api-origin.dev.bloody-sweet.example.com",
				"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x", "zone_id": "Z0123456789", "jwt_issuer": "http://auth.dev.bloody-sweet.example.com/",
				"jwt_audiences":            []string{"https://api.dev.bloody-sweet.example.com"},
				"origin_verify_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/dev/edge/origin-verify-AbC123",
				"authorizer_s3_bucket":     "bloody-sweet-release-artifacts", "authorizer_s3_key": "edge-authorizer/1.0.0.zip", "tags": tags},
		},
		{
			name: "access token validity over an hour", module: "identity", variable: "access_token_validity_minutes",
			message: "access_token_validity_minutes must be a whole number of minutes from 15 to 60",
			vars:    identityVars(tags, map[string]any{"access_token_validity_minutes": 240}),
		},
		{
			name: "refresh token validity of a year", module: "identity", variable: "refresh_token_validity_days",
			message: "refresh_token_validity_days must be a whole number of days from 1 to 90",
			vars:    identityVars(tags, map[string]any{"refresh_token_validity_days": 365}),
		},
		{
			name: "hosted UI prefix with a dot", module: "identity", variable: "domain_prefix",
			message: "domain_prefix must be 1-63 lowercase letters, digits or inner dashes, without aws, amazon or cognito",
			vars:    identityVars(tags, map[string]any{"domain_prefix": "auth.bloody-sweet.example.com"}),
		},
		{
			name: "plain-HTTP redirect URI", module: "identity", variable: "callback_urls",
			message: "callback_urls must list 1 to 100 absolute URIs without fragment",
			vars:    identityVars(tags, map[string]any{"callback_urls": []string{"http://app.bloody-sweet.example.com/callback"}}),
		},
		{
			name: "prod without enforced threat protection", module: "identity", variable: "threat_protection",
			message: "threat_protection must be ENFORCED in prod",
			vars:    identityVars(tags, map[string]any{"environment": "prod", "threat_protection": "OFF"}),
		},
		{
			name: "missing required tag", module: "vpc", variable: "tags",
			message: "tags must include the keys environment, owner and cost-center",
			vars:    map[string]any{"name": "bloody-sweet-dev", "cidr": "10.20.0.0/16", "azs": []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, "tags": map[string]any{"environment": "dev"}},
		},
	}
	initialised := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(workDir, "modules", c.module)
			opts := options(dir)
			if !initialised[c.module] {
				if _, err := terraform.InitE(t, opts); err != nil {
					t.Fatalf("init %s: %v", c.module, err)
				}
				initialised[c.module] = true
			}
			opts.Vars = c.vars
			out, err := terraform.PlanE(t, opts)
			if err == nil {
				t.Fatalf("plan of modules/%s with a bad %s succeeded", c.module, c.variable)
			}
			// Terraform wraps long messages; compare with whitespace folded.
			folded := strings.Join(strings.Fields(out+" "+err.Error()), " ")
			for _, want := range []string{c.message, `variable "` + c.variable + `"`, "variables.tf"} {
				if !strings.Contains(folded, want) {
					t.Errorf("plan output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// identityVars are valid inputs of modules/identity with some replaced.
func identityVars(tags map[string]any, with map[string]any) map[string]any {
	vars := map[string]any{
		"name": "bloody-sweet-dev", "environment": "dev", "domain_prefix": "bloody-sweet-dev",
		"callback_urls": []string{"bloodysweet://auth/callback"}, "scopes": map[string]any{"stream.all": "Read every order's changes"},
		"machine_client_scopes": []string{"stream.all"}, "tags": tags,
	}
	for k, v := range with {
		vars[k] = v
	}
	return vars
}
