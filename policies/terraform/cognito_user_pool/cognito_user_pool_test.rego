package terraform.cognito_user_pool_test

import data.lib.fixtures
import data.terraform.cognito_user_pool

# A prod pool as modules/identity plans it (the fixtures' default tags say prod).
pool := {"type": "aws_cognito_user_pool", "name": "this", "module": "module.identity", "values": {
	"name": "bloody-sweet-prod",
	"mfa_configuration": "OPTIONAL",
	"deletion_protection": "ACTIVE",
	"password_policy": [{"minimum_length": 12, "require_symbols": true}],
	"user_pool_add_ons": [{"advanced_security_mode": "ENFORCED"}],
}}

client := {"type": "aws_cognito_user_pool_client", "name": "app", "module": "module.identity", "values": {
	"generate_secret": false,
	"allowed_oauth_flows": ["code"],
}}

dev_tags := {"environment": "dev", "owner": "platform", "cost-center": "cc-1"}

test_identity_module_pool_allowed if {
	count(cognito_user_pool.deny) == 0 with input as fixtures.plan([pool, client])
}

test_mfa_off_denied if {
	p := json.patch(pool, [{"op": "replace", "path": "/values/mfa_configuration", "value": "OFF"}])
	cognito_user_pool.deny == {{"msg": "mfa_configuration is OFF: customers cannot add a second factor (set OPTIONAL or ON)", "resource": {"kind": "aws_cognito_user_pool", "name": "module.identity.aws_cognito_user_pool.this"}}} with input as fixtures.plan([p])
}

test_mfa_unset_denied if {
	p := json.remove(pool, ["values/mfa_configuration"])
	count(cognito_user_pool.deny) == 1 with input as fixtures.plan([p])
}

test_short_password_denied if {
	p := json.patch(pool, [{"op": "replace", "path": "/values/password_policy/0/minimum_length", "value": 8}])
	some f in cognito_user_pool.deny with input as fixtures.plan([p])
	f.msg == "password_policy.minimum_length is 8: at least 12"
}

test_missing_password_policy_is_cognitos_8 if {
	p := json.remove(pool, ["values/password_policy"])
	some f in cognito_user_pool.deny with input as fixtures.plan([p])
	f.msg == "password_policy.minimum_length is 8: at least 12"
}

test_prod_without_deletion_protection_denied if {
	p := json.patch(pool, [{"op": "replace", "path": "/values/deletion_protection", "value": "INACTIVE"}])
	some f in cognito_user_pool.deny with input as fixtures.plan([p])
	f.msg == "a prod user pool needs deletion_protection ACTIVE, not INACTIVE"
}

test_prod_threat_protection_audit_denied if {
	p := json.patch(pool, [{"op": "replace", "path": "/values/user_pool_add_ons/0/advanced_security_mode", "value": "AUDIT"}])
	count(cognito_user_pool.deny) == 1 with input as fixtures.plan([p])
}

test_dev_pool_may_be_deleted_and_audit_only if {
	p := json.patch(pool, [
		{"op": "replace", "path": "/values/deletion_protection", "value": "INACTIVE"},
		{"op": "replace", "path": "/values/user_pool_add_ons/0/advanced_security_mode", "value": "AUDIT"},
		{"op": "add", "path": "/values/tags_all", "value": dev_tags},
	])
	count(cognito_user_pool.deny) == 0 with input as fixtures.plan([p])
}

test_implicit_grant_denied if {
	c := json.patch(client, [{"op": "replace", "path": "/values/allowed_oauth_flows", "value": ["code", "implicit"]}])
	cognito_user_pool.deny == {{"msg": "allowed_oauth_flows has implicit: tokens would travel in the redirect URL (use code with PKCE)", "resource": {"kind": "aws_cognito_user_pool_client", "name": "module.identity.aws_cognito_user_pool_client.app"}}} with input as fixtures.plan([pool, c])
}

test_not_a_plan_ignored if {
	count(cognito_user_pool.deny) == 0 with input as {"kind": "ConfigMap", "mfa_configuration": "OFF"}
}
