# The edge outputs of every environment: staging/edge/outputs.tf and prod/edge/outputs.tf
# are links to this file.

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.api.api_id
}

output "api_origin_host" {
  description = "Custom domain of the API (CloudFront's origin)."
  value       = module.api.domain_name
}

output "route_keys" {
  description = "Routes of the API, each behind the edge Lambda authorizer."
  value       = module.api.route_keys
}

output "alb_arn" {
  description = "The controller-managed internal ALB the API forwards to."
  value       = module.api.alb_arn
}

output "authorizer_function_name" {
  description = "The edge authorizer's Lambda function (logs in /aws/lambda/<name>)."
  value       = module.api.authorizer_function_name
}

output "user_pool_id" {
  description = "The customers' Cognito user pool."
  value       = module.identity.user_pool_id
}

output "jwt_issuer" {
  description = "Issuer of the customers' tokens, as the edge authorizer checks it."
  value       = module.identity.issuer_url
}

output "app_client_id" {
  description = "Client ID the mobile app signs in with (authorization code with PKCE, no secret)."
  value       = module.identity.app_client_id
}

output "machine_client_id" {
  description = "Client ID of the operators' machine client (client_credentials; secret: aws cognito-idp describe-user-pool-client)."
  value       = module.identity.machine_client_id
}

output "hosted_ui_url" {
  description = "Base URL of the hosted sign-in pages and OAuth endpoints."
  value       = module.identity.hosted_ui_url
}
