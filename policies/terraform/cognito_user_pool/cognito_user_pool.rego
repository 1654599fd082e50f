# METADATA
# title: Customer user pools protect the accounts
# description: >-
#   Every aws_cognito_user_pool offers MFA (mfa_configuration OPTIONAL or ON; Cognito's default is OFF)
#   and requires passwords of at least 12 characters; a prod pool (environment tag prod) has deletion
#   protection ACTIVE (deleting a pool deletes every customer account, beyond restore) and threat
#   protection ENFORCED. No app client uses the implicit grant, which returns tokens in the redirect URL.
# custom:
#   severity: high
#   remediation: >-
#     Use modules/identity, which sets MFA OPTIONAL with TOTP, a 12-character password policy, and in prod
#     deletion_protection = "ACTIVE" and threat_protection = "ENFORCED"; give app clients the
#     authorization code grant (with PKCE) instead of implicit.
package terraform.cognito_user_pool

import data.lib.terraform as tf

min_password_length := 12

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_cognito_user_pool")
	mfa := object.get(r.values, "mfa_configuration", null)
	not mfa in {"OPTIONAL", "ON"}
	msg := sprintf("mfa_configuration is %v: customers cannot add a second factor (set OPTIONAL or ON)", [label(mfa)])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_cognito_user_pool")
	n := password_length(r)
	n < min_password_length
	msg := sprintf("password_policy.minimum_length is %d: at least %d", [n, min_password_length])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_cognito_user_pool")
	prod(r)
	protection := object.get(r.values, "deletion_protection", null)
	protection != "ACTIVE"
	msg := sprintf("a prod user pool needs deletion_protection ACTIVE, not %v", [label(protection)])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_cognito_user_pool")
	prod(r)
	mode := object.get(tf.block(r.values, "user_pool_add_ons"), "advanced_security_mode", null)
	mode != "ENFORCED"
	msg := sprintf("a prod user pool needs threat protection (user_pool_add_ons.advanced_security_mode) ENFORCED, not %v", [label(mode)])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_cognito_user_pool_client")
	"implicit" in object.get(r.values, "allowed_oauth_flows", [])
	msg := "allowed_oauth_flows has implicit: tokens would travel in the redirect URL (use code with PKCE)"
}

prod(r) if tf.effective_tags(r).environment == "prod"

# Cognito's default policy is 8 characters when the block is left out.
password_length(r) := n if {
	n := tf.block(r.values, "password_policy").minimum_length
	is_number(n)
}

password_length(r) := 8 if not is_number(object.get(tf.block(r.values, "password_policy"), "minimum_length", null))

label(v) := v if is_string(v)

label(v) := "unset" if not is_string(v)
