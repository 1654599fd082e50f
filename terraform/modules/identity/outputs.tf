output "user_pool_id" {
  description = "ID of the user pool (<region>_<id>)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "issuer_url" {
  description = "Issuer of the pool's tokens (their iss claim): https://cognito-idp.<region>.amazonaws.com/<pool id>; the api-gateway module's jwt_issuer."
  value       = "https://cognito-idp.${aws_cognito_user_pool.this.region}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

output "jwks_url" {
  description = "The pool's signing keys (<issuer_url>/.well-known/jwks.json); the api-gateway module's jwks_url."
  value       = "https://cognito-idp.${aws_cognito_user_pool.this.region}.amazonaws.com/${aws_cognito_user_pool.this.id}/.well-known/jwks.json"
}

output "app_client_id" {
  description = "Client ID of the customers' mobile app (public, authorization code with PKCE)."
  value       = aws_cognito_user_pool_client.app.id
}

output "machine_client_id" {
  description = "Client ID of the machine client (client_credentials), or null when machine_client_scopes is empty."
  value       = one(aws_cognito_user_pool_client.machine[*].id)
}

output "audiences" {
  description = "The client IDs whose access tokens the API accepts (Cognito access tokens carry client_id, no aud); the api-gateway module's jwt_audiences."
  value       = concat([aws_cognito_user_pool_client.app.id], aws_cognito_user_pool_client.machine[*].id)
}

output "scopes" {
  description = "The resource server's scopes as tokens and routes name them (<identifier>/<scope>)."
  value       = sort([for s in keys(var.scopes) : "${var.resource_server_identifier}/${s}"])
}

output "hosted_ui_url" {
  description = "Base URL of the hosted sign-in pages and OAuth endpoints (/oauth2/authorize, /oauth2/token, /logout)."
  value       = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${aws_cognito_user_pool.this.region}.amazoncognito.com"
}
