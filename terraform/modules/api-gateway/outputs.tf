output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "domain_name" {
  description = "Custom domain of the API (CloudFront's origin)."
  value       = aws_apigatewayv2_domain_name.this.domain_name
}

output "domain_target" {
  description = "Regional host name API Gateway serves the custom domain on (the alias target of domain_name)."
  value       = aws_apigatewayv2_domain_name.this.domain_name_configuration[0].target_domain_name
}

output "authorizer_id" {
  description = "ID of the edge Lambda authorizer on every route."
  value       = aws_apigatewayv2_authorizer.edge.id
}

output "authorizer_function_name" {
  description = "Name of the edge authorizer's Lambda function (its log group is /aws/lambda/<name>)."
  value       = aws_lambda_function.authorizer.function_name
}

output "route_keys" {
  description = "The routes the API serves, each behind the edge authorizer."
  value       = sort(keys(aws_apigatewayv2_route.this))
}

output "vpc_link_id" {
  description = "ID of the VPC link."
  value       = aws_apigatewayv2_vpc_link.this.id
}

output "alb_arn" {
  description = "ARN of the controller-managed internal ALB the API forwards to."
  value       = data.aws_lb.ingress.arn
}

output "alb_listener_arn" {
  description = "ARN of that ALB's HTTPS listener (the integration target)."
  value       = data.aws_lb_listener.https.arn
}
