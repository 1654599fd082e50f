# The customers' identity provider: a Cognito user pool (email sign-in), the API's
# resource server and its scopes, the mobile app's public client (authorization code
# with PKCE, no secret), optionally a machine client for operators' tools, and the
# Cognito domain of the hosted sign-in pages and OAuth endpoints. The edge stage
# passes issuer_url, jwks_url and audiences to the api-gateway module, whose Lambda
# authorizer verifies the access tokens this pool issues.

locals {
  # Threat protection (advanced security) exists only in the PLUS feature plan;
  # ESSENTIALS is the least plan with password history and the managed login pages.
  user_pool_tier = var.threat_protection == "OFF" ? "ESSENTIALS" : "PLUS"

  # Units of the clients' token_validity_units: Cognito's defaults are hours and days.
  token_units = {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_pool" "this" {
  name           = var.name
  user_pool_tier = local.user_pool_tier

  # A prod pool cannot be deleted (by Terraform or anyone) until this is switched off.
  deletion_protection = var.environment == "prod" ? "ACTIVE" : "INACTIVE"

  # Customers sign in with their email address, which Cognito verifies by code at
  # sign-up and again before a changed address replaces the verified one.
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  username_configuration {
    case_sensitive = false
  }

  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
  }

  schema {
    name                = "email"
    attribute_data_type = "String"
    required            = true
    mutable             = true

    string_attribute_constraints {
      min_length = 5
      max_length = 254
    }
  }

  # Customers sign themselves up (through the hosted pages).
  admin_create_user_config {
    allow_admin_create_user_only = false
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    password_history_size            = 5
    temporary_password_validity_days = 3
  }

  # MFA is the customer's choice, with an authenticator app (TOTP); no SMS (cost,
  # SIM swapping).
  mfa_configuration = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  # A forgotten password is reset through the verified email only.
  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  # Cognito's own sender: 50 emails a day per account, enough until an SES identity
  # is wired (terraform/README.md, "Edge").
  email_configuration {
    email_sending_account = "COGNITO_DEFAULT"
  }

  user_pool_add_ons {
    advanced_security_mode = var.threat_protection
  }

  tags = var.tags
}

# The API as an OAuth resource server: access tokens carry its scopes as
# <identifier>/<scope>, which is how the API's routes name them.
resource "aws_cognito_resource_server" "api" {
  user_pool_id = aws_cognito_user_pool.this.id
  identifier   = var.resource_server_identifier
  name         = "${var.name}-${var.resource_server_identifier}"

  dynamic "scope" {
    for_each = var.scopes
    content {
      scope_name        = scope.key
      scope_description = scope.value
    }
  }
}

# The customers' mobile app: a public client (no secret: an app binary cannot keep
# one) that gets tokens only by the authorization code grant through the hosted
# pages. Cognito honours PKCE (code_challenge S256) on that grant; the app must send
# it, since without a secret the code is all that stands between a redirect
# interceptor and the tokens.
resource "aws_cognito_user_pool_client" "app" {
  name         = "${var.name}-app"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = concat(["openid", "email"], [for s in var.app_client_scopes : "${aws_cognito_resource_server.api.identifier}/${s}"])
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = var.callback_urls
  logout_urls                          = var.logout_urls

  # No password, SRP or custom flow through the API: sign-in happens on the hosted
  # pages only; the app renews its tokens with the refresh token.
  explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]

  access_token_validity  = var.access_token_validity_minutes
  id_token_validity      = var.access_token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days

  token_validity_units {
    access_token  = local.token_units.access_token
    id_token      = local.token_units.id_token
    refresh_token = local.token_units.refresh_token
  }

  enable_token_revocation       = true
  prevent_user_existence_errors = "ENABLED"
}

# Operators' tools and the load harness (GET /v1/stream): a confidential client with
# the client_credentials grant only; its secret stays in Cognito and in this stage's
# state (aws cognito-idp describe-user-pool-client reads it), never in an output.
resource "aws_cognito_user_pool_client" "machine" {
  count = length(var.machine_client_scopes) > 0 ? 1 : 0

  name         = "${var.name}-machine"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = [for s in var.machine_client_scopes : "${aws_cognito_resource_server.api.identifier}/${s}"]
  supported_identity_providers         = ["COGNITO"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]

  access_token_validity = var.access_token_validity_minutes

  token_validity_units {
    access_token  = local.token_units.access_token
    id_token      = local.token_units.id_token
    refresh_token = local.token_units.refresh_token
  }

  enable_token_revocation       = true
  prevent_user_existence_errors = "ENABLED"
}

# The hosted sign-in pages and the OAuth endpoints (/oauth2/authorize, /oauth2/token)
# on Cognito's prefix domain. Classic hosted UI (version 1): managed login (2) needs
# a branding style per client before it serves a page.
resource "aws_cognito_user_pool_domain" "this" {
  domain                = var.domain_prefix
  user_pool_id          = aws_cognito_user_pool.this.id
  managed_login_version = 1
}
