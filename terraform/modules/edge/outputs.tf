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
