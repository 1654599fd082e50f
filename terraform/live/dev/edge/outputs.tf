# The edge outputs of every environment: staging/edge/outputs.tf and prod/edge/outputs.tf
# are links to this file.

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.edge.api_id
}

output "api_origin_host" {
  description = "Custom domain of the API (CloudFront's origin)."
  value       = module.edge.api_origin_host
}

output "route_keys" {
  description = "Routes of the API, each behind the edge Lambda authorizer."
  value       = module.edge.route_keys
}

output "alb_arn" {
  description = "The controller-managed internal ALB the API forwards to."
  value       = module.edge.alb_arn
}

output "authorizer_function_name" {
  description = "The edge authorizer's Lambda function (logs in /aws/lambda/<name>)."
  value       = module.edge.authorizer_function_name
}
