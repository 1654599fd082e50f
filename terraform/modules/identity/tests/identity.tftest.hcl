mock_provider "aws" {
  # What AWS assigns: the pool's region and ID, the clients' IDs.
  mock_resource "aws_cognito_user_pool" {
    defaults = {
      id     = "eu-west-1_AbCdEf123"
      arn    = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"
      region = "eu-west-1"
    }
  }
}

variables {
  name          = "bloody-sweet-test"
  environment   = "dev"
  domain_prefix = "bloody-sweet-test"
  callback_urls = ["bloodysweet://auth/callback"]
  logout_urls   = ["bloodysweet://auth/signout"]
  scopes = {
    "stream.all" = "Read the live changes of every order"
    "store.read" = "Read a store's orders"
  }
  machine_client_scopes = ["stream.all", "store.read"]
  threat_protection     = "AUDIT"
  tags = {
    environment   = "dev"
    owner         = "platform"
    "cost-center" = "cc-1234"
  }
}

run "customer_pool_with_email_sign_in_and_optional_totp" {
  command = plan

  assert {
    condition     = aws_cognito_user_pool.this.username_attributes == toset(["email"]) && aws_cognito_user_pool.this.auto_verified_attributes == toset(["email"])
    error_message = "customers sign in with their email address, which Cognito verifies"
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "OPTIONAL" && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "MFA must be optional with an authenticator app (TOTP)"
  }

  assert {
    condition = alltrue([
      aws_cognito_user_pool.this.password_policy[0].minimum_length >= 12,
      aws_cognito_user_pool.this.password_policy[0].require_lowercase,
      aws_cognito_user_pool.this.password_policy[0].require_uppercase,
      aws_cognito_user_pool.this.password_policy[0].require_numbers,
      aws_cognito_user_pool.this.password_policy[0].require_symbols,
    ])
    error_message = "passwords must be at least 12 characters with all four character classes"
  }

  assert {
    condition     = [for m in aws_cognito_user_pool.this.account_recovery_setting[0].recovery_mechanism : m.name] == ["verified_email"]
    error_message = "account recovery must go through the verified email only"
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode == "AUDIT" && aws_cognito_user_pool.this.user_pool_tier == "PLUS"
    error_message = "threat protection needs the PLUS plan"
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "INACTIVE"
    error_message = "a dev pool can be deleted"
  }

  assert {
    condition     = aws_cognito_user_pool.this.tags["cost-center"] == "cc-1234" && aws_cognito_user_pool.this.tags["environment"] == "dev"
    error_message = "the pool carries the required tags"
  }
}

run "public_app_client_code_flow_only" {
  command = apply

  assert {
    condition     = aws_cognito_user_pool_client.app.generate_secret == false && aws_cognito_user_pool_client.app.allowed_oauth_flows == toset(["code"]) && aws_cognito_user_pool_client.app.allowed_oauth_flows_user_pool_client
    error_message = "the mobile app's client is public and uses the authorization code grant only"
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.allowed_oauth_scopes == toset(["openid", "email"])
    error_message = "customers get openid and email only: the operators' scope is not on their client"
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.explicit_auth_flows == toset(["ALLOW_REFRESH_TOKEN_AUTH"])
    error_message = "no password, SRP or custom auth flow on the app client: sign-in is on the hosted pages"
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.access_token_validity == 60 && aws_cognito_user_pool_client.app.token_validity_units[0].access_token == "minutes" && aws_cognito_user_pool_client.app.refresh_token_validity == 30 && aws_cognito_user_pool_client.app.token_validity_units[0].refresh_token == "days"
    error_message = "access tokens last 60 minutes and refresh tokens 30 days"
  }

  assert {
    condition     = aws_cognito_user_pool_client.machine[0].generate_secret && aws_cognito_user_pool_client.machine[0].allowed_oauth_flows == toset(["client_credentials"]) && aws_cognito_user_pool_client.machine[0].allowed_oauth_scopes == toset(["orders/stream.all", "orders/store.read"])
    error_message = "the machine client is confidential, client_credentials only, with the operators' scopes"
  }

  assert {
    condition     = toset([for s in aws_cognito_resource_server.api.scope : "${aws_cognito_resource_server.api.identifier}/${s.scope_name}"]) == toset(["orders/stream.all", "orders/store.read"])
    error_message = "the resource server declares the operators' scopes orders/stream.all and orders/store.read"
  }

  assert {
    condition     = output.issuer_url == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123" && output.jwks_url == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
    error_message = "the issuer is the pool's cognito-idp URL and the JWKS is under it"
  }

  assert {
    condition     = output.audiences == [aws_cognito_user_pool_client.app.id, aws_cognito_user_pool_client.machine[0].id] && output.machine_client_id == aws_cognito_user_pool_client.machine[0].id
    error_message = "the API accepts the tokens of both clients"
  }

  assert {
    condition     = output.hosted_ui_url == "https://bloody-sweet-test.auth.eu-west-1.amazoncognito.com"
    error_message = "the hosted pages are on the Cognito prefix domain"
  }
}

run "customers_scope_when_asked" {
  command = plan

  variables {
    app_client_scopes     = ["stream.all"]
    machine_client_scopes = []
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.allowed_oauth_scopes == toset(["openid", "email", "orders/stream.all"])
    error_message = "app_client_scopes are added to the app client's scopes"
  }

  assert {
    condition     = length(aws_cognito_user_pool_client.machine) == 0
    error_message = "no machine client without machine_client_scopes"
  }
}

run "prod_is_deletion_protected_and_enforced" {
  command = plan

  variables {
    environment       = "prod"
    threat_protection = "ENFORCED"
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "the prod pool must be deletion protected"
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode == "ENFORCED"
    error_message = "prod enforces threat protection"
  }
}

run "threat_protection_off_uses_essentials" {
  command = plan

  variables {
    threat_protection = "OFF"
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_pool_tier == "ESSENTIALS" && aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode == "OFF"
    error_message = "without threat protection the pool stays on ESSENTIALS"
  }
}

run "prod_refuses_threat_protection_off" {
  command = plan

  variables {
    environment       = "prod"
    threat_protection = "AUDIT"
  }

  expect_failures = [var.threat_protection]
}

run "refuses_access_tokens_longer_than_an_hour" {
  command = plan

  variables {
    access_token_validity_minutes = 120
  }

  expect_failures = [var.access_token_validity_minutes]
}

run "refuses_refresh_tokens_beyond_90_days" {
  command = plan

  variables {
    refresh_token_validity_days = 365
  }

  expect_failures = [var.refresh_token_validity_days]
}

run "refuses_a_prefix_with_cognito_reserved_words" {
  command = plan

  variables {
    domain_prefix = "bloody-sweet-cognito"
  }

  expect_failures = [var.domain_prefix]
}

run "refuses_plain_http_callbacks" {
  command = plan

  variables {
    callback_urls = ["http://app.bloody-sweet.example.com/callback"]
  }

  expect_failures = [var.callback_urls]
}

run "refuses_client_scopes_the_resource_server_lacks" {
  command = plan

  variables {
    app_client_scopes = ["orders.write"]
  }

  expect_failures = [var.app_client_scopes]
}

run "refuses_a_short_password_policy" {
  command = plan

  variables {
    password_minimum_length = 8
  }

  expect_failures = [var.password_minimum_length]
}
